import EasyNets

/// ONNX's LSTM and GRU nodes as recurrent layers, with the gates put back in PyTorch's order.
extension ONNXImporter {
    /// For each of PyTorch's gate blocks, the ONNX block that holds it. LSTM: ONNX i, o, f, c →
    /// PyTorch i, f, g, o. GRU: ONNX z, r, h → PyTorch r, z, n.
    private static func gateOrder(_ cell: RecurrentCell) -> [Int] { cell == .lstm ? [0, 2, 3, 1] : [1, 0, 2] }

    mutating func recurrent(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let cell: RecurrentCell = node.opType == "LSTM" ? .lstm : .gru
        let gates = cell == .lstm ? 4 : 3
        guard node.input.first == tip, value.shape.count == 3, value.batchAxis == 1, (int(node, "layout") ?? 0) == 0 else {
            throw ONNXError(location: location, reason: "\(node.opType) is supported on time-major input (L, N, features) with layout 0, the input has shape \(value.shape)")
        }
        let direction = string(node, "direction") ?? "forward"
        guard direction == "forward" || direction == "bidirectional" else {
            throw ONNXError(location: location, reason: "\(node.opType)'s direction \"\(direction)\" is not supported; supported: forward, bidirectional")
        }
        let directions = direction == "bidirectional" ? 2 : 1
        let defaults = cell == .lstm ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"]
        if let activations = node.attribute.first(where: { $0.name == "activations" })?.strings.map({ String(decoding: $0, as: UTF8.self) }),
           activations != Array([[String]](repeating: defaults, count: directions).joined()) {
            throw ONNXError(location: location, reason: "\(node.opType)'s activations \(activations) are not supported; supported: the defaults \(defaults)")
        }
        guard node.attribute.first(where: { $0.name == "clip" }) == nil, (int(node, "input_forget") ?? 0) == 0 else {
            throw ONNXError(location: location, reason: "\(node.opType)'s clip and input_forget are not supported")
        }
        if cell == .gru && (int(node, "linear_before_reset") ?? 0) != 1 {
            throw ONNXError(location: location, reason: "GRU needs linear_before_reset 1 (PyTorch's GRU applies the reset gate after the hidden layer's product)")
        }
        // sequence_lens, and the LSTM's peepholes, are not supported; initial states must be zeros.
        if input(node, 4) != nil || input(node, 7) != nil {
            throw ONNXError(location: location, reason: "\(node.opType)'s sequence_lens and peepholes (P) are not supported")
        }
        for index in [5, 6] where index < node.input.count && !node.input[index].isEmpty {
            switch input(node, index) {
            case .zeros?: break
            case .constant(let state)? where state.floats.allSatisfy({ $0 == 0 }): break
            default: throw ONNXError(location: location, reason: "\(node.opType)'s initial states must be zeros (input \(index) is not)")
            }
        }
        for output in node.output.dropFirst() where !output.isEmpty && readers[output, default: 0] > 0 {
            throw ONNXError(location: location, reason: "its output \"\(output)\" (a final state) is used; only the output sequence Y is supported")
        }
        let w = try constantInput(node, 1, "\(node.opType)'s W", location: location)
        let r = try constantInput(node, 2, "\(node.opType)'s R", location: location)
        guard w.shape.count == 3, w.shape[0] == directions, w.shape[1] % gates == 0, w.shape[2] == value.shape[2] else {
            throw ONNXError(location: location, reason: "\(node.opType)'s W has shape \(w.shape); expected [\(directions), \(gates)·hidden, \(value.shape[2])]")
        }
        let hidden = w.shape[1] / gates
        guard hidden >= 1, int(node, "hidden_size").map({ $0 == Int64(hidden) }) ?? true, r.shape == [directions, gates * hidden, hidden] else {
            throw ONNXError(location: location, reason: "\(node.opType)'s R has shape \(r.shape) and hidden_size \(int(node, "hidden_size") ?? -1); "
                            + "expected [\(directions), \(gates * hidden), \(hidden)] and \(hidden)")
        }
        let b = try input(node, 3) == nil ? nil : constantInput(node, 3, "\(node.opType)'s B", location: location)
        if let b, b.shape != [directions, 2 * gates * hidden] {
            throw ONNXError(location: location, reason: "\(node.opType)'s B has shape \(b.shape); expected [\(directions), \(2 * gates * hidden)]")
        }
        let order = Self.gateOrder(cell)
        let (wValues, rValues, bValues) = (w.floats, r.floats, b?.floats)
        var state: [String: Tensor<Float>] = [:]
        for d in 0..<directions {
            let suffix = "_l0" + (d == 1 ? "_reverse" : "")
            let inputSize = value.shape[2]
            state["weight_ih" + suffix] = Self.reordered(wValues, direction: d, blocks: order, hidden: hidden, columns: inputSize, blockCount: gates)
            state["weight_hh" + suffix] = Self.reordered(rValues, direction: d, blocks: order, hidden: hidden, columns: hidden, blockCount: gates)
            if let bValues {
                // B = [Wb, Rb] per direction: the input's bias, then the hidden state's.
                let both = Self.reordered(bValues, direction: d, blocks: order + order.map { $0 + gates }, hidden: hidden, columns: 1, blockCount: 2 * gates)
                let half = gates * hidden
                state["bias_ih" + suffix] = Tensor(Array(both.scalars[..<half]), shape: [half])
                state["bias_hh" + suffix] = Tensor(Array(both.scalars[half...]), shape: [half])
            }
        }
        let description = RecurrentDescription(cell: cell, inputSize: value.shape[2], hiddenSize: hidden, bias: b != nil, batchFirst: false,
                                               bidirectional: directions == 2)
        var result = try append(description, value, state: state, location: location)
        result.batchAxis = 1
        result.layout = .recurrent(directions: directions, hidden: hidden)
        return result
    }

    /// Direction `direction`'s rows of an ONNX weight ([D, blockCount·H, columns]) with its blocks
    /// of H rows taken in the order `blocks`.
    private static func reordered(_ values: [Float], direction: Int, blocks: [Int], hidden: Int, columns: Int, blockCount: Int) -> Tensor<Float> {
        let block = hidden * columns
        let base = direction * blockCount * block
        var result: [Float] = []
        result.reserveCapacity(blocks.count * block)
        for source in blocks { result += values[(base + source * block)..<(base + (source + 1) * block)] }
        return Tensor(result, shape: columns == 1 ? [blocks.count * hidden] : [blocks.count * hidden, columns])
    }
}
