/// A stack of ``TransformerEncoderLayer`` blocks, each feeding the next, with an optional final
/// layer normalization: PyTorch's `nn.TransformerEncoder`. Parameter names are PyTorch's
/// (`layers.0.self_attn.in_proj_weight`, …, `norm.weight`, `norm.bias`).
public final class TransformerEncoder<Scalar: TensorScalar>: Layer {
    /// The blocks, in order; they share their hyperparameters.
    public let layers: [TransformerEncoderLayer<Scalar>]
    /// The layer normalization of the last block's output, or `nil`.
    public let norm: LayerNorm<Scalar>?
    public var isTraining = true {
        didSet { for layer in layers { layer.isTraining = isTraining } }
    }

    /// A stack of `layers`, which must share their hyperparameters (as PyTorch's copies of one
    /// block do), and with `norm` a final ``LayerNorm`` over the model size with the blocks' ε.
    public init(_ layers: [TransformerEncoderLayer<Scalar>], norm: Bool = false) {
        require(!layers.isEmpty, "TransformerEncoder: needs at least one layer")
        require(layers.allSatisfy { $0.layerDescription == layers[0].layerDescription },
                "TransformerEncoder: the layers differ in their hyperparameters: \(layers.map(\.summaryName))")
        self.layers = layers
        self.norm = norm ? LayerNorm([layers[0].selfAttention.embeddingSize], epsilon: layers[0].norm1.epsilon) : nil
    }

    /// The stack applied to `input` (the ``Layer`` entry point).
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { encode(input) }

    /// The stack applied to `input`, as PyTorch's `forward(src, mask, src_key_padding_mask, is_causal)`:
    /// every block gets the same masks (see ``TransformerEncoderLayer/encode(_:mask:keyPaddingMask:isCausal:)``).
    ///
    /// - Parameters:
    ///   - input: (L, N, E), (N, L, E) with `batchFirst`, or unbatched (L, E).
    ///   - mask: the self-attention mask, (L, L) or (N·heads, L, L).
    ///   - keyPaddingMask: (N, L), or (L) unbatched: the positions no query attends to.
    ///   - isCausal: position i attends to positions 0…i only.
    /// - Returns: shaped as `input`.
    public func encode(_ input: Tensor<Scalar>, mask: AttentionMask<Scalar>? = nil, keyPaddingMask: AttentionMask<Scalar>? = nil,
                       isCausal: Bool = false) -> Tensor<Scalar> {
        var x = input
        for layer in layers { x = layer.encode(x, mask: mask, keyPaddingMask: keyPaddingMask, isCausal: isCausal) }
        return norm.map { $0(x) } ?? x
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] {
        var result: [(name: String, layer: any Layer<Scalar>)] = layers.enumerated().map { (name: "layers.\($0.offset)", layer: $0.element) }
        if let norm { result.append((name: "norm", layer: norm)) }
        return result
    }

    public var summaryName: String {
        "TransformerEncoder(\(layers.count) × \(layers[0].summaryName)\(norm == nil ? "" : ", norm"))"
    }

    public var layerDescription: ModelDescription? {
        .layer(TransformerEncoderDescription(layer: layers[0].layerDescription!.layer(as: TransformerEncoderLayerDescription.self)!,
                                             layerCount: layers.count, norm: norm != nil))
    }
}

/// The description of a ``TransformerEncoder``; built from a model description, it takes the
/// seeds of its blocks in order.
public struct TransformerEncoderDescription: LayerDescription {
    public static let kind = "transformerEncoder"
    public static let defaultFields = #"{"norm":false}"#
    /// Every block's hyperparameters.
    public var layer: TransformerEncoderLayerDescription
    /// The number of blocks, at least 1.
    public var layerCount: Int
    /// Whether a final layer normalization follows the last block.
    public var norm: Bool

    /// A description of `layerCount` blocks described by `layer`, and with `norm` a final layer normalization.
    public init(layer: TransformerEncoderLayerDescription, layerCount: Int, norm: Bool = false) {
        (self.layer, self.layerCount, self.norm) = (layer, layerCount, norm)
    }

    public func problem() -> String? {
        if let problem = layer.problem() { return "TransformerEncoder: \(problem)" }
        return layerCount < 1 ? "TransformerEncoder needs at least 1 layer, got \(layerCount)" : nil
    }

    /// The blocks' state and the final normalization's weight and bias.
    public var stateCount: Int? {
        CheckedCount.sum([CheckedCount.product(layer.stateCount, layerCount), norm ? CheckedCount.product(layer.modelSize, 2) : 0])
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try layer.outputShape(for: shape, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        var blocks: [TransformerEncoderLayer<Scalar>] = []
        for _ in 0..<layerCount { blocks.append(layer.makeLayer(as: Scalar.self, context: &context) as! TransformerEncoderLayer<Scalar>) }
        return TransformerEncoder(blocks, norm: norm)
    }
}

extension ModelDescription {
    /// A ``TransformerEncoder``.
    public static func transformerEncoder(layer: TransformerEncoderLayerDescription, layerCount: Int, norm: Bool = false) -> ModelDescription {
        .layer(TransformerEncoderDescription(layer: layer, layerCount: layerCount, norm: norm))
    }
}
