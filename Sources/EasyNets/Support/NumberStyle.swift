import Foundation

/// How EasyNets writes a number in the text it shows: reports, progress lines, benchmark results.
///
/// ```swift
/// String(0.91234, style: .fixed(2))    // "0.91"
/// String(2.5, style: .rounded(3))      // "2.5"
/// String(0.91234, style: .report)      // "0.912"
/// ```
public enum NumberStyle: Sendable, Hashable {
    /// Exactly this many digits after the point, rounded as C's `printf("%.*f")` rounds:
    /// `.fixed(4)` writes 0.5 as "0.5000".
    case fixed(Int)
    /// Rounded to this many decimal places, then written as Swift writes a `Double` (the shortest
    /// digits that read back): `.rounded(3)` writes 2.5 as "2.5" and 2 as "2.0".
    case rounded(Int)
    /// Three decimals, halves rounded away from zero, from 10¹² on four significant digits
    /// (`%.4g`); "nan" and "inf" as Swift writes them. A ``ClassificationReport``'s cells and a
    /// ``CurvesPlot``'s axis labels.
    case report
}

extension String {
    /// `value` written in `style`. The decimals of ``NumberStyle/fixed(_:)`` and
    /// ``NumberStyle/rounded(_:)`` must be in 0...22.
    public init(_ value: Double, style: NumberStyle) {
        switch style {
        case .fixed(let decimals):
            require((0...22).contains(decimals), "String(_:style:): decimals must be in 0...22, got \(decimals)")
            self = String(format: "%.\(decimals)f", value)
        case .rounded(let decimals):
            require((0...22).contains(decimals), "String(_:style:): decimals must be in 0...22, got \(decimals)")
            // 10^decimals is exact for up to 22 decimals, so 3 divides by exactly 1000.
            let scale = (0..<decimals).reduce(1.0) { product, _ in product * 10 }
            self = String((value * scale).rounded() / scale)
        case .report:
            // Fixed point while the scaled value fits an Int exactly; 4 significant digits beyond.
            guard value.isFinite, abs(value) < 1e12 else {
                self = value.isFinite ? String(format: "%.4g", value) : "\(value)"
                return
            }
            let scaled = Int((value * 1000).rounded())
            let sign = scaled < 0 ? "-" : ""
            let magnitude = abs(scaled)
            let fraction = String(magnitude % 1000)
            self = "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        }
    }
}
