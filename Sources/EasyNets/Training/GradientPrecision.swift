import CEasyNetsKernels

/// The number format in which ``DataParallel`` sends gradients to be summed over the processes.
///
/// A 16-bit format halves the bytes a step sends (of a `Float` model; a `Double` model's quarter),
/// which pays where the network, not the computation, limits a step. Each process rounds its
/// weighted gradient to the format, and the sum is formed in pairs, each partial sum computed in
/// `Float` and rounded to the format, as PyTorch's `bf16_compress_hook` and `fp16_compress_hook`
/// do; the result, identical on every process, is widened back into the gradients.
public enum GradientPrecision: String, Sendable, CaseIterable {
    /// The model's own scalars: the sum of one process's training, up to the order of the additions.
    case full
    /// bfloat16: 8 significant bits (relative rounding error ≤ 2⁻⁹) and `Float`'s range.
    case bfloat16
    /// IEEE 754 half precision: 11 significant bits (≤ 2⁻¹²), but magnitudes from 65520 up become
    /// infinite and those up to 2⁻²⁵ (3.0·10⁻⁸) vanish (fewer bits below 2⁻¹⁴, 6.1·10⁻⁵). The
    /// gradients sent are already weighted by each process's share of the batch, so they have
    /// the scale of the global batch's mean gradient.
    case float16

    /// The 16-bit format, or `nil` for ``full``.
    public var sixteenBitFormat: SixteenBitFormat? { SixteenBitFormat(rawValue: rawValue) }
}

/// A 16-bit floating-point format held as its bit pattern in a `UInt16`: conversions from
/// `Float` and `Double` round to nearest, ties to even (overflow gives ±∞, NaN stays NaN), and
/// conversions to `Float` are exact.
public enum SixteenBitFormat: String, Sendable {
    /// bfloat16: the upper 16 bits of a `Float` (sign, 8 exponent bits, 7 fraction bits).
    case bfloat16
    /// IEEE 754 binary16 (sign, 5 exponent bits, 10 fraction bits).
    case float16

    /// `value` rounded to this format, as a bit pattern.
    @inlinable
    public func encode(_ value: Float) -> UInt16 {
        switch self {
        case .bfloat16: return Self.bfloat16Bits(value)
        case .float16: return Self.float16Bits(value)
        }
    }

    /// `value` rounded once to this format (not through `Float`), as a bit pattern.
    @inlinable
    public func encode(_ value: Double) -> UInt16 {
        encode(Self.roundedToOdd(value))
    }

    /// The value of the bit pattern `bits`.
    @inlinable
    public func decode(_ bits: UInt16) -> Float {
        switch self {
        case .bfloat16: return Float(bitPattern: UInt32(bits) << 16)
        case .float16: return Self.float16Value(bits)
        }
    }

    /// The sum of two values of this format, computed in `Float` and rounded to the format: the
    /// exact sum correctly rounded, since where the `Float` addition itself rounds, the smaller
    /// term lies far below half the format's rounding step at the larger.
    @inlinable
    public func sum(_ a: UInt16, _ b: UInt16) -> UInt16 {
        encode(decode(a) + decode(b))
    }

    /// bfloat16 is `Float`'s upper half: round the lower 16 bits away, to nearest, ties to even
    /// (a carry into the exponent is the correct rounding, up to ∞).
    @usableFromInline
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// IEEE half precision from `Float`: normal results rebias the exponent (127 − 15) and round
    /// 13 bits away; a carry past the largest exponent is ∞. Below 2⁻¹⁴ the result is a multiple
    /// of 2⁻²⁴, which `value`·2²⁴ rounded to an integer gives exactly.
    @usableFromInline
    static func float16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 { return sign | 0x7E00 }
        if magnitude >= 0x3880_0000 {
            let rebiased = magnitude &- 0x3800_0000
            let rounded = (rebiased &+ 0x0FFF &+ ((rebiased >> 13) & 1)) >> 13
            return sign | UInt16(Swift.min(rounded, 0x7C00))
        }
        let multiple = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
        return sign | UInt16(multiple)
    }

    @usableFromInline
    static func float16Value(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 == 0 ? 1 : -1
        let exponent = UInt32((bits >> 10) & 0x1F), fraction = UInt32(bits & 0x3FF)
        if exponent == 0 { return sign * Float(fraction) * 0x1p-24 }
        let signBit = UInt32(bits & 0x8000) << 16
        if exponent == 31 { return Float(bitPattern: signBit | 0x7F80_0000 | fraction << 13) }
        return Float(bitPattern: signBit | (exponent + 112) << 23 | fraction << 13)
    }

    /// `value` rounded to a `Float` toward zero, with the last bit set when that was inexact
    /// ("round to odd"): rounding this `Float` to nearest in a format of at most 22 significant
    /// bits gives what rounding `value` directly would.
    @usableFromInline
    static func roundedToOdd(_ value: Double) -> Float {
        var result = Float(value)
        guard !value.isNaN, Double(result) != value else { return result }
        if Swift.abs(Double(result)) > Swift.abs(value) { result = Float(bitPattern: result.bitPattern - 1) }
        return Float(bitPattern: result.bitPattern | 1)
    }
}

extension SixteenBitFormat {
    /// `sum[i]` = ``sum(_:_:)`` of `addend[i]` and `sum[i]` for `count` bit patterns (the C loop;
    /// for a collective's reduction operation).
    public func add(_ addend: UnsafePointer<UInt16>, into sum: UnsafeMutablePointer<UInt16>, count: Int) {
        switch self {
        case .bfloat16: easynets_sum_bf16(addend, sum, count)
        case .float16: easynets_sum_f16(addend, sum, count)
        }
    }
}
