import EasyNets

/// Operators on the data, each turned into a layer description with its state.
extension ONNXImporter {
    mutating func importLayer(_ node: Onnx_NodeProto, location: String) throws {
        let dataIndex = node.input.firstIndex { if case .activation? = symbols[$0] { return true } else { return false } } ?? 0
        let name = node.input[dataIndex]
        guard name == tip, case .activation(let value)? = symbols[name] else {
            throw ONNXError(location: location, reason: "it reads \"\(name)\", not the output of the layer before; the graph must be a chain of layers (branches are not supported)")
        }
        for (index, other) in node.input.enumerated() where index != dataIndex {
            if case .activation? = symbols[other] {
                throw ONNXError(location: location, reason: "it reads the data twice (\"\(name)\" and \"\(other)\"); residual connections and other branches are not supported")
            }
        }
        guard let output = node.output.first, !output.isEmpty else { throw ONNXError(location: location, reason: "the node has no output") }
        if node.opType != "LSTM" && node.opType != "GRU" { try requireOnlyFirstOutputUsed(node, location: location) }
        if case .plain = value.layout {} else if !["Squeeze", "Transpose", "Reshape", "Identity", "Dropout"].contains(node.opType) {
            throw ONNXError(location: location, reason: "the output of a recurrent node must go through Squeeze or Transpose and Reshape first, as PyTorch exports it")
        }
        let layerCount = layers.count
        var result: ONNXActivation
        switch node.opType {
        case "Identity": result = value
        case "Dropout":
            if let training = input(node, 2), case .constant(let mode) = training, mode.integers.allSatisfy({ $0 == 0 }) {} else if node.input.count > 2 && !node.input[2].isEmpty {
                throw ONNXError(location: location, reason: "Dropout in training mode is not supported")
            }
            result = value
        case "Softmax": result = try append(SoftmaxDescription(axis: Self.softmaxAxis(node, rank: value.shape.count)), value, location: location)
        case "LogSoftmax": result = try append(LogSoftmaxDescription(axis: Self.softmaxAxis(node, rank: value.shape.count)), value, location: location)
        case "Gemm": result = try gemm(node, value, location: location)
        case "MatMul":
            let weight = try constantInput(node, 1, "MatMul's second operand", location: location)
            guard dataIndex == 0, weight.shape.count == 2, value.shape.count >= 2 else {
                throw ONNXError(location: location, reason: "only MatMul of the data by a constant matrix is supported (a linear layer)")
            }
            let description = LinearDescription(inputSize: weight.shape[0], outputSize: weight.shape[1], bias: false)
            result = try append(description, value, state: ["weight": Self.transposed(weight)], location: location)
        case "Conv": result = try convolution(node, value, location: location)
        case "ConvTranspose": result = try transposedConvolution(node, value, location: location)
        case "BatchNormalization": result = try batchNormalization(node, value, location: location)
        case "LayerNormalization": result = try layerNormalization(node, value, location: location)
        case "MaxPool", "AveragePool": result = try pooling(node, value, location: location)
        case "GlobalAveragePool":
            switch value.shape.count {
            case 4: result = try append(AdaptiveAvgPool2dDescription(outputSize: [1, 1]), value, location: location)
            case 3: result = try append(AdaptiveAvgPool1dDescription(outputSize: 1), value, location: location)
            default: throw ONNXError(location: location, reason: "GlobalAveragePool is supported on (N, C, L) and (N, C, H, W), the input has shape \(value.shape)")
            }
        case "Flatten":
            let axis = int(node, "axis") ?? 1
            guard axis == 1 || axis == Int64(1 - value.shape.count), value.batchAxis == 0 else {
                throw ONNXError(location: location, reason: "only Flatten at axis 1 is supported (the batch axis kept), got axis \(axis)")
            }
            result = value.shape.count > 2 ? try append(FlattenDescription(startAxis: 1), value, location: location) : value
        case "Reshape": result = try reshape(node, value, location: location)
        case "Transpose": result = try transpose(node, value, location: location)
        case "Squeeze":
            let axes = try node.input.count > 1 ? constantInput(node, 1, "Squeeze's axes", location: location).integers
                : (node.attribute.first { $0.name == "axes" }?.ints ?? [])
            guard case .recurrent(1, _) = value.layout, axes == [1] || axes == [-3] else {
                throw ONNXError(location: location, reason: "only Squeeze of the direction axis of a one-directional LSTM or GRU output is supported")
            }
            result = ONNXActivation(shape: value.shape, batchAxis: 1, layout: .plain)
        case "LSTM", "GRU": result = try recurrent(node, value, location: location)
        default:
            throw ONNXError(location: location, reason: "operator \(node.opType) is not supported; \(Self.supportedOperators)")
        }
        result.position = layers.count
        symbols[output] = .activation(result)
        tip = output
        if layers.count != layerCount { lastLayerOutput = output }
    }

    /// Adds a layer after the current one and returns its output.
    mutating func append(_ description: any LayerDescription, _ value: ONNXActivation, state: [String: Tensor<Float>] = [:],
                         integerState: Set<String> = [], location: String) throws -> ONNXActivation {
        let model = ModelDescription.layer(description)
        if let problem = model.problem(scalarSize: 4) {
            throw ONNXError(location: location, reason: "the operator maps to a layer that is not valid: \(problem)")
        }
        guard value.layout == .plain else {
            throw ONNXError(location: location, reason: "the operator cannot follow a recurrent node's output directly")
        }
        let shape: [Int]
        do { shape = try model.outputShape(for: value.shape) } catch let error as ModelDescriptionError {
            throw ONNXError(location: location, reason: error.reason)
        }
        layers.append(.layer(ONNXImportedLayer(description: description, state: state, integerState: integerState)))
        return ONNXActivation(shape: shape, batchAxis: value.batchAxis, layout: .plain, position: layers.count)
    }

    // MARK: Attributes

    func int(_ node: Onnx_NodeProto, _ name: String) -> Int64? { node.attribute.first { $0.name == name }.map(\.i) }
    func ints(_ node: Onnx_NodeProto, _ name: String) -> [Int]? {
        node.attribute.first { $0.name == name }.map { $0.ints.map { Int(clamping: $0) } }
    }
    func float(_ node: Onnx_NodeProto, _ name: String) -> Float? { node.attribute.first { $0.name == name }.map(\.f) }
    func string(_ node: Onnx_NodeProto, _ name: String) -> String? {
        node.attribute.first { $0.name == name }.map { String(decoding: $0.s, as: UTF8.self) }
    }

    /// A softmax's axis attribute, the last axis written -1 whatever the rank (as PyTorch models
    /// write it, and so that an EasyNets export, which writes it counted from 0, imports as it was).
    static func softmaxAxis(_ node: Onnx_NodeProto, rank: Int) -> Int {
        let axis = Int(clamping: node.attribute.first { $0.name == "axis" }?.i ?? -1)
        return axis == rank - 1 ? -1 : axis
    }

    /// A Float attribute as the decimal it was written from (0.01 rather than 0.00999999977).
    static func decimal(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    /// A constant matrix transposed, as a tensor.
    static func transposed(_ matrix: ONNXConstant) -> Tensor<Float> {
        let (rows, columns) = (matrix.shape[0], matrix.shape[1])
        let values = matrix.floats
        var result = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = values[r * columns + c] } }
        return Tensor(result, shape: [columns, rows])
    }

    // MARK: Linear

    private mutating func gemm(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        guard node.input.first == tip, (int(node, "transA") ?? 0) == 0, value.shape.count == 2 else {
            throw ONNXError(location: location, reason: "only Gemm of the data (N, features), not transposed, by constants is supported")
        }
        let b = try constantInput(node, 1, "Gemm's B", location: location)
        guard b.shape.count == 2 else { throw ONNXError(location: location, reason: "Gemm's B must be a matrix, got shape \(b.shape)") }
        let alpha = float(node, "alpha") ?? 1, beta = float(node, "beta") ?? 1
        var weight = (int(node, "transB") ?? 0) != 0 ? b.tensor : Self.transposed(b)
        if alpha != 1 { weight = Tensor(weight.scalars.map { $0 * alpha }, shape: weight.shape) }
        let (outputs, inputs) = (weight.shape[0], weight.shape[1])
        var state = ["weight": weight]
        if let c = input(node, 2) {
            guard case .constant(let bias) = c, bias.count == outputs || bias.count == 1, bias.shape.count <= 2 else {
                throw ONNXError(location: location, reason: "Gemm's C must be a constant of \(outputs) values (or one)")
            }
            let values = bias.count == 1 ? [Float](repeating: bias.floats[0], count: outputs) : bias.floats
            state["bias"] = Tensor(values.map { $0 * beta }, shape: [outputs])
        }
        return try append(LinearDescription(inputSize: inputs, outputSize: outputs, bias: state["bias"] != nil), value, state: state, location: location)
    }
}
