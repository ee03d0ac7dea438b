import Foundation
import Testing
import EasyNets

@Suite("Language models examples")
struct LanguageModelsDocumentationTests {
    /// A two-layer LSTM over embedded tokens, against the LSTM equations run by loops.
    @Test func lstmOverTokens() throws {
        // Documentation block: LanguageModels.md #1
        RandomGenerator.seedShared(0)
        let tokens = IndexTensor([3, 1, 4, 1, 5, 2, 6, 5, 3, 5], shape: [2, 5])   // 2 sequences of 5 token ids
        let next = IndexTensor([1, 4, 1, 5, 0, 6, 5, 3, 5, 0], shape: [2, 5])     // the token after each
        let embedding = Embedding<Float>(7, 16)
        let lstm = Recurrent<Float>(.lstm, inputSize: 16, hiddenSize: 32, layerCount: 2, batchFirst: true)
        let head = Linear<Float>(32, 7)
        let (output, state) = lstm.run(embedding(tokens))       // output (2, 5, 32); state.hidden, state.cell (2, 2, 32)
        let scores = head(output).permuted([0, 2, 1])           // (2, 7, 5): the class axis second
        let loss = crossEntropy(logits: scores, labels: next)   // the mean over all 10 positions
        print(output.shape, state.hidden.shape, loss.scalar)

        #expect(output.shape == [2, 5, 32] && state.hidden.shape == [2, 2, 32] && state.cell?.shape == [2, 2, 32])
        // PyTorch's LSTM: gates W_ih·x + b_ih + W_hh·h + b_hh in the order i, f, g, o;
        // c ← σ(f)·c + σ(i)·tanh(g), h ← σ(o)·tanh(c); from zero states, layer by layer.
        let hiddenSize = 32
        let table = embedding.weight.value.scalars.map(Double.init)
        var expectedOutput: [Double] = [], expectedHidden = [[Double]](repeating: [], count: 2)
        for sequence in 0..<2 {
            var inputs = (0..<5).map { t in Array(table[(tokens.values[sequence * 5 + t] * 16)..<((tokens.values[sequence * 5 + t] + 1) * 16)]) }
            for layer in 0..<2 {
                let weights = lstm.weights[layer]
                var h = [Double](repeating: 0, count: hiddenSize), c = h
                var outputs: [[Double]] = []
                for x in inputs {
                    let fromInput = plainAffine(x, weight: weights.inputWeight.value, bias: weights.inputBias?.value)
                    let fromHidden = plainAffine(h, weight: weights.hiddenWeight.value, bias: weights.hiddenBias?.value)
                    let gates = zip(fromInput, fromHidden).map { $0 + $1 }
                    for k in 0..<hiddenSize {
                        let (i, f) = (plainSigmoid(gates[k]), plainSigmoid(gates[hiddenSize + k]))
                        let (g, o) = (Foundation.tanh(gates[2 * hiddenSize + k]), plainSigmoid(gates[3 * hiddenSize + k]))
                        c[k] = f * c[k] + i * g
                        h[k] = o * Foundation.tanh(c[k])
                    }
                    outputs.append(h)
                }
                expectedHidden[layer] += h
                inputs = outputs
            }
            expectedOutput += inputs.joined()
        }
        expectClose(output.scalars.map(Double.init), expectedOutput, tolerance: 1e-5)
        expectClose(state.hidden.scalars.map(Double.init), Array(expectedHidden.joined()), tolerance: 1e-5)
        // The loss: the mean cross-entropy of the 10 positions' scores, by loops.
        let plain = plainAccuracyAndLoss(scores: rowsPerPosition(scores), labels: next.values)
        expectClose(Double(loss.scalar), plain.loss, tolerance: 1e-5)
    }

    /// A packed batch: each sequence's rows are the layer run on that sequence alone, zero past its end.
    @Test func sequencesOfDifferentLengths() {
        // Documentation block: LanguageModels.md #2
        RandomGenerator.seedShared(0)
        var generator = RandomGenerator(seed: 1)
        let sequences = [3, 5, 2].map { Tensor<Double>.normal([$0, 4], using: &generator) }  // lengths 3, 5, 2; 4 features
        let (padded, mask) = Tensor.paddedSequences(sequences)          // (3, 5, 4), zeros after each end
        let lengths = Tensor.sequenceLengths(paddingMask: mask)          // [3, 5, 2]
        let gru = Recurrent<Double>(.gru, inputSize: 4, hiddenSize: 8, layerCount: 2, batchFirst: true, bidirectional: true)
        let (output, state) = gru.run(padded, lengths: lengths)
        print(output.shape, state.hidden.shape)                          // [3, 5, 16] [4, 3, 8]

        #expect(lengths == [3, 5, 2] && output.shape == [3, 5, 16] && state.hidden.shape == [4, 3, 8])
        for (n, sequence) in sequences.enumerated() {
            let alone = gru.run(sequence.unsqueezed(axis: 0))
            let rows = output.sliced(along: 0, n..<(n + 1))
            expectClose(rows.sliced(along: 1, 0..<lengths[n]), alone.output, tolerance: 1e-12)
            #expect(rows.sliced(along: 1, lengths[n]..<5).scalars.allSatisfy { $0 == 0 })
            expectClose(state.hidden.sliced(along: 1, n..<(n + 1)), alone.state.hidden, tolerance: 1e-12)
        }
    }

    /// Causal scaled dot-product attention against softmax(q·kᵀ/√d)·v with later keys masked.
    @Test func causalAttention() {
        // Documentation block: LanguageModels.md #3
        var generator = RandomGenerator(seed: 0)
        let query = Tensor<Double>.normal([1, 4, 8], using: &generator)   // (batch, positions, features)
        let key = Tensor<Double>.normal([1, 4, 8], using: &generator)
        let value = Tensor<Double>.normal([1, 4, 8], using: &generator)
        let attended = scaledDotProductAttention(query: query, key: key, value: value, isCausal: true)
        print(attended.shape)                         // [1, 4, 8]: softmax(q·kᵀ/√8, later keys masked)·v

        #expect(attended.shape == [1, 4, 8])
        var expected: [Double] = []
        for i in 0..<4 {
            let scores = (0...i).map { j in (0..<8).reduce(0.0) { $0 + query[0, i, $1] * key[0, j, $1] } / 8.0.squareRoot() }
            let top = scores.max()!
            let weights = scores.map { Foundation.exp($0 - top) }, total = weights.reduce(0, +)
            for d in 0..<8 { expected.append((0...i).reduce(0.0) { $0 + weights[$1] / total * value[0, $1, d] }) }
        }
        expectClose(attended.scalars, expected, tolerance: 1e-12)
    }

    /// An encoder-decoder Transformer with padding and a causal target: earlier target positions
    /// ignore later ones, and the output ignores the padded source positions.
    @Test func encoderDecoderTransformer() {
        // Documentation block: LanguageModels.md #4
        var generator = RandomGenerator(seed: 0)
        let model = Transformer<Double>(modelSize: 8, headCount: 2, encoderLayerCount: 2, decoderLayerCount: 2,
                                        feedForwardSize: 16, dropout: 0, batchFirst: true, using: &generator)
        let source = Tensor<Double>.normal([3, 6, 8], using: &generator)   // (batch, source positions, features)
        let target = Tensor<Double>.normal([3, 4, 8], using: &generator)   // (batch, target positions, features)
        let padding = Tensor<Double>([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], shape: [3, 6])   // 1: padding
        let decoded = model(source: source, target: target, sourceKeyPaddingMask: .boolean(padding),
                            memoryKeyPaddingMask: .boolean(padding), targetIsCausal: true)
        print(decoded.shape)                          // [3, 4, 8]

        #expect(decoded.shape == [3, 4, 8])
        func run(_ source: Tensor<Double>, _ target: Tensor<Double>) -> Tensor<Double> {
            model(source: source, target: target, sourceKeyPaddingMask: .boolean(padding), memoryKeyPaddingMask: .boolean(padding),
                  targetIsCausal: true)
        }
        // A new last target position leaves the first three unchanged, and changes the last.
        let newLast = Tensor.concatenated([target.sliced(along: 1, 0..<3), Tensor<Double>.normal([3, 1, 8], using: &generator)], along: 1)
        let changed = run(source, newLast)
        expectClose(changed.sliced(along: 1, 0..<3), decoded.sliced(along: 1, 0..<3), tolerance: 1e-12)
        #expect(changed.sliced(along: 1, 3..<4).scalars != decoded.sliced(along: 1, 3..<4).scalars)
        // New values at padded source positions change nothing.
        let noise = Tensor<Double>.normal([3, 6, 8], using: &generator) * padding.unsqueezed(axis: 2)
        expectClose(run(source + noise, target), decoded, tolerance: 1e-12)
        #expect(run(source + Tensor<Double>.normal([3, 6, 8], using: &generator), target).scalars != decoded.scalars)
    }

    /// A small character model on fortunes: training, its loss per character, and sampling.
    @Test func fortunes() throws {
        // Documentation block: LanguageModels.md #5
        let corpus = try TextCorpus.fortunes(seed: 0, validationFraction: 0.1)
        let train = TextCorpus.nextCharacterData(Array(corpus.training.prefix(16_384)), sequenceLength: 64, as: Float.self)
        let validation = TextCorpus.nextCharacterData(Array(corpus.validation.prefix(4_096)), sequenceLength: 64, as: Float.self)
        let model = try Sequential<Float>(CharacterLanguageModel.lstm(vocabularySize: corpus.vocabulary.count, hidden: 64), seed: 0)
        let optimizer = Adam(model.trainableParameters, learningRate: 0.01)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              loader: DataLoader(train, batchSize: 32, seed: 1), validationData: validation)
        trainer.gradientClipNorm = 1
        trainer.observers = [ProgressBar(epochs: 2)]
        try trainer.fit(epochs: 2)

        let sampler = try TextSampler(model: model, vocabulary: corpus.vocabulary, contextLength: 64)
        var generator = RandomGenerator(seed: 1)
        print(try sampler.continuation(of: "The ", length: 100, temperature: 0.8, using: &generator))

        // (16 384 − 1) / 64 = 255 sequences; each character labeled with the next one.
        #expect(train.count == (16_384 - 1) / 64 && train.labelShape == [64])
        #expect(train.features[0, 1] == Float(corpus.training[1]) && train.labels[0] == corpus.training[1])
        #expect(trainer.history.count == 2)
        // The validation loss per character, by loops over the model's scores in evaluation mode.
        model.eval()
        let scores = withoutGradients { model(validation.features) }
        let plain = plainAccuracyAndLoss(scores: rowsPerPosition(scores), labels: validation.labels)
        let result = evaluate(model, on: validation)
        expectClose(result.loss, plain.loss, tolerance: 1e-5)
        expectClose(trainer.history.last!.validationLoss!, plain.loss, tolerance: 1e-5)
        // Better than guessing uniformly among the characters: ln V nats per character.
        #expect(plain.loss < Foundation.log(Double(corpus.vocabulary.count)), "\(plain.loss)")
        // A sample of the asked length, in the vocabulary; the same seed gives the same text.
        var again = RandomGenerator(seed: 1)
        let sample = try sampler.continuation(of: "The ", length: 100, temperature: 0.8, using: &again)
        #expect(sample.unicodeScalars.count == 100 && sample.unicodeScalars.allSatisfy { corpus.vocabulary.id(of: $0) != nil })
        // Temperature 0 takes the most likely next character, step by step.
        var greedy = try corpus.vocabulary.encode("The ")
        for _ in 0..<5 {
            let window = Tensor<Float>(greedy.map { Float($0) }, shape: [1, greedy.count])
            let rows = rowsPerPosition(withoutGradients { model(window) })
            greedy.append(plainPredictionsAndLosses(scores: rows, labels: [Int](repeating: 0, count: greedy.count)).predictions.last!)
        }
        var unused = RandomGenerator(seed: 2)
        #expect(try sampler.continuation(of: "The ", length: 5, temperature: 0, using: &unused)
                == corpus.vocabulary.decode(Array(greedy.suffix(5))))
    }

    /// Incremental decoding of a rotary block: the cached positions' scores against the full
    /// forward pass over all four tokens, and the rotation against its formula at position 3.
    @Test func incrementalDecoding() throws {
        // Documentation block: LanguageModels.md #6
        let model = try Sequential<Double>(.sequential(layers: [
            .embedding(count: 5, dimension: 8),
            .transformerEncoderLayer(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, batchFirst: true,
                                     normFirst: true, causal: true, rotaryBase: 10000),   // RoPE: no position table
            .linear(inputSize: 8, outputSize: 5),
            .permute(axes: [0, 2, 1]),
        ]), seed: 0)
        model.eval()
        let decoder = try IncrementalDecoder(model: model)
        let prompt = decoder(Tensor([1, 3, 2], shape: [1, 3]), outputCount: 1)   // positions 0…2; the scores of position 2
        let next = decoder(Tensor([4], shape: [1, 1]))                            // position 3, attending to the cached 0…2
        print(prompt.shape, next.shape, decoder.position)                        // [1, 5, 1] [1, 5, 1] 4

        #expect(prompt.shape == [1, 5, 1] && next.shape == [1, 5, 1] && decoder.position == 4)
        let full = model(Tensor([1, 3, 2, 4], shape: [1, 4]))
        for v in 0..<5 {
            #expect(abs(prompt[0, v, 0] - full[0, v, 2]) < 1e-10 && abs(next[0, v, 0] - full[0, v, 3]) < 1e-10)
        }
        // Pair (2i, 2i + 1) at position 3 turns by 3 · 10000^(−2i/4).
        let x = Tensor<Double>([1, 2, 3, 4], shape: [1, 4])
        let turned = RotaryEmbedding(dimension: 4)(x, offset: 3)
        for i in 0..<2 {
            let angle = 3 / Foundation.pow(10000, Double(2 * i) / 4)
            let (a, b) = (x[0, 2 * i], x[0, 2 * i + 1])
            #expect(abs(turned[0, 2 * i] - (a * Foundation.cos(angle) - b * Foundation.sin(angle))) < 1e-14)
            #expect(abs(turned[0, 2 * i + 1] - (b * Foundation.cos(angle) + a * Foundation.sin(angle))) < 1e-14)
        }
    }
}
