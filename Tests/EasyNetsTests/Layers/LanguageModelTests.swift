import Foundation
import Testing
@testable import EasyNets

/// Language modeling on the library: labels per position in datasets, loaders, evaluation and the
/// trainer; next-character data from text; the Permute layer and causal Transformer blocks of the
/// presets; gradient clipping in the trainer; the vocabulary stored with a checkpoint; sampling.
@Suite struct LanguageModelTests {
    // MARK: Labels per position

    /// Example i of `count` examples of 3 features and 3 labels: features 3i, 3i+1, 3i+2 and labels
    /// 100 + the same, so every label names its example and position.
    func numbered(_ count: Int) -> Dataset<Double> {
        Dataset(features: Tensor((0..<(3 * count)).map(Double.init), shape: [count, 3]), labels: (0..<(3 * count)).map { 100 + $0 },
                labelShape: [3])
    }

    func expectLabelsFollowFeatures(_ data: Dataset<Double>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(data.labels == data.features.scalars.map { 100 + Int($0) } && data.labelShape == [3], sourceLocation: sourceLocation)
    }

    @Test func labelsPerPositionTravelWithTheirExamples() throws {
        let data = numbered(5)
        #expect(data.count == 5 && data.labelsPerExample == 3 && data.classCount == 115)
        for part in [data.subset([3, 0, 3]), data.slice(1..<4), data.prefix(2), data.split(validationFraction: 0.4, seed: 2).training,
                     data.split(validationFraction: 0.4, seed: 2).validation, data.reshapingExamples(to: [3, 1]).reshapingExamples(to: [3])] {
            expectLabelsFollowFeatures(part)
        }
        #expect(data.subset([3, 0]).labels == [109, 110, 111, 100, 101, 102])
        var loader = DataLoader(data, batchSize: 2, shuffle: true, seed: 4)
        for batch in loader.epoch() {
            let expected: [Int] = batch.indices.flatMap { (i: Int) -> [Int] in (0..<3).map { 100 + 3 * i + $0 } }
            let labels = try batch.examples().labels
            #expect(labels == expected)
            #expect(try batch.share(1..<batch.count).examples().labels == Array(labels[3...]))
        }
    }

    @Test func nextCharacterDataLabelsEachTokenWithTheNext() {
        let data = TextCorpus.nextCharacterData(Array(0..<11), sequenceLength: 3, as: Float.self)
        // ⌊(11 − 1)/3⌋ = 3 sequences: 0 1 2 → 1 2 3, 3 4 5 → 4 5 6, 6 7 8 → 7 8 9; token 10 is left over.
        #expect(data.count == 3 && data.labelShape == [3] && data.features.shape == [3, 3])
        #expect(data.features.scalars == (0..<9).map(Float.init) && data.labels == Array(1...9))
        #expect(TextCorpus.nextCharacterData([5, 6, 7], sequenceLength: 3, as: Float.self).count == 0)
        #expect(TextCorpus.nextCharacterData([], sequenceLength: 3, as: Float.self).count == 0)
        #expect(TextCorpus.nextCharacterData([5], sequenceLength: 1, as: Float.self).count == 0)
        #expect(TextCorpus.nextCharacterData([5, 6, 7, 8], sequenceLength: 3, as: Float.self).labels == [6, 7, 8])
    }

    /// Scores (N, classes, L) from an embedding table read through a permutation, so the expected
    /// loss and accuracy per character follow from the table by hand.
    @Test func evaluationAndTrainingCountLabelsNotExamples() throws {
        var generator = RandomGenerator(seed: 4)
        let table = Embedding<Double>(4, 4, using: &generator)
        let model = Sequential<Double>([table, Permute<Double>([0, 2, 1])])
        let ids = [0, 1, 2, 3, 3, 1], labels = [1, 1, 0, 2, 3, 0]
        let data = Dataset(features: Tensor(ids.map(Double.init), shape: [2, 3]), labels: labels, labelShape: [3])
        var loss = 0.0, correct = 0
        for (id, label) in zip(ids, labels) {
            let row = (0..<4).map { table.weight.value[id, $0] }
            loss += Foundation.log(row.map { Foundation.exp($0) }.reduce(0, +)) - row[label]
            if row.indices.max(by: { row[$0] < row[$1] }) == label { correct += 1 }
        }
        #expect(correct > 0 && correct < 6, "the hand count must be able to tell labels from examples")
        let result = evaluate(model, on: data, batchSize: 1)
        expectClose(result.loss, loss / 6, tolerance: 1e-14)
        #expect(result.accuracy == Double(correct) / 6 && result.predictions.count == 6)
        #expect(try model.describe().checkFits(data, modelSource: "m", dataName: "d") == 4)

        // One batch of everything: the epoch's training metrics are those before its step.
        let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                              loader: DataLoader(data, batchSize: 2, shuffle: false))
        try trainer.fit(epochs: 1)
        let metrics = try #require(trainer.history.first)
        expectClose(metrics.trainLoss, loss / 6, tolerance: 1e-14)
        #expect(metrics.value(.accuracy, on: .train) == Double(correct) / 6)
    }

    @Test func aModelWhoseScoresDoNotFitTheLabelsIsAnError() throws {
        let model = try Sequential<Float>(.sequential(layers: [.embedding(count: 5, dimension: 2), .flatten(startAxis: 1),
                                                               .linear(inputSize: 6, outputSize: 5, bias: true)]))
        let data = TextCorpus.nextCharacterData([0, 1, 2, 3, 4, 0, 1], sequenceLength: 3, as: Float.self)
        #expect(throws: ModelDescriptionError(layer: "m", reason: "the model gives scores of shape [5] per batch (after the batch axis), "
                                              + "but the labels of d need scores (N, classes, 3)")) {
            try model.describe().checkFits(data, modelSource: "m", dataName: "d")
        }
    }

    /// After "1" comes "2" or "3" depending on the character before it: the model must remember.
    @Test func theLSTMPresetLearnsATextThatNeedsMemory() throws {
        let ids = (0..<800).map { [0, 1, 2, 1, 3][$0 % 5] }
        let data = TextCorpus.nextCharacterData(ids, sequenceLength: 10, as: Float.self)
        let model = try Sequential<Float>(CharacterLanguageModel.lstm(vocabularySize: 4, embedding: 8, hidden: 16), seed: 1)
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.02),
                              loader: DataLoader(data, batchSize: 8, seed: 2), validationData: data)
        trainer.gradientClipNorm = 1
        try trainer.fit(epochs: 25)
        let last = try #require(trainer.history.last)
        #expect(last.value(.accuracy, on: .validation) == 1 && last.validationLoss! < 0.05, "\(last)")
    }

    // MARK: Layers of the presets

    @Test func permuteMovesAxesAndItsGradientBack() {
        let x = randomTensor([2, 3, 4], seed: 2)
        let y = Permute<Double>([0, -1, 1])(x)
        #expect(y.shape == [2, 4, 3] && y[1, 3, 2] == x[1, 2, 3] && y[0, 1, 2] == x[0, 2, 1])
        let weights = randomTensor([2, 4, 3], seed: 3)
        expectGradientsMatch([x]) { (Permute<Double>([0, 2, 1])($0[0]) * weights).sum() }
    }

    @Test func aCausalBlockSeesOnlyThePast() {
        var (first, second) = (RandomGenerator(seed: 8), RandomGenerator(seed: 8))
        let causal = TransformerEncoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, batchFirst: true,
                                                     causal: true, using: &first)
        let plain = TransformerEncoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, batchFirst: true,
                                                    using: &second)
        let x = randomTensor([2, 5, 8], seed: 1)
        #expect(causal(x).scalars == plain.encode(x, isCausal: true).scalars)
        #expect(causal(x).scalars != plain(x).scalars)
        var later = x.scalars
        for i in (3 * 8)..<(5 * 8) { later[i] += 1 }  // positions 3 and 4 of the first sequence
        let (before, after) = (causal(x), causal(Tensor(later, shape: x.shape)))
        #expect(before.sliced(along: 1, 0..<3).scalars == after.sliced(along: 1, 0..<3).scalars)
        #expect(before.sliced(along: 1, 3..<5).scalars != after.sliced(along: 1, 3..<5).scalars)
    }

    @Test func theTransformerPresetMapsTokensToScoresPerPosition() throws {
        let description = CharacterLanguageModel.transformer(vocabularySize: 7, contextLength: 6, size: 8, heads: 2, layers: 2)
        let model = try Sequential<Float>(description, seed: 2)
        #expect(try model.describe() == description)
        #expect(model(Tensor((0..<12).map { Float($0 % 7) }, shape: [2, 6])).shape == [2, 7, 6])
        #expect(throws: ModelDescriptionError.self) { try description.outputShape(for: [2, 7]) }  // longer than the context
    }

    // MARK: Gradient clipping

    @Test func theTrainerClipsTheGradientNormBeforeEachStep() throws {
        let (x, y) = Spirals.make(pointsPerClass: 10, noise: 0.05, seed: 1, as: Double.self)
        let data = Dataset(features: x, labels: y)
        let layers = ModelDescription.sequential(layers: [.linear(inputSize: 2, outputSize: 8, bias: true), .tanh,
                                                          .linear(inputSize: 8, outputSize: 2, bias: true)])
        let (trained, manual) = (try Sequential<Double>(layers, seed: 3), try Sequential<Double>(layers, seed: 3))
        let trainer = Trainer(model: trained, optimizer: SGD(trained.trainableParameters, learningRate: 0.5),
                              loader: DataLoader(data, batchSize: data.count, shuffle: false))
        trainer.gradientClipNorm = 0.01
        try trainer.fit(epochs: 1)

        let optimizer = SGD(manual.trainableParameters, learningRate: 0.5)
        crossEntropy(logits: manual(data.features), labels: data.labels).backward()
        #expect(clipGradientNorm(manual.trainableParameters, maxNorm: 0.01) > 0.1, "the limit must bind")
        optimizer.step()
        #expect(trained.stateEntries.map { $0.parameter.value.scalars } == manual.stateEntries.map { $0.parameter.value.scalars })
    }

    // MARK: Padding sequences of different lengths (stacking them unpadded: ShapeMismatchTests)

    @Test func sequencesOfDifferentLengthsArePaddedWithAMask() {
        let (a, b) = (randomTensor([3, 2], seed: 1), randomTensor([1, 2], seed: 2))
        let (values, mask) = Tensor.paddedSequences([a, b], paddingValue: -7)
        #expect(values.shape == [2, 3, 2] && mask.scalars == [0, 0, 0, 0, 1, 1])
        #expect(values.scalars == a.scalars + b.scalars + [-7, -7, -7, -7])
        #expect(Tensor.paddedSequences([a, b], batchFirst: false).values.shape == [3, 2, 2])
        let weights = randomTensor([2, 3, 2], seed: 3)
        expectGradientsMatch([a, b]) { (Tensor.paddedSequences($0).values * weights).sum() }
        // Padded keys are ignored: the first sequence attends as it would alone.
        var generator = RandomGenerator(seed: 5)
        let attention = MultiheadAttention<Double>(embeddingSize: 2, headCount: 1, batchFirst: true, using: &generator)
        let masked = attention.attend(query: values, key: values, value: values, keyPaddingMask: .boolean(mask)).output
        let alone = attention.attend(query: b.unsqueezed(axis: 0), key: b.unsqueezed(axis: 0), value: b.unsqueezed(axis: 0)).output
        expectClose(masked.sliced(along: 0, 1..<2).sliced(along: 1, 0..<1), alone, tolerance: 1e-15)
    }

    // MARK: Vocabulary and sampling

    @Test func theVocabularyRoundTripsThroughJSONAndRejectsBadJSON() throws {
        let vocabulary = CharacterVocabulary(["\n", " ", "a", "é", "😀"])
        #expect(vocabulary.jsonString == "[10,32,97,233,128512]")
        #expect(try CharacterVocabulary(json: vocabulary.jsonString, source: "f") == vocabulary)
        #expect(try vocabulary.decode(vocabulary.encode("a é😀\n")) == "a é😀\n")
        for (json, reason) in [("{}", "the vocabulary is not a JSON array of code points"),
                               ("[]", "the vocabulary holds 0 characters; it must hold 1 to 65536"),
                               ("[97,55296]", "entry 1 of the vocabulary, 55296, is not a Unicode scalar"),
                               ("[97,-1]", "entry 1 of the vocabulary, -1, is not a Unicode scalar"),
                               ("[97,98,97]", "entry 2 of the vocabulary, 97, appears twice"),
                               ("[1.5]", "the vocabulary is not a JSON array of code points")] {
            #expect(throws: DataError(path: "f", location: "here", reason: reason)) {
                try CharacterVocabulary(json: json, source: "f", location: "here")
            }
        }
        #expect(throws: DataError(path: "<text>", location: "character 1", reason: "\"b\" is not in the vocabulary")) {
            try vocabulary.encode("ab")
        }
    }

    /// Draws follow softmax(scores / T): the scores T·log(1, 2, 3) give probabilities 1/6, 2/6, 3/6.
    @Test func drawsFollowTheTemperedSoftmax() {
        var generator = RandomGenerator(seed: 11)
        for temperature in [0.5, 1, 2.0] {
            let scores = [1.0, 2, 3].map { temperature * Foundation.log($0) + 40 }
            var counts = [0, 0, 0]
            for _ in 0..<60_000 { counts[TextSampler<Float>.draw(from: scores, temperature: temperature, using: &generator)] += 1 }
            for (count, expected) in zip(counts, [1.0, 2, 3].map { $0 / 6 }) {
                #expect(Swift.abs(Double(count) / 60_000 - expected) < 0.01, "temperature \(temperature): \(counts)")
            }
        }
        #expect(TextSampler<Float>.draw(from: [1, 5, 5, 2], temperature: 0, using: &generator) == 1)
        #expect(TextSampler<Float>.draw(from: [1, 5e300, -5e300], temperature: 1e-300, using: &generator) == 1)
    }

    /// A model whose scores put character i + 1 (cyclically) after character i, strongly.
    func successorModel() -> Sequential<Float> {
        var generator = RandomGenerator(seed: 1)
        let table = Embedding<Float>(3, 3, using: &generator)
        table.weight.value = Tensor([0, 30, 0, 0, 0, 30, 30, 0, 0], shape: [3, 3])
        return Sequential<Float>([table, Permute<Float>([0, 2, 1])])
    }

    @Test func theSamplerContinuesThePromptFromTheLastPosition() throws {
        let sampler = try TextSampler(model: successorModel(), vocabulary: CharacterVocabulary(["a", "b", "c"]), contextLength: 2)
        var generator = RandomGenerator(seed: 3)
        #expect(try sampler.continuation(of: "ca", length: 5, temperature: 0, using: &generator) == "bcabc")
        #expect(try sampler.continuation(of: "b", length: 4, temperature: 1, using: &generator) == "cabc", "e^-30 never drawn")
        #expect(throws: DataError(path: "<text>", location: "character 1", reason: "\"x\" is not in the vocabulary")) {
            try sampler.continuation(of: "ax", length: 1, temperature: 1, using: &generator)
        }
        #expect(throws: ModelDescriptionError.self) {  // four characters for a model of three
            try TextSampler(model: successorModel(), vocabulary: CharacterVocabulary(["a", "b", "c", "d"]), contextLength: 2)
        }
        // Three scores but two embedding rows: the third character would have no row.
        let short = try Sequential<Float>(.sequential(layers: [.embedding(count: 2, dimension: 3), .permute(axes: [0, 2, 1])]))
        #expect(throws: ModelDescriptionError(layer: "the model", reason: "it starts with an embedding of 2 rows, fewer than the "
                                              + "vocabulary's 3 characters")) {
            try TextSampler(model: short, vocabulary: CharacterVocabulary(["a", "b", "c"]), contextLength: 2)
        }
    }

    /// A context whose attention scores (1 · heads · L · L) exceed the memory limit is refused when
    /// the sampler is made, naming the context, the layer and the limit, before any score exists.
    @Test func aContextBeyondTheMemoryLimitIsRefused() throws {
        let model = try Sequential<Float>(.sequential(layers: [
            .embedding(count: 3, dimension: 4), .sinusoidalPositionalEncoding(dimension: 4, batchFirst: true),
            .multiheadAttention(embeddingSize: 4, headCount: 2, batchFirst: true), .linear(inputSize: 4, outputSize: 3),
            .permute(axes: [0, 2, 1]),
        ]))
        let vocabulary = CharacterVocabulary(["a", "b", "c"])
        _ = try TextSampler(model: model, vocabulary: vocabulary, contextLength: 64)
        // 2 heads · 2^20 · 2^20 scores: 2^41 values, far beyond any machine's limit.
        #expect {
            try TextSampler(model: model, vocabulary: vocabulary, contextLength: 1 << 20)
        } throws: { error in
            let text = "\(error)"
            return text.contains("sampling with a context of 1048576 characters") && text.contains("at layer 2")
                && text.contains("(InputLimits.maximumBytes)")
        }
    }

    @Test func aCheckpointCarriesTheVocabularyForSampling() throws {
        let model = successorModel()
        let vocabulary = CharacterVocabulary(["a", "b", "c"])
        let data = TextCorpus.nextCharacterData([0, 1, 2, 0, 1, 2, 0], sequenceLength: 3, as: Float.self)
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 1e-3),
                              loader: DataLoader(data, batchSize: 2))
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/lm.safetensors"
        try trainer.saveCheckpoint(toFile: path, extra: TextSampler<Float>.checkpointExtra(vocabulary: vocabulary, contextLength: 3))
        let sampler = try TextSampler<Float>(checkpoint: SafeTensorsFile(contentsOfFile: path), path: path)
        #expect(sampler.vocabulary == vocabulary && sampler.contextLength == 3)
        var generator = RandomGenerator(seed: 1)
        #expect(throws: DataError(path: "<text>", reason: "an empty prompt starts at a newline, which is not in the vocabulary; give a prompt")) {
            try sampler.continuation(of: "", length: 1, temperature: 1, using: &generator)
        }
        #expect(try sampler.continuation(of: "a", length: 0, temperature: 1, using: &generator) == "")
        #expect(try sampler.continuation(of: "b", length: 3, temperature: 0, using: &generator) == "cab")

        func expectRefused(_ extra: [String: String], _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try trainer.saveCheckpoint(toFile: path, extra: extra)
            #expect(throws: CheckpointError(path: path, reason: reason), sourceLocation: sourceLocation) {
                try TextSampler<Float>(checkpoint: SafeTensorsFile(contentsOfFile: path), path: path)
            }
        }
        try expectRefused([:], "not a language model's checkpoint (no metadata \"extra.text.vocabulary\" and "
                          + "\"extra.text.sequence_length\"; train one with easynets train --dataset text)")
        try expectRefused(["text.vocabulary": "[97,97]", "text.sequence_length": "3"],
                          "metadata \"extra.text.vocabulary\": entry 1 of the vocabulary, 97, appears twice")
        try expectRefused(["text.vocabulary": "[97,98,99]", "text.sequence_length": "0"],
                          "metadata \"extra.text.sequence_length\" is not a length in 1...1048576")
        try expectRefused(["text.vocabulary": "[97,98]", "text.sequence_length": "3"],
                          "the model: it maps 1 token ids to scores of shape [1, 3, 1], not [1, 2, 1] for a vocabulary of 2 characters")
    }
}
