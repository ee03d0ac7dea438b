import Foundation
import Testing
@testable import EasyNets

/// Scaled dot-product attention, `MultiheadAttention` and `TransformerEncoderLayer` against
/// PyTorch in Double (`scripts/fixtures/make_attention_fixture.py`): outputs and the gradients of
/// every input and parameter, with causal, additive and key-padding masks, batch-first and batch 1.
@Suite("Attention") struct AttentionTests {
    struct Case: Decodable {
        let inputs: [EncodedTensor]
        let outputs: [EncodedTensor]
        let upstream: [EncodedTensor]
        let input_gradients: [EncodedTensor]
        let parameters: [String: EncodedTensor]
        let parameter_gradients: [String: EncodedTensor]
        let mask: EncodedTensor?, attention_mask: EncodedTensor?, key_padding_mask: EncodedTensor?
        let causal: Bool?, batch_first: Bool?, self_attention: Bool?, norm_first: Bool?, activation: String?
    }

    struct Fixture: Decodable { let cases: [String: Case] }

    let fixture: Fixture
    init() throws { fixture = try loadFixture("attention.json", as: Fixture.self) }

    /// Loads the case's parameters into `layer`, runs `body` on its inputs, and compares outputs
    /// and gradients with PyTorch's.
    func check(_ name: String, layer: (any Layer<Double>)? = nil, _ body: (Case, [Tensor<Double>]) -> [Tensor<Double>]) throws {
        let c = try #require(fixture.cases[name])
        if let layer {
            let named = Dictionary(uniqueKeysWithValues: layer.namedParameters.map { ($0.name, $0.parameter) })
            #expect(Set(named.keys) == Set(c.parameters.keys), "\(name): parameter names")
            for (key, value) in c.parameters { named[key]?.assign(value.tensor) }
        }
        let inputs = c.inputs.map { encoded -> Tensor<Double> in
            var input = encoded.tensor
            input.requiresGradient = true
            return input
        }
        let outputs = body(c, inputs)
        #expect(outputs.count == c.outputs.count)
        for (index, (actual, expected)) in zip(outputs, c.outputs).enumerated() {
            expectClose(actual.detached, expected.tensor, tolerance: 1e-10, "\(name) output \(index)")
        }
        zip(outputs, c.upstream).map { ($0 * $1.tensor).sum() }.reduce(Tensor<Double>(0)) { $0 + $1 }.backward()
        for (input, expected) in zip(inputs, c.input_gradients) {
            expectClose(input.gradient!, expected.tensor, tolerance: 1e-10, "\(name) input gradient")
        }
        for (key, parameter) in layer?.namedParameters ?? [] {
            expectClose(parameter.gradient!, c.parameter_gradients[key]!.tensor, tolerance: 1e-10, "\(name) \(key) gradient")
        }
    }

    @Test func scaledDotProductAttentionMatchesPyTorch() throws {
        try check("sdpa_mask") { c, x in [scaledDotProductAttention(query: x[0], key: x[1], value: x[2], mask: c.mask!.tensor)] }
        try check("sdpa_causal") { _, x in [scaledDotProductAttention(query: x[0], key: x[1], value: x[2], isCausal: true)] }
    }

    @Test(arguments: ["mha_cross", "mha_self_masks_batch_first", "mha_batch_1"])
    func multiheadAttentionMatchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        var generator = RandomGenerator(seed: 1)
        let attention = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, batchFirst: c.batch_first!, using: &generator)
        try check(name, layer: attention) { c, x in
            let (query, key, value) = c.self_attention! ? (x[0], x[0], x[0]) : (x[0], x[1], x[2])
            let result = attention.attend(query: query, key: key, value: value, keyPaddingMask: c.key_padding_mask.map { .boolean($0.tensor) },
                                          attentionMask: c.attention_mask.map { .additive($0.tensor) })
            return [result.output, result.weights!]
        }
    }

    @Test(arguments: ["encoder_post_norm_relu", "encoder_pre_norm_gelu_batch_first_causal"])
    func transformerEncoderLayerMatchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        var generator = RandomGenerator(seed: 1)
        // The causal case's block is built causal and called as a layer, without the fixture's
        // explicit −∞ mask above the diagonal (PyTorch's src_mask): the flag must mask alone.
        let causal = name.hasSuffix("_causal")
        let block = TransformerEncoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0,
                                                    activation: TransformerActivation(rawValue: c.activation!)!,
                                                    batchFirst: c.batch_first!, normFirst: c.norm_first!, causal: causal, using: &generator)
        try check(name, layer: block) { c, x in
            [causal ? block(x[0]) : block.encode(x[0], mask: c.attention_mask.map { .additive($0.tensor) },
                                                       keyPaddingMask: c.key_padding_mask.map { .boolean($0.tensor) })]
        }
    }

    /// The causal flag equals an explicit −∞ mask above the diagonal, and gradients match finite differences.
    @Test func causalMaskAndGradients() {
        let (q, k, v) = (randomTensor([2, 4, 3], seed: 1), randomTensor([2, 4, 3], seed: 2), randomTensor([2, 4, 5], seed: 3))
        let above = Tensor<Double>((0..<4).flatMap { i in (0..<4).map { j in j > i ? -Double.infinity : 0 } }, shape: [4, 4])
        #expect(scaledDotProductAttention(query: q, key: k, value: v, isCausal: true).scalars
                == scaledDotProductAttention(query: q, key: k, value: v, mask: above).scalars)
        expectGradientsMatch([q, k, v]) { scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true) }
        var generator = RandomGenerator(seed: 4)
        let block = TransformerEncoderLayer<Double>(modelSize: 4, headCount: 2, feedForwardSize: 6, dropout: 0, activation: .gelu,
                                                    batchFirst: true, normFirst: true, using: &generator)
        expectGradientsMatch([randomTensor([2, 3, 4], seed: 5)]) { block.encode($0[0], isCausal: true) }
    }

    /// The sinusoidal code from its definition; the learned one adds its table's first rows.
    @Test func positionalEncodings() {
        let encoding = SinusoidalPositionalEncoding<Double>(dimension: 6)
        let code = encoding.code(length: 5)
        for position in 0..<5 {
            for i in 0..<3 {
                let angle = Double(position) / Foundation.pow(10000, Double(2 * i) / 6)
                expectClose(code.scalars[position * 6 + 2 * i], Foundation.sin(angle), tolerance: 1e-15)
                expectClose(code.scalars[position * 6 + 2 * i + 1], Foundation.cos(angle), tolerance: 1e-15)
            }
        }
        let x = randomTensor([2, 5, 6], seed: 6)
        expectClose(encoding(x), x + code, tolerance: 0)
        var generator = RandomGenerator(seed: 7)
        let learned = LearnedPositionalEmbedding<Double>(maximumLength: 8, dimension: 6, batchFirst: false, using: &generator)
        let sequenceFirst = randomTensor([5, 2, 6], seed: 8)
        expectClose(learned(sequenceFirst), sequenceFirst + learned.weight.value.sliced(along: 0, 0..<5).unsqueezed(axis: 1), tolerance: 0)
        expectGradientsMatch([sequenceFirst]) { learned($0[0]) * $0[0] }
    }
}
