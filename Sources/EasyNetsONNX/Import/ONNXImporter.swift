import EasyNets

/// What the importer knows about one value of the graph.
enum ONNXSymbol {
    /// Values known when the model is read (initializers, constants, folded shape arithmetic).
    case constant(ONNXConstant)
    /// A 1-D integer vector (or a scalar) some of whose entries are the batch extent: the shape
    /// arithmetic PyTorch emits around `Shape`.
    case dims([ONNXDim], scalar: Bool)
    /// Zeros of a shape that depends on the batch extent (`ConstantOfShape` with 0): the initial
    /// states PyTorch gives its recurrent layers.
    case zeros
    /// The model's data, computed by the layers imported so far.
    case activation(ONNXActivation)
    /// A function of the data element by element, not yet a layer (see ``ONNXElementwise``).
    case elementwise(ONNXElementwise)

    /// Whether the symbol is the model's data.
    var isData: Bool {
        switch self {
        case .activation, .elementwise: return true
        case .constant, .dims, .zeros: return false
        }
    }
}

/// One entry of a shape vector: the batch extent, or a number.
enum ONNXDim: Equatable {
    case batch
    case fixed(Int64)
}

/// The data flowing through the imported layers.
struct ONNXActivation {
    /// The shape the imported layers give, with the batch extent as ``ONNXImporter/batchExtent``.
    var shape: [Int]
    /// The axis of `shape` that is the batch axis.
    var batchAxis: Int
    /// How the graph sees the value when that differs from the layers' output.
    var layout: Layout
    /// How many of the importer's top-level parts compute it: the value is the output of
    /// `parts[..<position]`, so a residual connection from it wraps the parts after.
    var position = 0

    enum Layout: Equatable {
        /// As the layers give it.
        case plain
        /// A recurrent node's `Y`, (L, D, N, H), where the layer gives (L, N, D·H).
        case recurrent(directions: Int, hidden: Int)
        /// `Y` transposed to (L, N, D, H).
        case recurrentTransposed(directions: Int, hidden: Int)
    }

    /// The shape as the graph sees it.
    var graphShape: [Int] {
        switch layout {
        case .plain: return shape
        case .recurrent(let d, let h): return [shape[0], d, shape[1], h]
        case .recurrentTransposed(let d, let h): return [shape[0], shape[1], d, h]
        }
    }
}

/// One imported layer: its description and its state under the layer's own names ("weight").
struct ONNXImportedLayer {
    var description: any LayerDescription
    var state: [String: Tensor<Float>]
    /// State entries that are integers (`num_batches_tracked`), saved as such.
    var integerState: Set<String> = []
}

/// A part of the imported model: a layer, or a residual connection around parts.
enum ONNXImportedPart {
    case layer(ONNXImportedLayer)
    case residual([ONNXImportedPart])

    /// The part's description: a block of one part is that part, of several a sequential.
    var description: ModelDescription {
        switch self {
        case .layer(let layer): return .layer(layer.description)
        case .residual(let block): return .residual(block: block.count == 1 ? block[0].description : .sequential(layers: block.map(\.description)))
        }
    }

    /// The part's state entries under the names the built layers give them, after `prefix`.
    func collectState(prefix: String, into entries: inout [String: SafeTensorsEntry]) {
        switch self {
        case .layer(let layer):
            for (name, tensor) in layer.state {
                entries[prefix + name] = SafeTensorsEntry(tensor, as: layer.integerState.contains(name) ? .int64 : .float32)
            }
        case .residual(let block):
            if block.count == 1 {
                block[0].collectState(prefix: prefix + "block.", into: &entries)
            } else {
                for (index, part) in block.enumerated() { part.collectState(prefix: prefix + "block.\(index).", into: &entries) }
            }
        }
    }
}

/// Turns a checked ONNX graph into a sequence of EasyNets layers by walking its nodes in order:
/// shape arithmetic on constants is folded, each operator on the data becomes a layer (or merges
/// into the previous one, as a bias `Add` into the `MatMul` before it), elementwise formulas
/// become the activation they compute, and the graph must be a chain from its one input to its
/// one output, with residual connections around parts of it.
struct ONNXImporter {
    /// The operators on the data the importer turns into layers.
    static let layerOperators = ["Gemm", "MatMul", "Conv", "ConvTranspose", "BatchNormalization", "LayerNormalization",
                                 "Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "Gelu", "Softmax", "LogSoftmax",
                                 "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Squeeze (after LSTM/GRU)",
                                 "Dropout", "Identity", "LSTM", "GRU",
                                 "Add, Sub, Mul, Div by constants (folded into the Gemm, MatMul, Conv, ConvTranspose or normalization before)",
                                 "Add of x and f(x) (a residual connection)",
                                 "Add, Sub, Mul, Div, Pow, Erf, Exp, Log, Neg, Abs, Sqrt, Reciprocal, Softsign in an activation's formula "
                                 + "(GELU, SiLU, Mish and the activations above)"]
    /// The operators folded when they compute constants and shapes.
    static let constantOperators = ["Constant", "Identity", "Shape", "Gather", "Unsqueeze", "Concat", "ConstantOfShape", "Slice", "Expand", "Transpose"]

    /// The supported operators, for error messages.
    static var supportedOperators: String {
        "supported operators: " + layerOperators.joined(separator: ", ") + "; on constants and shapes: " + constantOperators.joined(separator: ", ")
    }

    /// The smallest and largest opset of the default domain whose operators the importer knows.
    static let opsets = 13...22

    let graph: ONNXGraphContents
    var symbols: [String: ONNXSymbol] = [:]
    var layers: [ONNXImportedPart] = []
    /// The value the last imported layer computes (first, the graph input).
    var tip: String
    /// The output of the last node that made or changed a layer (a bias `Add` joins only that layer).
    var lastLayerOutput = ""
    /// How many nodes and graph outputs read each value.
    let readers: [String: Int]
    /// The extent that stands for the batch axis in shapes: the input's own when it is fixed.
    let batchExtent: Int
    /// Whether the input's batch extent is fixed in the file.
    let fixedBatch: Bool

    init(_ graph: ONNXGraphContents) throws {
        self.graph = graph
        guard Self.opsets.contains(graph.opset) else {
            throw ONNXError(location: graph.source, reason: "opset \(graph.opset) of the default domain is not supported; supported: \(Self.opsets.lowerBound) to \(Self.opsets.upperBound)")
        }
        guard graph.inputs.count == 1, let input = graph.inputs.first else {
            throw ONNXError(location: graph.source, reason: "the graph has \(graph.inputs.count) inputs besides its initializers; a model to import has exactly one")
        }
        guard input.elementType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw ONNXError(location: "\(graph.source): graph input \"\(input.name)\"", reason: "its element type is \(input.elementType); only FLOAT (1) inputs are supported")
        }
        guard input.dims.count >= 2, input.dims.dropFirst().allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ONNXError(location: "\(graph.source): graph input \"\(input.name)\"",
                            reason: "the input needs a batch axis and fixed extents of at least 1 on every other axis (dynamic shapes are not supported), got \(input.dims.map { $0.map(String.init) ?? "?" })")
        }
        guard graph.outputs.count == 1 else {
            throw ONNXError(location: graph.source, reason: "the graph has \(graph.outputs.count) outputs; a model to import has exactly one")
        }
        fixedBatch = input.dims[0] != nil
        batchExtent = max(input.dims[0] ?? 1, 1)
        let shape = [batchExtent] + input.dims.dropFirst().map { $0 ?? 1 }
        symbols = graph.initializers.mapValues { .constant($0) }
        symbols[input.name] = .activation(ONNXActivation(shape: shape, batchAxis: 0, layout: .plain))
        tip = input.name
        var readers: [String: Int] = [:]
        for node in graph.nodes { for name in node.input where !name.isEmpty { readers[name, default: 0] += 1 } }
        for name in graph.outputs { readers[name, default: 0] += 1 }
        self.readers = readers
    }

    /// The imported model: its description and its state under PyTorch's names.
    mutating func run() throws -> (description: ModelDescription, state: SafeTensorsFile) {
        for node in graph.nodes { try importNode(node) }
        try materialize(graph.outputs[0], location: "\(graph.source): graph output \"\(graph.outputs[0])\"")
        guard graph.outputs[0] == tip, case .activation(let output)? = symbols[tip], output.layout == .plain else {
            throw ONNXError(location: "\(graph.source): graph output \"\(graph.outputs[0])\"",
                            reason: "the output is not the result of the chain of layers from the input (the graph must be a chain)")
        }
        let merged = Self.mergingRecurrentLayers(layers)
        var entries: [String: SafeTensorsEntry] = [:]
        for (index, part) in merged.enumerated() { part.collectState(prefix: "\(index).", into: &entries) }
        let description = ModelDescription.sequential(layers: merged.map(\.description))
        if let problem = description.problem(scalarSize: 4) { throw ONNXError(location: graph.source, reason: "the imported model is not valid: \(problem)") }
        return (description, SafeTensorsFile(entries: entries, metadata: ["model": try description.jsonString()]))
    }

    // MARK: Nodes

    private mutating func importNode(_ node: Onnx_NodeProto) throws {
        let location = ONNXGraphContents.location(of: node, in: graph.source)
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw ONNXError(location: location, reason: "operators of domain \"\(node.domain)\" are not supported; \(Self.supportedOperators)")
        }
        // A node on constants only is folded; a node on the data becomes a layer.
        let readsData = node.input.contains { symbols[$0]?.isData ?? false }
        if !readsData || node.opType == "Shape" {
            try fold(node, location: location)
        } else if Self.unaryOperators.contains(node.opType) || Self.binaryOperators.contains(node.opType) {
            try importElementwise(node, location: location)
        } else {
            for name in node.input { try materialize(name, location: location) }
            try importLayer(node, location: location)
        }
    }

    /// The symbol of `node`'s input `index`, or `nil` when it is omitted.
    func input(_ node: Onnx_NodeProto, _ index: Int) -> ONNXSymbol? {
        guard index < node.input.count, !node.input[index].isEmpty else { return nil }
        return symbols[node.input[index]]
    }

    /// The constant input `index` of `node`; `what` describes it in the error when it is not constant.
    func constantInput(_ node: Onnx_NodeProto, _ index: Int, _ what: String, location: String) throws -> ONNXConstant {
        guard case .constant(let value)? = input(node, index) else {
            throw ONNXError(location: location, reason: "\(what) (input \(index)) must be a constant (an initializer or folded from constants)")
        }
        return value
    }

    /// Checks that outputs of `node` after the first are unused: the importer computes only the first.
    func requireOnlyFirstOutputUsed(_ node: Onnx_NodeProto, location: String) throws {
        for output in node.output.dropFirst() where !output.isEmpty && readers[output, default: 0] > 0 {
            throw ONNXError(location: location, reason: "its output \"\(output)\" is used; only the first output of \(node.opType) is supported")
        }
    }

    // MARK: Merging

    /// Consecutive time-major recurrent layers of one kind merged into one stacked layer, and a
    /// recurrent layer between two `Permute([1, 0, 2])` made batch-first, as PyTorch's own.
    static func mergingRecurrentLayers(_ parts: [ONNXImportedPart]) -> [ONNXImportedPart] {
        var result: [ONNXImportedPart] = []
        for part in parts {
            guard case .layer(let layer) = part else {
                if case .residual(let block) = part { result.append(.residual(mergingRecurrentLayers(block))) }
                continue
            }
            if let next = layer.description as? RecurrentDescription, case .layer(let last)? = result.last, var previous = last.description as? RecurrentDescription,
               !previous.batchFirst, !next.batchFirst, previous.cell == next.cell, previous.hiddenSize == next.hiddenSize,
               previous.bidirectional == next.bidirectional, previous.bias == next.bias,
               next.inputSize == previous.hiddenSize * (previous.bidirectional ? 2 : 1) {
                var state = last.state
                for (name, tensor) in layer.state { state[name.replacingOccurrences(of: "_l0", with: "_l\(previous.layerCount)")] = tensor }
                previous.layerCount += 1
                result[result.count - 1] = .layer(ONNXImportedLayer(description: previous, state: state))
            } else {
                result.append(part)
            }
        }
        var index = 0
        while index + 2 < result.count {
            func layer(_ offset: Int) -> ONNXImportedLayer? { if case .layer(let layer) = result[index + offset] { return layer } else { return nil } }
            let swap = [1, 0, 2]
            if (layer(0)?.description as? PermuteDescription)?.axes == swap, (layer(2)?.description as? PermuteDescription)?.axes == swap,
               var recurrent = layer(1), var description = recurrent.description as? RecurrentDescription, !description.batchFirst {
                description.batchFirst = true
                recurrent.description = description
                result[index + 1] = .layer(recurrent)
                result.remove(at: index + 2)
                result.remove(at: index)
            }
            index += 1
        }
        return result
    }
}
