import EasyNets
import Foundation

extension RecurrentDescription: ONNXExportable {
    /// One ONNX `RNN` (tanh or ReLU), `LSTM` or `GRU` (`linear_before_reset`) node per layer, both
    /// directions in one node, on the sequence laid out (L, N, F) (`Transpose` from batch-first,
    /// `Unsqueeze` of an unbatched (L, F)); each node's output (L, D, N, H) is brought back to
    /// (L, N, D·H) by `Transpose` and `Reshape`. The nodes take their weights in ONNX's gate order
    /// (LSTM i, o, f, c; GRU z, r, h) with both biases in one tensor, as derived initializers
    /// `weight_ih_lK.onnx_W`, `weight_hh_lK.onnx_R` and `bias_lK.onnx_B`.
    ///
    /// ONNX's LSTM has no projection: an LSTM with `projectionSize` runs each layer and direction
    /// as a `Scan` over the steps, its body the cell written out (`MatMul`, `Split`, `Sigmoid`,
    /// `Tanh`, `Mul`, `Add`) with the PyTorch-named weights. Dropout is left out, as in inference.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let shape = try graph.outputShape(of: self, for: input.shape)
        let unbatched = input.shape.count == 2
        // (L, N, F) throughout, the layout of ONNX's recurrent operators.
        var sequence = unbatched ? graph.apply("Unsqueeze", input.name, graph.constant(int64: [1]))
            : batchFirst ? graph.apply("Transpose", input.name, attributes: [.ints("perm", [1, 0, 2])]) : input.name
        let directions = bidirectional ? 2 : 1, out = projectionSize > 0 ? projectionSize : hiddenSize
        for layer in 0..<layerCount {
            let features = layer == 0 ? inputSize : directions * out
            sequence = try projectionSize > 0
                ? projectedLayer(layer, sequence, to: &graph)
                : recurrentLayer(layer, sequence, features: features, to: &graph)
        }
        let output = unbatched ? graph.apply("Squeeze", sequence, graph.constant(int64: [1]))
            : batchFirst ? graph.apply("Transpose", sequence, attributes: [.ints("perm", [1, 0, 2])]) : sequence
        return ONNXValue(output, shape: shape)
    }

    /// The state-dict suffixes of layer `layer`'s directions: `_l0`, then `_l0_reverse`.
    private func suffixes(_ layer: Int) -> [String] {
        bidirectional ? ["_l\(layer)", "_l\(layer)_reverse"] : ["_l\(layer)"]
    }

    /// PyTorch's gate blocks in ONNX's order: LSTM i, f, g, o → i, o, f, c; GRU r, z, n → z, r, h.
    private var onnxGateOrder: [Int] {
        switch cell {
        case .tanh, .relu: return [0]
        case .lstm: return [0, 3, 1, 2]
        case .gru: return [1, 0, 2]
        }
    }

    /// `values`, blocks of `hiddenSize` rows of `width` each in PyTorch's gate order, in ONNX's.
    private func reordered(_ values: [Float], width: Int) -> [Float] {
        let block = hiddenSize * width
        return onnxGateOrder.flatMap { values[($0 * block)..<(($0 + 1) * block)] }
    }

    /// Layer `layer` as one ONNX `RNN`, `LSTM` or `GRU` node on `sequence` (L, N, `features`);
    /// returns its output (L, N, D·H).
    private func recurrentLayer(_ layer: Int, _ sequence: String, features: Int, to graph: inout ONNXGraphBuilder) throws -> String {
        let directions = bidirectional ? 2 : 1, rows = onnxGateOrder.count * hiddenSize
        var (w, r, b) = ([Float](), [Float](), [Float]())
        for suffix in suffixes(layer) {
            w += reordered(try graph.state("weight_ih" + suffix).scalars, width: features)
            r += reordered(try graph.state("weight_hh" + suffix).scalars, width: hiddenSize)
            if bias {
                b += reordered(try graph.state("bias_ih" + suffix).scalars, width: 1)
                b += reordered(try graph.state("bias_hh" + suffix).scalars, width: 1)
            }
        }
        let base = graph.prefix
        var inputs = [sequence,
                      graph.addInitializer(base + "weight_ih_l\(layer).onnx_W", values: w, shape: [directions, rows, features]),
                      graph.addInitializer(base + "weight_hh_l\(layer).onnx_R", values: r, shape: [directions, rows, hiddenSize])]
        if bias { inputs.append(graph.addInitializer(base + "bias_l\(layer).onnx_B", values: b, shape: [directions, 2 * rows])) }
        var attributes: [ONNXAttribute] = [.int("hidden_size", hiddenSize),
                                           .string("direction", bidirectional ? "bidirectional" : "forward")]
        let op: String
        switch cell {
        case .tanh, .relu: op = "RNN"
        case .lstm: op = "LSTM"
        case .gru:
            op = "GRU"
            attributes.append(.int("linear_before_reset", 1))  // r·(h·W_hnᵀ + b_hn), as PyTorch
        }
        let y = graph.node(op, inputs, attributes)[0]  // (L, D, N, H)
        if cell == .relu || cell == .tanh {
            var activations = Onnx_AttributeProto()
            activations.name = "activations"
            activations.type = .strings
            activations.strings = Array(repeating: Data((cell == .relu ? "Relu" : "Tanh").utf8), count: directions)
            graph.addToLastNode(activations)
        }
        let transposed = graph.apply("Transpose", y, attributes: [.ints("perm", [0, 2, 1, 3])])
        return graph.apply("Reshape", transposed, graph.constant(int64: [0, 0, -1]))
    }

    /// Layer `layer` of an LSTM with projection on `sequence` (L, N, F): per direction, the input
    /// projection of every step at once, then a `Scan` over the steps (backwards for the reverse
    /// direction) carrying h (N, P) and c (N, H); returns the outputs (L, N, D·P).
    private func projectedLayer(_ layer: Int, _ sequence: String, to graph: inout ONNXGraphBuilder) throws -> String {
        // Zero initial states (N, P) and (N, H), N read from the sequence's shape.
        let batch = graph.apply("Slice", graph.apply("Shape", sequence), graph.constant(int64: [1]), graph.constant(int64: [2]))
        func zeros(_ width: Int, _ graph: inout ONNXGraphBuilder) -> String {
            let shape = graph.apply("Concat", batch, graph.constant(int64: [width]), attributes: [.int("axis", 0)])
            return graph.apply("ConstantOfShape", shape, attributes: [.floatTensor("value", [0], shape: [1])])
        }
        let (h0, c0) = (zeros(projectionSize, &graph), zeros(hiddenSize, &graph))
        let split = graph.constant(int64: Array(repeating: hiddenSize, count: 4))
        var outputs: [String] = []
        for (direction, suffix) in suffixes(layer).enumerated() {
            let transposed = { (name: String, graph: inout ONNXGraphBuilder) throws -> String in
                graph.apply("Transpose", try graph.parameter(name), attributes: [.ints("perm", [1, 0])])
            }
            // Every step's x·W_ihᵀ + b_ih + b_hh: (L, N, 4H).
            var projected = graph.apply("MatMul", sequence, try transposed("weight_ih" + suffix, &graph))
            if bias {
                let biases = graph.apply("Add", try graph.parameter("bias_ih" + suffix), try graph.parameter("bias_hh" + suffix))
                projected = graph.apply("Add", projected, biases)
            }
            let (recurrent, projection) = (try transposed("weight_hh" + suffix, &graph), try transposed("weight_hr" + suffix, &graph))
            let body = lstmStep(named: "\(graph.path)/lstm\(suffix)_step", recurrent: recurrent, projection: projection, split: split)
            let reverse = direction == 1 ? 1 : 0
            let scan = graph.node("Scan", [h0, c0, projected], [.int("num_scan_inputs", 1), .ints("scan_input_directions", [reverse]),
                                                               .ints("scan_output_directions", [reverse])], outputs: 3)
            var attribute = Onnx_AttributeProto()
            (attribute.name, attribute.type, attribute.g) = ("body", .graph, body)
            graph.addToLastNode(attribute)
            outputs.append(scan[2])
        }
        return outputs.count == 1 ? outputs[0] : graph.apply("Concat", outputs[0], outputs[1], attributes: [.int("axis", 2)])
    }

    /// The `Scan` body of one LSTM step with projection: from h (N, P), c (N, H) and the step's
    /// input projection (N, 4H), gates = input + h·W_hhᵀ (`recurrent` is W_hhᵀ), split i, f, g, o;
    /// c′ = σ(f)·c + σ(i)·tanh(g), h′ = (σ(o)·tanh c′)·W_hrᵀ (`projection` is W_hrᵀ). Outputs h′, c′
    /// and h′ again as the step's output. The weights are the outer graph's values.
    private func lstmStep(named name: String, recurrent: String, projection: String, split: String) -> Onnx_GraphProto {
        var step = ONNXGraphBuilder(state: [:])
        let (h, c, x) = (name + "/h", name + "/c", name + "/x")
        let outputs = step.nested(name) { g -> [String] in
            let gates = g.apply("Add", x, g.apply("MatMul", h, recurrent))
            let parts = g.node("Split", [gates, split], [.int("axis", 1)], outputs: 4)
            let (i, f, candidate, o) = (g.apply("Sigmoid", parts[0]), g.apply("Sigmoid", parts[1]), g.apply("Tanh", parts[2]),
                                        g.apply("Sigmoid", parts[3]))
            let cell = g.apply("Add", g.apply("Mul", f, c), g.apply("Mul", i, candidate))
            let hidden = g.apply("MatMul", g.apply("Mul", o, g.apply("Tanh", cell)), projection)
            return [hidden, g.apply("Identity", cell), g.apply("Identity", hidden)]
        }
        var body = Onnx_GraphProto()
        body.name = name
        body.node = step.nodes
        body.input = [h, c, x].map { Onnx_ValueInfoProto.floatTensor($0, rank: 2) }
        body.output = outputs.map { Onnx_ValueInfoProto.floatTensor($0, rank: 2) }
        return body
    }
}

extension ONNXGraphBuilder {
    /// Adds `attribute` to the node added last, for the kinds `ONNXAttribute` has no case for
    /// (a list of strings, a subgraph).
    mutating func addToLastNode(_ attribute: Onnx_AttributeProto) {
        nodes[nodes.count - 1].attribute.append(attribute)
    }
}

extension Onnx_ValueInfoProto {
    /// A Float tensor value of `rank` axes of unknown extents (a `Scan` body's inputs and outputs).
    static func floatTensor(_ name: String, rank: Int) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shape = Onnx_TensorShapeProto()
        shape.dim = Array(repeating: Onnx_TensorShapeProto.Dimension(), count: rank)
        tensorType.shape = shape
        info.type.tensorType = tensorType
        return info
    }
}
