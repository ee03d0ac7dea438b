import Testing
@testable import EasyNets

@Suite("Upsampling and convolution padding modes")
struct UpsampleAndPaddingModeTests {
    /// Nearest by hand; every mode's gradients against central differences.
    @Test func upsampleValuesAndGradients() {
        let ramp = Tensor<Double>([1, 2, 3], shape: [1, 1, 3])
        #expect(Upsample<Double>(scaleFactor: 2)(ramp).scalars == [1, 1, 2, 2, 3, 3])
        #expect(Upsample<Double>(size: [5])(ramp).scalars == [1, 1, 2, 2, 3])  // ⌊o·3/5⌋
        // Linear with aligned corners: 3 → 5 puts the inputs at 0, 2, 4 and midpoints between.
        #expect(Upsample<Double>(size: [5], mode: .linear, alignCorners: true)(ramp).scalars == [1, 1.5, 2, 2.5, 3])
        let square = Tensor<Double>([1, 2, 3, 4], shape: [1, 1, 2, 2])
        #expect(Upsample<Double>(scaleFactors: [1, 2])(square).scalars == [1, 1, 2, 2, 3, 3, 4, 4])
        #expect(Upsample<Double>(size: [3], mode: .bilinear, alignCorners: true)(square).scalars == [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4])

        let images = randomTensor([2, 3, 4, 5], seed: 1) as Tensor<Double>, sequences = randomTensor([2, 3, 5], seed: 2) as Tensor<Double>
        let imageLayers: [() -> any Layer<Double>] = [
            { Upsample(scaleFactor: 2) }, { Upsample(size: [3, 7]) }, { Upsample(scaleFactors: [1.5, 0.8], mode: .bilinear) },
            { Upsample(size: [6], mode: .bilinear, alignCorners: true) }, { Upsample(scaleFactor: 0.5, mode: .bilinear) },
        ]
        for make in imageLayers { expectLayerGradientsMatch(images, make) }
        let sequenceLayers: [() -> any Layer<Double>] = [
            { Upsample(scaleFactor: 3) }, { Upsample(size: [8], mode: .linear) }, { Upsample(scaleFactor: 2.5, mode: .linear, alignCorners: true) },
        ]
        for make in sequenceLayers { expectLayerGradientsMatch(sequences, make) }
    }

    /// The layer: no parameters, a summary, and shapes from the description's inference.
    @Test func upsampleLayerAndDescription() throws {
        let layer = Upsample<Float>(scaleFactors: [2, 1.5], mode: .bilinear, alignCorners: true)
        #expect(layer.namedParameters.isEmpty && layer.parameterCount == 0)
        #expect(layer.summaryName == "Upsample(scale [2.0, 1.5], bilinear, align corners)")
        #expect(Upsample<Float>(size: [4, 6]).summaryName == "Upsample(size [4, 6], nearest)")
        #expect(layer(Tensor<Float>.ones([1, 2, 3, 5])).shape == [1, 2, 6, 7])
        // Float runs the same interpolation as Double.
        let x = randomTensor([2, 2, 3, 4], seed: 3) as Tensor<Double>
        let double = Upsample<Double>(scaleFactors: [2, 1.5], mode: .bilinear, alignCorners: true)(x)
        let single = layer(Tensor<Float>(x.scalars.map(Float.init), shape: x.shape))
        expectClose(asDouble(single), double, tolerance: 1e-6)

        let description = try #require(layer.layerDescription)
        let json = try description.jsonString()
        #expect(json == #"{"upsample":{"alignCorners":true,"mode":"bilinear","scaleFactor":[2,1.5]}}"#)
        #expect(try ModelDescription(json: Array(json.utf8), source: "upsample.json") == description)
        #expect(try description.outputShape(for: [7, 2, 3, 5]) == [7, 2, 6, 7])
        #expect(try ModelDescription.upsample(size: [9]).outputShape(for: [7, 2, 3]) == [7, 2, 9])
        #expect(try ModelDescription.upsample(size: [9]).outputShape(for: [7, 2, 3, 4]) == [7, 2, 9, 9])
        for (model, shape, fragment) in [(ModelDescription.upsample(scaleFactor: [2], mode: .linear), [1, 2, 3, 4], "mode linear takes (N, C, L)"),
                                         (.upsample(scaleFactor: [2], mode: .bilinear), [1, 2, 3], "mode bilinear takes (N, C, H, W)"),
                                         (.upsample(size: [2, 3]), [1, 2, 3], "size [2, 3] for the input shape [1, 2, 3] needs 1 or 1"),
                                         (.upsample(scaleFactor: [0.2]), [1, 2, 3], "scaleFactor [0.2] makes an empty output [0]")] {
            #expect { try model.outputShape(for: shape) } throws: { "\($0)".contains("Upsample's \(fragment)") }
        }
        #expect(throws: (any Error).self) {
            try ModelDescription(json: Array(#"{"upsample":{"alignCorners":false,"mode":"bicubic","size":[2]}}"#.utf8), source: "u.json")
        }
    }

    /// The description's rules: exactly one of size and scale factor, counts for the mode, positive
    /// values, alignCorners only when interpolating.
    @Test func upsampleRules() {
        let problems: [(UpsampleDescription, String)] = [
            (UpsampleDescription(), "exactly one of size and scaleFactor"),
            (UpsampleDescription(size: [2], scaleFactor: [2]), "exactly one of size and scaleFactor"),
            (UpsampleDescription(size: [2, 2], mode: .linear), "size must be 1 to 1 value(s)"),
            (UpsampleDescription(size: [0]), "size must be 1 to 2 value(s) in 1..."),
            (UpsampleDescription(scaleFactor: [2, .nan]), "scaleFactor must be 1 to 2 value(s)"),
            (UpsampleDescription(scaleFactor: [-1], mode: .bilinear), "scaleFactor must be"),
            (UpsampleDescription(scaleFactor: [2], alignCorners: true), "alignCorners needs mode linear or bilinear"),
        ]
        for (description, fragment) in problems {
            #expect(description.problem()?.contains(fragment) == true, "\(description): \(description.problem() ?? "nil")")
        }
        #expect(UpsampleDescription(scaleFactor: [2, 3], mode: .bilinear, alignCorners: true).problem() == nil)
    }

    /// Every padding mode of Conv1d and Conv2d against central differences (the PyTorch values are
    /// in ConvLayersFixtureTests), and a reflect-padded convolution by hand.
    @Test func paddingModeGradients() {
        // [1, 2, 3] reflect-padded by 1 is [2, 1, 2, 3, 2]; a kernel [1, 10, 100] reads three at a time.
        let conv = Conv1d<Double>(1, 1, kernelSize: 3, padding: .explicit([1]), paddingMode: .reflect, bias: false)
        conv.weight.value = Tensor([1, 10, 100], shape: [1, 1, 3])
        let ramp = Tensor<Double>([1, 2, 3], shape: [1, 1, 3])
        #expect(conv(ramp).scalars == [212, 321, 232])  // 2 + 10 + 200, 1 + 20 + 300, 2 + 30 + 200
        let replicate = Conv1d<Double>(1, 1, kernelSize: 3, padding: .same, paddingMode: .replicate, bias: false)
        replicate.weight.value = Tensor([1, 10, 100], shape: [1, 1, 3])
        #expect(replicate(ramp).scalars == [211, 321, 332])  // [1, 1, 2, 3, 3]: 1 + 10 + 200, 1 + 20 + 300, 2 + 30 + 300

        let images = randomTensor([2, 2, 4, 5], seed: 4) as Tensor<Double>
        let sequences = randomTensor([2, 2, 6], seed: 5) as Tensor<Double>
        for mode in ConvolutionPaddingMode.allCases {
            expectLayerGradientsMatch(images) {
                var generator = RandomGenerator(seed: 6)
                return Conv2d<Double>(2, 4, kernelSize: [3, 2], stride: [2, 1], padding: .explicit([2, 1]), paddingMode: mode, dilation: [1, 2],
                                      groups: 2, using: &generator)
            }
            expectLayerGradientsMatch(images) {
                var generator = RandomGenerator(seed: 7)
                return Conv2d<Double>(2, 3, kernelSize: [3, 4], padding: .same, paddingMode: mode, using: &generator)
            }
            expectLayerGradientsMatch(sequences) {
                var generator = RandomGenerator(seed: 8)
                return Conv1d<Double>(2, 3, kernelSize: 3, stride: 2, padding: .explicit([3]), paddingMode: mode, using: &generator)
            }
        }
    }

    /// A padding mode survives JSON; zeros writes no key, so descriptions written before padding
    /// modes read and write the same bytes. Shape inference checks what reflect and circular allow.
    @Test func paddingModeDescriptions() throws {
        let zeros = ModelDescription.conv2d(inChannels: 1, outChannels: 2, kernelSize: [3, 3], padding: .explicit([1, 1]))
        #expect(!(try zeros.jsonString()).contains("paddingMode"))
        let old = #"{"conv1d":{"bias":true,"dilation":1,"groups":1,"inChannels":1,"kernelSize":3,"outChannels":2,"padding":{"same":{}},"stride":1}}"#
        let decoded = try ModelDescription(json: Array(old.utf8), source: "old.json")
        #expect(decoded.layer(as: Conv1dDescription.self)?.paddingMode == .zeros)
        #expect(try decoded.jsonString() == old)
        for mode in ConvolutionPaddingMode.allCases where mode != .zeros {
            let model = ModelDescription.sequential(layers: [
                .conv2d(inChannels: 1, outChannels: 2, kernelSize: [3, 3], padding: .same, paddingMode: mode),
                .conv1d(inChannels: 2, outChannels: 2, kernelSize: 2, padding: .explicit([1]), paddingMode: mode),
            ])
            let json = try model.jsonString()
            #expect(json.contains(#""paddingMode":"\#(mode.rawValue)""#), "\(json)")
            #expect(try ModelDescription(json: Array(json.utf8), source: "m.json") == model)
            let built = try Sequential<Double>(model, seed: 1)
            #expect(try built.describe() == model)
            #expect(built.layers[0].summaryName == "Conv2d(1 → 2, 3×3, padding same, \(mode.rawValue) padding)")
        }
        let reflect = ModelDescription.conv2d(inChannels: 1, outChannels: 1, kernelSize: [5, 1], padding: .explicit([2, 0]), paddingMode: .reflect)
        #expect(try reflect.outputShape(for: [1, 1, 3, 4]) == [1, 1, 3, 4])
        #expect { try reflect.outputShape(for: [1, 1, 2, 4]) } throws: {
            "\($0)".contains("Conv2d's reflect padding 2 must be below the input's extent 2")
        }
        let circular = ModelDescription.conv1d(inChannels: 1, outChannels: 1, kernelSize: 7, padding: .explicit([3]), paddingMode: .circular)
        #expect(try circular.outputShape(for: [1, 1, 3]) == [1, 1, 3])
        #expect { try circular.outputShape(for: [1, 1, 2]) } throws: {
            "\($0)".contains("Conv1d's circular padding 3 must be at most the input's extent 2")
        }
    }
}
