import ArgumentParser
import EasyNets
import Foundation

/// `easynets plot`: the curves of one or more metrics files, as SVG.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the loss, metric and learning-rate curves of one or more metrics files as SVG.",
        discussion: "Several files are overlaid: each run has a colour, each split a line style. "
            + "The picture is SVG; rsvg-convert curves.svg -o curves.png (Debian's librsvg2-bin) makes a PNG of it.")

    @Argument(help: "Metrics files written by easynets train --metrics.")
    var files: [String] = []

    @Option(name: .customLong("metrics"), help: "A metrics file (the same as giving it as an argument); may be repeated.")
    var metricsFiles: [String] = []

    @Option(help: "Output SVG file, ending in .svg.")
    var output: String = "curves.svg"

    @OptionGroup var memory: MemoryOptions

    func validate() throws {
        guard !(files + metricsFiles).isEmpty else {
            throw ValidationError("give the metrics files to draw: easynets plot run.jsonl [other.jsonl …] (written by easynets train --metrics)")
        }
        try checkSVGName(output, flag: "--output")
    }

    func run() throws {
        memory.apply()
        try checkOutput(output, flag: "--output")
        try reportingErrors {
            let paths = files + metricsFiles
            // Runs are named by their files' names, or by the paths when two names are the same.
            let names = paths.map { URL(fileURLWithPath: $0).lastPathComponent }
            let distinct = Set(names).count == names.count
            var runs: [CurvesPlot.Run] = []
            for (path, name) in zip(paths, names) {
                let epochs = try EpochMetrics.read(fromFile: path)
                guard !epochs.isEmpty else { throw DataError(path: path, reason: "no epochs recorded") }
                runs.append(CurvesPlot.Run(name: distinct ? name : path, epochs: epochs))
            }
            let svg = try CurvesPlot.svg(runs, title: "EasyNets: " + runs.map(\.name).joined(separator: ", "))
            try OutputFile.write(Array(svg.utf8), to: output)
            print("Wrote \(output) (" + runs.map { (runs.count > 1 ? "\($0.name): " : "") + epochCount($0.epochs.count) }
                    .joined(separator: ", ") + ")")
        }
    }
}

/// "1 epoch", "5 epochs".
func epochCount(_ count: Int) -> String { "\(count) epoch\(count == 1 ? "" : "s")" }

/// Refuses an output name that does not end in `.svg`: the pictures are SVG, and a `.png` name
/// holding SVG would mislead whatever opens it.
func checkSVGName(_ path: String, flag: String) throws {
    guard URL(fileURLWithPath: path).pathExtension.lowercased() != "svg" else { return }
    let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    throw ValidationError("\(flag) \(path): the picture is SVG; give a name ending in .svg "
                          + "(rsvg-convert \(stem).svg -o \(stem).png, from Debian's librsvg2-bin, converts it to PNG)")
}
