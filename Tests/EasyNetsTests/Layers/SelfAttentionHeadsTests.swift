import Testing
@testable import EasyNets

/// Self-attention's heads as one op (`selfAttentionHeads`, the path `MultiheadAttention` takes
/// without masks other than the causal one) against the general path of per-head products,
/// masks and softmax, in Double: outputs and the gradients of the input and every parameter, in
/// every layout, causal or not, at lengths below, at and across the row blocks. With dropout, the
/// gradients are checked by finite differences with the masks redrawn from the same seed.
@Suite("Self-attention heads") struct SelfAttentionHeadsTests {
    struct Shape: CustomTestStringConvertible, Sendable {
        let length: Int, batch: Int?, size: Int, heads: Int, batchFirst: Bool, causal: Bool
        var testDescription: String {
            "L \(length), N \(batch.map(String.init) ?? "unbatched"), E \(size), \(heads) heads"
                + (batchFirst ? ", batch first" : "") + (causal ? ", causal" : "")
        }
    }

    static let shapes: [Shape] = [
        Shape(length: 5, batch: 3, size: 6, heads: 2, batchFirst: false, causal: false),
        Shape(length: 5, batch: 3, size: 6, heads: 2, batchFirst: true, causal: true),
        Shape(length: 32, batch: 2, size: 8, heads: 4, batchFirst: true, causal: true),
        Shape(length: 70, batch: 2, size: 9, heads: 3, batchFirst: false, causal: true),
        Shape(length: 37, batch: 1, size: 4, heads: 1, batchFirst: true, causal: false),
        Shape(length: 40, batch: nil, size: 6, heads: 3, batchFirst: true, causal: true),
        Shape(length: 1, batch: 2, size: 4, heads: 2, batchFirst: false, causal: true),
    ]

    /// Outputs and gradients of one layer through the fused path and the general one.
    @Test(arguments: shapes) func matchesTheGeneralPath(_ shape: Shape) {
        var generator = RandomGenerator(seed: UInt64(shape.length * 31 + shape.size))
        let layer = MultiheadAttention<Double>(embeddingSize: shape.size, headCount: shape.heads, batchFirst: shape.batchFirst,
                                               using: &generator)
        for parameter in layer.trainableParameters {  // nonzero biases, so their gradients are tested too
            parameter.assign(.normal(parameter.value.shape, standardDeviation: 0.5, using: &generator))
        }
        let inputShape = shape.batch.map { shape.batchFirst ? [$0, shape.length, shape.size] : [shape.length, $0, shape.size] }
            ?? [shape.length, shape.size]
        let input = Tensor<Double>.normal(inputShape, using: &generator)
        let upstream = Tensor<Double>.normal(inputShape, using: &generator)

        func run(fused: Bool) -> (output: Tensor<Double>, gradients: [Tensor<Double>]) {
            layer.allowsFusedHeads = fused
            for parameter in layer.trainableParameters { parameter.zeroGradient() }
            var x = input
            x.requiresGradient = true
            let output = layer.attend(query: x, key: x, value: x, needWeights: false, isCausal: shape.causal).output
            (output * upstream).sum().backward()
            return (output.detached, [x.gradient!] + layer.trainableParameters.map { $0.gradient! })
        }
        let fused = run(fused: true), general = run(fused: false)
        expectClose(fused.output, general.output, tolerance: 1e-12, "output")
        for (index, (a, b)) in zip(fused.gradients, general.gradients).enumerated() {
            expectClose(a, b, tolerance: 1e-12, "gradient \(index) (0 the input, then \(layer.namedParameters.map(\.name)))")
        }
    }

    /// Empty batches and sequences give empty outputs and gradients of their shapes, as the general path does.
    @Test(arguments: [[0, 3, 4], [3, 0, 4]]) func emptyInputs(_ shape: [Int]) {
        var generator = RandomGenerator(seed: 2)
        let layer = MultiheadAttention<Double>(embeddingSize: 4, headCount: 2, dropout: 0.1, using: &generator)
        for fused in [true, false] {
            layer.allowsFusedHeads = fused
            var x = Tensor<Double>.zeros(shape)
            x.requiresGradient = true
            let output = layer.attend(query: x, key: x, value: x, needWeights: false, isCausal: true).output
            output.sum().backward()
            #expect(output.shape == shape && x.gradient?.shape == shape, "fused \(fused)")
        }
    }

    /// The fused path is the one taken: its op is on the tape, and a mask or a request for the
    /// weights sends the call down the general path.
    @Test func takesTheFusedPathOnlyWithoutOtherMasks() {
        var generator = RandomGenerator(seed: 5)
        let layer = MultiheadAttention<Double>(embeddingSize: 4, headCount: 2, using: &generator)
        var x = Tensor<Double>.normal([3, 2, 4], using: &generator)
        x.requiresGradient = true
        #expect(layer.attend(query: x, key: x, value: x, needWeights: false, isCausal: true).output.node?.inputs.first?.op == "selfAttentionHeads")
        let masked = layer.attend(query: x, key: x, value: x, needWeights: false, attentionMask: .additive(.zeros([3, 3])))
        #expect(masked.output.node?.inputs.first?.op != "selfAttentionHeads")
        let other = x + 0
        #expect(layer.attend(query: x, key: other, value: other, needWeights: false).output.node?.inputs.first?.op != "selfAttentionHeads")
    }

    /// With dropout, the gradients match finite differences when each evaluation draws the same
    /// masks (the layer's generator reset), and a second call draws other masks.
    @Test(arguments: [false, true]) func dropoutGradientsMatchFiniteDifferences(causal: Bool) {
        var generator = RandomGenerator(seed: 9)
        let layer = MultiheadAttention<Double>(embeddingSize: 6, headCount: 2, dropout: 0.3, batchFirst: true, seed: 3,
                                               using: &generator)
        let input = Tensor<Double>.normal([2, 40, 6], using: &generator)
        let start = layer.generator
        let result = checkGradients(of: { x in
            layer.generator = start
            return layer.attend(query: x[0], key: x[0], value: x[0], needWeights: false, isCausal: causal).output
        }, at: [input], epsilon: 1e-6)
        #expect(result.maxAbsoluteError < 1e-7, "\(result)")
        layer.generator = start
        let first = withoutGradients { layer(input) }, second = withoutGradients { layer(input) }
        #expect(first.scalars != second.scalars)
        layer.eval()
        layer.allowsFusedHeads = false
        let reference = withoutGradients { layer(input) }
        layer.allowsFusedHeads = true
        expectClose(withoutGradients { layer(input) }, reference, tolerance: 1e-12, "evaluation has no dropout")
    }

    /// The dropout pass drops a share of about p of the weights and scales the others by 1/(1 − p).
    @Test func dropoutDropsItsShare() {
        let count = 200_000, p = 0.3
        var weights = [Double](repeating: 1, count: count)
        var keep = [UInt8](repeating: 9, count: count)
        var generator = RandomGenerator(seed: 1)
        weights.withUnsafeMutableBufferPointer { w in
            keep.withUnsafeMutableBufferPointer { k in
                Kernels.dropout(x: w.baseAddress!, y: w.baseAddress!, keep: k.baseAddress!, count: count, probability: p,
                                generator: &generator)
            }
        }
        let dropped = weights.filter { $0 == 0 }.count
        let sigma = (Double(count) * p * (1 - p)).squareRoot()
        #expect(abs(Double(dropped) - Double(count) * p) < 5 * sigma)
        #expect(weights.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) })
        #expect(zip(weights, keep).allSatisfy { ($0 == 0) == ($1 == 0) } && keep.allSatisfy { $0 <= 1 })
    }
}
