/// A stack of ``TransformerDecoderLayer`` blocks, each feeding the next and all attending to the
/// same memory, with an optional final layer normalization: PyTorch's `nn.TransformerDecoder`.
/// Parameter names are PyTorch's (`layers.0.multihead_attn.in_proj_weight`, …, `norm.weight`).
public final class TransformerDecoder<Scalar: TensorScalar>: Layer {
    /// The blocks, in order; they share their hyperparameters.
    public let layers: [TransformerDecoderLayer<Scalar>]
    /// The layer normalization of the last block's output, or `nil`.
    public let norm: LayerNorm<Scalar>?
    public var isTraining = true {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    /// A stack of `layers`, which must share their hyperparameters (as PyTorch's copies of one
    /// block do), and with `norm` a final ``LayerNorm`` over the model size with the blocks' ε.
    public init(_ layers: [TransformerDecoderLayer<Scalar>], norm: Bool = false) {
        require(!layers.isEmpty, "TransformerDecoder: needs at least one layer")
        require(layers.allSatisfy { $0.layerDescription == layers[0].layerDescription },
                "TransformerDecoder: the layers differ in their hyperparameters: \(layers.map(\.summaryName))")
        self.layers = layers
        self.norm = norm ? LayerNorm([layers[0].selfAttention.embeddingSize], epsilon: layers[0].norm1.epsilon) : nil
    }

    /// The ``Layer`` entry point: `input` decoded with itself as the memory, `decode(input, memory: input)`.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { decode(input, memory: input) }

    /// The stack applied to `target` attending to `memory`, as PyTorch's `forward`: every block gets
    /// the same memory and masks (see
    /// ``TransformerDecoderLayer/decode(_:memory:targetMask:memoryMask:targetKeyPaddingMask:memoryKeyPaddingMask:targetIsCausal:memoryIsCausal:)``).
    ///
    /// - Parameters:
    ///   - target: (T, N, E), (N, T, E) with `batchFirst`, or unbatched (T, E).
    ///   - memory: (S, N, E), (N, S, E) with `batchFirst`, or unbatched (S, E).
    ///   - targetMask: the self-attention mask, (T, T) or (N·heads, T, T).
    ///   - memoryMask: the cross-attention mask, (T, S) or (N·heads, T, S).
    ///   - targetKeyPaddingMask: (N, T), or (T) unbatched.
    ///   - memoryKeyPaddingMask: (N, S), or (S) unbatched.
    ///   - targetIsCausal: target position i attends to target positions 0…i only.
    ///   - memoryIsCausal: target position i attends to memory positions 0…i only.
    /// - Returns: shaped as `target`.
    public func decode(_ target: Tensor<Scalar>, memory: Tensor<Scalar>, targetMask: AttentionMask<Scalar>? = nil,
                       memoryMask: AttentionMask<Scalar>? = nil, targetKeyPaddingMask: AttentionMask<Scalar>? = nil,
                       memoryKeyPaddingMask: AttentionMask<Scalar>? = nil, targetIsCausal: Bool = false,
                       memoryIsCausal: Bool = false) -> Tensor<Scalar> {
        var x = target
        for layer in layers {
            x = layer.decode(x, memory: memory, targetMask: targetMask, memoryMask: memoryMask, targetKeyPaddingMask: targetKeyPaddingMask,
                             memoryKeyPaddingMask: memoryKeyPaddingMask, targetIsCausal: targetIsCausal, memoryIsCausal: memoryIsCausal)
        }
        return norm.map { $0(x) } ?? x
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        var result: [(name: String, layer: any Layer<Scalar>)] = layers.enumerated().map { (name: "layers.\($0.offset)", layer: $0.element) }
        if let norm { result.append((name: "norm", layer: norm)) }
        return result
    }

    public var summaryName: String {
        "TransformerDecoder(\(layers.count) × \(layers[0].summaryName)\(norm == nil ? "" : ", norm"))"
    }

    public var layerDescription: ModelDescription? {
        .layer(TransformerDecoderDescription(layer: layers[0].layerDescription!.layer(as: TransformerDecoderLayerDescription.self)!,
                                             layerCount: layers.count, norm: norm != nil))
    }
}

/// The description of a ``TransformerDecoder``; built from a model description, it takes the
/// seeds of its blocks in order.
public struct TransformerDecoderDescription: LayerDescription {
    public static let kind = "transformerDecoder"
    public static let defaultFields = #"{"norm":false}"#
    /// Every block's hyperparameters.
    public var layer: TransformerDecoderLayerDescription
    /// The number of blocks, at least 1.
    public var layerCount: Int
    /// Whether a final layer normalization follows the last block.
    public var norm: Bool

    /// A description of `layerCount` blocks described by `layer`, and with `norm` a final layer normalization.
    public init(layer: TransformerDecoderLayerDescription, layerCount: Int, norm: Bool = false) {
        (self.layer, self.layerCount, self.norm) = (layer, layerCount, norm)
    }

    public func problem() -> String? {
        if let problem = layer.problem() { return "TransformerDecoder: \(problem)" }
        return layerCount < 1 ? "TransformerDecoder needs at least 1 layer, got \(layerCount)" : nil
    }

    /// The blocks' state and the final normalization's weight and bias.
    public var stateCount: Int? {
        CheckedCount.sum([CheckedCount.product(layer.stateCount, layerCount), norm ? CheckedCount.product(layer.modelSize, 2) : 0])
    }

    /// As a layer of a model, the stack decodes its input with itself as the memory.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try layer.outputShape(for: shape, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        var blocks: [TransformerDecoderLayer<Scalar>] = []
        for _ in 0..<layerCount { blocks.append(layer.makeLayer(as: Scalar.self, context: &context) as! TransformerDecoderLayer<Scalar>) }
        return TransformerDecoder(blocks, norm: norm)
    }
}

extension ModelDescription {
    /// A ``TransformerDecoder``.
    public static func transformerDecoder(layer: TransformerDecoderLayerDescription, layerCount: Int, norm: Bool = false) -> ModelDescription {
        .layer(TransformerDecoderDescription(layer: layer, layerCount: layerCount, norm: norm))
    }
}
