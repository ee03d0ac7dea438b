import Testing
@testable import EasyNets

/// Batch normalization → ReLU (→ max pooling) run as one op by ``Sequential`` against the same
/// layers run one by one: the same bits in outputs, gradients and running statistics.
@Suite struct LayerFusionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        /// The pooling layer after ReLU: kernel, stride, padding, dilation, ceil mode; `nil` for none.
        let pool: (kernel: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool)?
        /// The output's op when the layers run as one.
        let fusedOp: String
        /// Whether a convolution comes first (whose output planes' moments the normalization uses).
        var convolution = false
        /// Whether ReLU follows the normalization.
        var relu = true
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "2×2 pooling, rows of 7 outputs", shape: [3, 4, 8, 14], pool: ([2, 2], [2, 2], [0, 0], [1, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d"),
        Case(name: "2×2 pooling, rows of 14", shape: [2, 3, 28, 28], pool: ([2, 2], [2, 2], [0, 0], [1, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d"),
        Case(name: "2×2 pooling, odd sizes, rows of 3", shape: [2, 2, 5, 7], pool: ([2, 2], [2, 2], [0, 0], [1, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d"),
        Case(name: "2×2 pooling, rows of 17", shape: [2, 2, 4, 35], pool: ([2, 2], [2, 2], [0, 0], [1, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d"),
        Case(name: "3×3 pooling at stride 2", shape: [2, 3, 9, 11], pool: ([3, 3], [2, 2], [0, 0], [1, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d"),
        Case(name: "overlapping 3×2 windows at stride 1, dilated", shape: [2, 2, 7, 8], pool: ([3, 2], [1, 1], [0, 0], [2, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d"),
        Case(name: "padded pooling (pooled on its own)", shape: [2, 3, 6, 6], pool: ([3, 3], [2, 2], [1, 1], [1, 1], false),
             fusedOp: "maxPool2d"),
        Case(name: "ceil mode with a partial window (pooled on its own)", shape: [2, 2, 5, 5],
             pool: ([2, 2], [2, 2], [0, 0], [1, 1], true), fusedOp: "maxPool2d"),
        Case(name: "no pooling", shape: [2, 3, 5, 6], pool: nil, fusedOp: "batchNorm → relu"),
        Case(name: "BatchNorm1d on (N, C)", shape: [9, 5], pool: nil, fusedOp: "batchNorm → relu"),
        Case(name: "BatchNorm1d on (N, C, L)", shape: [4, 3, 10], pool: nil, fusedOp: "batchNorm → relu"),
        Case(name: "convolution, then 2×2 pooling", shape: [3, 4, 8, 14], pool: ([2, 2], [2, 2], [0, 0], [1, 1], false),
             fusedOp: "batchNorm → relu → maxPool2d", convolution: true),
        Case(name: "convolution, no pooling", shape: [9, 2, 5, 6], pool: nil, fusedOp: "batchNorm → relu", convolution: true),
        Case(name: "convolution and normalization alone", shape: [2, 3, 6, 5], pool: nil, fusedOp: "batchNorm", convolution: true,
             relu: false),
    ]

    /// The model of `testCase` with a scale and shift drawn from `seed`.
    private func model<T: TensorScalar>(_ testCase: Case, seed: UInt64, as _: T.Type) -> Sequential<T> {
        let channels = testCase.shape[1]
        let norm: any Layer<T> = testCase.shape.count == 4 ? BatchNorm2d<T>(channels) : BatchNorm1d<T>(channels)
        var generator = RandomGenerator(seed: seed)
        for (_, parameter) in norm.parameters {
            parameter.assign(Tensor<T>.uniform([channels], low: -1.5, high: 1.5, using: &generator))
        }
        var layers: [any Layer<T>] = testCase.relu ? [norm, ReLU<T>()] : [norm]
        if testCase.convolution {  // channels → channels, 3×3, padding 1: the input's shape
            layers.insert(Conv2d<T>(channels, channels, kernelSize: [3, 3], padding: .explicit([1, 1]), using: &generator), at: 0)
        }
        if let pool = testCase.pool {
            layers.append(MaxPool2d<T>(kernelSize: pool.kernel, stride: pool.stride, padding: pool.padding,
                                       dilation: pool.dilation, ceilMode: pool.ceilMode))
        }
        return Sequential(layers)
    }

    /// Values on a grid of halves, so the normalized values tie within windows and many clamp to
    /// zero, with one signed zero.
    private func input<T: TensorScalar>(_ shape: [Int], seed: UInt64, as _: T.Type) -> Tensor<T> {
        var generator = RandomGenerator(seed: seed)
        var values = Tensor<Double>.normal(shape, using: &generator).scalars.map { ($0 * 2).rounded() / 2 }
        values[1] = -0.0
        return Tensor(values.map { T($0) }, shape: shape)
    }

    private func run<T: TensorScalar>(_ testCase: Case, fused: Bool, training: Bool, as _: T.Type)
        -> (output: Tensor<T>, op: String?, gradients: [[T]], buffers: [[T]]) {
        let model = model(testCase, seed: 5, as: T.self)
        model.fusesLayers = fused
        if !training {
            // Running statistics other than the initial ones, from a batch seen in training.
            _ = withoutGradients { model(input(testCase.shape, seed: 8, as: T.self)) }
            model.eval()
        }
        var x = input(testCase.shape, seed: 7, as: T.self)
        x.requiresGradient = true
        let output = model(x)
        var generator = RandomGenerator(seed: 3)
        (output * Tensor<T>.normal(output.shape, using: &generator)).sum().backward()
        let gradients = [x.gradient?.scalars ?? []] + model.namedParameters.map { $0.parameter.gradient?.scalars ?? [] }
        return (output, output.node?.op, gradients, model.namedBuffers.map { $0.parameter.value.scalars })
    }

    private func expectSameBits<T: TensorScalar>(_ a: [T], _ b: [T], _ comment: Comment) {
        let same = a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern64 == $1.bitPattern64 }
        #expect(same, comment)
    }

    private func check<T: TensorScalar>(_ testCase: Case, training: Bool, as _: T.Type) {
        let fused = run(testCase, fused: true, training: training, as: T.self)
        let plain = run(testCase, fused: false, training: training, as: T.self)
        let mode = training ? "training" : "evaluation"
        #expect(fused.output.shape == plain.output.shape)
        let expectedOp = training ? testCase.fusedOp : testCase.fusedOp.replacingOccurrences(of: "batchNorm", with: "batchNorm (evaluation)")
        #expect(fused.op == expectedOp, "\(testCase.name), \(mode): op \(fused.op ?? "none")")
        #expect(plain.op == (testCase.pool != nil ? "maxPool2d" : testCase.relu ? "relu" : expectedOp))
        expectSameBits(fused.output.scalars, plain.output.scalars, "\(testCase.name), \(T.self), \(mode): outputs")
        for (index, (a, b)) in zip(fused.gradients, plain.gradients).enumerated() {
            #expect(!a.isEmpty)
            expectSameBits(a, b, "\(testCase.name), \(T.self), \(mode): gradient \(index)")
        }
        for (a, b) in zip(fused.buffers, plain.buffers) { expectSameBits(a, b, "\(testCase.name), \(T.self): running statistics") }
    }

    @Test(arguments: cases) func matchesTheLayersOneByOne(_ testCase: Case) {
        for training in [true, false] {
            check(testCase, training: training, as: Float.self)
            check(testCase, training: training, as: Double.self)
        }
    }

    /// The fused op's input gradient in training against central differences (Double; generic
    /// inputs, away from ReLU's kink and pooling ties).
    @Test(arguments: [cases[0], cases[4], cases[8]]) func inputGradientMatchesFiniteDifferences(_ testCase: Case) {
        let model = model(testCase, seed: 11, as: Double.self)
        var generator = RandomGenerator(seed: 12)
        let x = Tensor<Double>.normal(testCase.shape, using: &generator)
        let result = checkGradients(of: { model($0[0]) }, at: [x], epsilon: 1e-6)
        #expect(result.maxAbsoluteError < 1e-7, "\(result)")
        #expect(model(x).node?.op == testCase.fusedOp)
    }

    /// The C max-pooling loop against a plain reading of its contract, for every row length from
    /// 1 to 17 outputs (the vector blocks and their moved-back last block), with NaNs and ties.
    @Test func maxPoolLoopPicksEachWindowsWinner() {
        for width in 2...35 {
            for (kernel, stride) in [(2, 2), (3, 2), (2, 1)] {
                checkMaxPool(width: width, kernel: kernel, stride: stride, as: Float.self)
                checkMaxPool(width: width, kernel: kernel, stride: stride, as: Double.self)
            }
        }
    }

    private func checkMaxPool<T: TensorScalar>(width: Int, kernel: Int, stride: Int, as _: T.Type) {
        let height = 5, planes = 2
        guard width >= kernel else { return }
        let outputHeight = (height - kernel) / stride + 1, outputWidth = (width - kernel) / stride + 1
        var generator = RandomGenerator(seed: UInt64(width))
        var x = Tensor<Double>.normal([planes * height * width], using: &generator).scalars.map { T(($0 * 2).rounded() / 2) }
        x[3] = .nan
        x[x.count - 2] = .nan
        var output = [T](repeating: 9, count: planes * outputHeight * outputWidth)
        var winners = [Int32](repeating: -1, count: output.count)
        T._kernelMaxPool(input: x, output: &output, winners: &winners, planes: planes, height: height, width: width,
                         outputHeight: outputHeight, outputWidth: outputWidth, kernelHeight: kernel, kernelWidth: kernel,
                         strideHeight: stride, strideWidth: stride, dilationHeight: 1, dilationWidth: 1)
        for plane in 0..<planes {
            for oh in 0..<outputHeight {
                for ow in 0..<outputWidth {
                    var winner = (oh * stride) * width + ow * stride
                    for r in 0..<kernel {
                        for t in 0..<kernel {
                            let index = (oh * stride + r) * width + ow * stride + t
                            let (value, best) = (x[plane * height * width + index], x[plane * height * width + winner])
                            if value > best || value.isNaN { winner = index }
                        }
                    }
                    let o = (plane * outputHeight + oh) * outputWidth + ow
                    let expected = x[plane * height * width + winner]
                    #expect(Int(winners[o]) == winner && output[o].bitPattern64 == expected.bitPattern64,
                            "width \(width), kernel \(kernel), stride \(stride), output \(o)")
                }
            }
        }
    }
}

extension TensorScalar {
    /// The value's bits (a Float's widened), for comparisons that tell NaNs and signed zeros apart.
    fileprivate var bitPattern64: UInt64 {
        UInt64(sign == .minus ? 1 : 0) << 63 | UInt64(exponentBitPattern) << 52 | UInt64(significandBitPattern)
    }
}
