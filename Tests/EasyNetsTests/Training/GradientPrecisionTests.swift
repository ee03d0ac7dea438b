import Foundation
import Testing
@testable import EasyNets

/// The 16-bit formats of data-parallel gradient sums: the Swift reference against the standard
/// library's `Float16` and a brute-force nearest search, and the C loops against the reference bit
/// for bit. (Sums across processes are checked by the distributed checks.)
@Suite struct GradientPrecisionTests {
    /// The value of a bfloat16 pattern, ±2¹²⁸ for ±∞ (the first magnitude past the largest
    /// finite one: a tie between it and the largest rounds to ∞, as to an even neighbor).
    private func bfloat16Magnitude(_ bits: UInt16) -> Double {
        bits == 0x7F80 ? 0x1p128 : Double(Float(bitPattern: UInt32(bits) << 16))
    }

    /// The bfloat16 nearest to `x`, ties to the even pattern, found by comparing the two
    /// neighbors' distances (exact in Double: each neighbor lies within a factor 2 of |x|).
    private func nearestBFloat16(_ x: Double) -> UInt16 {
        let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
        let magnitude = Swift.abs(x)
        var low = Swift.min(UInt16(truncatingIfNeeded: Float(magnitude).bitPattern >> 16), 0x7F7F)
        while low > 0 && bfloat16Magnitude(low) > magnitude { low -= 1 }
        let high = low + 1
        let below = magnitude - bfloat16Magnitude(low), above = bfloat16Magnitude(high) - magnitude
        let nearest = below < above ? low : above < below ? high : (low & 1 == 0 ? low : high)
        return sign | nearest
    }

    /// Float bit patterns over every exponent, the values of every 16-bit pattern of both formats,
    /// the midpoints between neighbors and the Floats beside them.
    private func floatInputs() -> [Float] {
        var generator = RandomGenerator(seed: 41)
        var inputs = (0..<20_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())) }
        for bits in UInt16.min...UInt16.max {
            for format in [SixteenBitFormat.bfloat16, .float16] {
                let value = format.decode(bits), next = format.decode(bits &+ 1)
                guard value.isFinite, next.isFinite, (bits & 0x7FFF) != 0x7FFF else { continue }
                let middle = Float((Double(value) + Double(next)) / 2)
                inputs += [value, middle, middle.nextUp, middle.nextDown]
            }
        }
        return inputs + [0, -0.0, .infinity, -.infinity, .nan, -.nan, 65504, 65519.99, 65520, 65536, .greatestFiniteMagnitude,
                         -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0x1p-24, 0x1p-25, 0x1.8p-25, 0x1p-14]
    }

    /// Doubles near the Float inputs, among them just above and below ties that a Float rounding
    /// would turn into exact ties, and Doubles of every exponent.
    private func doubleInputs() -> [Double] {
        var generator = RandomGenerator(seed: 42)
        var inputs: [Double] = []
        for value in floatInputs() where value.isFinite {
            let x = Double(value)
            inputs += [x, x * (1 + 0x1p-40), x * (1 - 0x1p-40)]
        }
        inputs += (0..<20_000).map { _ in Double(bitPattern: generator.next()) }
        return inputs + [.infinity, -.infinity, .nan, 0x1p200, -0x1p-200, Double(Float.greatestFiniteMagnitude) * 1.5]
    }

    @Test func decodingIsExact() {
        for bits in UInt16.min...UInt16.max {
            let half = Float(Float16(bitPattern: bits))
            let decoded = SixteenBitFormat.float16.decode(bits)
            #expect(decoded.bitPattern == half.bitPattern || (decoded.isNaN && half.isNaN), "float16 \(bits)")
            #expect(SixteenBitFormat.bfloat16.decode(bits).bitPattern == UInt32(bits) << 16, "bfloat16 \(bits)")
        }
    }

    /// Whether `half` and `brain`, the encodings of `x`, are the nearest float16 (the standard
    /// library's) and bfloat16 (the nearest-value search), or NaNs for a NaN.
    private func expectNearest(_ x: Double, half: UInt16, brain: UInt16, sourceLocation: SourceLocation = #_sourceLocation) {
        if x.isNaN {
            #expect(SixteenBitFormat.float16.decode(half).isNaN && SixteenBitFormat.bfloat16.decode(brain).isNaN,
                    sourceLocation: sourceLocation)
        } else {
            #expect(half == Float16(x).bitPattern, "float16 of \(x): \(half)", sourceLocation: sourceLocation)
            #expect(brain == nearestBFloat16(x), "bfloat16 of \(x): \(brain)", sourceLocation: sourceLocation)
        }
    }

    @Test func floatsRoundToNearestEven() {
        for x in floatInputs() {
            expectNearest(Double(x), half: SixteenBitFormat.float16.encode(x), brain: SixteenBitFormat.bfloat16.encode(x))
        }
    }

    @Test func doublesRoundOnce() {
        for x in doubleInputs() {
            expectNearest(x, half: SixteenBitFormat.float16.encode(x), brain: SixteenBitFormat.bfloat16.encode(x))
        }
    }

    /// The sum of two 16-bit values, formed in Float, is their exact sum (here exact in Double)
    /// correctly rounded.
    @Test func sumsAreCorrectlyRounded() {
        var generator = RandomGenerator(seed: 43)
        for _ in 0..<100_000 {
            let a = UInt16(truncatingIfNeeded: generator.next()), b = UInt16(truncatingIfNeeded: generator.next())
            let half = SixteenBitFormat.float16
            let exactHalf = Double(half.decode(a)) + Double(half.decode(b))
            if !exactHalf.isNaN {
                #expect(half.sum(a, b) == Float16(exactHalf).bitPattern, "float16 \(a) + \(b)")
            }
            // bfloat16 exponents within 2⁴⁰ of each other, so that Double holds the sum exactly.
            let brain = SixteenBitFormat.bfloat16
            let p = (a & 0x807F) | UInt16(100 + generator.next() % 40) << 7
            let q = (b & 0x807F) | UInt16(100 + generator.next() % 40) << 7
            let exactBrain = Double(brain.decode(p)) + Double(brain.decode(q))
            #expect(brain.sum(p, q) == nearestBFloat16(exactBrain), "bfloat16 \(p) + \(q)")
        }
    }

    private func expectEqual<T: Equatable>(_ actual: [T], _ expected: [T], _ comment: Comment,
                                           sourceLocation: SourceLocation = #_sourceLocation) {
        let differing = actual.indices.filter { actual[$0] != expected[$0] }
        #expect(differing.isEmpty, "\(comment): \(differing.count) of \(actual.count) differ, the first at \(differing.first ?? -1)",
                sourceLocation: sourceLocation)
    }

    /// The C loops that DataParallel and the MPI reduction run give the reference's bits.
    @Test func cLoopsMatchTheReference() {
        for format in [SixteenBitFormat.bfloat16, .float16] {
            let floats = floatInputs(), doubles = doubleInputs()
            var bits = [UInt16](repeating: 0, count: floats.count)
            Float._kernelEncodeSixteenBit(values: floats, bits: &bits, count: floats.count, format: format)
            expectEqual(bits, floats.map { format.encode($0) }, "\(format) from Float")
            bits = [UInt16](repeating: 0, count: doubles.count)
            Double._kernelEncodeSixteenBit(values: doubles, bits: &bits, count: doubles.count, format: format)
            expectEqual(bits, doubles.map { format.encode($0) }, "\(format) from Double")

            let every = Array(UInt16.min...UInt16.max)
            var asFloats = [Float](repeating: 7, count: every.count), asDoubles = [Double](repeating: 7, count: every.count)
            Float._kernelDecodeSixteenBit(bits: every, values: &asFloats, count: every.count, format: format)
            Double._kernelDecodeSixteenBit(bits: every, values: &asDoubles, count: every.count, format: format)
            expectEqual(asFloats.map(\.bitPattern), every.map { format.decode($0).bitPattern }, "\(format) to Float")
            expectEqual(asDoubles.map(\.bitPattern), every.map { Double(format.decode($0)).bitPattern }, "\(format) to Double")

            var generator = RandomGenerator(seed: 44)
            let addends = (0..<70_000).map { _ in UInt16(truncatingIfNeeded: generator.next()) }
            var sums = every
            format.add(addends, into: &sums, count: every.count)
            let reference = zip(addends, every).map { format.sum($0, $1) }
            let differing = sums.indices.filter { sums[$0] != reference[$0] && !(format.decode(sums[$0]).isNaN
                                                                                && format.decode(reference[$0]).isNaN) }
            #expect(differing.isEmpty, "\(format) sums: \(differing.count) differ, the first at \(differing.first ?? -1)")
        }
    }

    /// One process alone: DataParallel's 16-bit path leaves each gradient rounded to the format,
    /// across buckets of one and of several parameters.
    @Test func oneProcessRoundsItsGradients() throws {
        for precision in [GradientPrecision.bfloat16, .float16] {
            let format = try #require(precision.sixteenBitFormat)
            let model = try Sequential<Double>(.sequential(layers: [.linear(inputSize: 6, outputSize: 40, bias: true), .tanh,
                                                                    .linear(inputSize: 40, outputSize: 3, bias: true)]), seed: 2)
            var generator = RandomGenerator(seed: 9)
            let x = Tensor<Double>.normal([5, 6], mean: 0, standardDeviation: 1, using: &generator)
            crossEntropy(logits: model(x), labels: [0, 1, 2, 0, 1]).backward()
            let alone = model.trainableParameters.map { $0.gradient!.scalars }
            model.zeroGradients()
            let parallel = DataParallel<Double>(group: SingleProcess(), bucketCapacity: 64 * 8, gradientPrecision: precision)
            try parallel.backward(crossEntropy(logits: model(x), labels: [0, 1, 2, 0, 1]), weight: 1,
                                  parameters: model.trainableParameters)
            for (parameter, gradient) in zip(model.trainableParameters, alone) {
                #expect(parameter.gradient!.scalars == gradient.map { Double(format.decode(format.encode($0))) }, "\(precision)")
            }
        }
    }
}

/// A group of one process, whose reductions leave the values as they are.
private final class SingleProcess: ProcessGroup {
    final class Done: PendingReduction {
        func wait() {}
        func poll() {}
    }

    let rank = 0, size = 1
    func barrier() {}
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) {}
    func allReduceSum<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) {}
    func startAllReduceSum<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) -> any PendingReduction { Done() }
    func abort(_ message: String) -> Never { fatalError(message) }
}
