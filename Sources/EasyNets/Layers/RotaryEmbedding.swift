import RealModule

/// Rotary position embedding (RoPE, Su et al., "RoFormer"), as torchtune's
/// `RotaryPositionalEmbeddings` and Meta's LLaMA apply it to each head's queries and keys.
///
/// The d features of a head form d/2 adjacent pairs (2i, 2i + 1) — the interleaved convention, not
/// the rotate-half one of Hugging Face's LLaMA, which pairs feature i with i + d/2 — and the pair at
/// position p turns by the angle p·θᵢ, θᵢ = base^(−2i/d):
///
///     y₂ᵢ   = x₂ᵢ·cos(p·θᵢ) − x₂ᵢ₊₁·sin(p·θᵢ)
///     y₂ᵢ₊₁ = x₂ᵢ₊₁·cos(p·θᵢ) + x₂ᵢ·sin(p·θᵢ)
///
/// Rotating both queries and keys makes the score of query position p and key position q depend on
/// p − q only. No parameters; differentiable in its input.
public struct RotaryEmbedding: Sendable, Equatable {
    /// The features per head d, even and at least 2.
    public let dimension: Int
    /// The base of the angles' frequencies, finite and > 0 (10 000 in LLaMA).
    public let base: Double

    /// The embedding of heads of `dimension` features.
    public init(dimension: Int, base: Double = 10000) {
        if let problem = Self.problem(dimension: dimension, base: base) { programmerError(problem) }
        (self.dimension, self.base) = (dimension, base)
    }

    /// Why `dimension` and `base` cannot make an embedding, or `nil`.
    static func problem(dimension: Int, base: Double) -> String? {
        dimension < 2 || dimension % 2 != 0 || !(base > 0 && base.isFinite)
            ? "RotaryEmbedding needs an even head size ≥ 2 and a finite base > 0, got head size \(dimension), base \(base)" : nil
    }

    /// `input` (…, L, d) rotated as positions `offset` ..< `offset` + L along its next-to-last axis.
    public func callAsFunction<Scalar>(_ input: Tensor<Scalar>, offset: Int = 0) -> Tensor<Scalar> {
        require(input.rank >= 2 && input.shape.last == dimension && offset >= 0,
                "RotaryEmbedding: input shape \(input.shape) is not (…, L, \(dimension)), or offset \(offset) is negative")
        let (cosines, sines) = tables(positions: offset..<(offset + input.shape[input.rank - 2]), as: Scalar.self)
        // swapped holds (x₂ᵢ₊₁, x₂ᵢ) where x holds (x₂ᵢ, x₂ᵢ₊₁); sines carries the signs (−sin, +sin).
        let swapped = input.indexSelecting(along: input.rank - 1,
                                           indices: IndexTensor((0..<dimension).map { $0 % 2 == 0 ? $0 + 1 : $0 - 1 }))
        return input * cosines + swapped * sines
    }

    /// cos(p·θᵢ) at features 2i and 2i + 1, and (−sin, +sin) of the same angle, for each position p: (L, d) each.
    func tables<Scalar: TensorScalar>(positions: Range<Int>, as: Scalar.Type) -> (cosines: Tensor<Scalar>, sines: Tensor<Scalar>) {
        let frequencies = (0..<(dimension / 2)).map { 1 / Double.pow(base, Double(2 * $0) / Double(dimension)) }
        var cosines = [Scalar](), sines = [Scalar]()
        cosines.reserveCapacity(positions.count * dimension)
        sines.reserveCapacity(positions.count * dimension)
        for position in positions {
            for frequency in frequencies {
                let angle = Double(position) * frequency
                let (c, s) = (Scalar(Double.cos(angle)), Scalar(Double.sin(angle)))
                cosines += [c, c]
                sines += [-s, s]
            }
        }
        return (Tensor(cosines, shape: [positions.count, dimension]), Tensor(sines, shape: [positions.count, dimension]))
    }
}
