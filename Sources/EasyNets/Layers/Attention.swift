import RealModule

/// Scaled dot-product attention, PyTorch's `F.scaled_dot_product_attention`:
/// `softmax(q·kᵀ·scale + mask)·v`, as two batched products.
///
/// - Parameters:
///   - query: (…, L, E); the leading axes of the three operands broadcast.
///   - key: (…, S, E).
///   - value: (…, S, Ev).
///   - mask: added to the scores, broadcast to (…, L, S): 0 where a query may attend, −∞ where
///     not (a float mask as PyTorch's).
///   - isCausal: query i attends to keys 0…i only (with L = S, PyTorch's `is_causal`).
///   - scale: the scores' factor; 1/√E by default.
/// - Returns: (…, L, Ev). A query with every key masked gets NaN, as in PyTorch.
public func scaledDotProductAttention<Scalar>(
    query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>, mask: Tensor<Scalar>? = nil, isCausal: Bool = false,
    scale: Double? = nil
) -> Tensor<Scalar> {
    matmul(attentionWeights(query: query, key: key, mask: mask, isCausal: isCausal, scale: scale), value)
}

/// The attention weights `softmax(q·kᵀ·scale + mask)` of ``scaledDotProductAttention(query:key:value:mask:isCausal:scale:)``.
func attentionWeights<Scalar>(query: Tensor<Scalar>, key: Tensor<Scalar>, mask: Tensor<Scalar>?, isCausal: Bool, scale: Double?)
    -> Tensor<Scalar> {
    require(query.rank >= 2 && key.rank >= 2 && query.shape.last == key.shape.last,
            "scaledDotProductAttention: query \(query.shape) and key \(key.shape) must be (…, L, E) and (…, S, E)")
    let (length, sourceLength) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
    var scores = matmul(query, key, transposeB: true) * Scalar(scale ?? 1 / Double(query.shape.last!).squareRoot())
    if isCausal {
        let future = Tensor<Scalar>((0..<length).flatMap { i in (0..<sourceLength).map { j in j > i ? 1 : 0 } },
                                    shape: [length, sourceLength])
        scores = scores.maskedFilled(where: future, with: -.infinity)
    }
    if let mask { scores = scores + mask }
    return softmax(scores, along: -1)
}

/// Multi-head attention, PyTorch's `nn.MultiheadAttention` (same embedding size for query, key and
/// value): the inputs are projected by the rows of `in_proj_weight` (E·3, E) and `in_proj_bias`,
/// split into `headCount` heads of E/heads features, attended per head as batched gemm, joined and
/// projected by `out_proj` (a ``Linear``). Parameter names and initialization are PyTorch's
/// (Xavier-uniform `in_proj_weight`, zero biases). With a ``rotaryEmbedding`` each head's queries
/// and keys are rotated by position (RoPE) before the scores, an option PyTorch's layer lacks.
public final class MultiheadAttention<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The embedding size E.
    public let embeddingSize: Int
    /// The number of heads (dividing E).
    public let headCount: Int
    /// Whether inputs and output put the batch axis first: (N, L, E) instead of (L, N, E).
    public let batchFirst: Bool
    /// The dropout probability on the attention weights in training.
    public let dropout: Double
    /// The query, key and value projections stacked: (3E, E).
    public let inputProjectionWeight: Parameter<Scalar>
    /// Their biases, (3E), or `nil`.
    public let inputProjectionBias: Parameter<Scalar>?
    /// The output projection.
    public let outputProjection: Linear<Scalar>
    /// The generator dropout masks come from.
    public var generator: RandomGenerator
    public var isTraining = true
    /// The rotary position embedding of each head's queries and keys, or `nil` for none.
    public let rotaryEmbedding: RotaryEmbedding?

    /// Attention over `embeddingSize` features in `headCount` heads, drawn from `source`; with a
    /// `rotaryBase`, queries and keys are rotated by a ``RotaryEmbedding`` of that base.
    public init(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false, seed: UInt64 = 0,
                rotaryBase: Double? = nil, using source: inout RandomGenerator) {
        MultiheadAttentionDescription(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias,
                                      batchFirst: batchFirst, rotaryBase: rotaryBase).requireValid()
        rotaryEmbedding = rotaryBase.map { RotaryEmbedding(dimension: embeddingSize / headCount, base: $0) }
        (self.embeddingSize, self.headCount, self.batchFirst, self.dropout) = (embeddingSize, headCount, batchFirst, dropout)
        let bound = Scalar((6 / Double(embeddingSize + 3 * embeddingSize)).squareRoot())  // Xavier uniform of (3E, E)
        inputProjectionWeight = Parameter(.uniform([3 * embeddingSize, embeddingSize], low: -bound, high: bound, using: &source))
        inputProjectionBias = bias ? Parameter(.zeros([3 * embeddingSize])) : nil
        outputProjection = Linear(embeddingSize, embeddingSize, bias: bias, using: &source)
        outputProjection.bias?.assign(.zeros([embeddingSize]))
        generator = RandomGenerator(seed: seed)
    }

    /// Self-attention of `input` (the ``Layer`` entry point).
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { attend(query: input, key: input, value: input).output }

    /// Attends `query` (L, N, E) to `key` and `value` (S, N, E) ((N, ·, E) with `batchFirst`).
    ///
    /// - Parameters:
    ///   - query: (L, N, E), or (N, L, E) with `batchFirst`.
    ///   - key: (S, N, E), or (N, S, E) with `batchFirst`.
    ///   - value: shaped as `key`.
    ///   - keyPaddingMask: (N, S), nonzero where a key is padding and must be ignored.
    ///   - attentionMask: (L, S) or (N·heads, L, S), added to the scores (−∞ forbids).
    ///   - isCausal: query i attends to keys 0…i only.
    /// - Returns: the output, shaped as `query`, and the attention weights averaged over the heads, (N, L, S).
    public func attend(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>, keyPaddingMask: Tensor<Scalar>? = nil,
                       attentionMask: Tensor<Scalar>? = nil, isCausal: Bool = false) -> (output: Tensor<Scalar>, weights: Tensor<Scalar>) {
        let e = embeddingSize, heads = headCount, d = embeddingSize / headCount
        for (name, t) in [("query", query), ("key", key), ("value", value)] {
            require(t.rank == 3 && t.shape[2] == e, "MultiheadAttention: \(name) shape \(t.shape) is not "
                    + (batchFirst ? "(N, L, \(e))" : "(L, N, \(e))"))
        }
        // (L, N, E) throughout, as PyTorch computes it.
        let (q, k, v) = batchFirst ? (query.permuted([1, 0, 2]), key.permuted([1, 0, 2]), value.permuted([1, 0, 2])) : (query, key, value)
        let (length, batch, sourceLength) = (q.shape[0], q.shape[1], k.shape[0])
        require(k.shape == v.shape && k.shape[1] == batch,
                "MultiheadAttention: query \(query.shape), key \(key.shape) and value \(value.shape) do not match")
        let weight = inputProjectionWeight.value, bias = inputProjectionBias?.value
        /// Projection `part` (0 query, 1 key, 2 value) of x, as (N·heads, length, d).
        func project(_ x: Tensor<Scalar>, _ part: Int) -> Tensor<Scalar> {
            let rows = (part * e)..<((part + 1) * e)
            let projected = linear(x, weight: weight.sliced(along: 0, rows), bias: bias?.sliced(along: 0, rows))
            return projected.reshaped(to: [x.shape[0], batch * heads, d]).permuted([1, 0, 2])
        }
        var mask = attentionMask.map { m -> Tensor<Scalar> in
            require(m.shape == [length, sourceLength] || m.shape == [batch * heads, length, sourceLength],
                    "MultiheadAttention: attention mask shape \(m.shape) is not (\(length), \(sourceLength)) or "
                    + "(\(batch * heads), \(length), \(sourceLength))")
            return m
        }
        if let keyPaddingMask {
            require(keyPaddingMask.shape == [batch, sourceLength],
                    "MultiheadAttention: key padding mask shape \(keyPaddingMask.shape) is not (\(batch), \(sourceLength))")
            let padding = Tensor<Scalar>.zeros([batch, heads, 1, sourceLength])
                .maskedFilled(where: keyPaddingMask.reshaped(to: [batch, 1, 1, sourceLength]), with: -.infinity)
                .reshaped(to: [batch * heads, 1, sourceLength])
            mask = mask.map { $0 + padding } ?? padding
        }
        var attention = attentionWeights(query: rotated(project(q, 0)), key: rotated(project(k, 1)), mask: mask, isCausal: isCausal, scale: nil)
        if isTraining, dropout > 0 { attention = attention * dropoutMask(attention.shape, probability: dropout, using: &generator) }
        let averaged = attention.reshaped(to: [batch, heads, length, sourceLength]).mean(alongAxes: [1])  // after dropout, as PyTorch
        let joined = matmul(attention, project(v, 2)).permuted([1, 0, 2]).reshaped(to: [length, batch, e])
        let output = outputProjection(joined)
        return (batchFirst ? output.permuted([1, 0, 2]) : output, averaged)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("in_proj_weight", inputProjectionWeight)] + (inputProjectionBias.map { [("in_proj_bias", $0)] } ?? [])
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] { [("out_proj", outputProjection)] }

    public var summaryName: String { "MultiheadAttention(\(embeddingSize), \(headCount) heads)" }

    public var layerDescription: ModelDescription? {
        .layer(MultiheadAttentionDescription(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout,
                                             bias: inputProjectionBias != nil, batchFirst: batchFirst,
                                             rotaryBase: rotaryEmbedding?.base))
    }
}

/// The description of a ``MultiheadAttention`` layer used as self-attention; built from a model
/// description, it takes one dropout seed.
public struct MultiheadAttentionDescription: LayerDescription {
    public static let kind = "multiheadAttention"
    /// The embedding size E, at least 1 and a multiple of the head count.
    public var embeddingSize: Int
    /// The number of heads, at least 1.
    public var headCount: Int
    /// The dropout probability on the attention weights in training, in [0, 1).
    public var dropout: Double
    /// Whether the projections have biases.
    public var bias: Bool
    /// Whether input and output put the batch axis first.
    public var batchFirst: Bool
    /// The base of the rotary position embedding of queries and keys (finite, > 0; the head size
    /// must then be even), or `nil` for none. Absent from the JSON when `nil`.
    public var rotaryBase: Double?

    /// A description of self-attention over `embeddingSize` features in `headCount` heads.
    public init(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false,
                rotaryBase: Double? = nil) {
        (self.embeddingSize, self.headCount, self.dropout, self.bias, self.batchFirst) = (embeddingSize, headCount, dropout, bias, batchFirst)
        self.rotaryBase = rotaryBase
    }

    public func problem() -> String? {
        embeddingSize < 1 || headCount < 1 || embeddingSize % headCount != 0 || !(dropout >= 0 && dropout < 1)
            ? "MultiheadAttention needs a size ≥ 1 that splits into heads ≥ 1 and dropout in [0, 1), got \(embeddingSize), "
                + "\(headCount) heads, dropout \(dropout)"
            : rotaryBase.flatMap { RotaryEmbedding.problem(dimension: embeddingSize / headCount, base: $0) }
    }

    /// in_proj (3E, E), out_proj (E, E) and their biases.
    public var stateCount: Int? {
        CheckedCount.sum([CheckedCount.product(embeddingSize, 4, embeddingSize), bias ? CheckedCount.product(embeddingSize, 4) : 0])
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try selfAttentionOutputShape(shape, size: embeddingSize, heads: headCount, batchFirst: batchFirst, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        MultiheadAttention<Scalar>(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias, batchFirst: batchFirst,
                                   seed: context.takeSeed(), rotaryBase: rotaryBase, using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``MultiheadAttention`` layer used as self-attention.
    public static func multiheadAttention(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true,
                                          batchFirst: Bool = false, rotaryBase: Double? = nil) -> ModelDescription {
        .layer(MultiheadAttentionDescription(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias,
                                             batchFirst: batchFirst, rotaryBase: rotaryBase))
    }
}

/// Self-attention keeps its (L, N, E) or (N, L, E) input's shape; its scores are (N, heads, L, L).
func selfAttentionOutputShape(_ shape: [Int], size: Int, heads: Int, batchFirst: Bool, inference: inout ShapeInference) throws -> [Int] {
    guard shape.count == 3 && shape[2] == size else {
        throw inference.error("attention of size \(size) takes \(batchFirst ? "(N, L" : "(L, N"), \(size)), the input has shape \(shape)")
    }
    let length = shape[batchFirst ? 1 : 0], batch = shape[batchFirst ? 0 : 1]
    try inference.noteBuffer([batch, heads, length, length], "the attention scores")
    return shape
}
