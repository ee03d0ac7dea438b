import Foundation
import Testing
@testable import EasyNets

@Suite struct ActivationTests {
    /// Inputs kept away from the kinks at 0 and ±3.
    let x = randomSignedTensor([4, 5], magnitudes: 0.1...2.8, seed: 21)

    /// Checks `f` against a scalar reference elementwise, then its gradient.
    func check(_ f: (Tensor<Double>) -> Tensor<Double>, _ reference: (Double) -> Double,
               sourceLocation: SourceLocation = #_sourceLocation) {
        expectClose(f(x), Tensor(x.scalars.map(reference), shape: x.shape), tolerance: 1e-12, sourceLocation: sourceLocation)
        expectGradientsMatch([x], sourceLocation: sourceLocation) { f($0[0]) }
    }

    @Test func pointwiseActivations() {
        let sig = { (v: Double) in 1 / (1 + Foundation.exp(-v)) }
        let softplusRef = { (v: Double) in Foundation.log(1 + Foundation.exp(v)) }
        check(relu, { max($0, 0) })
        check({ leakyRelu($0, negativeSlope: 0.2) }, { $0 > 0 ? $0 : 0.2 * $0 })
        check({ elu($0, alpha: 1.5) }, { $0 > 0 ? $0 : 1.5 * (Foundation.exp($0) - 1) })
        check(selu, { 1.0507009873554804934193349852946 * ($0 > 0 ? $0 : 1.6732632423543772848170429916717 * (Foundation.exp($0) - 1)) })
        check({ gelu($0) }, { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) })
        check({ gelu($0, approximation: .tanh) }, { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) })
        check(silu, { $0 * sig($0) })
        check(mish, { $0 * Foundation.tanh(softplusRef($0)) })
        check(sigmoid, sig)
        check(hardSigmoid, { min(max($0 / 6 + 0.5, 0), 1) })
        check(tanh, { Foundation.tanh($0) })
        check(softplus, softplusRef)
    }

    /// PyTorch's `relu` is `x < 0 ? 0 : x`: NaN and −0 pass through; its gradient passes where x is
    /// not ≤ 0, so also at NaN. Float and Double take the C loop, whose tail (n not a multiple of the
    /// vector width) is covered by the 11 elements.
    @Test func reluPassesNaNAndNegativeZeroAsPyTorch() {
        func check<T: TensorScalar & BinaryFloatingPoint>(_: T.Type) {
            let values: [T] = [.nan, -0.0, 0, -1, 2, -.infinity, .infinity, 3, -4, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
            var x = Tensor<T>(values, shape: [values.count])
            x.requiresGradient = true
            let y = relu(x)
            for (input, output) in zip(values, y.scalars) {
                if input.isNaN { #expect(output.isNaN) } else if input < 0 { #expect(output == 0 && output.sign == .plus) } else {
                    #expect(output == input && output.sign == input.sign)
                }
            }
            y.sum().backward()
            #expect(x.gradient?.scalars == values.map { $0 <= 0 ? 0 : 1 })
        }
        check(Float.self)
        check(Double.self)
    }

    @Test func hardSigmoidSaturatesBeyondThree() {
        let y = hardSigmoid(Tensor<Double>([-5, -3.5, 3.5, 5]))
        #expect(y.scalars == [0, 0, 1, 1])
    }

    @Test func softmaxAndLogSoftmax() {
        let logits = randomTensor([3, 4], seed: 3) * 4
        let p = softmax(logits, along: 1)
        for r in 0..<3 {
            let row = (0..<4).map { logits[r, $0] }
            let total = row.map { Foundation.exp($0) }.reduce(0, +)
            for c in 0..<4 {
                expectClose(p[r, c], Foundation.exp(row[c]) / total, tolerance: 1e-12)
                expectClose(logSoftmax(logits, along: 1)[r, c], row[c] - Foundation.log(total), tolerance: 1e-12)
            }
        }
        expectGradientsMatch([logits]) { softmax($0[0], along: 1) }
        expectGradientsMatch([logits]) { logSoftmax($0[0], along: 0) }
        // Stable for huge logits.
        let huge = logSoftmax(Tensor<Float>([[1e4, -1e4, 0]]), along: 1)
        #expect(huge.scalars.allSatisfy { $0.isFinite })
        #expect(huge[0, 0] == 0 && huge[0, 1] == -2e4)
    }

    @Test func activationLayersApplyTheirFunctions() {
        let layers: [(any Layer<Double>, (Tensor<Double>) -> Tensor<Double>)] = [
            (ReLU(), relu), (LeakyReLU(negativeSlope: 0.3), { leakyRelu($0, negativeSlope: 0.3) }),
            (ELU(alpha: 0.5), { elu($0, alpha: 0.5) }), (SELU(), selu), (GELU(), { gelu($0) }),
            (GELU(approximation: .tanh), { gelu($0, approximation: .tanh) }), (SiLU(), silu), (Mish(), mish),
            (Sigmoid(), sigmoid), (HardSigmoid(), hardSigmoid), (Tanh(), tanh), (Softplus(), softplus),
            (Softmax(axis: 0), { softmax($0, along: 0) }), (LogSoftmax(), { logSoftmax($0, along: -1) }),
        ]
        for (layer, function) in layers {
            #expect(layer(x).scalars == function(x).scalars, "\(layer.summaryName)")
            #expect(layer.parameters.isEmpty)
        }
    }
}
