import Foundation
import Testing
@testable import EasyNets

/// The direct definition of a 2-D convolution (cross-correlation), one output at a time: the
/// independent reference for the im2col + gemm implementation.
private func directConvolution(
    _ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>?, stride: [Int], pads: [(Int, Int)], dilation: [Int], groups: Int
) -> Tensor<Double> {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let og = o / groups
    let ho = (h + pads[0].0 + pads[0].1 - dilation[0] * (kh - 1) - 1) / stride[0] + 1
    let wo = (wd + pads[1].0 + pads[1].1 - dilation[1] * (kw - 1) - 1) / stride[1] + 1
    let xs = x.scalars, ws = w.scalars, bs = b?.scalars
    var out = [Double](repeating: 0, count: n * o * ho * wo)
    for image in 0..<n {
        for oc in 0..<o {
            let group = oc / og
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var total = bs?[oc] ?? 0
                    for ic in 0..<cg {
                        let channel = group * cg + ic
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let iy = oy * stride[0] - pads[0].0 + i * dilation[0], ix = ox * stride[1] - pads[1].0 + j * dilation[1]
                                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                total += xs[((image * c + channel) * h + iy) * wd + ix] * ws[((oc * cg + ic) * kh + i) * kw + j]
                            }
                        }
                    }
                    out[((image * o + oc) * ho + oy) * wo + ox] = total
                }
            }
        }
    }
    return Tensor(out, shape: [n, o, ho, wo])
}

@Suite("Convolution and pooling")
struct ConvolutionTests {
    struct Case: CustomStringConvertible {
        var batch = 2, inChannels = 4, outChannels = 6, height = 7, width = 6, kernel = [3, 3]
        var stride = [1, 1], padding = ConvolutionPadding.valid, dilation = [1, 1], groups = 1, bias = true
        var description: String { "batch \(batch), \(inChannels)→\(outChannels), \(height)×\(width), kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation), groups \(groups), bias \(bias)" }
        var pads: [(Int, Int)] {
            switch padding {
            case .valid: return [(0, 0), (0, 0)]
            case .explicit(let p): return p.map { ($0, $0) }
            case .same: return zip(kernel, dilation).map { k, d in (d * (k - 1) / 2, d * (k - 1) - d * (k - 1) / 2) }
            }
        }
    }

    static let cases: [Case] = [
        Case(),
        Case(batch: 1),
        Case(stride: [2, 3]),
        Case(padding: .explicit([1, 2])),
        Case(kernel: [2, 4], padding: .same),
        Case(kernel: [3, 2], padding: .same, dilation: [2, 1]),
        Case(dilation: [2, 2]),
        Case(groups: 2),
        Case(inChannels: 4, outChannels: 4, groups: 4),  // depthwise
        Case(kernel: [1, 1], groups: 2),  // pointwise: no im2col
        Case(batch: 1, kernel: [1, 1], bias: false),
        Case(kernel: [1, 1], stride: [2, 2]),  // 1×1 but strided: im2col
        Case(height: 5, width: 9, kernel: [3, 5], stride: [2, 1], padding: .explicit([2, 1]), dilation: [1, 2], groups: 2, bias: false),
    ]

    @Test(arguments: cases) func conv2dMatchesTheDirectDefinitionAndItsGradients(_ c: Case) {
        let x = randomTensor([c.batch, c.inChannels, c.height, c.width], seed: 1) as Tensor<Double>
        let w = randomTensor([c.outChannels, c.inChannels / c.groups] + c.kernel, seed: 2) as Tensor<Double>
        let b = c.bias ? randomTensor([c.outChannels], seed: 3) as Tensor<Double> : nil
        let y = conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        let expected = directConvolution(x, w, b, stride: c.stride, pads: c.pads, dilation: c.dilation, groups: c.groups)
        #expect(y.shape == expected.shape, "\(c)")
        expectClose(y, expected, tolerance: 1e-12, "\(c)")
        // The output is linear in each single input element, so central differences are exact up to
        // rounding, which a larger step makes smaller.
        expectGradientsMatch([x, w] + (b.map { [$0] } ?? []), epsilon: 1e-3) { inputs in
            conv2d(inputs[0], weight: inputs[1], bias: c.bias ? inputs[2] : nil, stride: c.stride, padding: c.padding,
                   dilation: c.dilation, groups: c.groups)
        }
    }

    /// A batch whose columns exceed the budget is convolved a chunk of images at a time, and its
    /// backward makes each chunk's columns again: the same results as in one piece.
    /// A batch of several image blocks (8, 8 and 3 images) gives each image's own output and input
    /// gradient, and the sum of the images' weight and bias gradients.
    @Test func batchesOfSeveralImageBlocks() {
        let x = randomTensor([19, 4, 7, 6], seed: 30) as Tensor<Double>
        let w = randomTensor([6, 2, 3, 2], seed: 31) as Tensor<Double>, b = randomTensor([6], seed: 32) as Tensor<Double>
        #expect(ImageBlocks(geometry: convolutionGeometry(op: "test", input: x.shape, weight: w.shape, bias: b.shape, stride: [1, 2],
                                                          padding: .explicit([1, 1]), dilation: [2, 1], groups: 2)).count == 3)
        func run(_ images: Tensor<Double>) -> [[Double]] {
            var input = images, weight = w, bias = b
            input.requiresGradient = true; weight.requiresGradient = true; bias.requiresGradient = true
            let y = conv2d(input, weight: weight, bias: bias, stride: [1, 2], padding: .explicit([1, 1]), dilation: [2, 1], groups: 2)
            (y * y).sum().backward()
            return [y.scalars, input.gradient!.scalars, weight.gradient!.scalars, bias.gradient!.scalars]
        }
        let whole = run(x)
        let alone = (0..<19).map { run(x.rows($0..<($0 + 1))) }
        #expect(whole[0] == alone.flatMap { $0[0] })
        #expect(whole[1] == alone.flatMap { $0[1] })
        for index in 2...3 {
            let sum = alone.dropFirst().reduce(alone[0][index]) { total, image in zip(total, image[index]).map { $0 + $1 } }
            expectClose(whole[index], sum, tolerance: 1e-12)
        }
        expectGradientsMatch([x, w, b], epsilon: 1e-3) { inputs in
            conv2d(inputs[0], weight: inputs[1], bias: inputs[2], stride: [1, 2], padding: .explicit([1, 1]), dilation: [2, 1], groups: 2)
        }
    }

    @Test func conv2dLayerAndConv1d() {
        let images = randomTensor([2, 2, 5, 6], seed: 4) as Tensor<Double>
        expectLayerGradientsMatch(images) {
            var generator = RandomGenerator(seed: 5)
            return Conv2d<Double>(2, 4, kernelSize: [3, 2], stride: [1, 2], padding: .explicit([1, 0]), dilation: [2, 1], groups: 2, using: &generator)
        }
        let sequences = randomTensor([2, 4, 9], seed: 6) as Tensor<Double>
        for (stride, padding, dilation, groups) in [(1, ConvolutionPadding.valid, 1, 1), (2, .explicit([2]), 1, 2), (1, .same, 2, 4), (3, .valid, 2, 1)] {
            expectLayerGradientsMatch(sequences) {
                var generator = RandomGenerator(seed: 7)
                return Conv1d<Double>(4, 8, kernelSize: 3, stride: stride, padding: padding, dilation: dilation, groups: groups, using: &generator)
            }
            // Conv1d is Conv2d over a height of 1.
            var generator = RandomGenerator(seed: 8)
            let layer = Conv1d<Double>(4, 8, kernelSize: 3, stride: stride, padding: padding, dilation: dilation, groups: groups, using: &generator)
            let padding2d: ConvolutionPadding
            if case .explicit(let p) = padding { padding2d = .explicit([0] + p) } else { padding2d = padding }
            let expected = conv2d(sequences.reshaped(to: [2, 4, 1, 9]), weight: layer.weight.value.reshaped(to: [8, 4 / groups, 1, 3]),
                                  bias: layer.bias?.value, stride: [1, stride], padding: padding2d, dilation: [1, dilation], groups: groups)
            let y = layer(sequences)
            #expect(y.scalars == expected.scalars && y.shape == [2, 8, expected.shape[3]])
        }
    }

    /// PyTorch's initialization: weight and bias uniform in ±1/√(in/groups·kh·kw).
    @Test func initializationBounds() {
        var generator = RandomGenerator(seed: 9)
        let layer = Conv2d<Double>(6, 8, kernelSize: [3, 5], groups: 2, using: &generator)
        let bound = 1 / (3.0 * 3 * 5).squareRoot()
        #expect(layer.weight.shape == [8, 3, 3, 5] && layer.bias?.shape == [8])
        #expect(layer.weight.value.scalars.allSatisfy { abs($0) <= bound } && layer.bias!.value.scalars.allSatisfy { abs($0) <= bound })
        #expect(layer.weight.value.scalars.max()! > bound * 0.9 && layer.weight.value.scalars.min()! < -bound * 0.9)
    }

    @Test func maxPoolingValuesAndGradients() {
        // By hand: 2×2 windows of a 1×1×4×4 ramp take each window's last element.
        let ramp = Tensor<Double>((0..<16).map(Double.init), shape: [1, 1, 4, 4])
        #expect(maxPool2d(ramp, kernelSize: [2, 2]).scalars == [5, 7, 13, 15])
        // Padding is −∞, never a winner; ceil mode adds a last, partial window.
        #expect(maxPool2d(ramp * -1, kernelSize: [2, 2], padding: [1, 1]).scalars == [0, -1, -3, -4, -5, -7, -12, -13, -15])
        #expect(maxPool2d(ramp, kernelSize: [3, 3], stride: [2, 2], ceilMode: true).shape == [1, 1, 2, 2])
        // NaN wins a window, as in PyTorch.
        var withNaN = ramp.scalars
        withNaN[0] = .nan
        #expect(maxPool2d(Tensor(withNaN, shape: [1, 1, 4, 4]), kernelSize: [2, 2]).scalars[0].isNaN)
        let x = randomTensor([2, 3, 7, 6], seed: 10) as Tensor<Double>
        for (kernel, stride, padding, dilation, ceil) in [([2, 2], [2, 2], [0, 0], [1, 1], false), ([3, 2], [2, 1], [1, 1], [1, 2], false),
                                                          ([3, 3], [2, 2], [1, 0], [1, 1], true), ([2, 3], [3, 2], [0, 1], [2, 1], true)] {
            expectGradientsMatch([x]) { maxPool2d($0[0], kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, ceilMode: ceil) }
        }
        expectLayerGradientsMatch(x) { MaxPool2d(2) }
    }

    @Test func averagePoolingValuesAndGradients() {
        let ones = Tensor<Double>.ones([1, 1, 3, 3])
        // count_include_pad: a corner window of 2×2 with padding 1 covers 1 real value of 4.
        #expect(avgPool2d(ones, kernelSize: [2, 2], stride: [2, 2], padding: [1, 1]).scalars == [0.25, 0.5, 0.5, 1])
        #expect(avgPool2d(ones, kernelSize: [2, 2], stride: [2, 2], padding: [1, 1], countIncludePad: false).scalars == [1, 1, 1, 1])
        #expect(avgPool2d(ones, kernelSize: [2, 2], divisorOverride: 2).scalars == [2])
        // Ceil mode's extra window divides by what it covers within the padded input.
        #expect(avgPool2d(ones, kernelSize: [2, 2], ceilMode: true).scalars == [1, 1, 1, 1])
        let x = randomTensor([2, 3, 7, 6], seed: 11) as Tensor<Double>
        for (kernel, stride, padding, ceil, include, divisor) in [([2, 2], [2, 2], [0, 0], false, true, nil as Int?),
                                                                  ([3, 2], [2, 1], [1, 1], true, false, nil), ([3, 3], [2, 2], [1, 1], true, true, nil),
                                                                  ([2, 3], [1, 2], [1, 0], false, true, 5)] {
            expectGradientsMatch([x]) {
                avgPool2d($0[0], kernelSize: kernel, stride: stride, padding: padding, ceilMode: ceil, countIncludePad: include, divisorOverride: divisor)
            }
        }
        // Adaptive: 7 rows into 3 cells take rows 0..<3, 2..<5, 4..<7 (overlapping).
        let rows = Tensor<Double>((0..<7).map(Double.init), shape: [1, 1, 7, 1])
        #expect(adaptiveAvgPool2d(rows, outputSize: [3, 1]).scalars == [1, 3, 5])
        let global = adaptiveAvgPool2d(x, outputSize: [1, 1])
        expectClose(global.reshaped(to: [2, 3]), x.mean(alongAxes: [2, 3]), tolerance: 1e-15)
        expectGradientsMatch([x]) { adaptiveAvgPool2d($0[0], outputSize: [3, 4]) }
        expectGradientsMatch([x]) { adaptiveAvgPool2d($0[0], outputSize: [7, 6]) }
        expectLayerGradientsMatch(x) { AdaptiveAvgPool2d(outputSize: [2, 5]) }
        expectLayerGradientsMatch(x) { AvgPool2d(3, stride: 2, padding: 1) }
    }

    @Test func batchNorm2dIsBatchNorm1dOverThePlanes() {
        let x = randomTensor([3, 4, 5, 2], in: -2...3, seed: 12) as Tensor<Double>
        let norm2d = BatchNorm2d<Double>(4), norm1d = BatchNorm1d<Double>(4)
        for layer in [norm2d.weight!, norm1d.weight!] { layer.value = randomTensor([4], in: 0.5...1.5, seed: 13) }
        let y2 = norm2d(x), y1 = norm1d(x.reshaped(to: [3, 4, 10]))
        #expect(y2.shape == x.shape && y2.scalars == y1.scalars)
        // Per channel: mean 0 and biased variance 1 before the affine transform (weight 1, bias 0).
        let plain = BatchNorm2d<Double>(4)
        let normalized = plain(x)
        expectClose(normalized.mean(alongAxes: [0, 2, 3]), Tensor.zeros([4]), tolerance: 1e-12)
        expectClose(square(normalized).mean(alongAxes: [0, 2, 3]), Tensor.ones([4]), tolerance: 1e-4)
        // Running statistics: momentum 0.1 towards the batch mean and unbiased variance.
        let mean = x.mean(alongAxes: [0, 2, 3]), unbiased = x.variance(alongAxes: [0, 2, 3], correction: 1)
        expectClose(plain.runningMean!.value, mean * 0.1, tolerance: 1e-14)
        expectClose(plain.runningVariance!.value, unbiased * 0.1 + 0.9, tolerance: 1e-14)
        #expect(plain.namedBuffers.map(\.name) == ["running_mean", "running_var", "num_batches_tracked"])
        expectLayerGradientsMatch(randomTensor([2, 3, 2, 3], in: -2...3, seed: 17)) { BatchNorm2d<Double>(3) }
        plain.eval()
        expectLayerGradientsMatch(x) {
            let layer = BatchNorm2d<Double>(4)
            layer.runningMean!.value = mean
            layer.runningVariance!.value = unbiased
            layer.eval()
            return layer
        }
        let evaluated = plain(x)
        expectClose(evaluated, (x - plain.runningMean!.value.reshaped(to: [1, 4, 1, 1]))
                    / sqrt(plain.runningVariance!.value.reshaped(to: [1, 4, 1, 1]) + 1e-5), tolerance: 1e-14)
    }

    @Test func dropout2dDropsWholeChannels() {
        let x = Tensor<Double>.ones([64, 8, 3, 3])
        let layer = Dropout2d<Double>(probability: 0.25, seed: 3)
        let y = layer(x)
        var dropped = 0
        for plane in 0..<(64 * 8) {
            let values = Set(y.scalars[(plane * 9)..<(plane * 9 + 9)])
            #expect(values == [0] || values == [1 / 0.75])
            if values == [0] { dropped += 1 }
        }
        #expect((0.18...0.32).contains(Double(dropped) / 512))
        // The same seed gives the same mask; evaluation is the identity.
        #expect(Dropout2d<Double>(probability: 0.25, seed: 3)(x).scalars == y.scalars)
        layer.eval()
        #expect(layer(x).scalars == x.scalars)
        expectLayerGradientsMatch(randomTensor([2, 3, 2, 2], seed: 14)) { Dropout2d<Double>(probability: 0.5, seed: 4) }
    }

    @Test func everyLayerIsDescribedAndRebuilt() throws {
        var generator = RandomGenerator(seed: 15)
        let model = Sequential<Double>([
            Conv2d(1, 4, kernelSize: [3, 3], padding: .same, using: &generator), BatchNorm2d(4), ReLU(), Dropout2d(probability: 0.1),
            MaxPool2d(kernelSize: [2, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 1], ceilMode: true),
            Conv2d(4, 4, kernelSize: [1, 1], groups: 2, bias: false, using: &generator),
            AvgPool2d(kernelSize: [2, 2], stride: [1, 1], padding: [1, 1], ceilMode: false, countIncludePad: false, divisorOverride: 3),
            AdaptiveAvgPool2d(outputSize: [2, 2]), Flatten(), Linear(16, 3, using: &generator),
        ])
        let description = try model.describe()
        let json = try description.jsonString()
        let decoded = try ModelDescription(json: Array(json.utf8), source: "test")
        #expect(decoded == description && decoded.takesImages)
        let rebuilt = try Sequential<Double>(decoded)
        try rebuilt.loadState(from: SafeTensorsFile(entries: model.stateEntries()))
        model.eval(); rebuilt.eval()
        let x = randomTensor([2, 1, 8, 7], seed: 16) as Tensor<Double>
        #expect(model(x).scalars == rebuilt(x).scalars)
        #expect(try description.outputShape(for: [2, 1, 8, 7]) == model(x).shape)
        let conv1d = Sequential<Double>([Conv1d(2, 4, kernelSize: 3, stride: 2, padding: .explicit([1]), dilation: 1, groups: 2, using: &generator)])
        let conv1dDescription = try conv1d.describe()
        #expect(try Sequential<Double>(conv1dDescription).describe() == conv1dDescription)
        #expect(try conv1dDescription.outputShape(for: [3, 2, 9]) == [3, 4, 5])
    }

    @Test func badDescriptionsAreErrorsNamingTheLayer() throws {
        func problem(_ json: String) -> String {
            do {
                let description = try ModelDescription(json: Array(json.utf8), source: "model.json")
                _ = try description.outputShape(for: [2, 1, 28, 28])
                return ""
            } catch { return "\(error)" }
        }
        #expect(problem(#"{"sequential":{"layers":[{"conv3d":{}}]}}"#).contains("sequential.layers[0]: unknown layer kind \"conv3d\"; the kinds are"))
        let conv = #"{"conv2d":{"inChannels":1,"outChannels":6,"kernelSize":[3,3],"stride":[1,1],"padding":{"valid":{}},"dilation":[1,1],"groups":4,"bias":true}}"#
        #expect(problem(#"{"sequential":{"layers":[\#(conv)]}}"#).contains("layer 0: Conv2d needs channels"))
        let stride0 = conv.replacingOccurrences(of: #""groups":4"#, with: #""groups":1"#).replacingOccurrences(of: #""stride":[1,1]"#, with: #""stride":[0,1]"#)
        #expect(problem(#"{"sequential":{"layers":[\#(stride0)]}}"#).contains("stride must be 2 value(s)"))
        let huge = conv.replacingOccurrences(of: #""groups":4"#, with: #""groups":1"#).replacingOccurrences(of: #""kernelSize":[3,3]"#, with: #""kernelSize":[30,3]"#)
        #expect(problem(#"{"sequential":{"layers":[\#(huge)]}}"#).contains("larger than the padded input"))
        let wrongChannels = conv.replacingOccurrences(of: #""groups":4"#, with: #""groups":1"#).replacingOccurrences(of: #""inChannels":1"#, with: #""inChannels":3"#)
        #expect(problem(#"{"sequential":{"layers":[\#(wrongChannels)]}}"#).contains("Conv2d takes (N, 3, H, W), the input has shape [2, 1, 28, 28]"))
        let pool = #"{"maxPool2d":{"kernelSize":[2,2],"stride":[2,2],"padding":[2,0],"dilation":[1,1],"ceilMode":false}}"#
        #expect(problem(#"{"sequential":{"layers":[\#(pool)]}}"#).contains("padding must be two values from 0 to half the kernel"))
        // An image model fed flat rows is an error naming the data.
        let flat = Dataset<Float>(features: .zeros([4, 784]), labels: [0, 1, 2, 3])
        #expect(throws: ModelDescriptionError.self) { try flat.shaped(for: ConvolutionalNetwork.description(), imageShape: nil, dataName: "data.csv") }
        #expect(try flat.shaped(for: ConvolutionalNetwork.description(), imageShape: [1, 28, 28], dataName: "x").features.shape == [4, 1, 28, 28])
    }

    /// The buffers of a forward pass are counted before anything runs: the cnn preset's largest is
    /// its first convolution's output (its columns are one image's per thread), and a padding of
    /// 100 000 pixels asks far beyond the limit.
    @Test func buffersAreCheckedBeforeAnythingRuns() throws {
        let preset = ConvolutionalNetwork.description()
        #expect(try preset.largestBuffer(for: [128, 1, 28, 28]) == 128 * 32 * 28 * 28)
        let columns = try ModelDescription.sequential(layers: [
            .conv2d(inChannels: 64, outChannels: 1, kernelSize: [3, 3], stride: [1, 1], padding: .explicit([1, 1]),
                    dilation: [1, 1], groups: 1, bias: false),
        ]).largestBuffer(for: [4, 64, 10, 10])
        #expect(columns == Swift.min(Parallelism.threadCount, 4) * 2 * 64 * 9 * 10 * 10)
        try preset.checkMemory(batchSize: 128, exampleShape: [1, 28, 28], training: true, source: "the cnn preset")
        let padded = ModelDescription.sequential(layers: [
            .conv2d(inChannels: 1, outChannels: 1, kernelSize: [1, 1], stride: [1, 1], padding: .explicit([100_000, 100_000]),
                    dilation: [1, 1], groups: 1, bias: false),
        ])
        #expect {
            try padded.checkMemory(batchSize: 128, exampleShape: [1, 28, 28], training: false, source: "model.json")
        } throws: { error in
            "\(error)".hasPrefix("model.json: evaluating a batch of 128 needs") && "\(error)".contains("at layer 0")
                && "\(error)".contains("(InputLimits.maximumBytes)")
        }
    }

    @Test func augmentationIsSeededAndMovesPixels() throws {
        // One bright pixel per image: a shift moves it by (dy, dx) (reading y + dy, x + dx), a flip mirrors it.
        var pixels = [Float](repeating: 0, count: 200 * 36)
        for i in 0..<200 { pixels[i * 36 + 2 * 6 + 3] = 1 }
        let data = Dataset(features: Tensor(pixels, shape: [200, 1, 6, 6]), labels: [Int](repeating: 0, count: 200))
        let augmentation = ImageAugmentation(maximumShift: 2, horizontalFlip: true)
        var loader = DataLoader(data, batchSize: 200, shuffle: false, augmentation: augmentation, seed: 5)
        let batch = loader.epoch()[0]
        let features = try batch.examples().features
        var positions = Set<[Int]>()
        for i in 0..<200 {
            let draw = batch.draws![i]
            let image = Array(features.scalars[(i * 36)..<(i * 36 + 36)])
            // Output (y, x) reads input (y + dy, x′ + dx) with x′ = 5 − x when flipped: the pixel at (2, 3)
            // lands where y + dy = 2 and x′ + dx = 3.
            let (ey, ex) = (2 - draw.dy, draw.flip ? 5 - (3 - draw.dx) : 3 - draw.dx)
            if (0..<6).contains(ey) && (0..<6).contains(ex) {
                #expect(image[ey * 6 + ex] == 1 && image.reduce(0, +) == 1, "draw \(draw)")
                positions.insert([ey, ex])
            } else {
                #expect(image.reduce(0, +) == 0, "draw \(draw)")
            }
            #expect((-2...2).contains(draw.dy) && (-2...2).contains(draw.dx))
        }
        #expect(positions.count > 15)
        // Seeded: a second loader with the same seed makes the same batch; another seed does not.
        var again = DataLoader(data, batchSize: 200, shuffle: false, augmentation: augmentation, seed: 5)
        #expect(try again.epoch()[0].examples().features.scalars == features.scalars)
        var other = DataLoader(data, batchSize: 200, shuffle: false, augmentation: augmentation, seed: 6)
        #expect(try other.epoch()[0].examples().features.scalars != features.scalars)
    }
}
