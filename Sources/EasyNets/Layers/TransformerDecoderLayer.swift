/// One Transformer decoder block, PyTorch's `nn.TransformerDecoderLayer`: self-attention over the
/// target, attention from the target to the encoder's output (the memory), and a feed-forward
/// network (`linear1` → activation → dropout → `linear2`), each with a residual connection and layer
/// normalization, after (`normFirst: false`, the default) or before the sublayer:
///
/// - post-norm: `x = norm1(x + sa(x))`, `x = norm2(x + mha(x, m))`, `x = norm3(x + ff(x))`;
/// - pre-norm: `x = x + sa(norm1(x))`, `x = x + mha(norm2(x), m)`, `x = x + ff(norm3(x))`.
///
/// Parameter names are PyTorch's (`self_attn.in_proj_weight`, `multihead_attn.out_proj.weight`,
/// `linear1.weight`, `norm3.bias`, …), so its state dict loads through safetensors.
public final class TransformerDecoderLayer<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The self-attention over the target.
    public let selfAttention: MultiheadAttention<Scalar>
    /// The attention from the target to the memory.
    public let crossAttention: MultiheadAttention<Scalar>
    /// The feed-forward network's layers.
    public let linear1: Linear<Scalar>, linear2: Linear<Scalar>
    /// The layer normalizations (of the self-attention, cross-attention and feed-forward residuals).
    public let norm1: LayerNorm<Scalar>, norm2: LayerNorm<Scalar>, norm3: LayerNorm<Scalar>
    /// The feed-forward activation.
    public let activation: TransformerActivation
    /// Whether normalization comes before each sublayer (pre-norm) instead of after its residual.
    public let normFirst: Bool
    /// The dropout probability after each attention, inside and after the feed-forward network.
    public let dropout: Double
    /// The generator the block's own dropout masks come from.
    public var generator: RandomGenerator
    public var isTraining = true {
        didSet { (selfAttention.isTraining, crossAttention.isTraining) = (isTraining, isTraining) }
    }

    /// A block over `modelSize` features with `headCount` heads and a feed-forward width of
    /// `feedForwardSize`, drawn from `source` in PyTorch's order (self-attention, cross-attention,
    /// linear1, linear2).
    public init(modelSize: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1,
                activation: TransformerActivation = .relu, layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false,
                normFirst: Bool = false, seed: UInt64 = 0, using source: inout RandomGenerator) {
        TransformerDecoderLayerDescription(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                           activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                           normFirst: normFirst).requireValid()
        selfAttention = MultiheadAttention(embeddingSize: modelSize, headCount: headCount, dropout: dropout, batchFirst: batchFirst,
                                           seed: seed &+ 1, using: &source)
        crossAttention = MultiheadAttention(embeddingSize: modelSize, headCount: headCount, dropout: dropout, batchFirst: batchFirst,
                                            seed: seed &+ 2, using: &source)
        linear1 = Linear(modelSize, feedForwardSize, using: &source)
        linear2 = Linear(feedForwardSize, modelSize, using: &source)
        norm1 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        norm2 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        norm3 = LayerNorm([modelSize], epsilon: layerNormEpsilon)
        (self.activation, self.normFirst, self.dropout) = (activation, normFirst, dropout)
        generator = RandomGenerator(seed: seed)
    }

    /// The ``Layer`` entry point: `input` decoded with itself as the memory, `decode(input, memory: input)`.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { decode(input, memory: input) }

    /// The block applied to `target` attending to `memory`, as PyTorch's `forward(tgt, memory, tgt_mask,
    /// memory_mask, tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal, memory_is_causal)`.
    ///
    /// - Parameters:
    ///   - target: (T, N, E), (N, T, E) with `batchFirst`, or unbatched (T, E).
    ///   - memory: (S, N, E), (N, S, E) with `batchFirst`, or unbatched (S, E).
    ///   - targetMask: the self-attention mask, (T, T) or (N·heads, T, T).
    ///   - memoryMask: the cross-attention mask, (T, S) or (N·heads, T, S).
    ///   - targetKeyPaddingMask: (N, T), or (T) unbatched: the target positions no query attends to.
    ///   - memoryKeyPaddingMask: (N, S), or (S) unbatched: the memory positions no query attends to.
    ///   - targetIsCausal: target position i attends to target positions 0…i only.
    ///   - memoryIsCausal: target position i attends to memory positions 0…i only.
    /// - Returns: shaped as `target`.
    public func decode(_ target: Tensor<Scalar>, memory: Tensor<Scalar>, targetMask: AttentionMask<Scalar>? = nil,
                       memoryMask: AttentionMask<Scalar>? = nil, targetKeyPaddingMask: AttentionMask<Scalar>? = nil,
                       memoryKeyPaddingMask: AttentionMask<Scalar>? = nil, targetIsCausal: Bool = false,
                       memoryIsCausal: Bool = false) -> Tensor<Scalar> {
        let e = selfAttention.embeddingSize
        let layout = selfAttention.batchFirst ? "(N, ·, \(e))" : "(·, N, \(e))"
        require((target.rank == 2 || target.rank == 3) && target.shape.last == e && memory.rank == target.rank && memory.shape.last == e
                    && (target.rank == 2 || target.shape[selfAttention.batchFirst ? 0 : 1] == memory.shape[selfAttention.batchFirst ? 0 : 1]),
                "TransformerDecoderLayer: target \(target.shape) and memory \(memory.shape) are not both \(layout) with the same N, "
                + "or both unbatched (·, \(e))")
        let dropping = isTraining && dropout > 0
        func dropped(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            dropping ? EasyNets.dropout(x, probability: dropout, using: &generator) : x
        }
        // x + dropout(sublayer), the dropout and the residual add in one pass.
        func residual(_ x: Tensor<Scalar>, _ sublayer: Tensor<Scalar>) -> Tensor<Scalar> {
            dropping ? EasyNets.dropout(sublayer, probability: dropout, adding: x, using: &generator) : x + sublayer
        }
        func selfAttended(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            selfAttention.attend(query: x, key: x, value: x, keyPaddingMask: targetKeyPaddingMask, needWeights: false,
                                 attentionMask: targetMask, isCausal: targetIsCausal).output
        }
        func crossAttended(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            crossAttention.attend(query: x, key: memory, value: memory, keyPaddingMask: memoryKeyPaddingMask, needWeights: false,
                                  attentionMask: memoryMask, isCausal: memoryIsCausal).output
        }
        func feedForward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
            let hidden = linear1(x)
            return linear2(dropped(activation == .relu ? relu(hidden) : gelu(hidden)))
        }
        if normFirst {
            var x = residual(target, selfAttended(norm1(target)))
            x = residual(x, crossAttended(norm2(x)))
            return residual(x, feedForward(norm3(x)))
        }
        var x = norm1(residual(target, selfAttended(target)))
        x = norm2(residual(x, crossAttended(x)))
        return norm3(residual(x, feedForward(x)))
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        [("self_attn", selfAttention), ("multihead_attn", crossAttention), ("linear1", linear1), ("linear2", linear2),
         ("norm1", norm1), ("norm2", norm2), ("norm3", norm3)]
    }

    public var summaryName: String {
        "TransformerDecoderLayer(\(selfAttention.embeddingSize), \(selfAttention.headCount) heads, feed-forward \(linear1.outputSize)"
            + (normFirst ? ", pre-norm" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(TransformerDecoderLayerDescription(modelSize: selfAttention.embeddingSize, headCount: selfAttention.headCount,
                                           feedForwardSize: linear1.outputSize, dropout: dropout, activation: activation,
                                           layerNormEpsilon: norm1.epsilon, batchFirst: selfAttention.batchFirst, normFirst: normFirst))
    }
}

/// The description of a ``TransformerDecoderLayer``; built from a model description, it takes three
/// dropout seeds (the block's own and its two attentions').
public struct TransformerDecoderLayerDescription: LayerDescription {
    public static let kind = "transformerDecoderLayer"
    public static let defaultFields = #"{"feedForwardSize":2048,"dropout":0.1,"activation":"relu","layerNormEpsilon":1e-05,"batchFirst":false,"normFirst":false}"#
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
    /// Whether inputs and output put the batch axis first.
    public var batchFirst: Bool
    /// Whether normalization comes before each sublayer.
    public var normFirst: Bool

    /// A description of a block over `modelSize` features (PyTorch's defaults elsewhere).
    public init(modelSize: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false) {
        (self.modelSize, self.headCount, self.feedForwardSize, self.dropout) = (modelSize, headCount, feedForwardSize, dropout)
        (self.activation, self.layerNormEpsilon, self.batchFirst, self.normFirst) = (activation, layerNormEpsilon, batchFirst, normFirst)
    }

    public func problem() -> String? {
        modelSize < 1 || headCount < 1 || modelSize % headCount != 0 || feedForwardSize < 1 || !(dropout >= 0 && dropout < 1)
            || !(layerNormEpsilon > 0 && layerNormEpsilon.isFinite)
            ? "TransformerDecoderLayer needs a size ≥ 1 that splits into heads ≥ 1, a feed-forward size ≥ 1, dropout in [0, 1) "
                + "and a finite ε > 0, got \(modelSize), \(headCount) heads, \(feedForwardSize), \(dropout), \(layerNormEpsilon)"
            : nil
    }

    /// Two attentions (in_proj, out_proj and biases), linear1, linear2, and three LayerNorms.
    public var stateCount: Int? {
        let (size, width) = (modelSize, feedForwardSize)
        return CheckedCount.sum([CheckedCount.product(size, 8, size), CheckedCount.product(size, 8), CheckedCount.product(size, width),
                                 CheckedCount.product(size, width), width, size, CheckedCount.product(size, 6)])
    }

    /// As a layer of a model, the block decodes its input with itself as the memory.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try selfAttentionOutputShape(shape, size: modelSize, heads: headCount, batchFirst: batchFirst, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        TransformerDecoderLayer<Scalar>(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                        activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                        normFirst: normFirst, seed: context.takeSeed(count: 3), using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``TransformerDecoderLayer``.
    public static func transformerDecoderLayer(
        modelSize: Int, headCount: Int, feedForwardSize: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
        layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false
    ) -> ModelDescription {
        .layer(TransformerDecoderLayerDescription(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize,
                                                  dropout: dropout, activation: activation, layerNormEpsilon: layerNormEpsilon,
                                                  batchFirst: batchFirst, normFirst: normFirst))
    }
}
