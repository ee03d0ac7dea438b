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
/// sublayer; with a `rotaryBase` its attention rotates queries and keys by position (a
/// ``RotaryEmbedding``, not in PyTorch's layer). Parameter names are PyTorch's (`self_attn.in_proj_weight`, `linear1.weight`,
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
                normFirst: Bool = false, causal: Bool = false, seed: UInt64 = 0, rotaryBase: Double? = nil,
                using source: inout RandomGenerator) {
        TransformerEncoderLayerDescription(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                           activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                           normFirst: normFirst, causal: causal, rotaryBase: rotaryBase).requireValid()
        selfAttention = MultiheadAttention(embeddingSize: modelSize, headCount: headCount, dropout: dropout, batchFirst: batchFirst,
                                           seed: seed &+ 1, rotaryBase: rotaryBase, using: &source)
        linear1 = Linear(modelSize, feedForwardSize, using: &source)
        linear2 = Linear(feedForwardSize, modelSize, using: &source)
        norm1 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        norm2 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        (self.activation, self.normFirst, self.dropout, self.causal) = (activation, normFirst, dropout, causal)
        generator = RandomGenerator(seed: seed)
    }

    /// The block applied to `input` (L, N, E), (N, L, E) with `batchFirst`, or unbatched (L, E)
    /// (the ``Layer`` entry point).
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { encode(input) }

    /// The block applied to `input`, as PyTorch's `forward(src, src_mask, src_key_padding_mask, is_causal)`.
    ///
    /// - Parameters:
    ///   - input: (L, N, E), (N, L, E) with `batchFirst`, or unbatched (L, E).
    ///   - mask: the self-attention mask, (L, L) or (N·heads, L, L).
    ///   - keyPaddingMask: (N, L), or (L) unbatched: the positions no query attends to.
    ///   - isCausal: position i attends to positions 0…i only; a ``causal`` block always does.
    /// - Returns: shaped as `input`.
    public func encode(_ input: Tensor<Scalar>, mask: AttentionMask<Scalar>? = nil, keyPaddingMask: AttentionMask<Scalar>? = nil,
                       isCausal: Bool = false) -> Tensor<Scalar> {
        let isCausal = isCausal || causal
        let dropping = isTraining && dropout > 0
        func dropped(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            dropping ? EasyNets.dropout(x, probability: dropout, using: &generator) : x
        }
        // x + dropout(sublayer), the dropout and the residual add in one pass.
        func residual(_ x: Tensor<Scalar>, _ sublayer: Tensor<Scalar>) -> Tensor<Scalar> {
            dropping ? EasyNets.dropout(sublayer, probability: dropout, adding: x, using: &generator) : x + sublayer
        }
        func attention(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            selfAttention.attend(query: x, key: x, value: x, keyPaddingMask: keyPaddingMask, needWeights: false,
                                 attentionMask: mask, isCausal: isCausal).output
        }
        func feedForward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            let hidden = linear1(x)
            return linear2(dropped(activation == .relu ? relu(hidden) : gelu(hidden)))
        }
        if normFirst {
            let attended = residual(input, attention(norm1(input)))
            return residual(attended, feedForward(norm2(attended)))
        }
        let attended = norm1(residual(input, attention(input)))
        return norm2(residual(attended, feedForward(attended)))
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        [("self_attn", selfAttention), ("linear1", linear1), ("linear2", linear2), ("norm1", norm1), ("norm2", norm2)]
    }

    public var summaryName: String {
        "TransformerEncoderLayer(\(selfAttention.embeddingSize), \(selfAttention.headCount) heads, feed-forward \(linear1.outputSize)"
            + (normFirst ? ", pre-norm" : "") + (causal ? ", causal" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(TransformerEncoderLayerDescription(modelSize: selfAttention.embeddingSize, headCount: selfAttention.headCount,
                                                  feedForwardSize: linear1.outputSize, dropout: dropout, activation: activation,
                                                  layerNormEpsilon: norm1.epsilon, batchFirst: selfAttention.batchFirst,
                                                  normFirst: normFirst, causal: causal,
                                                  rotaryBase: selfAttention.rotaryEmbedding?.base))
    }
}

/// The description of a ``TransformerEncoderLayer``; built from a model description, it takes two
/// dropout seeds (the block's own and its attention's).
public struct TransformerEncoderLayerDescription: LayerDescription {
    public static let kind = "transformerEncoderLayer"
    public static let defaultFields = #"{"feedForwardSize":2048,"dropout":0.1,"activation":"relu","layerNormEpsilon":1e-05,"batchFirst":false,"normFirst":false,"causal":false,"rotaryBase":null}"#
    /// The feature count E, at least 1 and a multiple of the head count.
    public var modelSize: Int
    /// The number of attention heads, at least 1.
    public var headCount: Int
    /// The feed-forward width, at least 1.
    public var feedForwardSize: Int
    /// The dropout probability, in [0, 1).
    public var dropout: Double
    /// The feed-forward activation.
    public var activation: TransformerActivation
    /// The layer normalizations' ε; finite and > 0.
    public var layerNormEpsilon: Double
    /// Whether input and output put the batch axis first.
    public var batchFirst: Bool
    /// Whether normalization comes before each sublayer.
    public var normFirst: Bool
    /// Whether every call masks attention to later positions.
    public var causal: Bool
    /// The base of the attention's rotary position embedding (finite, > 0; the head size must then
    /// be even), or `nil` for none. Absent from the JSON when `nil`.
    public var rotaryBase: Double?

    /// A description of a block over `modelSize` features (PyTorch's defaults elsewhere).
    public init(modelSize: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, causal: Bool = false,
                rotaryBase: Double? = nil) {
        (self.modelSize, self.headCount, self.feedForwardSize, self.dropout) = (modelSize, headCount, feedForwardSize, dropout)
        (self.activation, self.layerNormEpsilon, self.batchFirst) = (activation, layerNormEpsilon, batchFirst)
        (self.normFirst, self.causal, self.rotaryBase) = (normFirst, causal, rotaryBase)
    }

    public func problem() -> String? {
        modelSize < 1 || headCount < 1 || modelSize % headCount != 0 || feedForwardSize < 1 || !(dropout >= 0 && dropout < 1)
            || !(layerNormEpsilon > 0 && layerNormEpsilon.isFinite)
            ? "TransformerEncoderLayer needs a size ≥ 1 that splits into heads ≥ 1, a feed-forward size ≥ 1, dropout in [0, 1) "
                + "and a finite ε > 0, got \(modelSize), \(headCount) heads, \(feedForwardSize), \(dropout), \(layerNormEpsilon)"
            : rotaryBase.flatMap { RotaryEmbedding.problem(dimension: modelSize / headCount, base: $0) }
    }

    /// Attention (in_proj, out_proj and biases), linear1, linear2, and two LayerNorms.
    public var stateCount: Int? {
        let (size, width) = (modelSize, feedForwardSize)
        return CheckedCount.sum([CheckedCount.product(size, 4, size), CheckedCount.product(size, 4), CheckedCount.product(size, width),
                                 CheckedCount.product(size, width), width, size, CheckedCount.product(size, 4)])
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try selfAttentionOutputShape(shape, size: modelSize, heads: headCount, batchFirst: batchFirst, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        TransformerEncoderLayer<Scalar>(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                        activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                        normFirst: normFirst, causal: causal, seed: context.takeSeed(count: 2), rotaryBase: rotaryBase,
                                        using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``TransformerEncoderLayer``.
    public static func transformerEncoderLayer(
        modelSize: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
        layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, causal: Bool = false,
        rotaryBase: Double? = nil
    ) -> ModelDescription {
        .layer(TransformerEncoderLayerDescription(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize,
                                                  dropout: dropout, activation: activation, layerNormEpsilon: layerNormEpsilon,
                                                  batchFirst: batchFirst, normFirst: normFirst, causal: causal, rotaryBase: rotaryBase))
    }
}
