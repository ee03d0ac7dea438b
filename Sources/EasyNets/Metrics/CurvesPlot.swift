import Foundation

/// The curves of one or more training runs as a self-contained SVG: one panel per measure (the
/// loss, then each metric of the files: accuracy, MAE, RMSE, R², …, then the learning rate), each
/// with round ticks on a padded range, axis titles and one curve per run and split (train,
/// validation, test) that has it. One legend above the panels names the curves, so it never
/// covers one.
///
/// With one run, the splits have their own colours; with several, each run has a colour and each
/// split a line style (train solid, validation dashed, test dotted).
public enum CurvesPlot {
    /// One training run: its metrics and the name the legend gives it.
    public struct Run: Sendable {
        /// The name in the legend, e.g. the metrics file's name.
        public var name: String
        /// The run's epochs in order.
        public var epochs: [EpochMetrics]
        /// A run named `name` with these epochs.
        public init(name: String, epochs: [EpochMetrics]) { (self.name, self.epochs) = (name, epochs) }
    }

    /// The SVG document for `runs`, one point per epoch, headed by `title`. Metrics with a
    /// ``EpochMetrics/problem`` (non-finite or absurd values) are an error naming the run and the
    /// record.
    public static func svg(_ runs: [Run], title: String = "EasyNets training") throws -> String {
        for run in runs {
            if let (index, problem) = run.epochs.enumerated().lazy.compactMap({ i, m in m.problem.map { (i, $0) } }).first {
                throw DataError(path: run.name.isEmpty ? "<metrics>" : run.name, location: "record \(index + 1)", reason: problem)
            }
        }
        // One panel per measure (the loss first, the learning rate last).
        var measures: [String] = ["loss"]
        for epoch in runs.flatMap(\.epochs) {
            for name in epoch.values.keys.sorted() {
                let measure = String(name.split(separator: "_", maxSplits: 1).last ?? "")
                if !measures.contains(measure) { measures.append(measure) }
            }
        }
        let styles = curveStyles(runs)
        var panels: [(title: String, curves: [Curve])] = measures.map { measure in
            let curves = runs.indices.flatMap { r in
                DataSplit.allCases.compactMap { split -> Curve? in
                    let key = "\(split.rawValue)_\(measure)"
                    guard runs[r].epochs.contains(where: { $0.values[key] != nil }) else { return nil }
                    return Curve(points: runs[r].epochs.map { (Double($0.epoch), $0.values[key] ?? .nan) }, style: styles.of(r, split))
                }
            }
            return (panelTitle(for: measure), curves)
        }
        panels.append(("Learning rate", runs.indices.map { r in
            Curve(points: runs[r].epochs.map { (Double($0.epoch), $0.learningRate) }, style: styles.learningRate(r))
        }))

        let columns = 2, rows = (panels.count + 1) / 2
        let legendRows = layoutLegend(styles.legend, width: 900).rows
        let top = 56.0 + 20 * Double(legendRows)
        let width = 960.0, height = top + 370 * Double(rows)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="22" text-anchor="middle" font-size="16">\(SVGDrawing.escape(title))</text>

            """
        out += legend(styles.legend, x: 60, y: 44, width: 900)
        let epochs = runs.flatMap(\.epochs).map(\.epoch)
        let xRange = (epochs.min() ?? 0, epochs.max() ?? 1)
        for (index, panel) in panels.enumerated() {
            out += self.panel(x: 80 + 480 * Double(index % columns), y: top + 370 * Double(index / columns), width: 380, height: 290,
                              title: panel.title, epochs: xRange, curves: panel.curves, markers: epochs.count <= 60 * runs.count)
        }
        out += "</svg>\n"
        return out
    }

    /// A curve's look: colour and dash pattern (empty for solid).
    struct Style {
        var color: String
        var dash: String
    }

    struct Curve {
        var points: [(x: Double, y: Double)]
        var style: Style
    }

    private static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                  "#bcbd22", "#17becf"]

    /// The styles of runs × splits and the legend's entries.
    private static func curveStyles(_ runs: [Run]) -> (of: (Int, DataSplit) -> Style, learningRate: (Int) -> Style,
                                                        legend: [(String, Style)]) {
        let splitColors: [DataSplit: String] = [.train: "#1f77b4", .validation: "#d62728", .test: "#2ca02c"]
        let dashes: [DataSplit: String] = [.train: "", .validation: "7 4", .test: "2 3"]
        let present = DataSplit.allCases.filter { split in
            runs.contains { $0.epochs.contains { $0.values.keys.contains { $0.hasPrefix(split.rawValue + "_") } } }
        }
        if runs.count == 1 {
            let legend = present.map { ($0.rawValue, Style(color: splitColors[$0]!, dash: "")) }
                + [("learning rate", Style(color: "#555555", dash: ""))]
            return ({ Style(color: splitColors[$1]!, dash: "") }, { _ in Style(color: "#555555", dash: "") }, legend)
        }
        let color = { (r: Int) in palette[r % palette.count] }
        let legend = runs.indices.map { (runs[$0].name, Style(color: color($0), dash: "")) }
            + present.map { ($0.rawValue, Style(color: "#333333", dash: dashes[$0]!)) }
        return ({ Style(color: color($0), dash: dashes[$1]!) }, { Style(color: color($0), dash: "") }, legend)
    }

    /// Where the legend's entries go: rows of entries that fit `width`.
    private static func layoutLegend(_ entries: [(String, Style)], width: Double) -> (rows: Int, positions: [(x: Double, row: Int)]) {
        var positions: [(x: Double, row: Int)] = [], x = 0.0, row = 0
        for (name, _) in entries {
            let extent = 34 + 7 * Double(name.count) + 18
            if x > 0 && x + extent > width { (x, row) = (0, row + 1) }
            positions.append((x, row))
            x += extent
        }
        return (entries.isEmpty ? 0 : row + 1, positions)
    }

    private static func legend(_ entries: [(String, Style)], x: Double, y: Double, width: Double) -> String {
        let layout = layoutLegend(entries, width: width)
        var s = "<g class=\"legend\">\n"
        for ((name, style), position) in zip(entries, layout.positions) {
            let (lx, ly) = (x + position.x, y + 20 * Double(position.row))
            s += "<line x1=\"\(SVGDrawing.coordinate(lx))\" y1=\"\(SVGDrawing.coordinate(ly - 4))\" x2=\"\(SVGDrawing.coordinate(lx + 28))\" "
                + "y2=\"\(SVGDrawing.coordinate(ly - 4))\" stroke=\"\(style.color)\" stroke-width=\"2\"\(dashAttribute(style))/>\n"
            s += "<text x=\"\(SVGDrawing.coordinate(lx + 34))\" y=\"\(SVGDrawing.coordinate(ly))\">\(SVGDrawing.escape(name))</text>\n"
        }
        return s + "</g>\n"
    }

    private static func dashAttribute(_ style: Style) -> String {
        style.dash.isEmpty ? "" : " stroke-dasharray=\"\(style.dash)\""
    }

    /// A panel's title for a measure's name: "Loss", "Accuracy", "RMSE", "Top5 accuracy", …
    private static func panelTitle(for measure: String) -> String {
        if let metric = Metric(name: measure) {
            switch metric {
            case .meanAbsoluteError, .rootMeanSquaredError: return measure.uppercased()
            case .r2: return "R²"
            default: break
            }
        }
        let words = measure.replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    private static func panel(x: Double, y: Double, width: Double, height: Double, title: String, epochs: (Int, Int),
                              curves: [Curve], markers: Bool) -> String {
        let values = curves.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        let (dataLow, dataHigh) = (values.min() ?? 0, values.max() ?? 1)
        let pad = (dataHigh - dataLow) * 0.04
        // A measure that is never negative (a loss, a rate) keeps its axis at 0 and above.
        let yAxis = SVGDrawing.ticks(low: dataLow >= 0 ? max(0, dataLow - pad) : dataLow - pad, high: dataHigh + pad)
        // One epoch gets a range of one around it, so its only tick is its own number.
        let (xLow, xHigh) = epochs.0 == epochs.1 ? (Double(epochs.0) - 0.5, Double(epochs.1) + 0.5) : (Double(epochs.0), Double(epochs.1))
        func px(_ v: Double) -> String { SVGDrawing.coordinate(x + (v - xLow) / (xHigh - xLow) * width) }
        func yPosition(_ v: Double) -> Double { y + height - (v - yAxis.low) / (yAxis.high - yAxis.low) * height }
        func py(_ v: Double) -> String { SVGDrawing.coordinate(yPosition(v)) }
        var s = "<g>\n<text x=\"\(x + width / 2)\" y=\"\(y - 8)\" text-anchor=\"middle\" font-size=\"14\">\(SVGDrawing.escape(title))</text>\n"
        s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\" fill=\"none\" stroke=\"#444\"/>\n"
        for tick in yAxis.ticks {
            s += "<line x1=\"\(x)\" y1=\"\(py(tick.value))\" x2=\"\(x + width)\" y2=\"\(py(tick.value))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(x - 6)\" y=\"\(SVGDrawing.coordinate(yPosition(tick.value) + 4))\" text-anchor=\"end\">\(tick.label)</text>\n"
        }
        for tick in SVGDrawing.integerTicks(low: epochs.0, high: epochs.1) {
            s += "<line x1=\"\(px(Double(tick)))\" y1=\"\(y + height)\" x2=\"\(px(Double(tick)))\" y2=\"\(y + height + 5)\" stroke=\"#444\"/>\n"
            s += "<text x=\"\(px(Double(tick)))\" y=\"\(y + height + 18)\" text-anchor=\"middle\">\(tick)</text>\n"
        }
        s += "<text x=\"\(x + width / 2)\" y=\"\(y + height + 36)\" text-anchor=\"middle\">epoch</text>\n"
        let labelX = x - 58
        s += "<text x=\"\(labelX)\" y=\"\(y + height / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 \(labelX) \(y + height / 2))\">"
            + "\(SVGDrawing.escape(title.lowercased()))</text>\n"
        for curve in curves {
            // A missing value breaks the line.
            var pieces: [[String]] = [[]]
            for point in curve.points {
                if point.y.isFinite { pieces[pieces.count - 1].append("\(px(point.x)),\(py(point.y))") } else if !pieces.last!.isEmpty { pieces.append([]) }
            }
            for piece in pieces where !piece.isEmpty {
                s += "<polyline fill=\"none\" stroke=\"\(curve.style.color)\" stroke-width=\"2\"\(dashAttribute(curve.style)) "
                    + "points=\"\(piece.joined(separator: " "))\"/>\n"
                if markers || piece.count == 1 {
                    for point in piece {
                        let xy = point.split(separator: ",")
                        s += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(curve.style.color)\"/>\n"
                    }
                }
            }
        }
        return s + "</g>\n"
    }
}
