import ArgumentParser
import EasyNets
import Foundation

/// `easynets plot`: loss and accuracy curves from a metrics file, as SVG.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Draw loss and accuracy curves from a metrics file as SVG.")

    @Option(help: "Metrics file written by easynets train --metrics.")
    var metrics: String

    @Option(help: "Output SVG file.")
    var output: String = "curves.svg"

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        try checkOutput(output, flag: "--output")
        try reportingErrors {
            let epochs = try EpochMetrics.read(fromFile: metrics)
            guard !epochs.isEmpty else { throw DataError(path: metrics, reason: "no epochs recorded") }
            let svg = try CurvesPlot.svg(epochs, title: "EasyNets: \(URL(fileURLWithPath: metrics).lastPathComponent)")
            try OutputFile.write(Array(svg.utf8), to: output)
            print("Wrote \(output) (\(epochs.count) epochs)")
        }
    }
}
