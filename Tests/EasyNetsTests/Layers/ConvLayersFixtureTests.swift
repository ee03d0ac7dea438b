import Testing
@testable import EasyNets

/// Tests/Fixtures/conv_layers.json (scripts/fixtures/make_conv_layers_fixture.py).
private struct ConvLayersFixture: Decodable {
    struct Case: Decodable {
        let layer: String
        // Convolutions and transposed convolutions: per-axis options as lists (one value in 1-D).
        let in_channels: Int?
        let out_channels: Int?
        let kernel_size: [Int]?
        let stride: [Int]?
        let padding: [Int]?
        let padding_string: String?
        let padding_mode: String?
        let output_padding: [Int]?
        let output_size: [Int]?
        let dilation: [Int]?
        let groups: Int?
        let has_bias: Bool?
        // Upsample.
        let size: [Int]?
        let scale_factor: [Double]?
        let mode: String?
        let align_corners: Bool?
        // Tensors.
        let input: EncodedTensor
        let output: EncodedTensor
        let upstream: EncodedTensor
        let input_gradient: EncodedTensor
        let weight: EncodedTensor?
        let weight_gradient: EncodedTensor?
        let bias: EncodedTensor?
        let bias_gradient: EncodedTensor?
    }
    let cases: [Case]
}

extension ConvLayersFixture.Case {
    var convolutionPadding: ConvolutionPadding {
        switch padding_string {
        case "same": return .same
        case "valid": return .valid
        default: return .explicit(padding ?? [])
        }
    }

    var interpolationMode: InterpolationMode {
        InterpolationMode.allCases.first { $0.name == mode }!
    }

    /// The EasyNets layer with the case's options (weights replaced by the fixture's afterwards).
    func makeLayer() throws -> any Layer<Double> {
        let (cin, cout, k, s, d, g, b) = (in_channels ?? 0, out_channels ?? 0, kernel_size ?? [], stride ?? [], dilation ?? [],
                                          groups ?? 1, has_bias ?? true)
        switch layer {
        case "convTranspose2d":
            return ConvTranspose2d<Double>(cin, cout, kernelSize: k, stride: s, padding: padding!, outputPadding: output_padding!,
                                           dilation: d, groups: g, bias: b)
        case "convTranspose1d":
            return ConvTranspose1d<Double>(cin, cout, kernelSize: k[0], stride: s[0], padding: padding![0],
                                           outputPadding: output_padding![0], dilation: d[0], groups: g, bias: b)
        case "conv2d":
            let mode = try #require(ConvolutionPaddingMode(rawValue: padding_mode ?? ""))
            return Conv2d<Double>(cin, cout, kernelSize: k, stride: s, padding: convolutionPadding, paddingMode: mode, dilation: d, groups: g,
                                  bias: b)
        case "conv1d":
            let mode = try #require(ConvolutionPaddingMode(rawValue: padding_mode ?? ""))
            return Conv1d<Double>(cin, cout, kernelSize: k[0], stride: s[0], padding: convolutionPadding, paddingMode: mode, dilation: d[0],
                                  groups: g, bias: b)
        default:
            if let size { return Upsample<Double>(size: size, mode: interpolationMode, alignCorners: align_corners ?? false) }
            return Upsample<Double>(scaleFactors: try #require(scale_factor), mode: interpolationMode, alignCorners: align_corners ?? false)
        }
    }

    /// The layer's output, through `outputSize:` when the case gives PyTorch's `output_size`.
    func apply(_ layer: any Layer<Double>, to x: Tensor<Double>) -> Tensor<Double> {
        switch (layer, output_size) {
        case (let layer as ConvTranspose2d<Double>, let size?): return layer(x, outputSize: size)
        case (let layer as ConvTranspose1d<Double>, let size?): return layer(x, outputSize: size)
        default: return layer(x)
        }
    }
}

@Suite("Transposed convolutions, padding modes and upsampling against PyTorch")
struct ConvLayersFixtureTests {
    /// Every case: the output and the gradients of sum(output · u) for the input and every
    /// parameter (by PyTorch's name) match PyTorch in Double to 1e-10.
    @Test func everyCaseMatchesPyTorch() throws {
        let fixture = try loadFixture("conv_layers.json", as: ConvLayersFixture.self)
        #expect(fixture.cases.count == 36)
        var layersSeen: Set<String> = [], modesSeen: Set<String> = []
        for c in fixture.cases {
            let label = "\(c.layer), input \(c.input.shape), kernel \(c.kernel_size ?? []), stride \(c.stride ?? []), "
                + "padding \(c.padding_string ?? "\(c.padding ?? [])") \(c.padding_mode ?? ""), outputPadding \(c.output_padding ?? []), "
                + "dilation \(c.dilation ?? []), groups \(c.groups ?? 1), size \(c.size ?? []), scale \(c.scale_factor ?? []), "
                + "mode \(c.mode ?? "")"
            layersSeen.insert(c.layer)
            if let mode = c.padding_mode { modesSeen.insert(mode) }
            let layer = try c.makeLayer()
            let named = Dictionary(uniqueKeysWithValues: layer.namedParameters.map { ($0.name, $0.parameter) })
            #expect(Set(named.keys) == Set((c.weight == nil ? [] : ["weight"]) + (c.bias == nil ? [] : ["bias"])), "\(label)")
            if let weight = c.weight { named["weight"]!.value = weight.tensor }
            if let bias = c.bias { named["bias"]!.value = bias.tensor }
            let x = c.input.leaf
            let y = c.apply(layer, to: x)
            #expect(y.shape == c.output.shape, "\(label)")
            expectClose(y, c.output.tensor, tolerance: 1e-10, "output, \(label)")
            (y * c.upstream.tensor).sum().backward()
            expectClose(try #require(x.gradient), c.input_gradient.tensor, tolerance: 1e-10, "dX, \(label)")
            if let weightGradient = c.weight_gradient {
                expectClose(try #require(named["weight"]?.gradient), weightGradient.tensor, tolerance: 1e-10, "dW, \(label)")
            }
            if let biasGradient = c.bias_gradient {
                expectClose(try #require(named["bias"]?.gradient), biasGradient.tensor, tolerance: 1e-10, "db, \(label)")
            }
        }
        #expect(layersSeen == ["convTranspose2d", "convTranspose1d", "conv2d", "conv1d", "upsample"])
        #expect(modesSeen == Set(ConvolutionPaddingMode.allCases.map(\.rawValue)))
    }
}
