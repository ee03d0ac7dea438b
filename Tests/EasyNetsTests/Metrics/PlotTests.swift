import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import EasyNets

/// The pictures: round ticks on a padded range, a legend apart from the curves, the learning rate,
/// several runs overlaid, and the confusion matrix with class names.
@Suite struct PlotTests {
    func epochs(_ count: Int, start: Int = 1, loss: (Double) -> Double = { 1 / $0 }, accuracy: (Double) -> Double = { 0.6 + 0.01 * $0 },
                learningRate: (Double) -> Double = { 0.1 / $0 }) -> [EpochMetrics] {
        (start..<start + count).map { epoch in
            let e = Double(epoch)
            return EpochMetrics(epoch: epoch, values: ["train_loss": loss(e), "validation_loss": loss(e) * 1.1,
                                                       "train_accuracy": accuracy(e), "validation_accuracy": accuracy(e) - 0.01],
                                seconds: 1, samplesPerSecond: 100, learningRate: learningRate(e))
        }
    }

    /// The SVG's elements of one name with their attributes, in document order.
    func elements(_ name: String, in svg: String) throws -> [[String: String]] {
        final class Collector: NSObject, XMLParserDelegate {
            let name: String
            var found: [[String: String]] = []
            var text: String?
            init(name: String) { self.name = name }
            func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if element == name { found.append(attributes); text = "" }
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text? += string }
            func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
                if element == name, let text { found[found.count - 1]["text"] = text; self.text = nil }
            }
        }
        let collector = Collector(name: name)
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))")
        return collector.found
    }

    /// Tick labels of the panel titled `title`: the texts right-aligned left of its frame.
    func yTickLabels(_ svg: String, panel title: String) throws -> [Double] {
        let groups = svg.components(separatedBy: "<g>").filter { $0.contains(">\(title)</text>") }
        let group = try #require(groups.first)
        return try elements("text", in: "<svg>" + group.components(separatedBy: "</g>")[0] + "</svg>")
            .filter { $0["text-anchor"] == "end" }.compactMap { $0["text"].flatMap(Double.init) }
    }

    @Test func ticksAreRoundAndCoverThePaddedData() throws {
        // Accuracies 0.637…0.645 (the range that used to get ticks 0.637, 0.645…).
        let runs = [CurvesPlot.Run(name: "run", epochs: epochs(5, accuracy: { 0.635 + 0.002 * $0 }))]
        let svg = try CurvesPlot.svg(runs)
        let ticks = try yTickLabels(svg, panel: "Accuracy")
        try #require(ticks.count >= 3)
        let step = ticks[1] - ticks[0]
        // A step of 1, 2 or 5 times a power of ten, every tick a multiple of it.
        let mantissa = step / pow(10, log10(step).rounded(.down))
        #expect([1.0, 2, 5].contains { abs(mantissa - $0) < 1e-6 }, "step \(step)")
        for tick in ticks { #expect(abs((tick / step) - (tick / step).rounded()) < 1e-6, "\(tick) is not a multiple of \(step)") }
        // The range holds the data with room to spare: the validation curve reaches 0.636 at epoch 1.
        #expect(ticks.first! < 0.636 && ticks.last! > 0.645)
    }

    @Test func tickLabelsOfLargeAndSmallValues() {
        #expect(SVGDrawing.ticks(low: 0, high: 1).ticks.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(SVGDrawing.ticks(low: 3, high: 3).ticks.map(\.value).contains(3))
        #expect(SVGDrawing.ticks(low: 1e-6, high: 5e-6).ticks.map(\.label).allSatisfy { $0 == "0" || $0.contains("e-") })
        #expect(SVGDrawing.integerTicks(low: 1, high: 1) == [1])
        #expect(SVGDrawing.integerTicks(low: 1, high: 100) == [20, 40, 60, 80, 100])  // 99 epochs / 8 = 12.4 → a step of 20
        #expect(SVGDrawing.integerTicks(low: 1, high: 5) == [1, 2, 3, 4, 5])
    }

    @Test func oneEpochHasOneEpochTick() throws {
        let svg = try CurvesPlot.svg([CurvesPlot.Run(name: "run", epochs: epochs(1))])
        let middle = try elements("text", in: svg).filter { $0["text-anchor"] == "middle" }.compactMap { $0["text"] }
        #expect(middle.contains("1") && !middle.contains("2") && !middle.contains("0"))
    }

    @Test func theLegendIsAboveThePanels() throws {
        let svg = try CurvesPlot.svg([CurvesPlot.Run(name: "run", epochs: epochs(8))])
        let legend = try #require(svg.components(separatedBy: "<g class=\"legend\">").dropFirst().first?.components(separatedBy: "</g>").first)
        let legendBottom = try elements("text", in: "<svg>" + legend + "</svg>").compactMap { $0["y"].flatMap(Double.init) }.max() ?? 0
        let frames = try elements("rect", in: svg).filter { $0["fill"] == "none" }.compactMap { $0["y"].flatMap(Double.init) }
        #expect(!frames.isEmpty && frames.allSatisfy { $0 > legendBottom + 20 }, "legend at \(legendBottom), panels at \(frames)")
        for name in ["train", "validation", "learning rate"] { #expect(legend.contains(">\(name)<")) }
    }

    @Test func theLearningRateHasAPanel() throws {
        let svg = try CurvesPlot.svg([CurvesPlot.Run(name: "run", epochs: epochs(4, learningRate: { 0.1 / $0 }))])
        let ticks = try yTickLabels(svg, panel: "Learning rate")
        #expect(ticks.min()! <= 0.025 && ticks.max()! >= 0.1)
    }

    @Test func severalRunsAreOverlaid() throws {
        let a = CurvesPlot.Run(name: "a.jsonl", epochs: epochs(5))
        let b = CurvesPlot.Run(name: "b.jsonl", epochs: epochs(3, loss: { 2 / $0 }))
        let svg = try CurvesPlot.svg([a, b])
        let lines = try elements("polyline", in: svg)
        // Loss and accuracy: 2 runs × 2 splits each; the learning rate: 1 per run.
        #expect(lines.count == 2 * 4 + 2)
        #expect(Set(lines.map { $0["stroke"]! }).count == 2, "one colour per run")
        #expect(lines.contains { $0["stroke-dasharray"] != nil } && lines.contains { $0["stroke-dasharray"] == nil })
        #expect(svg.contains(">a.jsonl<") && svg.contains(">b.jsonl<"))
        // Run b's loss reaches 2 at epoch 1: the loss axis covers both runs.
        #expect(try yTickLabels(svg, panel: "Loss").max()! >= 2.2)
    }

    @Test func theConfusionMatrixNamesTheClassesAndCountsEachCell() throws {
        let labels = [0, 0, 0, 1, 1, 2, 2, 2, 2], predictions = [0, 0, 1, 1, 1, 2, 2, 0, 2]
        let report = ClassificationReport(predictions: predictions, labels: labels, classCount: 3)
        let names = ["T-shirt/top", "Trouser", "<Bag>"]
        let svg = report.confusionMatrixSVG(classNames: names, title: "test")
        let texts = try elements("text", in: svg).compactMap { $0["text"] }
        for name in names { #expect(texts.filter { $0 == name }.count == 2, "\(name) labels a row and a column") }
        // The counts, each an independent tally of the pairs.
        var tally: [String: Int] = [:]
        for (y, p) in zip(labels, predictions) { tally["\(y),\(p)", default: 0] += 1 }
        let titles = try elements("title", in: svg).compactMap { $0["text"] }
        #expect(titles.count == 9)
        for actual in 0..<3 {
            for predicted in 0..<3 {
                let expected = tally["\(actual),\(predicted)"] ?? 0
                #expect(titles.contains("actual \(names[actual]), predicted \(names[predicted]): \(expected)"))
            }
        }
        // The shade follows the row's share: a full row is darker than a half row.
        let cells = try elements("rect", in: svg).filter { $0["width"] == $0["height"] && $0["stroke"] == "#fff" }
        #expect(cells.count == 9)
        func darkness(_ cell: [String: String]) -> Int { Int(cell["fill"]!.dropFirst().prefix(2), radix: 16)! }
        // Class 1: 2 of 2 right; class 0: 2 of 3 right; an empty cell is white.
        #expect(darkness(cells[4]) < darkness(cells[0]) && cells[1 * 3 + 0]["fill"] == "#f7fbff")
        #expect(texts.contains { $0.hasPrefix("accuracy 0.778 over 9 examples") })
    }
}
