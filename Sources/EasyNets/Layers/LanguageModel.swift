import Foundation

/// Samples text from a character-level language model: each next character is drawn from the
/// softmax of the model's scores at the last position divided by a temperature, the model seeing
/// a window of at most `contextLength` characters (the sequence length it was trained on).
///
/// The window grows with the text until it holds `contextLength` characters; the next character
/// starts it again from the newest ⌈`contextLength`/2⌉ characters, which then sit at positions
/// 0, 1, … (a context shift, as llama.cpp makes one). The model therefore always sees between half
/// a context and a whole one, at the positions it was trained on.
///
/// A causal Transformer (one an ``IncrementalDecoder`` runs, such as the `char-transformer`
/// preset) is run incrementally: each block keeps the keys and values of the window's positions,
/// so a new character costs one position's work, and a context shift refills the caches from the
/// kept half once. Without the cache (``usesKeyValueCache`` `false`, or a model the decoder does
/// not run) each character runs the model on the whole window. The samples are the same either way.
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
    /// Whether ``continuation(of:length:temperature:using:)`` runs the model with a key-value cache
    /// (``IncrementalDecoder``) when it can: `true` by default; `false` re-runs the model on the
    /// whole window for each character. The samples are the same up to rounding in the scores.
    public var usesKeyValueCache = true

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
        try Self.check(model.describe(), vocabulary: vocabulary, contextLength: contextLength)
        (self.model, self.vocabulary, self.contextLength) = (model, vocabulary, contextLength)
    }

    /// The checks of ``init(model:vocabulary:contextLength:)``, on a description, so a checkpoint's
    /// model is checked before it is built.
    private static func check(_ description: ModelDescription, vocabulary: CharacterVocabulary, contextLength: Int) throws {
        guard contextLength >= 1 else {
            throw ModelDescriptionError(layer: "the model", reason: "the context length must be at least 1, got \(contextLength)")
        }
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
    }

    /// The sampler of a training checkpoint written with ``checkpointExtra(vocabulary:contextLength:)``:
    /// its model (with the averaged weights when the checkpoint holds a moving average of them,
    /// see ``Trainer/movingAverage``), vocabulary and context length. Throws a ``CheckpointError``
    /// naming `path` when one of them is missing or unusable.
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
        guard let description = try ModelDescription(checkpoint: file, path: path) else {
            throw CheckpointError(path: path, reason: "the checkpoint carries no model description")
        }
        do { try Self.check(description, vocabulary: vocabulary, contextLength: contextLength) } catch let error as ModelDescriptionError {
            throw CheckpointError(path: path, reason: error.description)
        }
        let model = try Sequential<Scalar>(description, loadingStateFrom: file, path: path)
        try ExponentialMovingAverage<Scalar>.loadAverages(into: model, from: file, path: path)
        (self.model, self.vocabulary, self.contextLength) = (model, vocabulary, contextLength)
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
        var start = Swift.max(0, tokens.count - contextLength)  // the window's first character
        if usesKeyValueCache, let decoder = try? IncrementalDecoder(model: model), decoder.sequenceAxis == 1 {
            for _ in 0..<length {
                start = windowStart(characterCount: tokens.count, previous: start)
                // Only the newest character is new while the window grows; after a shift the kept half is fed afresh.
                let extends = decoder.position > 0 && decoder.position == tokens.count - start - 1
                if !extends { decoder.reset() }
                let window = extends ? tokens.suffix(1) : tokens[start...]
                let scores = withoutGradients {
                    decoder(Tensor(window.map { Scalar(Double($0)) }, shape: [1, window.count]), outputCount: 1).scalars
                }
                tokens.append(Self.draw(from: scores.map { Double($0) }, temperature: temperature, using: &generator))
            }
            return vocabulary.decode(Array(tokens[promptCount...]))
        }
        for _ in 0..<length {
            start = windowStart(characterCount: tokens.count, previous: start)
            let window = tokens[start...]
            let scores = withoutGradients {
                model(Tensor(window.map { Scalar(Double($0)) }, shape: [1, window.count])).scalars
            }
            // Scores (1, V, L): the last position's scores are every L-th value from L − 1.
            let last = stride(from: window.count - 1, to: scores.count, by: window.count).map { Double(scores[$0]) }
            tokens.append(Self.draw(from: last, temperature: temperature, using: &generator))
        }
        return vocabulary.decode(Array(tokens[promptCount...]))
    }

    /// The first character of the window the model sees next, for `characterCount` characters so
    /// far and a window that started at `previous`: the same window while it holds at most
    /// `contextLength` characters, else the newest ⌈`contextLength`/2⌉.
    func windowStart(characterCount: Int, previous: Int) -> Int {
        characterCount - previous <= contextLength ? previous : characterCount - (contextLength - contextLength / 2)
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
