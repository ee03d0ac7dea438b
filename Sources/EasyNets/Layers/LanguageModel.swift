import Foundation

/// The character-level language models of `easynets train --dataset text`: token ids (N, L) in,
/// next-character scores (N, vocabulary, L) out, the class axis second as `crossEntropy(logits:labels:)`
/// takes it (a final ``Permute``). Parameter names match the same `torch.nn.Sequential`.
public enum CharacterLanguageModel {
    /// The `char-lstm` preset: `Embedding(vocabulary, embedding) → LSTM(embedding → hidden,
    /// layers, batch first, dropout between layers) → Linear(hidden, vocabulary) → Permute`.
    public static func lstm(vocabularySize: Int, embedding: Int = 64, hidden: Int = 256, layers: Int = 1,
                            dropout: Double = 0) -> ModelDescription {
        require(vocabularySize >= 1 && embedding >= 1 && hidden >= 1 && layers >= 1,
                "CharacterLanguageModel.lstm: sizes must be positive, got vocabulary \(vocabularySize), embedding \(embedding), "
                + "hidden \(hidden), layers \(layers)")
        return .sequential(layers: [
            .embedding(count: vocabularySize, dimension: embedding),
            .recurrent(cell: .lstm, inputSize: embedding, hiddenSize: hidden, layerCount: layers, bias: true, batchFirst: true,
                       dropout: dropout, bidirectional: false),
            .linear(inputSize: hidden, outputSize: vocabularySize, bias: true),
            .permute(axes: [0, 2, 1]),
        ])
    }

    /// The `char-transformer` preset, a decoder-only Transformer: `Embedding(vocabulary, size) →
    /// LearnedPositionalEmbedding(contextLength, size) → layers × TransformerEncoderLayer(size,
    /// heads, 4·size, GELU, pre-norm, causal) → LayerNorm → Linear(size, vocabulary) → Permute`.
    /// It takes sequences of at most `contextLength` characters.
    public static func transformer(vocabularySize: Int, contextLength: Int, size: Int = 128, heads: Int = 4, layers: Int = 2,
                                   dropout: Double = 0.1) -> ModelDescription {
        require(vocabularySize >= 1 && contextLength >= 1 && size >= 1 && heads >= 1 && size % heads == 0 && layers >= 1,
                "CharacterLanguageModel.transformer: needs positive sizes and a size that splits into the heads, got vocabulary "
                + "\(vocabularySize), context \(contextLength), size \(size), heads \(heads), layers \(layers)")
        let block = ModelDescription.transformerEncoderLayer(
            modelSize: size, headCount: heads, feedForwardSize: 4 * size, dropout: dropout, activation: .gelu, layerNormEpsilon: 1e-5,
            batchFirst: true, normFirst: true, causal: true)
        return .sequential(layers: [
            .embedding(count: vocabularySize, dimension: size),
            .learnedPositionalEmbedding(maximumLength: contextLength, dimension: size, batchFirst: true),
        ] + Array(repeating: block, count: layers) + [
            .layerNorm(normalizedShape: [size], epsilon: 1e-5, elementwiseAffine: true),
            .linear(inputSize: size, outputSize: vocabularySize, bias: true),
            .permute(axes: [0, 2, 1]),
        ])
    }
}

/// Samples text from a character-level language model: each next character is drawn from the
/// softmax of the model's scores at the last position divided by a temperature, the model seeing
/// the last `contextLength` characters (the sequence length it was trained on).
///
/// ```swift
/// let sampler = try TextSampler<Float>(checkpoint: SafeTensorsFile(contentsOfFile: "lm.safetensors"), path: "lm.safetensors")
/// var generator = RandomGenerator(seed: 1)
/// print(try sampler.continuation(of: "The ", length: 200, temperature: 0.8, using: &generator))
/// ```
public struct TextSampler<Scalar: TensorScalar> {
    /// The model: token ids (1, L) to scores (1, vocabulary, L).
    public let model: Sequential<Scalar>
    /// The model's characters.
    public let vocabulary: CharacterVocabulary
    /// The most characters the model sees at once.
    public let contextLength: Int

    /// The checkpoint's extra value (``TrainingCheckpoint/extra``, metadata `extra.text.vocabulary`)
    /// holding the vocabulary as ``CharacterVocabulary/jsonString``.
    public static var vocabularyKey: String { "text.vocabulary" }
    /// The checkpoint's extra value holding the context length, the training sequence length.
    public static var contextLengthKey: String { "text.sequence_length" }

    /// The values to store with a language model's checkpoints (``CheckpointWriter``'s `extra`),
    /// from which ``init(checkpoint:path:)`` rebuilds the sampler.
    public static func checkpointExtra(vocabulary: CharacterVocabulary, contextLength: Int) -> [String: String] {
        [vocabularyKey: vocabulary.jsonString, contextLengthKey: String(contextLength)]
    }

    /// A sampler of `model`; throws a ``ModelDescriptionError`` unless the model maps (1, L) token
    /// ids to (1, vocabulary.count, L) scores for L up to `contextLength`, with a row of its
    /// leading embedding for every character, and a window of `contextLength` characters fits
    /// ``InputLimits/maximumBytes``.
    public init(model: Sequential<Scalar>, vocabulary: CharacterVocabulary, contextLength: Int) throws {
        guard contextLength >= 1 else {
            throw ModelDescriptionError(layer: "the model", reason: "the context length must be at least 1, got \(contextLength)")
        }
        let description = try model.describe()
        if case .sequential(let layers) = description, let rows = layers.first?.layer(as: EmbeddingDescription.self)?.count,
           rows < vocabulary.count {
            throw ModelDescriptionError(layer: "the model", reason: "it starts with an embedding of \(rows) rows, fewer than the "
                                        + "vocabulary's \(vocabulary.count) characters")
        }
        for length in contextLength == 1 ? [1] : [1, contextLength] {
            let shape = try description.outputShape(for: [1, length])
            guard shape == [1, vocabulary.count, length] else {
                throw ModelDescriptionError(layer: "the model", reason: "it maps \(length) token ids to scores of shape \(shape), not "
                                            + "\([1, vocabulary.count, length]) for a vocabulary of \(vocabulary.count) characters")
            }
        }
        // The longest window a continuation runs: its attention scores or recurrent gates must fit the budget.
        do {
            try description.checkMemory(batchSize: 1, exampleShape: [contextLength], training: false, scalarSize: MemoryLayout<Scalar>.size,
                                        source: "the model")
        } catch let error as ModelDescriptionError {
            throw ModelDescriptionError(layer: error.layer, reason: "sampling with a context of \(contextLength) characters: \(error.reason)")
        }
        (self.model, self.vocabulary, self.contextLength) = (model, vocabulary, contextLength)
    }

    /// The sampler of a training checkpoint written with ``checkpointExtra(vocabulary:contextLength:)``:
    /// its model, vocabulary and context length. Throws a ``CheckpointError`` naming `path` when
    /// one of them is missing or unusable.
    public init(checkpoint file: SafeTensorsFile, path: String = "<memory>") throws {
        let record = try TrainingCheckpoint<Scalar>.record(in: file, path: path)
        guard let json = record.extra[Self.vocabularyKey], let length = record.extra[Self.contextLengthKey] else {
            throw CheckpointError(path: path, reason: "not a language model's checkpoint (no metadata \"extra.\(Self.vocabularyKey)\" "
                                  + "and \"extra.\(Self.contextLengthKey)\"; train one with easynets train --dataset text)")
        }
        let vocabulary: CharacterVocabulary
        do { vocabulary = try CharacterVocabulary(json: json, source: path) } catch let error as DataError {
            throw CheckpointError(path: path, reason: "metadata \"extra.\(Self.vocabularyKey)\": \(error.reason)")
        }
        guard let contextLength = Int(length), (1...(1 << 20)).contains(contextLength) else {
            throw CheckpointError(path: path, reason: "metadata \"extra.\(Self.contextLengthKey)\" is not a length in 1...\(1 << 20)")
        }
        guard let model = try Sequential<Scalar>.loadModel(from: file, path: path) else {
            throw CheckpointError(path: path, reason: "the checkpoint carries no model description")
        }
        do { try self.init(model: model, vocabulary: vocabulary, contextLength: contextLength) } catch let error as ModelDescriptionError {
            throw CheckpointError(path: path, reason: error.description)
        }
    }

    /// `length` characters following `prompt` (the prompt itself not included), drawn with
    /// `generator`. An empty prompt starts at a document boundary, a newline. The scores are
    /// divided by `temperature` before the softmax: below 1 the text is more predictable, above 1
    /// more varied; 0 takes the most likely character every time. Throws a ``DataError`` naming
    /// the first prompt character outside the vocabulary (or for an empty prompt when the
    /// vocabulary has no newline).
    public func continuation(of prompt: String, length: Int, temperature: Double,
                             using generator: inout RandomGenerator) throws -> String {
        require(length >= 0, "TextSampler.continuation: length must not be negative, got \(length)")
        require(temperature >= 0 && temperature.isFinite, "TextSampler.continuation: temperature must be finite and ≥ 0, got \(temperature)")
        guard !prompt.isEmpty || vocabulary.id(of: "\n") != nil else {
            throw DataError(path: "<text>", reason: "an empty prompt starts at a newline, which is not in the vocabulary; give a prompt")
        }
        var tokens = try vocabulary.encode(prompt.isEmpty ? "\n" : prompt)
        let promptCount = tokens.count
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        for _ in 0..<length {
            let window = tokens.suffix(contextLength)
            let scores = withoutGradients {
                model(Tensor(window.map { Scalar(Double($0)) }, shape: [1, window.count])).scalars
            }
            // Scores (1, V, L): the last position's scores are every L-th value from L − 1.
            let last = stride(from: window.count - 1, to: scores.count, by: window.count).map { Double(scores[$0]) }
            tokens.append(Self.draw(from: last, temperature: temperature, using: &generator))
        }
        return vocabulary.decode(Array(tokens[promptCount...]))
    }

    /// A class drawn from softmax(scores / temperature), or the first largest score at temperature
    /// 0 (also when the scaled scores overflow).
    static func draw(from scores: [Double], temperature: Double, using generator: inout RandomGenerator) -> Int {
        let best = scores.indices.max { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }!
        guard temperature > 0 else { return best }
        let weights = scores.map { Double.exp(($0 - scores[best]) / temperature) }
        let total = weights.reduce(0, +)
        guard total.isFinite && total > 0 else { return best }
        var remaining = generator.nextUnitDouble() * total
        for (index, weight) in weights.enumerated() {
            remaining -= weight
            if remaining < 0 { return index }
        }
        return best  // rounding left a sliver: the largest weight's class
    }
}
