import Testing
@testable import EasyNets

/// Incremental decoding with key-value caches against the full forward pass: the same outputs at
/// the same positions (Double to 1e-10, Float to rounding), whichever way a sequence is cut into
/// pieces, and the same samples from ``TextSampler`` with and without the cache, within the
/// context and sliding past it.
@Suite("Key-value caches")
struct KeyValueCacheTests {
    /// Every parameter of `model` drawn again from U(−0.5, 0.5), so biases and normalization
    /// weights are not their neutral initial values.
    func randomize<Scalar: TensorScalar>(_ model: some Layer<Scalar>, seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        for (_, parameter) in model.namedParameters {
            parameter.assign(.uniform(parameter.shape, low: -0.5, high: 0.5, using: &generator))
        }
    }

    /// A decoder-only stack: embedding, a positional code, causal blocks, a head and a final permutation.
    func stack<Scalar: TensorScalar>(_: Scalar.Type, positional: ModelDescription?, normFirst: Bool, rotaryBase: Double? = nil,
                       batchFirst: Bool = true) throws -> Sequential<Scalar> {
        let block = ModelDescription.transformerEncoderLayer(
            modelSize: 8, headCount: 2, feedForwardSize: 12, dropout: 0.1, activation: normFirst ? .gelu : .relu,
            batchFirst: batchFirst, normFirst: normFirst, causal: true, rotaryBase: rotaryBase)
        let model = try Sequential<Scalar>(.sequential(layers: [.embedding(count: 6, dimension: 8)] + (positional.map { [$0] } ?? [])
            + [block, .gelu(), block, .layerNorm(normalizedShape: [8]), .linear(inputSize: 8, outputSize: 6)]
            + (batchFirst ? [.permute(axes: [0, 2, 1])] : [])), seed: 4)
        randomize(model, seed: 9)
        model.eval()
        return model
    }

    /// The stacks the tests decode: learned and sinusoidal positions, rotary blocks, pre- and post-norm.
    func stacks<Scalar: TensorScalar>(_: Scalar.Type) throws -> [(String, Sequential<Scalar>)] {
        [("learned, pre-norm", try stack(Scalar.self, positional: .learnedPositionalEmbedding(maximumLength: 10, dimension: 8),
                                         normFirst: true)),
         ("sinusoidal, post-norm", try stack(Scalar.self, positional: .sinusoidalPositionalEncoding(dimension: 8), normFirst: false)),
         ("rotary, pre-norm", try stack(Scalar.self, positional: nil, normFirst: true, rotaryBase: 10000)),
         ("rotary and learned, post-norm", try stack(Scalar.self, positional: .learnedPositionalEmbedding(maximumLength: 10, dimension: 8),
                                                     normFirst: false, rotaryBase: 500))]
    }

    func tokens<Scalar: TensorScalar>(_ ids: [Int], batch: Int = 1) -> Tensor<Scalar> {
        Tensor(ids.map { Scalar(Double($0)) }, shape: [batch, ids.count / batch])
    }

    /// Fed in pieces of 3, 1, 2, 1 and 3 positions, the decoder returns the full forward's scores
    /// at those positions; with one output asked for, the last of them.
    @Test func piecesGiveTheFullForwardPass() throws {
        let ids = [1, 4, 2, 0, 5, 3, 3, 1, 2, 4, 0, 5, 1, 1, 2, 3, 4, 5, 0, 2]  // two sequences of 10
        for (name, model) in try stacks(Double.self) {
            let full = model(tokens(ids, batch: 2))  // (2, 6, 10)
            let decoder = try IncrementalDecoder(model: model)
            var start = 0
            for length in [3, 1, 2, 1, 3] {
                let piece = Tensor<Double>.concatenated([tokens(Array(ids[start..<(start + length)])),
                                                         tokens(Array(ids[(10 + start)..<(10 + start + length)]))], along: 0)
                let scores = withoutGradients { decoder(piece) }
                expectClose(scores, full.sliced(along: 2, start..<(start + length)), tolerance: 1e-10, "\(name) at \(start)")
                start += length
            }
            #expect(decoder.position == 10 && decoder.caches.count == 2 && decoder.caches.allSatisfy { $0.count == 10 })
            decoder.reset()
            #expect(decoder.position == 0 && decoder.caches.allSatisfy { $0.count == 0 && $0.keys == nil })
            let prefix = Tensor<Double>.concatenated([tokens(Array(ids[0..<7])), tokens(Array(ids[10..<17]))], along: 0)
            expectClose(decoder(prefix, outputCount: 1), full.sliced(along: 2, 6..<7), tolerance: 1e-10, "\(name), one output")
            expectClose(decoder(tokens([ids[7], ids[17]], batch: 2)), full.sliced(along: 2, 7..<8), tolerance: 1e-10,
                        "\(name), after one output")
        }
    }

    /// Float takes the same path with Float kernels: within rounding of the full forward pass.
    @Test func floatPiecesGiveTheFullForwardPass() throws {
        let ids = [2, 5, 1, 0, 3, 3, 4, 1]
        for (name, model) in try stacks(Float.self) {
            let full = model(tokens(ids))
            let decoder = try IncrementalDecoder(model: model)
            var pieces: [Tensor<Float>] = [decoder(tokens(Array(ids[0..<3])))]
            for id in ids[3...] { pieces.append(decoder(tokens([id]))) }
            expectClose(Tensor.concatenated(pieces, along: 2), full, tolerance: 1e-5, "\(name)")
        }
    }

    /// Sequence-first blocks (L, N, E) decode along axis 0.
    @Test func sequenceFirstStacksDecodeAlongTheFirstAxis() throws {
        let model = try stack(Double.self, positional: .learnedPositionalEmbedding(maximumLength: 10, dimension: 8, batchFirst: false),
                              normFirst: true, batchFirst: false)
        let ids = Tensor<Double>([1, 4, 2, 0, 5, 3, 3, 1, 2, 4, 0, 5], shape: [6, 2])  // (L, N)
        let full = model(ids)  // (6, 2, 6)
        let decoder = try IncrementalDecoder(model: model)
        #expect(decoder.sequenceAxis == 0 && decoder.maximumLength == 10)
        expectClose(decoder(ids.sliced(along: 0, 0..<4)), full.sliced(along: 0, 0..<4), tolerance: 1e-10)
        expectClose(decoder(ids.sliced(along: 0, 4..<6), outputCount: 1), full.sliced(along: 0, 5..<6), tolerance: 1e-10)
    }

    /// The attention alone: new queries against cached keys equal causal attention over the whole sequence.
    @Test func attentionAttendsNewQueriesToCachedKeys() {
        for rotaryBase in [nil, 10000.0] {
            var generator = RandomGenerator(seed: 2)
            let attention = MultiheadAttention<Double>(embeddingSize: 8, headCount: 4, batchFirst: false, rotaryBase: rotaryBase,
                                                       using: &generator)
            randomize(attention, seed: 3)
            let x = randomTensor([7, 3, 8], seed: 4)  // (L, N, E)
            let full = attention.attend(query: x, key: x, value: x, isCausal: true).output
            let cache = KeyValueCache<Double>()
            let first = attention.attendIncrementally(x.sliced(along: 0, 0..<5), cache: cache)
            let last = attention.attendIncrementally(x.sliced(along: 0, 5..<7), cache: cache, outputCount: 1)
            expectClose(first, full.sliced(along: 0, 0..<5), tolerance: 1e-10, "rotary \(String(describing: rotaryBase))")
            expectClose(last, full.sliced(along: 0, 6..<7), tolerance: 1e-10, "rotary \(String(describing: rotaryBase))")
            #expect(cache.count == 7 && cache.keys?.shape == [12, 7, 2] && cache.values?.shape == [12, 7, 2])
        }
    }

    /// The cached path is for inference: its outputs carry no gradient, even from inputs that
    /// require one; the cache's buffers grow in blocks of 64 positions and are kept by a reset.
    @Test func theCacheIsForInference() {
        var generator = RandomGenerator(seed: 5)
        let block = TransformerEncoderLayer<Double>(modelSize: 4, headCount: 2, feedForwardSize: 6, dropout: 0, activation: .gelu,
                                                    batchFirst: true, normFirst: true, causal: true, rotaryBase: 10000, using: &generator)
        var x = randomTensor([2, 3, 4], seed: 7)
        x.requiresGradient = true
        let cache = KeyValueCache<Double>()
        #expect(!block.encodeIncrementally(x, cache: cache).requiresGradient)
        #expect(cache.count == 3 && cache.capacity == 64)
        let full = randomTensor([2, 70, 4], seed: 8)
        let all = block.encode(full, isCausal: true)
        cache.removeAll()
        #expect(cache.count == 0 && cache.keys == nil && cache.capacity == 64)
        expectClose(block.encodeIncrementally(full.sliced(along: 1, 0..<63), cache: cache), all.sliced(along: 1, 0..<63), tolerance: 1e-10)
        expectClose(block.encodeIncrementally(full.sliced(along: 1, 63..<70), cache: cache), all.sliced(along: 1, 63..<70), tolerance: 1e-10)
        #expect(cache.count == 70 && cache.capacity == 128 && cache.keys?.shape == [4, 70, 2] && cache.values?.shape == [4, 70, 2])
    }

    /// A decoder takes only stacks it can run a position at a time, and says which layer it cannot.
    @Test func stacksThatCannotDecodeIncrementallyAreRefused() throws {
        func refusal(_ layers: [ModelDescription]) throws -> String? {
            do {
                _ = try IncrementalDecoder(model: Sequential<Double>(.sequential(layers: layers)))
                return nil
            } catch let error as ModelDescriptionError { return error.description }
        }
        let embedding = ModelDescription.embedding(count: 5, dimension: 4)
        let block = ModelDescription.transformerEncoderLayer(modelSize: 4, headCount: 2, feedForwardSize: 8, batchFirst: true, causal: true)
        let open = ModelDescription.transformerEncoderLayer(modelSize: 4, headCount: 2, feedForwardSize: 8, batchFirst: true)
        #expect(try refusal([embedding, block, .permute(axes: [0, 2, 1])]) == nil)
        #expect(try refusal([embedding, open])?.contains("layer 1 (TransformerEncoderLayer") == true)
        #expect(try refusal([embedding, .recurrent(cell: .lstm, inputSize: 4, hiddenSize: 4, layerCount: 1, bias: true, batchFirst: true,
                                                   dropout: 0, bidirectional: false), block])?.contains("layer 1") == true)
        #expect(try refusal([embedding, block, .permute(axes: [0, 2, 1]), .linear(inputSize: 5, outputSize: 5)])?
                    .contains("a permutation must be the last layer") == true)
        #expect(try refusal([embedding, .softmax(axis: 1), block])?.contains("layer 1 (Softmax") == true)
        #expect(try refusal([embedding, .layerNorm(normalizedShape: [4])])?.contains("no causal TransformerEncoderLayer") == true)
        #expect(try refusal([embedding, block, .learnedPositionalEmbedding(maximumLength: 4, dimension: 4)])?
                    .contains("after the last attention block") == true)
        #expect(try refusal([embedding, .learnedPositionalEmbedding(maximumLength: 4, dimension: 4, batchFirst: false), block])?
                    .contains("disagree on batchFirst") == true)
    }

    // MARK: Sampling

    /// The `char-transformer` preset at a context of 6, trained weights stood in for by random ones.
    func presetSampler<Scalar: TensorScalar>(_: Scalar.Type) throws -> TextSampler<Scalar> {
        let model = try Sequential<Scalar>(CharacterLanguageModel.transformer(vocabularySize: 5, contextLength: 6, size: 8, heads: 2,
                                                                                layers: 2, dropout: 0.1), seed: 1)
        randomize(model, seed: 11)
        return try TextSampler(model: model, vocabulary: CharacterVocabulary(["\n", "a", "b", "c", "d"]), contextLength: 6)
    }

    /// Same seed, same text, with the cache and without: a short prompt within the context, one
    /// sliding far past it, and a prompt longer than the context; the cache is used in training mode too.
    func expectSameSamples<Scalar: TensorScalar>(_: Scalar.Type) throws {
        var sampler = try presetSampler(Scalar.self)
        sampler.model.train()
        for (prompt, length, temperature) in [("ab", 4, 1.0), ("", 40, 1.0), ("abcdabcdab", 30, 0.7), ("c", 25, 0.0)] {
            var texts: [String] = []
            for cached in [true, false] {
                sampler.usesKeyValueCache = cached
                var generator = RandomGenerator(seed: 21)
                texts.append(try sampler.continuation(of: prompt, length: length, temperature: temperature, using: &generator))
            }
            #expect(texts[0] == texts[1] && texts[0].count == length, "\(Scalar.self) prompt \"\(prompt)\": \(texts)")
            #expect(Set(texts[0]).count > 1 || temperature == 0, "\(texts[0])")
        }
        #expect(sampler.model.isTraining, "the sampler restores the training mode")
    }

    @Test func theSamplerDrawsTheSameTextWithAndWithoutTheCache() throws {
        try expectSameSamples(Double.self)
        try expectSameSamples(Float.self)
    }

    /// The sampler's window, against a plain loop over the documented rule: it grows to the context
    /// (6 characters), then restarts from the newest 3 and grows again; the model runs on the whole
    /// window and the most likely character is taken. With the cache and without, in Double.
    @Test func theWindowShiftsToItsNewestHalfWhenFull() throws {
        var sampler = try presetSampler(Double.self)
        sampler.model.eval()
        let vocabulary = sampler.vocabulary
        for prompt in ["ab", "abcdabcdab"] {
            var tokens = try vocabulary.encode(prompt)
            let promptCount = tokens.count
            var start = Swift.max(0, tokens.count - 6), windowLengths: [Int] = []
            for _ in 0..<20 {
                if tokens.count - start > 6 { start = tokens.count - 3 }
                let window = Array(tokens[start...])
                windowLengths.append(window.count)
                let scores = sampler.model(Tensor(window.map { Double($0) }, shape: [1, window.count]))
                let last = (0..<vocabulary.count).map { scores[0, $0, window.count - 1] }
                tokens.append(last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) }!)
            }
            let expected = vocabulary.decode(Array(tokens[promptCount...]))
            #expect(windowLengths.suffix(10).min() == 3 && windowLengths.max() == 6, "\(windowLengths)")
            for cached in [true, false] {
                sampler.usesKeyValueCache = cached
                var generator = RandomGenerator(seed: 1)
                #expect(try sampler.continuation(of: prompt, length: 20, temperature: 0, using: &generator) == expected,
                        "prompt \(prompt), cache \(cached)")
            }
        }
    }

    /// The scores the cached sampler draws from: the full forward pass's last position on the same
    /// window, within the context and after it slides (the decoder refilled from the window).
    @Test func cachedScoresAreTheLastPositionsOfTheWindow() throws {
        let sampler = try presetSampler(Double.self)
        sampler.model.eval()
        let decoder = try IncrementalDecoder(model: sampler.model)
        let text = [0, 1, 3, 2, 4, 4, 1, 0, 2, 3]
        for end in 1...text.count {
            let window = Array(text[max(0, end - 6)..<end])
            let scores = end <= 6 ? decoder(tokens([text[end - 1]])) : {
                decoder.reset()
                return decoder(tokens(window), outputCount: 1)
            }()
            expectClose(scores, sampler.model(tokens(window)).sliced(along: 2, (window.count - 1)..<window.count), tolerance: 1e-10,
                        "window ending at \(end)")
        }
    }
}
