/// The encoder-decoder Transformer, PyTorch's `nn.Transformer`: a ``TransformerEncoder`` of
/// `encoderLayerCount` blocks reads the source into a memory, and a ``TransformerDecoder`` of
/// `decoderLayerCount` blocks decodes the target attending to it; both stacks end in a layer
/// normalization. Parameter names are PyTorch's (`encoder.layers.0.self_attn.in_proj_weight`, …,
/// `encoder.norm.weight`, `decoder.layers.0.multihead_attn.out_proj.bias`, …, `decoder.norm.bias`),
/// so a PyTorch state dict loads through safetensors. As in PyTorch, every weight matrix is then
/// redrawn Xavier-uniform.
public final class Transformer<Scalar: TensorScalar>: Layer {
    /// The encoder stack, ending in a layer normalization.
    public let encoder: TransformerEncoder<Scalar>
    /// The decoder stack, ending in a layer normalization.
    public let decoder: TransformerDecoder<Scalar>
    public var isTraining = true {
        didSet { (encoder.isTraining, decoder.isTraining) = (isTraining, isTraining) }
    }

    /// A Transformer over `modelSize` features with PyTorch's defaults, drawn from `source`: the
    /// blocks in order (encoder, then decoder), then every parameter of two or more axes redrawn
    /// Xavier-uniform in parameter order. Block k's dropout generators start from seeds after `seed`.
    public init(modelSize: Int = 512, headCount: Int = 8, encoderLayerCount: Int = 6, decoderLayerCount: Int = 6,
                feedForwardSize: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false, seed: UInt64 = 0,
                using source: inout RandomGenerator) {
        TransformerDescription(modelSize: modelSize, headCount: headCount, encoderLayerCount: encoderLayerCount,
                               decoderLayerCount: decoderLayerCount, feedForwardSize: feedForwardSize, dropout: dropout,
                               activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                               normFirst: normFirst).requireValid()
        let encoderLayers = (0..<encoderLayerCount).map { i in
            TransformerEncoderLayer<Scalar>(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                            activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                            normFirst: normFirst, seed: seed &+ 2 &* UInt64(i), using: &source)
        }
        let decoderSeed = seed &+ 2 &* UInt64(encoderLayerCount)
        let decoderLayers = (0..<decoderLayerCount).map { i in
            TransformerDecoderLayer<Scalar>(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                            activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                            normFirst: normFirst, seed: decoderSeed &+ 3 &* UInt64(i), using: &source)
        }
        encoder = TransformerEncoder(encoderLayers, norm: true)
        decoder = TransformerDecoder(decoderLayers, norm: true)
        for (_, parameter) in namedParameters where parameter.shape.count > 1 {
            parameter.assign(Initializer<Scalar>.xavierUniform(parameter.shape, using: &source))
        }
    }

    /// The ``Layer`` entry point: `input` as both source and target, `self(source: input, target: input)`.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { self(source: input, target: input) }

    /// The target decoded against the encoded source, as PyTorch's `forward(src, tgt, src_mask,
    /// tgt_mask, memory_mask, src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask,
    /// src_is_causal, tgt_is_causal, memory_is_causal)`.
    ///
    /// - Parameters:
    ///   - source: (S, N, E), (N, S, E) with `batchFirst`, or unbatched (S, E).
    ///   - target: (T, N, E), (N, T, E) with `batchFirst`, or unbatched (T, E).
    ///   - sourceMask: the encoder's self-attention mask, (S, S) or (N·heads, S, S).
    ///   - targetMask: the decoder's self-attention mask, (T, T) or (N·heads, T, T).
    ///   - memoryMask: the decoder's attention mask on the memory, (T, S) or (N·heads, T, S).
    ///   - sourceKeyPaddingMask: (N, S), or (S) unbatched: the source positions the encoder ignores.
    ///   - targetKeyPaddingMask: (N, T), or (T) unbatched: the target positions the decoder ignores.
    ///   - memoryKeyPaddingMask: (N, S), or (S) unbatched: the memory positions the decoder ignores.
    ///   - sourceIsCausal: the encoder attends causally.
    ///   - targetIsCausal: the decoder's self-attention is causal.
    ///   - memoryIsCausal: target position i attends to memory positions 0…i only.
    /// - Returns: shaped as `target`.
    public func callAsFunction(
        source: Tensor<Scalar>, target: Tensor<Scalar>, sourceMask: AttentionMask<Scalar>? = nil, targetMask: AttentionMask<Scalar>? = nil,
        memoryMask: AttentionMask<Scalar>? = nil, sourceKeyPaddingMask: AttentionMask<Scalar>? = nil,
        targetKeyPaddingMask: AttentionMask<Scalar>? = nil, memoryKeyPaddingMask: AttentionMask<Scalar>? = nil,
        sourceIsCausal: Bool = false, targetIsCausal: Bool = false, memoryIsCausal: Bool = false
    ) -> Tensor<Scalar> {
        let e = modelSize, batchAxis = encoder.layers[0].selfAttention.batchFirst ? 0 : 1
        require(source.rank == target.rank && (source.rank == 2 || source.rank == 3) && source.shape.last == e && target.shape.last == e
                    && (source.rank == 2 || source.shape[batchAxis] == target.shape[batchAxis]),
                "Transformer: source \(source.shape) and target \(target.shape) need the same batch size and \(e) features")
        let memory = encoder.encode(source, mask: sourceMask, keyPaddingMask: sourceKeyPaddingMask, isCausal: sourceIsCausal)
        return decoder.decode(target, memory: memory, targetMask: targetMask, memoryMask: memoryMask,
                              targetKeyPaddingMask: targetKeyPaddingMask, memoryKeyPaddingMask: memoryKeyPaddingMask,
                              targetIsCausal: targetIsCausal, memoryIsCausal: memoryIsCausal)
    }

    /// The feature count E.
    public var modelSize: Int { encoder.layers[0].selfAttention.embeddingSize }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] { [("encoder", encoder), ("decoder", decoder)] }

    public var summaryName: String {
        let block = decoder.layers[0]
        return "Transformer(\(modelSize), \(block.selfAttention.headCount) heads, \(encoder.layers.count) encoder and "
            + "\(decoder.layers.count) decoder layers, feed-forward \(block.linear1.outputSize)\(block.normFirst ? ", pre-norm" : ""))"
    }

    public var layerDescription: ModelDescription? {
        let block = decoder.layers[0]
        return .layer(TransformerDescription(modelSize: modelSize, headCount: block.selfAttention.headCount,
                                             encoderLayerCount: encoder.layers.count, decoderLayerCount: decoder.layers.count,
                                             feedForwardSize: block.linear1.outputSize, dropout: block.dropout, activation: block.activation,
                                             layerNormEpsilon: block.norm1.epsilon, batchFirst: block.selfAttention.batchFirst,
                                             normFirst: block.normFirst))
    }
}

/// The description of a ``Transformer``; built from a model description, it takes two seeds per
/// encoder block and three per decoder block.
public struct TransformerDescription: LayerDescription {
    public static let kind = "transformer"
    public static let defaultFields = #"{"modelSize":512,"headCount":8,"encoderLayerCount":6,"decoderLayerCount":6,"feedForwardSize":2048,"dropout":0.1,"activation":"relu","layerNormEpsilon":1e-05,"batchFirst":false,"normFirst":false}"#
    /// The feature count E, at least 1 and a multiple of the head count.
    public var modelSize: Int
    /// The number of attention heads, at least 1.
    public var headCount: Int
    /// The number of encoder blocks, at least 1.
    public var encoderLayerCount: Int
    /// The number of decoder blocks, at least 1.
    public var decoderLayerCount: Int
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

    /// A description of a Transformer over `modelSize` features (PyTorch's defaults).
    public init(modelSize: Int = 512, headCount: Int = 8, encoderLayerCount: Int = 6, decoderLayerCount: Int = 6,
                feedForwardSize: Int = 2048, dropout: Double = 0.1, activation: TransformerActivation = .relu,
                layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false, normFirst: Bool = false) {
        (self.modelSize, self.headCount, self.encoderLayerCount, self.decoderLayerCount) = (modelSize, headCount, encoderLayerCount,
                                                                                            decoderLayerCount)
        (self.feedForwardSize, self.dropout, self.activation) = (feedForwardSize, dropout, activation)
        (self.layerNormEpsilon, self.batchFirst, self.normFirst) = (layerNormEpsilon, batchFirst, normFirst)
    }

    /// The encoder's blocks.
    var encoderLayer: TransformerEncoderLayerDescription {
        TransformerEncoderLayerDescription(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                           activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                           normFirst: normFirst)
    }

    /// The decoder's blocks.
    var decoderLayer: TransformerDecoderLayerDescription {
        TransformerDecoderLayerDescription(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                           activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst,
                                           normFirst: normFirst)
    }

    public func problem() -> String? {
        if let problem = decoderLayer.problem() { return "Transformer: \(problem)" }
        return encoderLayerCount < 1 || decoderLayerCount < 1
            ? "Transformer needs at least 1 encoder and 1 decoder layer, got \(encoderLayerCount) and \(decoderLayerCount)" : nil
    }

    /// Both stacks with their final normalizations.
    public var stateCount: Int? {
        CheckedCount.sum([TransformerEncoderDescription(layer: encoderLayer, layerCount: encoderLayerCount, norm: true).stateCount,
                          TransformerDecoderDescription(layer: decoderLayer, layerCount: decoderLayerCount, norm: true).stateCount])
    }

    /// As a layer of a model, the Transformer takes its input as both source and target.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try selfAttentionOutputShape(shape, size: modelSize, heads: headCount, batchFirst: batchFirst, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Transformer<Scalar>(modelSize: modelSize, headCount: headCount, encoderLayerCount: encoderLayerCount,
                            decoderLayerCount: decoderLayerCount, feedForwardSize: feedForwardSize, dropout: dropout, activation: activation,
                            layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst, normFirst: normFirst,
                            seed: context.takeSeed(count: 2 &* UInt64(encoderLayerCount) &+ 3 &* UInt64(decoderLayerCount)),
                            using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``Transformer``.
    public static func transformer(
        modelSize: Int = 512, headCount: Int = 8, encoderLayerCount: Int = 6, decoderLayerCount: Int = 6, feedForwardSize: Int = 2048,
        dropout: Double = 0.1, activation: TransformerActivation = .relu, layerNormEpsilon: Double = 1e-5, batchFirst: Bool = false,
        normFirst: Bool = false
    ) -> ModelDescription {
        .layer(TransformerDescription(modelSize: modelSize, headCount: headCount, encoderLayerCount: encoderLayerCount,
                                      decoderLayerCount: decoderLayerCount, feedForwardSize: feedForwardSize, dropout: dropout,
                                      activation: activation, layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst, normFirst: normFirst))
    }
}
