import EasyNets

extension LinearDescription: ONNXExportable {
    /// `Gemm` (transB) on a batch of rows; on more axes, `MatMul` with the transposed weight and
    /// `Add` of the bias, over the last axis as PyTorch applies it.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let weight = try graph.parameter("weight")
        let outputShape = input.shape.dropLast() + [outputSize]
        if input.shape.count == 2 {
            let inputs = [input.name, weight] + (bias ? [try graph.parameter("bias")] : [])
            return ONNXValue(graph.node("Gemm", inputs, [.int("transB", 1)])[0], shape: Array(outputShape))
        }
        let transposed = graph.apply("Transpose", weight, attributes: [.ints("perm", [1, 0])])
        var output = graph.apply("MatMul", input.name, transposed)
        if bias { output = graph.apply("Add", output, try graph.parameter("bias")) }
        return ONNXValue(output, shape: Array(outputShape))
    }
}

extension FlattenDescription: ONNXExportable {
    /// `Flatten` at axis 1; from a later axis, `Reshape` keeping the leading axes (0 copies the
    /// batch axis, so it stays symbolic).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        let start = startAxis < 0 ? startAxis + input.shape.count : startAxis
        if start == 1 {
            return ONNXValue(graph.apply("Flatten", input.name, attributes: [.int("axis", 1)]), shape: shape)
        }
        let target = start == 0 ? [-1] : [0] + shape.dropFirst().dropLast() + [-1]
        return ONNXValue(graph.apply("Reshape", input.name, graph.constant(int64: Array(target))), shape: shape)
    }
}

extension IdentityDescription: ONNXExportable {
    /// Nothing: the input is the output.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue { input }
}

extension DropoutDescription: ONNXExportable {
    /// Nothing: dropout is the identity in inference.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue { input }
}

extension Dropout2dDescription: ONNXExportable {
    /// Nothing: dropout is the identity in inference.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue { input }
}

extension ReLUDescription: ONNXExportable {
    /// `Relu`.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        ONNXValue(graph.apply("Relu", input.name), shape: input.shape)
    }
}
