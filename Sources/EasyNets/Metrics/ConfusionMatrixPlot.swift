import Foundation

extension ClassificationReport {
    /// The most classes ``confusionMatrixSVG(classNames:title:)`` draws; beyond it the cells are
    /// too small to read (the counts stay in ``confusion``).
    public static let maximumPlottedClasses = 100

    /// The confusion matrix as a self-contained SVG: rows are the actual classes, columns the
    /// predicted ones, each cell shaded by its share of the row (the diagonal is each class's
    /// recall) and labelled with its count while cells are large enough to hold it (every cell
    /// names its classes and count as a tooltip). Classes are named by `classNames`, or by number
    /// where it has no name. At most ``maximumPlottedClasses`` classes.
    public func confusionMatrixSVG(classNames: [String]? = nil, title: String = "Confusion matrix") -> String {
        require(classCount <= Self.maximumPlottedClasses,
                "confusionMatrixSVG: \(classCount) classes; the picture draws at most \(Self.maximumPlottedClasses)")
        let names = (0..<classCount).map { c -> String in
            let name = classNames.flatMap { $0.indices.contains(c) ? $0[c] : nil } ?? String(c)
            return name.count > 24 ? String(name.prefix(23)) + "…" : name
        }
        let n = max(classCount, 1)
        let cell = min(56, max(14, (560 / Double(n)).rounded(.down)))
        let longest = Double(names.map(\.count).max() ?? 1)
        let left = 50 + 7 * longest, top = 64.0
        let side = cell * Double(classCount)
        let bottom = top + side + 20 + 5 * longest + 40
        let width = max(left + side + 40, 420, 8.5 * Double(title.count) + 40), height = bottom + 10
        let c = SVGDrawing.coordinate
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(c(width / 2))" y="22" text-anchor="middle" font-size="16">\(SVGDrawing.escape(title))</text>
            <text x="\(c(width / 2))" y="42" text-anchor="middle">accuracy \(String(accuracy, style: .report)) over \(total) \
            example\(total == 1 ? "" : "s"); rows: actual class, columns: predicted class</text>

            """
        let fontSize = min(13, cell * 0.32)
        for actual in 0..<classCount {
            let rowTotal = support[actual]
            for predicted in 0..<classCount {
                let count = self.count(actual: actual, predicted: predicted)
                let share = rowTotal > 0 ? Double(count) / Double(rowTotal) : 0
                let (x, y) = (left + cell * Double(predicted), top + cell * Double(actual))
                s += "<rect x=\"\(c(x))\" y=\"\(c(y))\" width=\"\(c(cell))\" height=\"\(c(cell))\" fill=\"\(shade(share))\" stroke=\"#fff\">"
                    + "<title>actual \(SVGDrawing.escape(names[actual])), predicted \(SVGDrawing.escape(names[predicted])): \(count)</title></rect>\n"
                if cell >= 22 && count > 0 {
                    s += "<text x=\"\(c(x + cell / 2))\" y=\"\(c(y + cell / 2 + fontSize * 0.35))\" text-anchor=\"middle\" "
                        + "font-size=\"\(c(fontSize))\" fill=\"\(share > 0.5 ? "#fff" : "#000")\">\(count)</text>\n"
                }
            }
        }
        for (index, name) in names.enumerated() {
            let middle = cell * (Double(index) + 0.5)
            s += "<text x=\"\(c(left - 6))\" y=\"\(c(top + middle + 4))\" text-anchor=\"end\">\(SVGDrawing.escape(name))</text>\n"
            let (x, y) = (left + middle + 4, top + side + 8)
            s += "<text x=\"\(c(x))\" y=\"\(c(y))\" text-anchor=\"end\" transform=\"rotate(-50 \(c(x)) \(c(y)))\">"
                + "\(SVGDrawing.escape(name))</text>\n"
        }
        s += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(side))\" height=\"\(c(side))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += "<text x=\"\(c(left + side / 2))\" y=\"\(c(bottom))\" text-anchor=\"middle\">predicted</text>\n"
        s += "<text x=\"16\" y=\"\(c(top + side / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(c(top + side / 2)))\">actual</text>\n"
        return s + "</svg>\n"
    }

    /// White for 0 to dark blue for 1.
    private func shade(_ share: Double) -> String {
        let (light, dark) = ((247.0, 251.0, 255.0), (8.0, 48.0, 107.0))
        let t = min(max(share, 0), 1)
        let mix = { (a: Double, b: Double) in Int((a + (b - a) * t).rounded()) }
        return String(format: "#%02x%02x%02x", mix(light.0, dark.0), mix(light.1, dark.1), mix(light.2, dark.2))
    }
}
