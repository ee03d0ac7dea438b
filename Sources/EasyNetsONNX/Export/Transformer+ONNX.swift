import EasyNets

extension TransformerEncoderLayerDescription: ONNXExportable {
    /// The block on (N, L, E) (`Transpose` unless batch-first): `self_attn` written out as
    /// `MultiheadAttentionDescription`'s export (a causal block adds a `Trilu` mask), the
    /// feed-forward network as `MatMul`/`Add` with `Relu` or the exact GELU (`Erf`), and the layer
    /// normalizations `norm1`, `norm2` as `ReduceMean`, `Sub`, `Mul`, `Sqrt`, `Div`, in pre- or
    /// post-norm order. Dropout is left out, as in inference.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        let x = AttentionExport.batchMajor(input.name, batchFirst: batchFirst, graph: &graph)
        let y = try TransformerBlockExport(encoder: self).encode(x, graph: &graph)
        return ONNXValue(AttentionExport.batchMajor(y, batchFirst: batchFirst, graph: &graph), shape: shape)
    }
}

extension TransformerDecoderLayerDescription: ONNXExportable {
    /// The block on (N, L, E), decoding its input with the input itself as the memory, as the
    /// layer does in a model: `self_attn`, `multihead_attn`, the feed-forward network and `norm1` to
    /// `norm3` written out as in `TransformerEncoderLayerDescription`'s export.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        let x = AttentionExport.batchMajor(input.name, batchFirst: batchFirst, graph: &graph)
        let y = try TransformerBlockExport(decoder: self).decode(x, memory: x, graph: &graph)
        return ONNXValue(AttentionExport.batchMajor(y, batchFirst: batchFirst, graph: &graph), shape: shape)
    }
}

extension TransformerEncoderDescription: ONNXExportable {
    /// The blocks `layers.0`, `layers.1`, … as `TransformerEncoderLayerDescription`'s export,
    /// then the final layer normalization `norm` if any.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        var x = AttentionExport.batchMajor(input.name, batchFirst: layer.batchFirst, graph: &graph)
        x = try TransformerBlockExport.encoderStack(x, layer: layer, count: layerCount, norm: norm, graph: &graph)
        return ONNXValue(AttentionExport.batchMajor(x, batchFirst: layer.batchFirst, graph: &graph), shape: shape)
    }
}

extension TransformerDecoderDescription: ONNXExportable {
    /// The blocks `layers.0`, `layers.1`, … as `TransformerDecoderLayerDescription`'s export,
    /// all attending to the stack's input as the memory, then the final layer normalization `norm`
    /// if any.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        var x = AttentionExport.batchMajor(input.name, batchFirst: layer.batchFirst, graph: &graph)
        x = try TransformerBlockExport.decoderStack(x, memory: x, layer: layer, count: layerCount, norm: norm, graph: &graph)
        return ONNXValue(AttentionExport.batchMajor(x, batchFirst: layer.batchFirst, graph: &graph), shape: shape)
    }
}

extension TransformerDescription: ONNXExportable {
    /// The input as both source and target: the `encoder` stack (with its `norm`) makes the
    /// memory, and the `decoder` stack (with its `norm`) decodes the input attending to it, each
    /// written out as `TransformerEncoderDescription`'s and `TransformerDecoderDescription`'s
    /// exports.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        let x = AttentionExport.batchMajor(input.name, batchFirst: batchFirst, graph: &graph)
        let encoderLayer = TransformerEncoderLayerDescription(
            modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout, activation: activation,
            layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst, normFirst: normFirst)
        let decoderLayer = TransformerDecoderLayerDescription(
            modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize, dropout: dropout, activation: activation,
            layerNormEpsilon: layerNormEpsilon, batchFirst: batchFirst, normFirst: normFirst)
        let memory = try graph.nested("encoder") { g in
            try TransformerBlockExport.encoderStack(x, layer: encoderLayer, count: encoderLayerCount, norm: true, graph: &g)
        }
        let y = try graph.nested("decoder") { g in
            try TransformerBlockExport.decoderStack(x, memory: memory, layer: decoderLayer, count: decoderLayerCount, norm: true, graph: &g)
        }
        return ONNXValue(AttentionExport.batchMajor(y, batchFirst: batchFirst, graph: &graph), shape: shape)
    }
}

/// A Transformer block (PyTorch's `nn.TransformerEncoderLayer` or `nn.TransformerDecoderLayer`
/// in inference) as ONNX operators on values laid out (N, L, E), with the state of the block the
/// graph's prefix points at.
struct TransformerBlockExport {
    var size: Int, heads: Int, feedForwardSize: Int, activation: TransformerActivation
    var epsilon: Double, normFirst: Bool, causal: Bool, rotaryBase: Double?

    /// The export of encoder blocks described by `encoder`.
    init(encoder: TransformerEncoderLayerDescription) {
        (size, heads, feedForwardSize, activation) = (encoder.modelSize, encoder.headCount, encoder.feedForwardSize, encoder.activation)
        (epsilon, normFirst, causal, rotaryBase) = (encoder.layerNormEpsilon, encoder.normFirst, encoder.causal, encoder.rotaryBase)
    }

    /// The export of decoder blocks described by `decoder`.
    init(decoder: TransformerDecoderLayerDescription) {
        (size, heads, feedForwardSize, activation) = (decoder.modelSize, decoder.headCount, decoder.feedForwardSize, decoder.activation)
        (epsilon, normFirst, causal, rotaryBase) = (decoder.layerNormEpsilon, decoder.normFirst, false, nil)
    }

    /// `count` encoder blocks under `layers.K`, then `norm` if `norm`.
    static func encoderStack(_ input: String, layer: TransformerEncoderLayerDescription, count: Int, norm: Bool,
                             graph: inout ONNXGraphBuilder) throws -> String {
        let block = TransformerBlockExport(encoder: layer)
        var x = input
        for index in 0..<count { x = try graph.nested("layers.\(index)") { try block.encode(x, graph: &$0) } }
        return try norm ? block.layerNorm(x, "norm", graph: &graph) : x
    }

    /// `count` decoder blocks under `layers.K`, each attending to `memory`, then `norm` if `norm`.
    static func decoderStack(_ input: String, memory: String, layer: TransformerDecoderLayerDescription, count: Int, norm: Bool,
                             graph: inout ONNXGraphBuilder) throws -> String {
        let block = TransformerBlockExport(decoder: layer)
        var x = input
        for index in 0..<count { x = try graph.nested("layers.\(index)") { try block.decode(x, memory: memory, graph: &$0) } }
        return try norm ? block.layerNorm(x, "norm", graph: &graph) : x
    }

    /// The attention sub-layer `name` of `query` to `memory`.
    private func attend(_ name: String, _ query: String, _ memory: String, causal: Bool, graph: inout ONNXGraphBuilder) throws -> String {
        let attention = AttentionExport(size: size, heads: heads, bias: true, keyValueBias: false, zeroAttention: false,
                                        rotaryBase: rotaryBase, causal: causal)
        return try graph.nested(name) { try attention(query: query, memory: memory, graph: &$0) }
    }

    /// An encoder block: post-norm `norm2(a + ff(a))`, `a = norm1(x + sa(x))`; pre-norm
    /// `a + ff(norm2(a))`, `a = x + sa(norm1(x))`.
    func encode(_ x: String, graph: inout ONNXGraphBuilder) throws -> String {
        if normFirst {
            let normed = try layerNorm(x, "norm1", graph: &graph)
            let attended = graph.apply("Add", x, try attend("self_attn", normed, normed, causal: causal, graph: &graph))
            return graph.apply("Add", attended, try feedForward(try layerNorm(attended, "norm2", graph: &graph), graph: &graph))
        }
        let attended = try layerNorm(graph.apply("Add", x, try attend("self_attn", x, x, causal: causal, graph: &graph)), "norm1", graph: &graph)
        return try layerNorm(graph.apply("Add", attended, try feedForward(attended, graph: &graph)), "norm2", graph: &graph)
    }

    /// A decoder block of `x` attending to `memory`: self-attention, cross-attention
    /// (`multihead_attn`) and the feed-forward network, each with its residual and `norm1` to
    /// `norm3` before (pre-norm) or after it.
    func decode(_ x: String, memory: String, graph: inout ONNXGraphBuilder) throws -> String {
        if normFirst {
            let normed = try layerNorm(x, "norm1", graph: &graph)
            var y = graph.apply("Add", x, try attend("self_attn", normed, normed, causal: false, graph: &graph))
            y = graph.apply("Add", y, try attend("multihead_attn", try layerNorm(y, "norm2", graph: &graph), memory, causal: false, graph: &graph))
            return graph.apply("Add", y, try feedForward(try layerNorm(y, "norm3", graph: &graph), graph: &graph))
        }
        var y = try layerNorm(graph.apply("Add", x, try attend("self_attn", x, x, causal: false, graph: &graph)), "norm1", graph: &graph)
        y = try layerNorm(graph.apply("Add", y, try attend("multihead_attn", y, memory, causal: false, graph: &graph)), "norm2", graph: &graph)
        return try layerNorm(graph.apply("Add", y, try feedForward(y, graph: &graph)), "norm3", graph: &graph)
    }

    /// `linear2(activation(linear1(x)))`, the exact GELU as x·½·(1 + erf(x/√2)).
    private func feedForward(_ x: String, graph: inout ONNXGraphBuilder) throws -> String {
        let hidden = try graph.nested("linear1") { g in
            try LinearDescription(inputSize: size, outputSize: feedForwardSize, bias: true).exportONNX(ONNXValue(x, shape: [1, 1, size]), to: &g)
        }
        let activated: String
        switch activation {
        case .relu: activated = graph.apply("Relu", hidden.name)
        case .gelu:
            let erf = graph.apply("Erf", graph.apply("Div", hidden.name, graph.constant(Float(2).squareRoot())))
            activated = graph.apply("Mul", graph.apply("Mul", hidden.name, graph.constant(0.5)), graph.apply("Add", erf, graph.constant(1)))
        }
        return try graph.nested("linear2") { g in
            try LinearDescription(inputSize: feedForwardSize, outputSize: size, bias: true)
                .exportONNX(ONNXValue(activated, shape: [1, 1, feedForwardSize]), to: &g).name
        }
    }

    /// The layer normalization `name` over the last axis, as the library computes it:
    /// (x − mean) / √(mean((x − mean)²) + ε) · weight + bias.
    func layerNorm(_ x: String, _ name: String, graph: inout ONNXGraphBuilder) throws -> String {
        try graph.nested(name) { g in
            let axes: [ONNXAttribute] = [.ints("axes", [-1]), .int("keepdims", 1)]
            let centered = g.apply("Sub", x, g.apply("ReduceMean", x, attributes: axes))
            let variance = g.apply("ReduceMean", g.apply("Mul", centered, centered), attributes: axes)
            let normalized = g.apply("Div", centered, g.apply("Sqrt", g.apply("Add", variance, g.constant(Float(epsilon)))))
            return g.apply("Add", g.apply("Mul", normalized, try g.parameter("weight")), try g.parameter("bias"))
        }
    }
}
