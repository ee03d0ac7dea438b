import Testing
@testable import EasyNets

/// Tests/Fixtures/norm_pool_layers.json (scripts/fixtures/make_norm_pool_fixture.py): PyTorch's
/// instance, batch and RMS normalization, 1-D and adaptive pooling and embedding options in float64.
struct NormPoolFixture: Decodable {
    /// One forward and backward pass of sum(output · upstream), gradients zeroed first.
    struct Step: Decodable {
        let input: EncodedTensor
        let upstream: EncodedTensor
        let output: EncodedTensor
        let input_gradient: EncodedTensor?
        let gradients: [String: EncodedTensor]
    }
    /// An instance or batch normalization: options, starting state, steps and the buffers after them.
    struct NormCase: Decodable {
        let dims: Int
        let features: Int
        let epsilon: Double
        let momentum: Double?
        let affine: Bool
        let track_running_stats: Bool
        let parameters: [String: EncodedTensor]
        let initial_buffers: [String: EncodedTensor]?
        let train_steps: [Step]
        let eval_steps: [Step]
        let buffers: [String: EncodedTensor]
    }
    struct RMSNormCase: Decodable {
        let normalized_shape: [Int]
        let epsilon: Double?
        let affine: Bool
        let parameters: [String: EncodedTensor]
        let train_steps: [Step]
        let eval_steps: [Step]
    }
    /// A size given as one number (1-D pooling) or a list (2-D pooling).
    struct Extent: Decodable {
        let values: [Int]
        init(from decoder: any Decoder) throws {
            let single = try decoder.singleValueContainer()
            if let list = try? single.decode([Int].self) { values = list } else { values = [try single.decode(Int.self)] }
        }
    }
    struct PoolOptions: Decodable {
        let kernel_size: Extent?
        let stride: Extent?
        let padding: Extent?
        let dilation: Extent?
        let ceil_mode: Bool?
        let count_include_pad: Bool?
        let output_size: Extent?
    }
    struct PoolCase: Decodable {
        let kind: String
        let options: PoolOptions
        let steps: [Step]
    }
    struct EmbeddingCase: Decodable {
        let count: Int
        let dimension: Int
        let padding_index: Int?
        let max_norm: Double?
        let norm_type: Double
        let parameters: [String: EncodedTensor]
        let train_steps: [Step]
        let weight_after: EncodedTensor
    }
    let instance_norm: [NormCase]
    let batch_norm: [NormCase]
    let rms_norm: [RMSNormCase]
    let pools: [PoolCase]
    let embedding: [EmbeddingCase]
    /// A torch.nn.Sequential of the new layers saved with safetensors (norm_pool_state.safetensors):
    /// its state-dict keys and its evaluation output on one input.
    struct StateCase: Decodable {
        let input: EncodedTensor
        let output: EncodedTensor
        let keys: [String]
    }
    let state: StateCase

    static func load() throws -> NormPoolFixture { try loadFixture("norm_pool_layers.json", as: NormPoolFixture.self) }
}

/// Runs `steps` through `layer` in its current mode: each output, the input gradient and every
/// parameter gradient of sum(output · upstream) match the fixture's to `tolerance`.
func expectSteps(
    _ steps: [NormPoolFixture.Step], through layer: any Layer<Double>, tolerance: Double = 1e-10, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    for (number, step) in steps.enumerated() {
        layer.zeroGradients()
        let x = step.input.leaf
        let y = layer(x)
        expectClose(y, step.output.tensor, tolerance: tolerance, "\(label), step \(number): output", sourceLocation: sourceLocation)
        (y * step.upstream.tensor).sum().backward()
        if let inputGradient = step.input_gradient {
            expectClose(try #require(x.gradient, sourceLocation: sourceLocation), inputGradient.tensor, tolerance: tolerance,
                        "\(label), step \(number): dX", sourceLocation: sourceLocation)
        }
        #expect(Set(layer.namedParameters.map(\.name)) == Set(step.gradients.keys), "\(label)", sourceLocation: sourceLocation)
        for (name, parameter) in layer.namedParameters {
            guard let expected = step.gradients[name] else { continue }
            expectClose(try #require(parameter.gradient, sourceLocation: sourceLocation), expected.tensor, tolerance: tolerance,
                        "\(label), step \(number): d\(name)", sourceLocation: sourceLocation)
        }
    }
}

/// Sets the layer's parameters to the fixture's, by PyTorch name.
func assignParameters(_ values: [String: EncodedTensor], to layer: any Layer<Double>,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(layer.namedParameters.map(\.name)) == Set(values.keys), sourceLocation: sourceLocation)
    for (name, parameter) in layer.namedParameters { if let value = values[name] { parameter.value = value.tensor } }
}
