import Foundation

/// The curves of a training run as a self-contained SVG: one panel per measure (the loss, then
/// each metric of the file: accuracy, MAE, RMSE, R², …) with axes, tick labels, axis titles and
/// a legend, one curve per split (train, validation, test) that has it.
public enum CurvesPlot {
    /// The SVG document for `metrics`, one point per epoch, headed by `title`. Metrics with a
    /// ``EpochMetrics/problem`` (non-finite or absurd values) are an error naming the epoch.
    public static func svg(_ metrics: [EpochMetrics], title: String = "EasyNets training") throws -> String {
        if let (index, problem) = metrics.enumerated().lazy.compactMap({ i, m in m.problem.map { (i, $0) } }).first {
            throw DataError(path: "<metrics>", location: "record \(index + 1)", reason: problem)
        }
        // One panel per measure (the loss first), one curve per split that has it.
        var measures: [String] = ["loss"]
        for epoch in metrics {
            for name in epoch.values.keys.sorted() {
                let measure = String(name.split(separator: "_", maxSplits: 1).last ?? "")
                if !measures.contains(measure) { measures.append(measure) }
            }
        }
        let colors: [DataSplit: String] = [.train: "#1f77b4", .validation: "#d62728", .test: "#2ca02c"]
        let columns = 2, rows = (measures.count + 1) / 2
        let width = 960.0, height = 70.0 + 370.0 * Double(rows)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="22" text-anchor="middle" font-size="16">\(escape(title))</text>

            """
        let epochs = metrics.map { Double($0.epoch) }
        for (index, measure) in measures.enumerated() {
            let series = DataSplit.allCases.compactMap { split -> (String, [Double], String)? in
                let key = "\(split.rawValue)_\(measure)"
                guard metrics.contains(where: { $0.values[key] != nil }) else { return nil }
                return (split.rawValue, metrics.map { $0.values[key] ?? .nan }, colors[split]!)
            }
            out += panel(x: 60 + 480 * Double(index % columns), y: 50 + 370 * Double(index / columns), width: 400, height: 300,
                         title: panelTitle(for: measure), xs: epochs, series: series)
        }
        out += "</svg>\n"
        return out
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

    private static func panel(x: Double, y: Double, width: Double, height: Double, title: String, xs: [Double],
                              series: [(String, [Double], String)]) -> String {
        let values = series.flatMap(\.1).filter(\.isFinite)
        var (low, high) = (values.min() ?? 0, values.max() ?? 1)
        if high - low < 1e-12 { (low, high) = (low - 0.5, high + 0.5) }
        let pad = (high - low) * 0.05
        (low, high) = (low - pad, high + pad)
        let (xLow, xHigh) = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1))
        func px(_ v: Double) -> Double { x + (v - xLow) / (xHigh - xLow) * width }
        func py(_ v: Double) -> Double { y + height - (v - low) / (high - low) * height }
        var s = "<g>\n<text x=\"\(x + width / 2)\" y=\"\(y - 8)\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
        s += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\" fill=\"none\" stroke=\"#444\"/>\n"
        for k in 0...5 {  // y ticks and grid
            let v = low + (high - low) * Double(k) / 5
            s += "<line x1=\"\(x)\" y1=\"\(py(v))\" x2=\"\(x + width)\" y2=\"\(py(v))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(x - 6)\" y=\"\(py(v) + 4)\" text-anchor=\"end\">\(label(v))</text>\n"
        }
        let step = max(1, Int(((xHigh - xLow) / 8).rounded(.up)))
        var tick = Int(xLow.rounded(.up))
        while Double(tick) <= xHigh {  // x ticks
            s += "<line x1=\"\(px(Double(tick)))\" y1=\"\(y + height)\" x2=\"\(px(Double(tick)))\" y2=\"\(y + height + 5)\" stroke=\"#444\"/>\n"
            s += "<text x=\"\(px(Double(tick)))\" y=\"\(y + height + 18)\" text-anchor=\"middle\">\(tick)</text>\n"
            tick += step
        }
        s += "<text x=\"\(x + width / 2)\" y=\"\(y + height + 36)\" text-anchor=\"middle\">epoch</text>\n"
        s += "<text x=\"\(x - 45)\" y=\"\(y + height / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 \(x - 45) \(y + height / 2))\">\(title.lowercased())</text>\n"
        for (i, (name, ys, color)) in series.enumerated() {
            let points = zip(xs, ys).filter { $0.1.isFinite }.map { "\(px($0.0)),\(py($0.1))" }
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            for p in points { s += "<circle cx=\"\(p.split(separator: ",")[0])\" cy=\"\(p.split(separator: ",")[1])\" r=\"3\" fill=\"\(color)\"/>\n" }
            let ly = y + 16 + Double(i) * 18
            s += "<line x1=\"\(x + width - 90)\" y1=\"\(ly - 4)\" x2=\"\(x + width - 70)\" y2=\"\(ly - 4)\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(x + width - 64)\" y=\"\(ly)\">\(name)</text>\n"
        }
        return s + "</g>\n"
    }

    private static func label(_ v: Double) -> String {
        let text = String(v, style: .report)
        return text == "-0.000" ? "0.000" : text
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
