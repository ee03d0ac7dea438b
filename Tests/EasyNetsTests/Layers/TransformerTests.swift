import Foundation
import Testing
@testable import EasyNets

/// `MultiheadAttention`'s options, `TransformerEncoderLayer`, `TransformerDecoderLayer`, the two
/// stacks and `Transformer` against PyTorch in Double (`scripts/fixtures/make_transformer_fixture.py`):
/// outputs and the gradients of every input and parameter, with boolean and additive masks of every
/// kind, pre- and post-norm, key and value sizes, per-head weights and unbatched inputs; and
/// gradients against central differences.
@Suite("Transformer layers") struct TransformerTests {
    struct Mask: Decodable {
        let kind: String
        let tensor: EncodedTensor
        var mask: AttentionMask<Double> { kind == "boolean" ? .boolean(tensor.tensor) : .additive(tensor.tensor) }
    }

    struct Options: Decodable {
        let kdim: Int?, vdim: Int?, bias: Bool?, add_bias_kv: Bool?, add_zero_attn: Bool?, batch_first: Bool
        let average_attn_weights: Bool?, need_weights: Bool?, is_causal: Bool?, self_attention: Bool?
        let norm_first: Bool?, activation: String?, tgt_is_causal: Bool?, norm: Bool?
    }

    struct Case: Decodable {
        let options: Options
        let masks: [String: Mask]
        let inputs: [EncodedTensor]
        let outputs: [EncodedTensor]
        let upstream: [EncodedTensor]
        let input_gradients: [EncodedTensor]
        let parameter_names: [String]
        let parameters: [String: EncodedTensor]
        let parameter_gradients: [String: EncodedTensor]

        func mask(_ name: String) -> AttentionMask<Double>? { masks[name]?.mask }
        var activation: TransformerActivation { TransformerActivation(rawValue: options.activation!)! }
    }

    struct Fixture: Decodable { let cases: [String: Case] }

    let fixture: Fixture
    init() throws { fixture = try loadFixture("transformer.json", as: Fixture.self) }

    /// Checks that `layer`'s parameters have PyTorch's names in PyTorch's order, loads the case's
    /// values, runs `body` on the inputs, and compares outputs and every gradient with PyTorch's.
    func check(_ name: String, layer: any Layer<Double>, _ body: (Case, [Tensor<Double>]) -> [Tensor<Double>]) throws {
        let c = try #require(fixture.cases[name])
        #expect(layer.namedParameters.map(\.name) == c.parameter_names, "\(name): parameter names")
        for (key, parameter) in layer.namedParameters { parameter.assign(try #require(c.parameters[key]).tensor) }
        let inputs = c.inputs.map(\.leaf)
        let outputs = body(c, inputs)
        #expect(outputs.count == c.outputs.count, "\(name): output count")
        for (index, (actual, expected)) in zip(outputs, c.outputs).enumerated() {
            expectClose(actual.detached, expected.tensor, tolerance: 1e-10, "\(name) output \(index)")
        }
        zip(outputs, c.upstream).map { ($0 * $1.tensor).sum() }.reduce(Tensor<Double>(0)) { $0 + $1 }.backward()
        for (index, (input, expected)) in zip(inputs, c.input_gradients).enumerated() {
            expectClose(input.gradient!, expected.tensor, tolerance: 1e-10, "\(name) input \(index) gradient")
        }
        for (key, parameter) in layer.namedParameters {
            expectClose(parameter.gradient!, try #require(c.parameter_gradients[key]).tensor, tolerance: 1e-10, "\(name) \(key) gradient")
        }
    }

    // MARK: Against PyTorch

    @Test(arguments: ["mha_kdim_vdim_per_head_boolean_masks", "mha_bias_kv_zero_attn_batch_first_additive", "mha_no_bias_causal_self",
                      "mha_unbatched_per_head", "mha_unbatched_averaged_bias_kv", "mha_no_weights_kdim_batch_first"])
    func multiheadAttentionMatchesPyTorch(_ name: String) throws {
        let o = try #require(fixture.cases[name]).options
        var generator = RandomGenerator(seed: 1)
        let attention = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, bias: o.bias!, addKeyValueBias: o.add_bias_kv!,
                                                   addZeroAttention: o.add_zero_attn!, keySize: o.kdim, valueSize: o.vdim,
                                                   batchFirst: o.batch_first, using: &generator)
        try check(name, layer: attention) { c, x in
            let (query, key, value) = o.self_attention! ? (x[0], x[0], x[0]) : (x[0], x[1], x[2])
            let result = attention.attend(query: query, key: key, value: value, keyPaddingMask: c.mask("key_padding_mask"),
                                          needWeights: o.need_weights!, attentionMask: c.mask("attn_mask"),
                                          averageAttentionWeights: o.average_attn_weights!, isCausal: o.is_causal!)
            #expect((result.weights != nil) == o.need_weights!)
            return [result.output] + (result.weights.map { [$0] } ?? [])
        }
    }

    @Test(arguments: ["encoder_layer_unbatched", "encoder_layer_boolean_masks_pre_norm", "encoder_layer_causal_flag"])
    func encoderLayerMatchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        var generator = RandomGenerator(seed: 2)
        let block = TransformerEncoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, activation: c.activation,
                                                    batchFirst: c.options.batch_first, normFirst: c.options.norm_first!, using: &generator)
        try check(name, layer: block) { c, x in
            [block.encode(x[0], mask: c.mask("src_mask"), keyPaddingMask: c.mask("src_key_padding_mask"), isCausal: c.options.is_causal!)]
        }
    }

    @Test(arguments: ["decoder_layer_post_norm_relu", "decoder_layer_pre_norm_gelu_batch_first_causal", "decoder_layer_unbatched"])
    func decoderLayerMatchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        var generator = RandomGenerator(seed: 3)
        let block = TransformerDecoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, activation: c.activation,
                                                    batchFirst: c.options.batch_first, normFirst: c.options.norm_first!, using: &generator)
        try check(name, layer: block) { c, x in
            [block.decode(x[0], memory: x[1], targetMask: c.mask("tgt_mask"), memoryMask: c.mask("memory_mask"),
                          targetKeyPaddingMask: c.mask("tgt_key_padding_mask"), memoryKeyPaddingMask: c.mask("memory_key_padding_mask"),
                          targetIsCausal: c.options.tgt_is_causal!)]
        }
    }

    @Test func stacksMatchPyTorch() throws {
        var generator = RandomGenerator(seed: 4)
        let e = try #require(fixture.cases["encoder_stack_norm_batch_first"]).options
        let encoder = TransformerEncoder<Double>((0..<2).map { _ in
            TransformerEncoderLayer(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, batchFirst: e.batch_first,
                                    normFirst: e.norm_first!, using: &generator)
        }, norm: e.norm!)
        try check("encoder_stack_norm_batch_first", layer: encoder) { c, x in
            [encoder.encode(x[0], mask: c.mask("mask"), keyPaddingMask: c.mask("src_key_padding_mask"))]
        }
        let d = try #require(fixture.cases["decoder_stack_pre_norm"]).options
        let decoder = TransformerDecoder<Double>((0..<2).map { _ in
            TransformerDecoderLayer(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, batchFirst: d.batch_first,
                                    normFirst: d.norm_first!, using: &generator)
        }, norm: d.norm!)
        try check("decoder_stack_pre_norm", layer: decoder) { c, x in
            [decoder.decode(x[0], memory: x[1], targetMask: c.mask("tgt_mask"), memoryKeyPaddingMask: c.mask("memory_key_padding_mask"))]
        }
    }

    /// A Transformer of 8 features, 2 heads, 2 encoder and 2 decoder blocks and a feed-forward width of 16.
    func transformer(_ o: Options, activation: TransformerActivation) -> Transformer<Double> {
        var generator = RandomGenerator(seed: 5)
        return Transformer(modelSize: 8, headCount: 2, encoderLayerCount: 2, decoderLayerCount: 2, feedForwardSize: 16, dropout: 0,
                           activation: activation, batchFirst: o.batch_first, normFirst: o.norm_first!, using: &generator)
    }

    @Test(arguments: ["transformer_post_norm", "transformer_pre_norm_gelu_batch_first", "transformer_unbatched"])
    func transformerMatchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        let model = transformer(c.options, activation: c.activation)
        try check(name, layer: model) { c, x in
            [model(source: x[0], target: x[1], sourceMask: c.mask("src_mask"), targetMask: c.mask("tgt_mask"), memoryMask: c.mask("memory_mask"),
                   sourceKeyPaddingMask: c.mask("src_key_padding_mask"), targetKeyPaddingMask: c.mask("tgt_key_padding_mask"),
                   memoryKeyPaddingMask: c.mask("memory_key_padding_mask"))]
        }
    }

    /// The state dict PyTorch saved with safetensors loads strictly and gives PyTorch's output.
    @Test func pyTorchStateDictLoads() throws {
        let c = try #require(fixture.cases["transformer_post_norm"])
        let model = transformer(c.options, activation: .relu)
        try model.loadState(fromFile: fixturePath("transformer_state.safetensors"))
        let output = model(source: c.inputs[0].tensor, target: c.inputs[1].tensor, sourceMask: c.mask("src_mask"),
                           targetMask: c.mask("tgt_mask"), memoryMask: c.mask("memory_mask"),
                           sourceKeyPaddingMask: c.mask("src_key_padding_mask"), targetKeyPaddingMask: c.mask("tgt_key_padding_mask"),
                           memoryKeyPaddingMask: c.mask("memory_key_padding_mask"))
        expectClose(output, c.outputs[0].tensor, tolerance: 1e-10)
    }

    // MARK: Equivalences

    /// A boolean mask equals its additive form; the causal flag equals the causal mask; the weights
    /// need not be computed; an unbatched call equals a batch of one.
    @Test func maskFormsAndUnbatchedInputsAgree() {
        var generator = RandomGenerator(seed: 6)
        let attention = MultiheadAttention<Double>(embeddingSize: 4, headCount: 2, addZeroAttention: true, keySize: 3, using: &generator)
        let (q, k, v) = (randomTensor([5, 2, 4], seed: 7), randomTensor([6, 2, 3], seed: 8), randomTensor([6, 2, 4], seed: 9))
        let blocked = Tensor<Double>((0..<30).map { $0 % 4 == 1 ? 1 : 0 }, shape: [5, 6])
        let boolean = attention.attend(query: q, key: k, value: v, attentionMask: .boolean(blocked))
        let additive = attention.attend(query: q, key: k, value: v, attentionMask: .additive(blocked * -1e300 * 1e300))
        #expect(boolean.output.scalars == additive.output.scalars && boolean.weights!.scalars == additive.weights!.scalars)
        #expect(attention.attend(query: q, key: k, value: v, needWeights: false, attentionMask: .boolean(blocked)).weights == nil)

        let causal = attention.attend(query: q, key: k, value: v, isCausal: true)
        let future = Tensor<Double>((0..<5).flatMap { i in (0..<6).map { j in j > i ? 1 : 0 } }, shape: [5, 6])
        #expect(causal.output.scalars == attention.attend(query: q, key: k, value: v, attentionMask: .boolean(future)).output.scalars)

        let first = { (x: Tensor<Double>) in x.sliced(along: 1, 0..<1).squeezed(axis: 1) }
        let single = attention.attend(query: first(q), key: first(k), value: first(v), averageAttentionWeights: false)
        let batch = attention.attend(query: q.sliced(along: 1, 0..<1), key: k.sliced(along: 1, 0..<1), value: v.sliced(along: 1, 0..<1),
                                     averageAttentionWeights: false)
        #expect(single.output.shape == [5, 4] && single.weights!.shape == [2, 5, 7])
        expectClose(single.output, first(batch.output), tolerance: 1e-14)
        expectClose(single.weights!, batch.weights!.squeezed(axis: 0), tolerance: 1e-14)
    }

    /// Dropout acts in training only: setting the Transformer's mode reaches every block and
    /// attention, and in evaluation it equals the same weights without dropout.
    @Test func dropoutFollowsTheTrainingMode() {
        func make(dropout: Double) -> Transformer<Double> {
            var generator = RandomGenerator(seed: 23)
            return Transformer(modelSize: 4, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 2, feedForwardSize: 6,
                               dropout: dropout, batchFirst: true, using: &generator)
        }
        let (dropped, plain) = (make(dropout: 0.5), make(dropout: 0))
        let (source, target) = (randomTensor([2, 5, 4], seed: 24), randomTensor([2, 3, 4], seed: 25))
        #expect(dropped(source: source, target: target).scalars != plain(source: source, target: target).scalars)
        dropped.isTraining = false
        #expect(dropped.decoder.layers[1].crossAttention.isTraining == false && dropped.encoder.layers[0].selfAttention.isTraining == false)
        #expect(dropped(source: source, target: target).scalars == plain(source: source, target: target).scalars)
    }

    // MARK: Finite differences

    /// Attention with every option, per-head weights included, for inputs and parameters.
    @Test func attentionGradientsMatchFiniteDifferences() {
        let (q, k, v) = (randomTensor([3, 2, 4], seed: 10), randomTensor([4, 2, 3], seed: 11), randomTensor([4, 2, 5], seed: 12))
        let padding = AttentionMask<Double>.boolean(Tensor([0, 0, 0, 1, 0, 1, 0, 0], shape: [2, 4]))
        let mask = AttentionMask<Double>.additive(randomTensor([3, 4], seed: 13))
        expectMultiInputGradientsMatch([q, k, v]) {
            var generator = RandomGenerator(seed: 14)
            return MultiheadAttention<Double>(embeddingSize: 4, headCount: 2, addKeyValueBias: true, addZeroAttention: true, keySize: 3,
                                              valueSize: 5, using: &generator)
        } run: { layer, x in
            let result = (layer as! MultiheadAttention<Double>).attend(query: x[0], key: x[1], value: x[2], keyPaddingMask: padding,
                                                                       attentionMask: mask, averageAttentionWeights: false)
            return result.output.sum(alongAxes: [0]) + result.weights!.sum(alongAxes: [1, 2, 3]).unsqueezed(axis: 1)
        }
    }

    /// A pre-norm decoder block, batched, and a whole pre-norm Transformer, unbatched (post-norm
    /// blocks are checked against PyTorch above).
    @Test func transformerGradientsMatchFiniteDifferences() {
        let (target, memory) = (randomTensor([2, 3, 4], seed: 15), randomTensor([2, 4, 4], seed: 16))
        expectMultiInputGradientsMatch([target, memory]) {
            var generator = RandomGenerator(seed: 17)
            return TransformerDecoderLayer<Double>(modelSize: 4, headCount: 2, feedForwardSize: 6, dropout: 0, activation: .gelu,
                                                   batchFirst: true, normFirst: true, using: &generator)
        } run: { layer, x in
            (layer as! TransformerDecoderLayer<Double>).decode(x[0], memory: x[1],
                                                               memoryKeyPaddingMask: .boolean(Tensor([0, 0, 1, 0, 0, 0, 0, 1], shape: [2, 4])),
                                                               targetIsCausal: true)
        }
        expectMultiInputGradientsMatch([randomTensor([4, 4], seed: 18), randomTensor([3, 4], seed: 19)]) {
            var generator = RandomGenerator(seed: 20)
            return Transformer<Double>(modelSize: 4, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 1, feedForwardSize: 6,
                                       dropout: 0, activation: .gelu, normFirst: true, using: &generator)
        } run: { layer, x in
            (layer as! Transformer<Double>)(source: x[0], target: x[1], targetIsCausal: true)
        }
    }

    // MARK: Descriptions

    /// Key and value sizes change the projections' names and shapes as in PyTorch, and survive a
    /// description; a description written before those options existed still reads.
    @Test func keyAndValueSizesAndTheirDescription() throws {
        var generator = RandomGenerator(seed: 21)
        let attention = MultiheadAttention<Double>(embeddingSize: 6, headCount: 3, bias: false, addKeyValueBias: true, keySize: 4,
                                                   valueSize: 2, using: &generator)
        #expect(attention.namedParameters.map(\.name) == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v",
                                                           "out_proj.weight"])
        #expect(attention.namedParameters.map(\.parameter.shape) == [[6, 6], [6, 4], [6, 2], [1, 1, 6], [1, 1, 6], [6, 6]])
        let description = try #require(attention.layerDescription?.layer(as: MultiheadAttentionDescription.self))
        #expect(description.keySize == 4 && description.valueSize == 2 && description.addKeyValueBias && !description.bias)
        #expect(description.stateCount == attention.parameterCount)
        let json = try ModelDescription.layer(description).jsonString()
        #expect(try ModelDescription(json: Array(json.utf8), source: "test") == .layer(description))
        var seed: UInt64 = 0
        let rebuilt = ModelDescription.layer(description).makeLayer(as: Double.self, using: &generator, dropoutSeed: &seed)
        #expect(rebuilt.namedParameters.map(\.name) == attention.namedParameters.map(\.name))
        #expect(throws: (any Error).self) { try ModelDescription.layer(description).outputShape(for: [2, 5, 6]) }

        let older = #"{"multiheadAttention":{"batchFirst":true,"bias":true,"dropout":0,"embeddingSize":4,"headCount":2}}"#
        #expect(try ModelDescription(json: Array(older.utf8), source: "older") == .multiheadAttention(embeddingSize: 4, headCount: 2,
                                                                                                      batchFirst: true))
    }

    /// The stacks' and the Transformer's descriptions count their parameters and name PyTorch's keys.
    @Test func stackDescriptions() throws {
        let block = TransformerEncoderLayerDescription(modelSize: 4, headCount: 2, feedForwardSize: 6, dropout: 0)
        let model = ModelDescription.transformer(modelSize: 4, headCount: 2, encoderLayerCount: 2, decoderLayerCount: 1, feedForwardSize: 6)
        var generator = RandomGenerator(seed: 22)
        var seed: UInt64 = 0
        let transformer = model.makeLayer(as: Double.self, using: &generator, dropoutSeed: &seed)
        #expect(seed == 2 * 2 + 3 * 1)
        #expect(transformer.layerDescription == model && model.stateCount == transformer.parameterCount)
        let names = transformer.namedParameters.map(\.name)
        for name in ["encoder.layers.1.self_attn.in_proj_weight", "encoder.norm.weight", "decoder.layers.0.multihead_attn.out_proj.bias",
                     "decoder.layers.0.norm3.bias", "decoder.norm.bias"] {
            #expect(names.contains(name), "\(name)")
        }
        let summary = transformer.summary(inputShape: [5, 2, 4])
        #expect(summary.contains("Transformer(4, 2 heads, 2 encoder and 1 decoder layers, feed-forward 6)  [5, 2, 4]"), "\(summary)")
        #expect(summary.contains("Total parameters: \(transformer.parameterCount)"))
        #expect(ModelDescription.transformerEncoder(layer: block, layerCount: 0).problem()?.contains("at least 1 layer") == true)
        #expect(ModelDescription.transformer(encoderLayerCount: 1, decoderLayerCount: 0).problem()?.contains("decoder") == true)
    }
}

/// Checks the gradients of `run(layer, inputs)` with respect to every input and every trainable
/// parameter against central differences; `make` builds a fresh layer for every evaluation.
func expectMultiInputGradientsMatch(
    _ inputs: [Tensor<Double>], sourceLocation: SourceLocation = #_sourceLocation,
    _ make: () -> any Layer<Double>, run: (any Layer<Double>, [Tensor<Double>]) -> Tensor<Double>
) {
    let initial = make().trainableParameters.map(\.value.detached)
    expectGradientsMatch(inputs + initial, sourceLocation: sourceLocation) { values in
        let layer = make()
        for (parameter, value) in zip(layer.trainableParameters, values.dropFirst(inputs.count)) { parameter.value = value }
        return run(layer, Array(values.prefix(inputs.count)))
    }
}
