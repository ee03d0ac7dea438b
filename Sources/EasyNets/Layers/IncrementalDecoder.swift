/// Runs a causal Transformer stack on a sequence a few positions at a time, each attention block
/// keeping its keys and values in a ``KeyValueCache``: after positions 0 ..< t, position t costs one
/// position's work plus attention over t cached keys, instead of a forward pass over t + 1 positions.
///
/// The stack is a ``Sequential`` of, in any order: layers that act on each position alone
/// (``Embedding``, ``Linear``, a ``LayerNorm`` over the feature axis, elementwise activations,
/// ``Dropout``, ``Identity``), positional codes (``LearnedPositionalEmbedding``,
/// ``SinusoidalPositionalEncoding``, added at the positions fed), causal ``TransformerEncoderLayer``s
/// (at least one; rotary embeddings included), and a ``Permute`` as the last layer — the
/// `char-transformer` preset's layers. Fed a sequence in pieces, it returns what the model returns
/// for the whole sequence at those positions, up to rounding. It is for inference: it runs
/// without dropout (the model must be in evaluation mode) and without recording gradients.
///
/// ```swift
/// let decoder = try IncrementalDecoder(model: model)
/// let first = decoder(Tensor([3, 1, 4], shape: [1, 3]))          // positions 0, 1, 2
/// let next = decoder(Tensor([1], shape: [1, 1]))                 // position 3 only
/// ```
public final class IncrementalDecoder<Scalar: TensorScalar> {
    /// What one layer of the stack does to the new positions.
    private enum Step {
        case positionwise(any Layer<Scalar>)
        case learnedPositions(LearnedPositionalEmbedding<Scalar>)
        case sinusoidalPositions(SinusoidalPositionalEncoding<Scalar>)
        case block(TransformerEncoderLayer<Scalar>, KeyValueCache<Scalar>)
    }

    /// The model run.
    public let model: Sequential<Scalar>
    /// The caches of the model's attention blocks, in order.
    public let caches: [KeyValueCache<Scalar>]
    /// The positions fed since the start or the last ``reset()``: the next input's first position.
    public private(set) var position = 0
    /// The axis of the positions in the model's input and in its blocks' inputs: 1 when they put the
    /// batch axis first, else 0.
    public let sequenceAxis: Int
    /// The most positions the model takes (its learned positional table's rows), or `nil` for no limit.
    public let maximumLength: Int?
    private let steps: [Step]
    private let lastBlock: Int

    /// A decoder of `model`; throws a ``ModelDescriptionError`` naming the first layer it cannot run
    /// a position at a time, or blocks that disagree on the batch axis.
    public init(model: Sequential<Scalar>) throws {
        var steps: [Step] = [], batchFirst: [Bool] = [], lengths: [Int] = []
        for (index, layer) in model.layers.enumerated() {
            func refuse(_ reason: String) -> ModelDescriptionError {
                ModelDescriptionError(layer: "layer \(index) (\(layer.summaryName))", reason: reason)
            }
            if let block = layer as? TransformerEncoderLayer<Scalar> {
                guard block.causal else { throw refuse("a block that is not causal sees later positions; incremental decoding needs causal blocks") }
                batchFirst.append(block.selfAttention.batchFirst)
                steps.append(.block(block, KeyValueCache()))
            } else if let table = layer as? LearnedPositionalEmbedding<Scalar> {
                (batchFirst, lengths) = (batchFirst + [table.batchFirst], lengths + [table.weight.shape[0]])
                steps.append(.learnedPositions(table))
            } else if let code = layer as? SinusoidalPositionalEncoding<Scalar> {
                batchFirst.append(code.batchFirst)
                steps.append(.sinusoidalPositions(code))
            } else if layer is Permute<Scalar> {
                guard index == model.layers.count - 1 else { throw refuse("a permutation must be the last layer") }
                steps.append(.positionwise(layer))
            } else if Self.actsPerPosition(layer) {
                steps.append(.positionwise(layer))
            } else {
                throw refuse("it does not act on each position alone, so the model cannot run a position at a time")
            }
        }
        guard let lastBlock = steps.lastIndex(where: { if case .block = $0 { true } else { false } }) else {
            throw ModelDescriptionError(layer: "the model", reason: "it has no causal TransformerEncoderLayer to decode incrementally")
        }
        for step in steps[lastBlock...] {
            switch step {
            case .learnedPositions, .sinusoidalPositions:
                throw ModelDescriptionError(layer: "the model", reason: "a positional code after the last attention block")
            default: continue
            }
        }
        guard Set(batchFirst).count == 1 else {
            throw ModelDescriptionError(layer: "the model", reason: "its blocks and positional codes disagree on batchFirst")
        }
        (self.model, self.steps, self.lastBlock, self.sequenceAxis) = (model, steps, lastBlock, batchFirst[0] ? 1 : 0)
        caches = steps.compactMap { if case .block(_, let cache) = $0 { cache } else { nil } }
        maximumLength = lengths.min()
    }

    /// Whether `layer` maps each position's features alone, the same at every position.
    private static func actsPerPosition(_ layer: any Layer<Scalar>) -> Bool {
        if let norm = layer as? LayerNorm<Scalar> { return norm.normalizedShape.count == 1 }
        if layer is Linear<Scalar> || layer is Embedding<Scalar> { return true }
        // Elementwise activations, dropout and the identity: their descriptions keep the shape and hold no state.
        if case .layer(let description)? = layer.layerDescription { return description is any ShapePreservingLayerDescription }
        return false
    }

    /// The model's output for the next positions `input` (the model's input for l positions, e.g.
    /// token ids (N, l)), which become positions ``position`` ..< ``position`` + l.
    ///
    /// - Parameters:
    ///   - input: the new positions, along ``sequenceAxis``.
    ///   - outputCount: how many of the last new positions to compute outputs for (all by default);
    ///     the rest are only cached. One output for a prompt saves the last block's and the head's
    ///     work at the other positions.
    /// - Returns: the model's output at the last `outputCount` new positions, as the model returns
    ///   a sequence of that length.
    public func callAsFunction(_ input: Tensor<Scalar>, outputCount: Int? = nil) -> Tensor<Scalar> {
        require(input.rank > sequenceAxis && input.shape[sequenceAxis] >= 1,
                "IncrementalDecoder: input shape \(input.shape) has no positions along axis \(sequenceAxis)")
        let length = input.shape[sequenceAxis], outputs = outputCount ?? length
        require((1...length).contains(outputs), "IncrementalDecoder: \(outputs) outputs of \(length) new positions")
        require(maximumLength.map { position + length <= $0 } ?? true,
                "IncrementalDecoder: positions \(position)..<\(position + length) exceed the model's \(maximumLength ?? 0) positions")
        require(!model.isTraining, "IncrementalDecoder: the model is in training mode; call eval() first")
        let positions = position..<(position + length)
        var x = input
        withoutGradients {
            for (index, step) in steps.enumerated() {
                switch step {
                case .positionwise(let layer):
                    x = layer(x)
                case .learnedPositions(let table):
                    require(x.rank == 3 && x.shape[2] == table.weight.shape[1],
                            "IncrementalDecoder: LearnedPositionalEmbedding input shape \(x.shape) is not (…, …, \(table.weight.shape[1]))")
                    let rows = table.weight.value.sliced(along: 0, positions)
                    x = x + (sequenceAxis == 1 ? rows : rows.unsqueezed(axis: 1))
                case .sinusoidalPositions(let code):
                    require(x.rank == 3 && x.shape[2] == code.dimension,
                            "IncrementalDecoder: SinusoidalPositionalEncoding input shape \(x.shape) is not (…, …, \(code.dimension))")
                    let rows = code.code(positions: positions)
                    x = x + (sequenceAxis == 1 ? rows : rows.unsqueezed(axis: 1))
                case .block(let block, let cache):
                    // After the last block every layer acts per position: only the outputs asked for are computed.
                    x = block.encodeIncrementally(x, cache: cache, outputCount: index == lastBlock ? outputs : nil)
                }
            }
        }
        position += length
        return x
    }

    /// Empties the caches, for a new sequence starting at position 0.
    public func reset() {
        for cache in caches { cache.removeAll() }
        position = 0
    }
}
