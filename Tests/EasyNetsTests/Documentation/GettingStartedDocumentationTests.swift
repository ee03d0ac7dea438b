import Foundation
import Testing
import EasyNets

@Suite("Getting started examples")
struct GettingStartedDocumentationTests {
    /// "Tensors and gradients": a gemm forward and backward, then a gradient check.
    @Test func tensorsAndGradients() throws {
        // Documentation block: GettingStarted.md #1
        var generator = RandomGenerator(seed: 42)
        var w = Tensor<Double>.normal([3, 2], using: &generator)
        w.requiresGradient = true
        let x = Tensor<Double>([[1, 2, 3], [4, 5, 6]])          // (2, 3)
        let loss = square(matmul(x, w) - 1).mean()               // gemm forward
        loss.backward()                                          // gemm backward: dW = Xᵀ·dY
        print(w.gradient!)

        let result = checkGradients(of: { square(matmul(x, $0[0])).sum() }, at: [w])
        print(result.maxRelativeError)                           // far below 1e-6

        // dL/dW[i][j] = Σᵣ x[r][i] · 2(y[r][j] − 1)/4 with y = x·W, by plain loops.
        let wv = w.scalars, xv = x.scalars
        var expected = [Double](repeating: 0, count: 6)
        var plainLoss = 0.0
        for r in 0..<2 {
            for j in 0..<2 {
                let y = (0..<3).reduce(0.0) { $0 + xv[r * 3 + $1] * wv[$1 * 2 + j] }
                plainLoss += (y - 1) * (y - 1) / 4
                for i in 0..<3 { expected[i * 2 + j] += xv[r * 3 + i] * 2 * (y - 1) / 4 }
            }
        }
        expectClose(loss.scalar, plainLoss, tolerance: 1e-12)
        let gradient = try #require(w.gradient)
        #expect(gradient.shape == [3, 2])
        expectClose(gradient.scalars, expected, tolerance: 1e-12)
        // A central difference with step 1e-5 on a quadratic is exact up to rounding.
        #expect(result.maxRelativeError < 1e-6 && result.maxAbsoluteError < 1e-6, "\(result)")
    }

    /// "A model": three layers, a state dict written and read back, one forward pass.
    @Test func aModel() throws {
        try inScratchDirectory {
            // Documentation block: GettingStarted.md #2
            RandomGenerator.seedShared(0)                 // like torch.manual_seed
            let model = Sequential<Float> {
                Linear(784, 256)
                ReLU()
                Linear(256, 10)
            }
            try model.saveState(toFile: "model.safetensors")
            try model.loadState(fromFile: "model.safetensors")
            let scores = model(Tensor<Float>.zeros([1, 784]))          // (1, 10)
            print(model.parameterCount, scores.shape)

            #expect(model.parameterCount == (784 * 256 + 256) + (256 * 10 + 10))
            #expect(scores.shape == [1, 10])
            // On zeros the first layer gives its bias: scores = W₂·relu(b₁) + b₂, by loops.
            let first = model.layers[0] as! Linear<Float>, last = model.layers[2] as! Linear<Float>
            let hidden = first.bias!.value.scalars.map { Swift.max(Double($0), 0) }
            let expected = plainAffine(hidden, weight: last.weight.value, bias: last.bias?.value)
            expectClose(scores.scalars.map(Double.init), expected, tolerance: 1e-5)
            // The file holds the state: another model loads it and computes the same scores.
            var generator = RandomGenerator(seed: 9)
            let other = Sequential<Float> { Linear(784, 256, using: &generator); ReLU(); Linear(256, 10, using: &generator) }
            try other.loadState(fromFile: "model.safetensors")
            #expect(other(Tensor<Float>.zeros([1, 784])).scalars == scores.scalars)
        }
    }
}
