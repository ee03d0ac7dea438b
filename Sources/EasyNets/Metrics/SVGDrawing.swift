import Foundation

/// What the SVG pictures share: escaping, compact coordinates and axis ticks at round numbers.
enum SVGDrawing {
    /// `text` safe inside an SVG element or attribute.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A coordinate with two decimals at most: "12.5", "300".
    static func coordinate(_ value: Double) -> String {
        let text = String(format: "%.2f", value)
        guard text.contains(".") else { return text }
        let trimmed = text.replacingOccurrences(of: "0+$", with: "", options: .regularExpression)
        return trimmed.hasSuffix(".") ? String(trimmed.dropLast()) : trimmed
    }

    /// Round ticks covering `low...high`: a step of 1, 2 or 5 times a power of ten giving about
    /// `count` intervals, the range widened to whole steps, and each tick's label written with the
    /// step's decimals (0.636, 0.638… or 1e-04 for steps below 10⁻⁴ and values from 10⁶ on).
    static func ticks(low: Double, high: Double, count: Int = 5) -> (low: Double, high: Double, ticks: [(value: Double, label: String)]) {
        var (low, high) = (low, high)
        if !(high - low > 1e-12 * max(1, abs(low), abs(high))) {
            let half = low == 0 ? 0.5 : abs(low) * 0.25
            (low, high) = (low - half, high + half)
        }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = ([1.0, 2, 5, 10].first { $0 * magnitude >= raw * (1 - 1e-9) } ?? 10) * magnitude
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
        let scientific = decimals > 4 || max(abs(first), abs(last)) * step >= 1e6
        let ticks = stride(from: first, through: last, by: 1).map { index -> (Double, String) in
            let value = index * step
            if value == 0 { return (0, "0") }
            return (value, scientific ? String(format: "%.3g", value) : String(format: "%.\(decimals)f", value))
        }
        return (first * step, last * step, ticks)
    }

    /// Whole-number ticks (epochs) covering `low...high` at a round step.
    static func integerTicks(low: Int, high: Int, count: Int = 8) -> [Int] {
        let span = max(1, high - low)
        let raw = Double(span) / Double(count)
        let magnitude = max(1, pow(10, (log10(max(raw, 1))).rounded(.down)))
        let step = max(1, Int(([1.0, 2, 5, 10].first { $0 * magnitude >= raw } ?? 10) * magnitude))
        let first = Int((Double(low) / Double(step)).rounded(.up)) * step
        return Array(stride(from: first, through: high, by: step))
    }
}
