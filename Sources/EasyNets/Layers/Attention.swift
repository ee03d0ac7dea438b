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
/// (Xavier-uniform `in_proj_weight`, zero biases).
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

    /// Attention over `embeddingSize` features in `headCount` heads, drawn from `source`.
    public init(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true, batchFirst: Bool = false, seed: UInt64 = 0,
                using source: inout RandomGenerator) {
        require(embeddingSize >= 1 && headCount >= 1 && embeddingSize % headCount == 0,
                "MultiheadAttention: embeddingSize \(embeddingSize) must split into \(headCount) heads")
        require(dropout >= 0 && dropout < 1, "MultiheadAttention: dropout must be in [0, 1), got \(dropout)")
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
        var attention = attentionWeights(query: project(q, 0), key: project(k, 1), mask: mask, isCausal: isCausal, scale: nil)
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
}

/// The feed-forward activation of a ``TransformerEncoderLayer``.
public enum TransformerActivation: String, Sendable, Codable {
    /// max(x, 0).
    case relu
    /// The exact GELU.
    case gelu
}

/// One Transformer encoder block, PyTorch's `nn.TransformerEncoderLayer`: self-attention and a
/// feed-forward network (`linear1` → activation → dropout → `linear2`), each with a residual
/// connection and layer normalization, after (`normFirst: false`, the default) or before the
/// sublayer. Parameter names are PyTorch's (`self_attn.in_proj_weight`, `linear1.weight`,
/// `norm1.weight`, …).
public final class TransformerEncoderLayer<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The self-attention.
    public let selfAttention: MultiheadAttention<Scalar>
    /// The feed-forward network's layers.
    public let linear1: Linear<Scalar>, linear2: Linear<Scalar>
    /// The layer normalizations (of the attention and the feed-forward residuals).
    public let norm1: LayerNorm<Scalar>, norm2: LayerNorm<Scalar>
    /// The feed-forward activation.
    public let activation: TransformerActivation
    /// Whether normalization comes before each sublayer (pre-norm) instead of after its residual.
    public let normFirst: Bool
    /// Whether every call masks attention to later positions (PyTorch's `is_causal=True` on each
    /// call), so that inside a ``Sequential`` the block sees only the past: the block of a
    /// decoder-only language model.
    public let causal: Bool
    /// The dropout probability after attention, inside and after the feed-forward network.
    public let dropout: Double
    /// The generator the block's own dropout masks come from.
    public var generator: RandomGenerator
    public var isTraining = true {
        didSet { selfAttention.isTraining = isTraining }
    }

    /// A block over `modelSize` features with `headCount` heads and a feed-forward width of
    /// `feedForwardSize`, drawn from `source` in PyTorch's order (attention, linear1, linear2).
    public init(modelSize: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1,
                activation: TransformerActivation = .relu, layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, causal: Bool = false, seed: UInt64 = 0, using source: inout RandomGenerator) {
        require(dropout >= 0 && dropout < 1, "TransformerEncoderLayer: dropout must be in [0, 1), got \(dropout)")
        selfAttention = MultiheadAttention(embeddingSize: modelSize, headCount: headCount, dropout: dropout, batchFirst: batchFirst,
                                           seed: seed &+ 1, using: &source)
        linear1 = Linear(modelSize, feedForwardSize, using: &source)
        linear2 = Linear(feedForwardSize, modelSize, using: &source)
        norm1 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        norm2 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        (self.activation, self.normFirst, self.dropout, self.causal) = (activation, normFirst, dropout, causal)
        generator = RandomGenerator(seed: seed)
    }

    /// The block applied to `input` (L, N, E) or (N, L, E) with `batchFirst` (the ``Layer`` entry point).
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { encode(input) }

    /// The block applied to `input`, with the masks of ``MultiheadAttention/attend(query:key:value:keyPaddingMask:attentionMask:isCausal:)``;
    /// a ``causal`` block always masks later positions.
    public func encode(_ input: Tensor<Scalar>, mask: Tensor<Scalar>? = nil, keyPaddingMask: Tensor<Scalar>? = nil,
                       isCausal: Bool = false) -> Tensor<Scalar> {
        let isCausal = isCausal || causal
        func dropped(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            isTraining && dropout > 0 ? x * dropoutMask(x.shape, probability: dropout, using: &generator) : x
        }
        func attention(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            dropped(selfAttention.attend(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, attentionMask: mask,
                                         isCausal: isCausal).output)
        }
        func feedForward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            let hidden = linear1(x)
            return dropped(linear2(dropped(activation == .relu ? relu(hidden) : gelu(hidden))))
        }
        if normFirst {
            let attended = input + attention(norm1(input))
            return attended + feedForward(norm2(attended))
        }
        let attended = norm1(input + attention(input))
        return norm2(attended + feedForward(attended))
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        [("self_attn", selfAttention), ("linear1", linear1), ("linear2", linear2), ("norm1", norm1), ("norm2", norm2)]
    }

    public var summaryName: String {
        "TransformerEncoderLayer(\(selfAttention.embeddingSize), \(selfAttention.headCount) heads, feed-forward \(linear1.outputSize)"
            + (normFirst ? ", pre-norm" : "") + (causal ? ", causal" : "") + ")"
    }
}

/// Adds the fixed sinusoidal position code of "Attention Is All You Need" to (N, L, E) input (or
/// (L, N, E) without `batchFirst`): position p, feature 2i gets sin(p / 10000^(2i/E)), feature
/// 2i + 1 gets cos of the same. No parameters.
public final class SinusoidalPositionalEncoding<Scalar: TensorScalar>: Layer {
    /// The feature count E.
    public let dimension: Int
    /// Whether the input puts the batch axis first.
    public let batchFirst: Bool
    public var isTraining = true

    /// The code for `dimension` features.
    public init(dimension: Int, batchFirst: Bool = true) {
        require(dimension >= 1, "SinusoidalPositionalEncoding: dimension must be at least 1, got \(dimension)")
        (self.dimension, self.batchFirst) = (dimension, batchFirst)
    }

    /// The code of positions 0 ..< `length`: (length, E).
    public func code(length: Int) -> Tensor<Scalar> {
        Tensor((0..<length).flatMap { position in
            (0..<dimension).map { feature in
                let angle = Double(position) / Double.pow(10000, Double(feature - feature % 2) / Double(dimension))
                return Scalar(feature % 2 == 0 ? Double.sin(angle) : Double.cos(angle))
            }
        }, shape: [length, dimension])
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        require(input.rank == 3 && input.shape[2] == dimension,
                "SinusoidalPositionalEncoding: input shape \(input.shape) is not \(batchFirst ? "(N, L" : "(L, N"), \(dimension))")
        let code = code(length: input.shape[batchFirst ? 1 : 0])
        return input + (batchFirst ? code : code.unsqueezed(axis: 1))
    }
}

/// Adds a learned embedding of each position to (N, L, E) input (or (L, N, E) without
/// `batchFirst`): a (maximumLength, E) table, drawn from N(0, 1) as ``Embedding``'s.
public final class LearnedPositionalEmbedding<Scalar: TensorScalar>: Layer {
    /// The table, one row per position: (maximumLength, E).
    public let weight: Parameter<Scalar>
    /// Whether the input puts the batch axis first.
    public let batchFirst: Bool
    public var isTraining = true

    /// A table for sequences of up to `maximumLength` positions of `dimension` features.
    public init(maximumLength: Int, dimension: Int, batchFirst: Bool = true, using source: inout RandomGenerator) {
        require(maximumLength >= 1 && dimension >= 1, "LearnedPositionalEmbedding: sizes must be positive")
        weight = Parameter(.normal([maximumLength, dimension], using: &source))
        self.batchFirst = batchFirst
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let (maximumLength, dimension) = (weight.shape[0], weight.shape[1])
        require(input.rank == 3 && input.shape[2] == dimension && input.shape[batchFirst ? 1 : 0] <= maximumLength,
                "LearnedPositionalEmbedding: input shape \(input.shape) is not \(batchFirst ? "(N, L" : "(L, N"), \(dimension)) "
                + "with L ≤ \(maximumLength)")
        let code = weight.value.sliced(along: 0, 0..<input.shape[batchFirst ? 1 : 0])
        return input + (batchFirst ? code : code.unsqueezed(axis: 1))
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }
}
