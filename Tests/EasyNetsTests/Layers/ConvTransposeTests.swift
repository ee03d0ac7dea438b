import Testing
@testable import EasyNets

/// The direct definition of a 2-D transposed convolution, one input element at a time: input
/// (n, ci, h, w) adds x·weight[ci, co − group·Cout/g, i, j] onto output
/// (n, co, h·stride − padding + i·dilation, w·stride − padding + j·dilation) when that lies inside
/// the output. The independent reference for the gemm + col2im implementation.
private func directTransposedConvolution(
    _ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>?, stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int],
    groups: Int
) -> Tensor<Double> {
    let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (coutGroup, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
    let cout = coutGroup * groups, cinGroup = cin / groups
    let ho = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + outputPadding[0] + 1
    let wo = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + outputPadding[1] + 1
    let xs = x.scalars, ws = w.scalars
    var out = [Double](repeating: 0, count: n * cout * ho * wo)
    if let b {
        for image in 0..<n { for co in 0..<cout { for p in 0..<(ho * wo) { out[(image * cout + co) * ho * wo + p] = b.scalars[co] } } }
    }
    for image in 0..<n {
        for ci in 0..<cin {
            let group = ci / cinGroup
            for y in 0..<h {
                for xIndex in 0..<wd {
                    let value = xs[((image * cin + ci) * h + y) * wd + xIndex]
                    for c in 0..<coutGroup {
                        let co = group * coutGroup + c
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let oy = y * stride[0] - padding[0] + i * dilation[0], ox = xIndex * stride[1] - padding[1] + j * dilation[1]
                                guard oy >= 0, oy < ho, ox >= 0, ox < wo else { continue }
                                out[((image * cout + co) * ho + oy) * wo + ox] += value * ws[((ci * coutGroup + c) * kh + i) * kw + j]
                            }
                        }
                    }
                }
            }
        }
    }
    return Tensor(out, shape: [n, cout, ho, wo])
}

@Suite("Transposed convolutions")
struct ConvTransposeTests {
    struct Case: CustomStringConvertible {
        var batch = 2, inChannels = 4, outChannels = 6, height = 4, width = 5, kernel = [3, 3]
        var stride = [1, 1], padding = [0, 0], outputPadding = [0, 0], dilation = [1, 1], groups = 1, bias = true
        var description: String {
            "batch \(batch), \(inChannels)→\(outChannels), \(height)×\(width), kernel \(kernel), stride \(stride), padding \(padding), "
                + "outputPadding \(outputPadding), dilation \(dilation), groups \(groups), bias \(bias)"
        }
    }

    static let cases: [Case] = [
        Case(),
        Case(batch: 1, bias: false),
        Case(stride: [2, 3]),
        Case(stride: [2, 2], padding: [1, 2], outputPadding: [1, 1]),
        Case(padding: [2, 1], outputPadding: [1, 0], dilation: [2, 1]),  // output padding below the dilation
        Case(kernel: [2, 4], stride: [3, 1], dilation: [1, 2], groups: 2),
        Case(inChannels: 4, outChannels: 4, stride: [2, 2], padding: [1, 1], outputPadding: [1, 1], groups: 4),  // depthwise
        Case(kernel: [1, 1]),
        Case(height: 1, width: 1, kernel: [3, 2], stride: [2, 2], padding: [1, 0]),
        Case(inChannels: 6, outChannels: 3, height: 3, width: 2, kernel: [4, 3], stride: [3, 2], padding: [3, 1], outputPadding: [2, 1],
             dilation: [2, 3], groups: 3, bias: false),
    ]

    /// The output matches the direct definition, and every gradient matches central differences.
    @Test(arguments: cases) func matchesTheDirectDefinitionAndItsGradients(_ c: Case) {
        let x = randomTensor([c.batch, c.inChannels, c.height, c.width], seed: 1) as Tensor<Double>
        let w = randomTensor([c.inChannels, c.outChannels / c.groups] + c.kernel, seed: 2) as Tensor<Double>
        let b = c.bias ? randomTensor([c.outChannels], seed: 3) as Tensor<Double> : nil
        let y = convTranspose2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding,
                                dilation: c.dilation, groups: c.groups)
        let expected = directTransposedConvolution(x, w, b, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding,
                                                   dilation: c.dilation, groups: c.groups)
        #expect(y.shape == expected.shape, "\(c)")
        expectClose(y, expected, tolerance: 1e-12, "\(c)")
        // Linear in each single input element: central differences are exact up to rounding.
        expectGradientsMatch([x, w] + (b.map { [$0] } ?? []), epsilon: 1e-3) { inputs in
            convTranspose2d(inputs[0], weight: inputs[1], bias: c.bias ? inputs[2] : nil, stride: c.stride, padding: c.padding,
                            outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups)
        }
    }

    /// The transposed convolution is the adjoint of the convolution with the same weight:
    /// ⟨conv2d(z, W), x⟩ = ⟨z, convTranspose2d(x, W)⟩ for every z of the output's shape.
    @Test func isTheAdjointOfTheConvolution() {
        let x = randomTensor([2, 6, 3, 4], seed: 4) as Tensor<Double>, w = randomTensor([6, 2, 3, 2], seed: 5) as Tensor<Double>
        let y = convTranspose2d(x, weight: w, stride: [2, 3], padding: [1, 1], outputPadding: [1, 2], dilation: [1, 2], groups: 3)
        let z = randomTensor(y.shape, seed: 6) as Tensor<Double>
        let convolved = conv2d(z, weight: w, stride: [2, 3], padding: .explicit([1, 1]), dilation: [1, 2], groups: 3)
        #expect(convolved.shape == x.shape)
        expectClose((convolved * x).sum().scalars[0], (z * y).sum().scalars[0], tolerance: 1e-12)
    }

    /// A batch whose columns exceed the budget runs a chunk of images at a time, forward and
    /// backward, with the same results.
    @Test func largeBatchesRunInChunksOfImages() {
        let x = randomTensor([5, 4, 3, 4], seed: 7) as Tensor<Double>
        let w = randomTensor([4, 3, 3, 2], seed: 8) as Tensor<Double>, b = randomTensor([6], seed: 9) as Tensor<Double>
        func run() -> [[Double]] {
            var leaves = [x.detached, w.detached, b.detached]
            for i in leaves.indices { leaves[i].requiresGradient = true }
            let y = convTranspose2d(leaves[0], weight: leaves[1], bias: leaves[2], stride: [2, 1], padding: [1, 0], outputPadding: [1, 0],
                                    dilation: [1, 2], groups: 2)
            (y * y).sum().backward()
            return [y.scalars] + leaves.map { $0.gradient!.scalars }
        }
        let whole = run()
        let g = convolutionTransposeGeometry(op: "test", input: x.shape, weight: w.shape, bias: b.shape, stride: [2, 1], padding: [1, 0],
                                             outputPadding: [1, 0], dilation: [1, 2], groups: 2)
        let saved = ConvolutionColumns.elementBudget
        ConvolutionColumns.elementBudget = 2 * g.groups * g.groupPatch * g.outputPlane  // two images a chunk: 2, 2, 1
        defer { ConvolutionColumns.elementBudget = saved }
        #expect(ConvolutionColumns.imagesPerChunk(geometry: g) == 2)
        let chunked = run()
        for (a, e) in zip(chunked, whole) { expectClose(a, e, tolerance: 1e-13) }
    }

    /// Float runs the same kernels as Double, to Float's precision.
    @Test func floatMatchesDouble() {
        let x = randomTensor([2, 4, 3, 5], seed: 10) as Tensor<Double>
        let w = randomTensor([4, 3, 3, 2], seed: 11) as Tensor<Double>, b = randomTensor([6], seed: 12) as Tensor<Double>
        let u = randomTensor([2, 6, 6, 11], seed: 13) as Tensor<Double>
        func run<T: TensorScalar>(_: T.Type) -> [Tensor<Double>] {
            var leaves = [x, w, b].map { Tensor<T>($0.scalars.map { T(Double($0)) }, shape: $0.shape) }
            for i in leaves.indices { leaves[i].requiresGradient = true }
            let y = convTranspose2d(leaves[0], weight: leaves[1], bias: leaves[2], stride: [2, 2], padding: [1, 0], outputPadding: [1, 1],
                                    groups: 2)
            (y * Tensor<T>(u.scalars.map { T(Double($0)) }, shape: u.shape)).sum().backward()
            return [asDouble(y)] + leaves.map { asDouble($0.gradient!) }
        }
        let single = run(Float.self), double = run(Double.self)
        #expect(single[0].shape == [2, 6, 6, 11])
        for (s, d) in zip(single, double) { expectClose(s, d, tolerance: 1e-5) }
        let ySingle = ConvTranspose1d<Float>(3, 2, kernelSize: 3, stride: 2)(Tensor<Float>.ones([1, 3, 4]))
        #expect(ySingle.shape == [1, 2, 9])
    }

    /// The layers: PyTorch's weight shape (in, out/groups, k…), initialization bound
    /// 1/√(out/groups·taps), names, summaries, gradients, and ConvTranspose1d as ConvTranspose2d
    /// over a height of 1.
    @Test func layers() {
        var generator = RandomGenerator(seed: 14)
        let layer = ConvTranspose2d<Double>(6, 8, kernelSize: [3, 5], stride: [2, 1], groups: 2, using: &generator)
        let bound = 1 / (4.0 * 3 * 5).squareRoot()
        #expect(layer.weight.shape == [6, 4, 3, 5] && layer.bias?.shape == [8])
        #expect(layer.inChannels == 6 && layer.outChannels == 8 && layer.kernelSize == [3, 5])
        #expect(layer.weight.value.scalars.allSatisfy { abs($0) <= bound } && layer.bias!.value.scalars.allSatisfy { abs($0) <= bound })
        #expect(layer.weight.value.scalars.max()! > bound * 0.9 && layer.weight.value.scalars.min()! < -bound * 0.9)
        #expect(layer.namedParameters.map(\.name) == ["weight", "bias"])
        #expect(layer.parameterCount == 6 * 4 * 15 + 8)
        #expect(layer.summaryName == "ConvTranspose2d(6 → 8, 3×5, stride [2, 1], groups 2)")
        #expect(ConvTranspose1d<Double>(2, 4, kernelSize: 3, padding: 1, outputPadding: 1, dilation: 2, bias: false).summaryName
                    == "ConvTranspose1d(2 → 4, 3, padding 1, outputPadding 1, dilation 2, no bias)")

        expectLayerGradientsMatch(randomTensor([2, 4, 3, 2], seed: 15)) {
            var generator = RandomGenerator(seed: 16)
            return ConvTranspose2d<Double>(4, 2, kernelSize: [2, 3], stride: [2, 1], padding: [0, 1], outputPadding: [1, 0], dilation: [1, 2],
                                           groups: 2, using: &generator)
        }
        let sequences = randomTensor([2, 4, 5], seed: 17) as Tensor<Double>
        for (stride, padding, outputPadding, dilation, groups) in [(1, 0, 0, 1, 1), (2, 1, 1, 1, 2), (1, 2, 1, 2, 4), (3, 0, 2, 1, 1)] {
            expectLayerGradientsMatch(sequences) {
                var generator = RandomGenerator(seed: 18)
                return ConvTranspose1d<Double>(4, 8, kernelSize: 3, stride: stride, padding: padding, outputPadding: outputPadding,
                                               dilation: dilation, groups: groups, using: &generator)
            }
            var generator = RandomGenerator(seed: 19)
            let layer = ConvTranspose1d<Double>(4, 8, kernelSize: 3, stride: stride, padding: padding, outputPadding: outputPadding,
                                                dilation: dilation, groups: groups, using: &generator)
            let expected = convTranspose2d(sequences.reshaped(to: [2, 4, 1, 5]), weight: layer.weight.value.reshaped(to: [4, 8 / groups, 1, 3]),
                                           bias: layer.bias?.value, stride: [1, stride], padding: [0, padding],
                                           outputPadding: [0, outputPadding], dilation: [1, dilation], groups: groups)
            let y = layer(sequences)
            #expect(y.scalars == expected.scalars && y.shape == [2, 8, expected.shape[3]])
        }
    }

    /// Unbatched input (C, H, W) or (C, L) gives the batch-of-one result without its batch axis.
    @Test func unbatchedInputs() {
        var generator = RandomGenerator(seed: 20)
        let image = randomTensor([3, 4, 5], seed: 21) as Tensor<Double>
        let sequence = randomTensor([3, 6], seed: 22) as Tensor<Double>
        let layers2d: [any Layer<Double>] = [
            ConvTranspose2d<Double>(3, 2, kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 0], using: &generator),
            Conv2d<Double>(3, 2, kernelSize: [3, 3], padding: .same, paddingMode: .reflect, using: &generator),
        ]
        for layer in layers2d {
            let alone = layer(image), batched = layer(image.reshaped(to: [1, 3, 4, 5]))
            #expect(alone.shape == Array(batched.shape.dropFirst()) && alone.scalars == batched.scalars, "\(layer.summaryName)")
        }
        let layers1d: [any Layer<Double>] = [
            ConvTranspose1d<Double>(3, 2, kernelSize: 3, stride: 2, using: &generator),
            Conv1d<Double>(3, 2, kernelSize: 3, padding: .explicit([2]), paddingMode: .circular, using: &generator),
        ]
        for layer in layers1d {
            let alone = layer(sequence), batched = layer(sequence.reshaped(to: [1, 3, 6]))
            #expect(alone.shape == Array(batched.shape.dropFirst()) && alone.scalars == batched.scalars, "\(layer.summaryName)")
        }
        expectLayerGradientsMatch(image) {
            var generator = RandomGenerator(seed: 23)
            return ConvTranspose2d<Double>(3, 4, kernelSize: [2, 2], stride: [2, 1], using: &generator)
        }
    }

    /// `outputSize:` picks the output padding, as PyTorch's `output_size`: the sizes from the
    /// smallest (no output padding) to stride − 1 more, given spatially or as the whole shape.
    @Test func outputSizeChoosesTheOutputPadding() {
        var generator = RandomGenerator(seed: 24)
        let layer = ConvTranspose2d<Double>(2, 3, kernelSize: [3, 3], stride: [3, 2], padding: [1, 1], using: &generator)
        let x = randomTensor([2, 2, 4, 3], seed: 25) as Tensor<Double>
        #expect(layer(x).shape == [2, 3, 10, 5])  // (4 − 1)·3 − 2 + 2 + 1, (3 − 1)·2 − 2 + 2 + 1
        for (height, width) in [(10, 5), (11, 6), (12, 5)] {
            let y = layer(x, outputSize: [height, width])
            #expect(y.shape == [2, 3, height, width])
            let expected = convTranspose2d(x, weight: layer.weight.value, bias: layer.bias?.value, stride: [3, 2], padding: [1, 1],
                                           outputPadding: [height - 10, width - 5])
            #expect(y.scalars == expected.scalars)
        }
        #expect(layer(x, outputSize: [2, 3, 11, 6]).shape == [2, 3, 11, 6])
        let layer1d = ConvTranspose1d<Double>(2, 1, kernelSize: 2, stride: 4, using: &generator)
        #expect(layer1d(randomTensor([1, 2, 3], seed: 26), outputSize: [11]).shape == [1, 1, 11])
    }

    /// The descriptions' rules are PyTorch's: output padding below the stride or the dilation.
    @Test func descriptionRules() throws {
        let valid = ConvTranspose2dDescription(inChannels: 2, outChannels: 4, kernelSize: [3, 3], stride: [2, 1], outputPadding: [1, 1],
                                               dilation: [1, 2])
        #expect(valid.problem() == nil)
        var tooMuch = valid
        tooMuch.outputPadding = [2, 1]
        #expect(tooMuch.problem()?.contains("ConvTranspose2d's outputPadding [2, 1] must be ≥ 0 and below the stride") == true)
        var grouped = valid
        grouped.groups = 3
        #expect(grouped.problem()?.contains("ConvTranspose2d needs channels ≥ 1 that split into groups") == true)
        #expect(ConvTranspose1dDescription(inChannels: 1, outChannels: 1, kernelSize: 2, outputPadding: 1).problem()?
                    .contains("ConvTranspose1d's outputPadding [1]") == true)
        #expect(ConvTranspose1dDescription(inChannels: 1, outChannels: 1, kernelSize: 2, padding: -1).problem()?
                    .contains("ConvTranspose1d's padding") == true)
        // Shape inference: the output formula, and an empty output is an error naming the layer.
        #expect(try ModelDescription.layer(valid).outputShape(for: [5, 2, 4, 3]) == [5, 4, 10, 8])
        let cropped = ModelDescription.convTranspose1d(inChannels: 1, outChannels: 1, kernelSize: 1, padding: 2)
        #expect(throws: ModelDescriptionError.self) { try cropped.outputShape(for: [1, 1, 3]) }
        #expect(try ModelDescription.convTranspose1d(inChannels: 1, outChannels: 1, kernelSize: 1, padding: 2).outputShape(for: [1, 1, 5])
                    == [1, 1, 1])
    }
}
