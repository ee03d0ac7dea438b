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

    /// Moves the stream `draws` draws ahead, to where that many calls of ``next()`` would leave it,
    /// in time logarithmic in `draws`: the state's step is linear over GF(2), so `draws` steps are
    /// the step's matrix raised to that power, applied as products with its powers of two.
    ///
    /// Lets several threads draw consecutive parts of one stream at once, each from its own copy
    /// advanced to its part's first draw, and get the numbers one thread drawing in order gets.
    public mutating func advance(by draws: UInt64) {
        guard draws > 0 else { return }
        var words: (UInt64, UInt64, UInt64, UInt64) = (s0, s1, s2, s3)
        var remaining = draws, power = 0
        while remaining != 0 {
            if remaining & 1 != 0 { words = Self.stepPowers[power].applied(to: words) }
            remaining >>= 1
            power += 1
        }
        (s0, s1, s2, s3) = words
    }

    /// The state step raised to the powers 2⁰, 2¹, …, 2⁶³, computed on first use.
    private static let stepPowers: [StepMatrix] = {
        var powers = [StepMatrix.step]
        powers.reserveCapacity(64)
        while powers.count < 64 { powers.append(powers[powers.count - 1].squared()) }
        return powers
    }()

    /// A linear map of the 256-bit state over GF(2), held as the images of its 256 unit states
    /// (four words each): the image of a state is the XOR of the images of its set bits.
    private struct StepMatrix: Sendable {
        var columns: [UInt64]  // 256 × 4 words: column j is the image of state bit j

        /// One call of ``RandomGenerator/next()``.
        static var step: StepMatrix {
            var columns = [UInt64](repeating: 0, count: 256 * 4)
            for bit in 0..<256 {
                var unit = RandomGenerator(words: (0, 0, 0, 0))
                unit.setBit(bit)
                _ = unit.next()
                columns.replaceSubrange((4 * bit)..<(4 * bit + 4), with: [unit.s0, unit.s1, unit.s2, unit.s3])
            }
            return StepMatrix(columns: columns)
        }

        func applied(to state: (UInt64, UInt64, UInt64, UInt64)) -> (UInt64, UInt64, UInt64, UInt64) {
            columns.withUnsafeBufferPointer { c in
                var (a, b, d, e): (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
                for w in 0..<4 {
                    let word = w == 0 ? state.0 : w == 1 ? state.1 : w == 2 ? state.2 : state.3
                    for k in 0..<64 {
                        let mask = 0 &- ((word >> UInt64(k)) & 1)  // all ones when the bit is set
                        let j = 4 * (64 * w + k)
                        a ^= c[j] & mask
                        b ^= c[j + 1] & mask
                        d ^= c[j + 2] & mask
                        e ^= c[j + 3] & mask
                    }
                }
                return (a, b, d, e)
            }
        }

        /// This map applied twice.
        func squared() -> StepMatrix {
            var result = [UInt64](repeating: 0, count: 256 * 4)
            for j in 0..<256 {
                let image = applied(to: (columns[4 * j], columns[4 * j + 1], columns[4 * j + 2], columns[4 * j + 3]))
                (result[4 * j], result[4 * j + 1], result[4 * j + 2], result[4 * j + 3]) = image
            }
            return StepMatrix(columns: result)
        }
    }

    private init(words: (UInt64, UInt64, UInt64, UInt64)) { (s0, s1, s2, s3) = words }

    private mutating func setBit(_ bit: Int) {
        let mask: UInt64 = 1 << UInt64(bit % 64)
        switch bit / 64 {
        case 0: s0 |= mask
        case 1: s1 |= mask
        case 2: s2 |= mask
        default: s3 |= mask
        }
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

