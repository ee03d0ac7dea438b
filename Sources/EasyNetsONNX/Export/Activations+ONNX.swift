import EasyNets

// Activation layers as ONNX operators of opset 17. Where opset 17 has no operator (GELU, SiLU,
// Mish), the export spells out the formula EasyNets' kernel evaluates, in the same order.

extension LeakyReLUDescription: ONNXExportable {
    /// `LeakyRelu` with alpha = the negative slope.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("LeakyRelu", input.name, attributes: [.float("alpha", Float(negativeSlope))]), shape: input.shape)
    }
}

extension ELUDescription: ONNXExportable {
    /// `Elu` with alpha = α.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("Elu", input.name, attributes: [.float("alpha", Float(alpha))]), shape: input.shape)
    }
}

extension SELUDescription: ONNXExportable {
    /// `Selu` with the self-normalizing constants written out (α ≈ 1.6733, γ ≈ 1.0507).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let attributes: [ONNXAttribute] = [.float("alpha", Float(1.6732632423543772848170429916717)),
                                           .float("gamma", Float(1.0507009873554804934193349852946))]
        return ONNXValue(graph.apply("Selu", input.name, attributes: attributes), shape: input.shape)
    }
}

extension GELUDescription: ONNXExportable {
    /// Opset 17 has no `Gelu`: exact, `Mul`(x, 0.5) · (1 + `Erf`(x / √2)); with the tanh
    /// approximation, 0.5·x·(1 + `Tanh`(√(2/π)·(x + 0.044715·x³))), each a chain of `Mul`, `Add`
    /// and `Div` in the order EasyNets evaluates it.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let x = input.name
        let half = graph.constant(0.5), one = graph.constant(1)
        if !tanhApproximation {
            let scaled = graph.apply("Div", x, graph.constant(Float(2).squareRoot()))
            let cdf = graph.apply("Add", one, graph.apply("Erf", scaled))
            return ONNXValue(graph.apply("Mul", graph.apply("Mul", x, half), cdf), shape: input.shape)
        }
        let c = (2 / Float.pi).squareRoot()
        let cubic = graph.apply("Mul", graph.apply("Mul", graph.apply("Mul", graph.constant(0.044715), x), x), x)
        let u = graph.apply("Mul", graph.constant(c), graph.apply("Add", x, cubic))
        let factor = graph.apply("Add", one, graph.apply("Tanh", u))
        return ONNXValue(graph.apply("Mul", graph.apply("Mul", half, x), factor), shape: input.shape)
    }
}

extension SiLUDescription: ONNXExportable {
    /// x · `Sigmoid`(x) (opset 17 has no SiLU).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("Mul", input.name, graph.apply("Sigmoid", input.name)), shape: input.shape)
    }
}

extension MishDescription: ONNXExportable {
    /// x · `Tanh`(`Softplus`(x)) (`Mish` arrives in opset 18).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let factor = graph.apply("Tanh", graph.apply("Softplus", input.name))
        return ONNXValue(graph.apply("Mul", input.name, factor), shape: input.shape)
    }
}

extension SigmoidDescription: ONNXExportable {
    /// `Sigmoid`.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("Sigmoid", input.name), shape: input.shape)
    }
}

extension HardSigmoidDescription: ONNXExportable {
    /// `HardSigmoid` with alpha = 1/6 and beta = 1/2, PyTorch's clamp(x/6 + 1/2, 0, 1) (ONNX's
    /// default alpha is 0.2).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let attributes: [ONNXAttribute] = [.float("alpha", 1 / 6), .float("beta", 0.5)]
        return ONNXValue(graph.apply("HardSigmoid", input.name, attributes: attributes), shape: input.shape)
    }
}

extension TanhDescription: ONNXExportable {
    /// `Tanh`.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("Tanh", input.name), shape: input.shape)
    }
}

extension SoftplusDescription: ONNXExportable {
    /// `Softplus`.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("Softplus", input.name), shape: input.shape)
    }
}

extension SoftmaxDescription: ONNXExportable {
    /// `Softmax` along the layer's axis (any axis, as opset 13 and later allow).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let resolved = try resolvedAxis(axis, rank: input.shape.count, graph: graph)
        return ONNXValue(graph.apply("Softmax", input.name, attributes: [.int("axis", resolved)]), shape: input.shape)
    }
}

extension LogSoftmaxDescription: ONNXExportable {
    /// `LogSoftmax` along the layer's axis (any axis, as opset 13 and later allow).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let resolved = try resolvedAxis(axis, rank: input.shape.count, graph: graph)
        return ONNXValue(graph.apply("LogSoftmax", input.name, attributes: [.int("axis", resolved)]), shape: input.shape)
    }
}

/// `axis` (negative counts from the end) as an axis in 0..<rank, or an error naming the layer.
private func resolvedAxis(_ axis: Int, rank: Int, graph: ONNXGraphBuilder) throws -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard (0..<rank).contains(resolved) else { throw graph.error("axis \(axis) is outside an input of \(rank) axes") }
    return resolved
}
