import Foundation
import Testing
import EasyNets

@Suite("Writing a differentiable op examples")
struct CustomOpsDocumentationTests {
    /// The stable log(1 + eˣ): its values against the closed form, its gradient against the sigmoid.
    @Test func stableLog1pexp() {
        // Documentation block: CustomOps.md #1
        func log1pexp(_ x: Tensor<Double>) -> Tensor<Double> {
            Tensor.custom(name: "log1pexp", inputs: [x]) { inputs in
                let x = inputs[0]
                return CustomOpForward(output: relu(x) + log(1 + exp(-abs(x))), saved: [x])
            } backward: { saved, dOut in
                [dOut * sigmoid(saved[0])]
            }
        }

        let x = Tensor<Double>([-30, -1, 0.5, 2, 800])
        print(log1pexp(x).scalars.last!)                          // 800.0, where log(1 + exp(x)) is inf
        let check = checkGradients(of: { log1pexp($0[0]) }, at: [Tensor<Double>([-3, -0.5, 0.25, 4])])
        print(check.maxAbsoluteError < 1e-8)                      // true

        #expect(log1pexp(x).scalars.last! == 800)
        #expect(log(1 + exp(x)).scalars.last!.isInfinite)
        #expect(check.maxAbsoluteError < 1e-8)
        let points: [Double] = [-3, -0.5, 0.25, 4]
        var leaf = Tensor<Double>(points)
        leaf.requiresGradient = true
        log1pexp(leaf).sum().backward()
        for (i, v) in points.enumerated() {
            #expect(Swift.abs(log1pexp(Tensor([v])).scalar - Foundation.log(1 + Foundation.exp(v))) < 1e-15)
            #expect(Swift.abs(leaf.gradient!.scalars[i] - 1 / (1 + Foundation.exp(-v))) < 1e-15)
        }
    }

    /// The straight-through estimator rounds forward and passes the gradient through.
    @Test func straightThrough() {
        // Documentation block: CustomOps.md #2
        func roundStraightThrough(_ x: Tensor<Double>) -> Tensor<Double> {
            Tensor.custom(name: "roundStraightThrough", inputs: [x]) { inputs in
                CustomOpForward(output: Tensor(inputs[0].scalars.map { $0.rounded() }, shape: inputs[0].shape))
            } backward: { _, dOut in
                [dOut]
            }
        }

        var w = Tensor<Double>([0.2, 1.7, -2.4])
        w.requiresGradient = true
        (roundStraightThrough(w) * Tensor([1, 2, 3])).sum().backward()
        print(w.gradient!.scalars)                                // [1.0, 2.0, 3.0]

        #expect(roundStraightThrough(w).scalars == [0, 2, -2])
        #expect(w.gradient!.scalars == [1, 2, 3])
    }

    /// The clipping hook bounds the weight's gradient; the logging hook saw the clipped one.
    @Test func hooks() {
        // Documentation block: CustomOps.md #3
        let layer = Linear<Double>(3, 2)
        var norms: [Double] = []
        let clip = layer.weight.registerGradientHook { g in g.clamped(min: -0.1, max: 0.1) }
        layer.weight.registerGradientHook { g in
            norms.append((g * g).sum().scalar.squareRoot())
            return nil
        }
        layer(Tensor<Double>([[10, -20, 30]])).sum().backward()
        print(layer.weight.gradient!.scalars.allSatisfy { abs($0) <= 0.1 })   // true
        clip.remove()

        // dL/dW[i][j] = x[j] = 10, -20, 30 for each output row, clipped to ±0.1.
        #expect(layer.weight.gradient!.scalars == [0.1, -0.1, 0.1, 0.1, -0.1, 0.1])
        #expect(norms.count == 1 && Swift.abs(norms[0] - (0.06 as Double).squareRoot()) < 1e-15)
        layer.weight.zeroGradient()
        layer(Tensor<Double>([[10, -20, 30]])).sum().backward()
        #expect(layer.weight.gradient!.scalars == [10, -20, 30, 10, -20, 30])
        #expect(norms.count == 2)
    }
}
