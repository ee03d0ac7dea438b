import RealModule

/// A seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// The same seed gives the same numbers on every run and machine. Its ``state`` can be saved and
/// restored, so a training run can resume bit-identically.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Hashable, Codable {
    /// The four words of xoshiro256** state, held apart so that drawing touches no array.
    private var s0, s1, s2, s3: UInt64

    /// The four words of xoshiro256** state.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            require(newValue.count == 4, "RandomGenerator.state: needs 4 words, got \(newValue.count)")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    private enum CodingKeys: String, CodingKey { case state }

    /// Decodes the `state` array of four words (the format a synthesized coder wrote).
    public init(from decoder: any Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.state],
                                                    debugDescription: "a generator's state needs 4 words, got \(words.count)"))
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    /// A generator whose whole stream is fixed by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        (s0, s1, s2, s3) = (nextSplitMix(), nextSplitMix(), nextSplitMix(), nextSplitMix())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// Runs `body` on the four state words in order, then takes back what it left there: for C
    /// loops that continue this generator's stream.
    mutating func withStateWords<R>(_ body: (UnsafeMutablePointer<UInt64>) -> R) -> R {
        var words = (s0, s1, s2, s3)
        let result = withUnsafeMutablePointer(to: &words) { $0.withMemoryRebound(to: UInt64.self, capacity: 4, body) }
        (s0, s1, s2, s3) = words
        return result
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal Double (Box–Muller on two uniforms; the log argument is never 0).
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUnitDouble()  // (0, 1]
        let u2 = nextUnitDouble()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

