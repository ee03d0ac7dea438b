import Foundation
import Testing
@testable import EasyNets

/// Rotary position embeddings against PyTorch in Double (`scripts/fixtures/make_rope_fixture.py`,
/// torchtune's interleaved convention): the rotation alone with an offset and another base, and
/// `MultiheadAttention` / `TransformerEncoderLayer` with a rotary base, outputs and the gradients
/// of every input and parameter to 1e-10; finite differences; Float; the relative-position property.
@Suite("Rotary embeddings")
struct RotaryEmbeddingTests {
    struct Case: Decodable {
        let inputs: [EncodedTensor]
        let outputs: [EncodedTensor]
        let upstream: [EncodedTensor]
        let input_gradients: [EncodedTensor]
        let parameters: [String: EncodedTensor]
        let parameter_gradients: [String: EncodedTensor]
        let base: Double
        let offset: Int?, causal: Bool?
    }

    struct Fixture: Decodable { let cases: [String: Case] }

    let fixture: Fixture
    init() throws { fixture = try loadFixture("rope.json", as: Fixture.self) }

    /// Loads the case's parameters into `layer`, runs `body` on its input, and compares the output
    /// and the gradients with PyTorch's.
    func check(_ name: String, layer: (any Layer<Double>)? = nil, _ body: (Case, Tensor<Double>) -> Tensor<Double>) throws {
        let c = try #require(fixture.cases[name])
        if let layer {
            let named = Dictionary(uniqueKeysWithValues: layer.namedParameters.map { ($0.name, $0.parameter) })
            #expect(Set(named.keys) == Set(c.parameters.keys), "\(name): parameter names")
            for (key, value) in c.parameters { named[key]?.assign(value.tensor) }
        }
        let input = c.inputs[0].leaf
        let output = body(c, input)
        expectClose(output.detached, c.outputs[0].tensor, tolerance: 1e-10, "\(name) output")
        (output * c.upstream[0].tensor).sum().backward()
        expectClose(input.gradient!, c.input_gradients[0].tensor, tolerance: 1e-10, "\(name) input gradient")
        for (key, parameter) in layer?.namedParameters ?? [] {
            expectClose(parameter.gradient!, c.parameter_gradients[key]!.tensor, tolerance: 1e-10, "\(name) \(key) gradient")
        }
    }

    @Test(arguments: ["rope", "rope_offset_base"])
    func theRotationMatchesPyTorch(_ name: String) throws {
        try check(name) { c, x in RotaryEmbedding(dimension: x.shape.last!, base: c.base)(x, offset: c.offset!) }
    }

    @Test func attentionWithARotaryBaseMatchesPyTorch() throws {
        var generator = RandomGenerator(seed: 1)
        let attention = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, batchFirst: true, rotaryBase: 500, using: &generator)
        #expect(attention.rotaryEmbedding == RotaryEmbedding(dimension: 4, base: 500))
        try check("mha_rotary_causal", layer: attention) { c, x in
            attention.attend(query: x, key: x, value: x, isCausal: c.causal!).output
        }
    }

    @Test(arguments: ["encoder_rotary_pre_norm_gelu_causal", "encoder_rotary_post_norm_relu"])
    func blocksWithARotaryBaseMatchPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        var generator = RandomGenerator(seed: 1)
        let preNorm = name.contains("pre_norm")
        let block = TransformerEncoderLayer<Double>(modelSize: 8, headCount: preNorm ? 2 : 4, feedForwardSize: 16, dropout: 0,
                                                    activation: preNorm ? .gelu : .relu, batchFirst: true, normFirst: preNorm,
                                                    causal: c.causal!, rotaryBase: c.base, using: &generator)
        try check(name, layer: block) { _, x in block(x) }
    }

    /// Central differences through the rotation, and through attention with it.
    @Test func gradientsMatchFiniteDifferences() {
        let rotary = RotaryEmbedding(dimension: 6, base: 100)
        let weights = randomTensor([2, 4, 6], seed: 2)
        expectGradientsMatch([randomTensor([2, 4, 6], seed: 1)]) { (rotary($0[0], offset: 3) * weights).sum() }
        var generator = RandomGenerator(seed: 3)
        let attention = MultiheadAttention<Double>(embeddingSize: 4, headCount: 2, batchFirst: true, rotaryBase: 10000, using: &generator)
        let outputWeights = randomTensor([2, 3, 4], seed: 5)
        expectGradientsMatch([randomTensor([2, 3, 4], seed: 4)]) { x in
            (attention.attend(query: x[0], key: x[0], value: x[0], isCausal: true).output * outputWeights).sum()
        }
    }

    /// Rotated queries and keys score by their distance alone; position 0 is left as it is; a
    /// rotation keeps each pair's length; Float agrees with Double.
    @Test func scoresDependOnTheDistanceOnly() {
        let rotary = RotaryEmbedding(dimension: 8)
        let (q, k) = (randomTensor([1, 8], seed: 6), randomTensor([1, 8], seed: 7))
        func score(_ p: Int, _ s: Int) -> Double { (rotary(q, offset: p) * rotary(k, offset: s)).sum().scalar }
        expectClose(score(5, 2), score(13, 10), tolerance: 1e-12)
        expectClose(score(2, 5), score(102, 105), tolerance: 1e-12)
        #expect(abs(score(5, 2) - score(2, 5)) > 1e-3, "the direction of the distance matters")
        #expect(rotary(q).scalars == q.scalars)
        let turned = rotary(q, offset: 9).scalars
        for i in stride(from: 0, to: 8, by: 2) {
            expectClose(turned[i] * turned[i] + turned[i + 1] * turned[i + 1], q.scalars[i] * q.scalars[i] + q.scalars[i + 1] * q.scalars[i + 1],
                        tolerance: 1e-14)
        }
        let x = randomTensor([3, 5, 8], seed: 8)
        expectClose(rotary(Tensor<Float>(x.scalars.map(Float.init), shape: x.shape), offset: 4).scalars.map(Double.init),
                    rotary(x, offset: 4).scalars, tolerance: 1e-6)
    }

    /// The option is part of the layers' descriptions (absent from the JSON when off) and obeys their rules.
    @Test func theRotaryBaseIsDescribed() throws {
        let block = ModelDescription.transformerEncoderLayer(modelSize: 8, headCount: 2, feedForwardSize: 16, batchFirst: true,
                                                             causal: true, rotaryBase: 10000)
        let attention = ModelDescription.multiheadAttention(embeddingSize: 8, headCount: 4, batchFirst: true, rotaryBase: 20)
        for description in [block, attention] {
            let json = try description.jsonString()
            #expect(json.contains("\"rotaryBase\""), "\(json)")
            #expect(try ModelDescription(json: Array(json.utf8), source: "test") == description)
            let layer = try Sequential<Float>(.sequential(layers: [description]))
            #expect(try layer.describe() == .sequential(layers: [description]))
        }
        #expect(try !ModelDescription.multiheadAttention(embeddingSize: 8, headCount: 4).jsonString().contains("rotary"))
        let built = try Sequential<Double>(.sequential(layers: [block]))
        #expect((built.layers[0] as? TransformerEncoderLayer<Double>)?.selfAttention.rotaryEmbedding == RotaryEmbedding(dimension: 4))
        let bad: [ModelDescription] = [
            .multiheadAttention(embeddingSize: 6, headCount: 2, rotaryBase: 10000),  // head size 3
            .multiheadAttention(embeddingSize: 8, headCount: 2, rotaryBase: 0),
            .transformerEncoderLayer(modelSize: 8, headCount: 8, rotaryBase: 10000),  // head size 1
            .transformerEncoderLayer(modelSize: 8, headCount: 2, rotaryBase: .infinity),
        ]
        for description in bad {
            let problem = ModelDescription.sequential(layers: [description]).problem()
            #expect(problem?.contains("RotaryEmbedding needs an even head size") == true, "\(problem ?? "no problem")")
        }
    }
}
