import Foundation
import Testing
@testable import EasyNets

/// The plain-loop reference for a broadcasting binary op: the result shape by NumPy's rule, and
/// each element from `broadcastElement`.
private func naiveBroadcast(
    _ a: Tensor<Double>, _ b: Tensor<Double>, resultShape: [Int], _ op: (Double, Double) -> Double
) -> Tensor<Double> {
    Tensor(allIndices(of: resultShape).map { op(broadcastElement(a, at: $0), broadcastElement(b, at: $0)) },
           shape: resultShape)
}

/// The plain-loop reference for a unary op.
private func naiveMap(_ x: Tensor<Double>, _ f: (Double) -> Double) -> Tensor<Double> {
    Tensor(x.scalars.map(f), shape: x.shape)
}

@Suite("Elementwise ops and broadcasting")
struct ElementwiseTests {
    // MARK: Broadcasting

    /// Operand pairs and the broadcast shape NumPy gives them.
    static let broadcastCases: [(a: [Int], b: [Int], result: [Int])] = [
        ([3, 1], [1, 4], [3, 4]),
        ([2, 3], [3], [2, 3]),
        ([3], [2, 3], [2, 3]),
        ([2, 3], [2, 3], [2, 3]),
        ([2, 1, 4], [3, 1], [2, 3, 4]),
        ([2, 3], [], [2, 3]),  // 0-D tensor
        ([], [4], [4]),
        ([1], [5], [5]),
    ]

    @Test(arguments: broadcastCases)
    func binaryOpsBroadcastLikeNumPy(a aShape: [Int], b bShape: [Int], result: [Int]) {
        let a = randomTensor(aShape, seed: 1)
        let b = randomTensor(bShape, in: 0.5...2, seed: 2)
        // (name, library result, reference op applied to (a, b) elementwise); b > 0 is pow's base.
        let cases: [(String, Tensor<Double>, (Double, Double) -> Double)] = [
            ("+", a + b, +), ("-", a - b, -), ("*", a * b, *), ("/", a / b, /),
            ("maximum", maximum(a, b), Swift.max), ("minimum", minimum(a, b), Swift.min),
            ("pow", pow(b, a), { Foundation.pow($1, $0) }),
        ]
        for (name, actual, op) in cases {
            expectClose(actual, naiveBroadcast(a, b, resultShape: result, op), tolerance: 1e-15,
                        "\(name) of \(aShape) and \(bShape)")
        }
    }

    @Test func scalarOperandsOnEitherSide() {
        let x = Tensor<Double>([[1, -2], [4, 0.5]])
        expectClose(x + 3, naiveMap(x) { $0 + 3 }, tolerance: 0)
        expectClose(3 + x, naiveMap(x) { 3 + $0 }, tolerance: 0)
        expectClose(x - 3, naiveMap(x) { $0 - 3 }, tolerance: 0)
        expectClose(3 - x, naiveMap(x) { 3 - $0 }, tolerance: 0)
        expectClose(x * 3, naiveMap(x) { $0 * 3 }, tolerance: 0)
        expectClose(3 * x, naiveMap(x) { 3 * $0 }, tolerance: 0)
        expectClose(x / 4, naiveMap(x) { $0 / 4 }, tolerance: 0)
        expectClose(2 / x, naiveMap(x) { 2 / $0 }, tolerance: 0)
        expectClose(-x, naiveMap(x) { -$0 }, tolerance: 0)
        // A 0-D tensor broadcasts like a scalar.
        expectClose(x * Tensor(3), x * 3, tolerance: 0)
        expectClose(Tensor(10) - x, 10 - x, tolerance: 0)
        #expect((Tensor<Double>(2) * Tensor(3)).shape == [])
    }

    @Test func compoundAssignment() {
        var x = Tensor<Double>([1, 2, 3])
        x += Tensor([1, 1, 1]); x *= 2; x -= 1; x /= Tensor([1, 3, 7])
        #expect(x.scalars == [3, 5.0 / 3, 1])
    }

    // MARK: Unary math

    @Test func unaryOpsMatchScalarMath() {
        let x = Tensor<Double>([-3, -1.5, -0.25, 0, 0.25, 1, 2.5, 40])
        let positive = Tensor<Double>([1e-3, 0.25, 1, 2, 9, 1e5])
        let sigma: (Double) -> Double = { 1 / (1 + Foundation.exp(-$0)) }
        expectClose(exp(x), naiveMap(x, Foundation.exp), tolerance: 1e-15)
        expectClose(log(positive), naiveMap(positive, Foundation.log), tolerance: 1e-15)
        expectClose(sqrt(positive), naiveMap(positive, Foundation.sqrt), tolerance: 1e-15)
        expectClose(abs(x), naiveMap(x) { Swift.abs($0) }, tolerance: 0)
        expectClose(square(x), naiveMap(x) { $0 * $0 }, tolerance: 0)
        expectClose(tanh(x), naiveMap(x, Foundation.tanh), tolerance: 1e-15)
        expectClose(sigmoid(x), naiveMap(x, sigma), tolerance: 1e-15)
        expectClose(relu(x), naiveMap(x) { $0 > 0 ? $0 : 0 }, tolerance: 0)
        expectClose(softplus(x), naiveMap(x) { Foundation.log(1 + Foundation.exp($0)) }, tolerance: 1e-14)
        expectClose(logSigmoid(x), naiveMap(x) { Foundation.log(sigma($0)) }, tolerance: 1e-14)
        expectClose(sign(x), Tensor([-1, -1, -1, 0, 1, 1, 1, 1]), tolerance: 0)
        expectClose(x.clamped(min: -1, max: 2), naiveMap(x) { Swift.min(Swift.max($0, -1), 2) }, tolerance: 0)
        expectClose(x.clamped(min: 0), relu(x), tolerance: 0)
        expectClose(x.clamped(max: 0), naiveMap(x) { Swift.min($0, 0) }, tolerance: 0)
    }

    @Test(arguments: [2.0, 3.0, 0.5, -1.5, 0.0])
    func powerWithScalarExponent(exponent: Double) {
        let x = Tensor<Double>([0.1, 0.5, 1, 2, 7.5])
        expectClose(pow(x, exponent), naiveMap(x) { Foundation.pow($0, exponent) }, tolerance: 1e-14)
    }

    @Test func powerFollowsCSemanticsForNegativeAndZeroBases() {
        // Integer exponents of negative bases are real; 0⁰ = 1 (C, NumPy, PyTorch); a fractional
        // power of a negative number is NaN.
        let x = Tensor<Double>([-2, -0.5, 0, 3])
        expectClose(pow(x, 3), Tensor([-8, -0.125, 0, 27]), tolerance: 0)
        expectClose(pow(x, -1).rows(0..<2), Tensor([-0.5, -2]), tolerance: 0)
        expectClose(pow(x, 0), Tensor([1, 1, 1, 1]), tolerance: 0)
        expectClose(pow(x, 1), x, tolerance: 0)
        #expect(pow(Tensor<Double>([-8]), 1.0 / 3).scalar.isNaN)
        expectClose(asDouble(pow(Tensor<Float>([-2, 0]), 3)), Tensor([-8, 0]), tolerance: 0)
        // Gradients there: d(x³)/dx = 3x², d(x¹)/dx = 1 even at 0.
        var leaf = x
        leaf.requiresGradient = true
        pow(leaf, 3).sum().backward()
        expectClose(leaf.gradient!, Tensor([12, 0.75, 0, 27]), tolerance: 1e-15)
        leaf.zeroGradient()
        pow(leaf, 1).sum().backward()
        expectClose(leaf.gradient!, Tensor([1, 1, 1, 1]), tolerance: 0)
    }

    @Test func powerWithTensorExponent() {
        let base = Tensor<Double>([[0.5, 2, 3]])
        let exponent = Tensor<Double>([[2], [-1], [0.5]])
        let expected = naiveBroadcast(base, exponent, resultShape: [3, 3]) { Foundation.pow($0, $1) }
        expectClose(pow(base, exponent), expected, tolerance: 1e-15)
        // Negative bases with integer exponents follow pow's sign rules; 0⁰ = 1.
        expectClose(pow(Tensor<Double>([-2, -3, 0]), Tensor([3, 2, 0])), Tensor([-8, 9, 1]), tolerance: 0)
    }

    @Test func maximumAndMinimumElementwise() {
        let a = Tensor<Double>([1, 5, -2, 3])
        let b = Tensor<Double>([2, 4, -2, -7])
        #expect(maximum(a, b).scalars == [2, 5, -2, 3])
        #expect(minimum(a, b).scalars == [1, 4, -2, -7])
    }

    @Test func floatUnaryOps() {
        let x = Tensor<Float>([-2, -0.5, 0, 0.75, 3])
        let reference = x.scalars.map { 1 / (1 + Foundation.exp(-Double($0))) }
        expectClose(asDouble(sigmoid(x)), Tensor(reference), tolerance: 1e-7)
        expectClose(asDouble(exp(x)), Tensor(x.scalars.map { Foundation.exp(Double($0)) }), tolerance: 2e-7)
    }

    // MARK: Comparisons and select

    @Test func comparisonsGiveOneZeroMasks() {
        let a = Tensor<Double>([1, 2, 3, 4])
        let b = Tensor<Double>([2, 2, 2, 5])
        #expect((a .< b).scalars == [1, 0, 0, 1])
        #expect((a .<= b).scalars == [1, 1, 0, 1])
        #expect((a .> b).scalars == [0, 0, 1, 0])
        #expect((a .>= b).scalars == [0, 1, 1, 0])
        #expect((a .== b).scalars == [0, 1, 0, 0])
        #expect((a .!= b).scalars == [1, 0, 1, 1])
        // Against a scalar, and broadcasting (3,1) against (1,2).
        #expect((a .> 2.5).scalars == [0, 0, 1, 1])
        #expect((a .== 4).scalars == [0, 0, 0, 1])
        #expect((a .<= 2).scalars == [1, 1, 0, 0])
        let column = Tensor<Double>([[1], [2], [3]]), row = Tensor<Double>([[2, 3]])
        let mask = column .< row
        #expect(mask.shape == [3, 2])
        #expect(mask.scalars == [1, 1, 0, 1, 0, 0])
    }

    @Test func comparisonsAreNotDifferentiable() {
        var x = Tensor<Double>([1, 2])
        x.requiresGradient = true
        #expect(!(x .> 1).requiresGradient)
    }

    @Test func selectPicksByMask() {
        let mask = Tensor<Double>([[1, 0, 0], [0, 2, -1]])  // any nonzero counts as true
        let a = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        let b = Tensor<Double>([[-1, -2, -3], [-4, -5, -6]])
        let chosen = Tensor.select(where: mask, a, else: b)
        #expect(chosen.shape == [2, 3])
        let expected = (0..<6).map { mask.scalars[$0] != 0 ? a.scalars[$0] : b.scalars[$0] }
        #expect(chosen.scalars == expected)
        #expect(chosen.scalars == [1, -2, -3, -4, 5, 6])
        // With a comparison mask: relu by hand.
        let x = Tensor<Double>([-1, 2, -3, 4])
        #expect(Tensor.select(where: x .> 0, x, else: .zeros([4])).scalars == relu(x).scalars)
    }

    // MARK: Shape mismatch stops the process, naming the op and both shapes

    @Test func addingIncompatibleShapesStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor<Double>.zeros([2, 3]), b = Tensor<Double>.zeros([4, 3])
            _ = a + b
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("add"), "stderr: \(message)")
        #expect(message.contains("[2, 3]") && message.contains("[4, 3]"), "stderr: \(message)")
    }
}
