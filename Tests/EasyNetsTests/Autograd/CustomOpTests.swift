import Foundation
import Testing
@testable import EasyNets

/// A two-input custom op, f(a, b) = a² ⊙ b, saving both inputs.
private func squareTimes(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
    Tensor.custom(name: "squareTimes", inputs: [a, b]) { inputs in
        CustomOpForward(output: inputs[0] * inputs[0] * inputs[1], saved: [inputs[0], inputs[1]])
    } backward: { saved, dOut in
        [2 * dOut * saved[0] * saved[1], dOut * saved[0] * saved[0]]
    }
}

/// A numerically stable softplus as a custom op.
private func log1pexp(_ x: Tensor<Double>) -> Tensor<Double> {
    Tensor.custom(name: "log1pexp", inputs: [x]) { inputs in
        CustomOpForward(output: relu(inputs[0]) + log(1 + exp(-abs(inputs[0]))), saved: [inputs[0]])
    } backward: { saved, dOut in
        [dOut * sigmoid(saved[0])]
    }
}

@Suite struct CustomOpTests {
    @Test func twoInputsPassTheGradientCheck() {
        var generator = RandomGenerator(seed: 7)
        let a = Tensor<Double>.uniform([2, 3], low: -2, high: 2, using: &generator)
        let b = Tensor<Double>.uniform([2, 3], low: -2, high: 2, using: &generator)
        let result = checkGradients(of: { squareTimes($0[0], $0[1]) }, at: [a, b])
        #expect(result.maxAbsoluteError < 1e-8, "\(result)")
    }

    /// The custom op and the composed ops agree in value and gradient where both are finite.
    @Test func matchesTheComposedOps() {
        var x = Tensor<Double>([-5, -1.5, 0.3, 2, 7])
        x.requiresGradient = true
        var y = x.detached
        y.requiresGradient = true
        (log1pexp(x) * Tensor([1, 2, 3, 4, 5])).sum().backward()
        (log(1 + exp(y)) * Tensor([1, 2, 3, 4, 5])).sum().backward()
        expectClose(log1pexp(x.detached).scalars, log(1 + exp(y.detached)).scalars, tolerance: 1e-14)
        expectClose(x.gradient!.scalars, y.gradient!.scalars, tolerance: 1e-14)
        #expect(checkGradients(of: { log1pexp($0[0]) }, at: [x.detached]).maxAbsoluteError < 1e-8)
    }

    /// Inside a model: gradients flow through the op into a Linear's parameters and accumulate.
    @Test func worksInsideAModelAndAccumulates() {
        var generator = RandomGenerator(seed: 3)
        let layer = Linear<Double>(3, 2, using: &generator)
        let x = Tensor<Double>([[0.5, -1, 2]])
        log1pexp(layer(x)).sum().backward()
        let once = layer.weight.gradient!.scalars
        let composed = Linear<Double>(3, 2)
        composed.weight.assign(layer.weight.value)
        composed.bias!.assign(layer.bias!.value)
        log(1 + exp(composed(x))).sum().backward()
        expectClose(once, composed.weight.gradient!.scalars, tolerance: 1e-14)
        log1pexp(layer(x)).sum().backward()
        expectClose(layer.weight.gradient!.scalars, once.map { 2 * $0 }, tolerance: 1e-14)
    }

    /// A nil gradient leaves that input without one; no input requiring gradients records nothing.
    @Test func nilGradientsAndConstants() {
        var a = Tensor<Double>([1, 2])
        a.requiresGradient = true
        var b = Tensor<Double>([3, 4])
        b.requiresGradient = true
        let y = Tensor.custom(name: "firstOnly", inputs: [a, b]) { CustomOpForward(output: $0[0] + $0[1]) } backward: { _, dOut in
            [dOut, nil]
        }
        y.sum().backward()
        #expect(a.gradient!.scalars == [1, 1])
        #expect(b.gradient == nil)
        let constant = Tensor.custom(name: "constant", inputs: [Tensor<Double>([1])]) { CustomOpForward(output: $0[0]) } backward: { _, _ in
            Issue.record("backward of a constant ran")
            return [nil]
        }
        #expect(!constant.requiresGradient)
    }

    @Test func aGradientOfTheWrongShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var x = Tensor<Double>([1, 2, 3])
            x.requiresGradient = true
            Tensor.custom(name: "badBackward", inputs: [x]) { CustomOpForward(output: $0[0]) } backward: { _, _ in
                [Tensor<Double>.zeros([2, 2])]
            }.sum().backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for fragment in ["badBackward", "[2, 2]", "[3]"] {
            #expect(message.contains(fragment), "missing \"\(fragment)\" in stderr: \(message)")
        }
    }

    @Test func theWrongNumberOfGradientsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var x = Tensor<Double>([1, 2, 3])
            x.requiresGradient = true
            Tensor.custom(name: "twoForOne", inputs: [x]) { CustomOpForward(output: $0[0]) } backward: { _, dOut in
                [dOut, dOut]
            }.sum().backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("twoForOne") && message.contains("2 gradients for 1 inputs"), "stderr: \(message)")
    }
}
