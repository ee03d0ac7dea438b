import EasyNets
import Foundation

/// A layer kind that can be written as ONNX operators: the library's layer descriptions conform,
/// and a program's own registered kind conforms to make models with it exportable.
///
/// An export maps one input value to one output value through nodes added to the graph. The
/// shapes it sees have the batch axis first, at an arbitrary extent: the exported graph leaves that
/// axis symbolic, so an export never writes the batch extent into a constant (`Reshape` copies it
/// with 0 or infers it with -1).
public protocol ONNXExportable: LayerDescription {
    /// Adds the nodes that compute this layer's inference-mode output from `input` and returns the
    /// output value. The layer's parameters and buffers are reached through
    /// ``ONNXGraphBuilder/parameter(_:)`` and ``ONNXGraphBuilder/state(_:)`` by their state-dict
    /// names ("weight", "running_mean"). Throws ``ONNXError`` for a configuration ONNX cannot
    /// express.
    func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue
}

/// A value in an ONNX graph under construction: its name and its shape, batch axis first.
public struct ONNXValue: Sendable, Equatable {
    /// The value's name in the graph.
    public var name: String
    /// The value's shape; the extent of axis 0 stands for the symbolic batch axis.
    public var shape: [Int]

    /// A value named `name` of `shape`.
    public init(_ name: String, shape: [Int]) { (self.name, self.shape) = (name, shape) }
}

/// One attribute of an ONNX node.
public enum ONNXAttribute: Sendable, Equatable {
    case int(String, Int)
    case float(String, Float)
    case ints(String, [Int])
    case floats(String, [Float])
    case string(String, String)
    /// A tensor attribute (a `Constant`'s value): Float values of `shape`.
    case floatTensor(String, [Float], shape: [Int])
    /// A tensor attribute of 64-bit integers of `shape`.
    case intTensor(String, [Int64], shape: [Int])

    var name: String {
        switch self {
        case .int(let n, _), .float(let n, _), .ints(let n, _), .floats(let n, _), .string(let n, _),
             .floatTensor(let n, _, _), .intTensor(let n, _, _): return n
        }
    }
}

/// The graph an export builds: nodes, initializers (the model's parameters under their PyTorch
/// names) and constants. Layers add to it through ``ONNXExportable/exportONNX(_:to:)``.
public struct ONNXGraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    private var initializerNames: Set<String> = []
    private var valueCounter = 0
    /// The state of every layer of the model, by full state-dict name.
    private let state: [String: Tensor<Float>]
    /// The state-dict prefix of the layer being exported ("3.", "0.layers.1.").
    public private(set) var prefix: String = ""
    /// The dotted path of the layer being exported, for error messages.
    public private(set) var path: String = ""

    init(state: [String: Tensor<Float>]) { self.state = state }

    // MARK: Parameters

    /// The current layer's state entry `name` ("weight", "running_var") as Float values.
    public func state(_ name: String) throws -> Tensor<Float> {
        guard let tensor = state[prefix + name] else {
            throw ONNXError(location: path, reason: "the layer has no state entry \"\(prefix + name)\"")
        }
        return tensor
    }

    /// The name of the initializer that holds the current layer's state entry `name`, under its
    /// PyTorch name (`prefix + name`), added to the graph the first time it is asked for.
    public mutating func parameter(_ name: String) throws -> String {
        let full = prefix + name
        if !initializerNames.contains(full) {
            let tensor = try state(name)
            addInitializer(full, values: tensor.scalars, shape: tensor.shape)
        }
        return full
    }

    /// Adds an initializer of Float `values` and `shape` named `name` (a name taken already is
    /// made unique) and returns its name.
    @discardableResult
    public mutating func addInitializer(_ name: String, values: [Float], shape: [Int]) -> String {
        let unique = uniqueName(name)
        initializers.append(.floats(unique, values, shape: shape))
        return unique
    }

    /// A constant of Float `values` and `shape` (a scalar when `shape` is empty).
    public mutating func constant(_ values: [Float], shape: [Int]) -> String {
        let name = uniqueName(prefix + "const")
        initializers.append(.floats(name, values, shape: shape))
        return name
    }

    /// A scalar Float constant.
    public mutating func constant(_ value: Float) -> String { constant([value], shape: []) }

    /// A constant 1-D tensor of 64-bit integers (shapes, axes, pads, slice bounds).
    public mutating func constant(int64 values: [Int]) -> String {
        let name = uniqueName(prefix + "const")
        initializers.append(.int64s(name, values.map(Int64.init), shape: [values.count]))
        return name
    }

    private mutating func uniqueName(_ base: String) -> String {
        var name = base
        while initializerNames.contains(name) {
            valueCounter += 1
            name = "\(base)_\(valueCounter)"
        }
        initializerNames.insert(name)
        return name
    }

    // MARK: Nodes

    /// Adds a node of operator `op` on `inputs` ("" for an omitted optional input) and returns the
    /// names of its `outputs` outputs.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute] = [], outputs: Int = 1) -> [String] {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        valueCounter += 1
        node.name = "\(path.isEmpty ? "" : path + "/")\(op)_\(valueCounter)"
        node.output = (0..<outputs).map { "\(node.name):\($0)" }
        node.attribute = attributes.map(\.proto)
        nodes.append(node)
        return node.output
    }

    /// Adds a node of operator `op` with one output and returns that output's name.
    public mutating func apply(_ op: String, _ inputs: String..., attributes: [ONNXAttribute] = []) -> String {
        node(op, inputs, attributes)[0]
    }

    // MARK: Nesting

    /// Exports a sub-layer whose state lives under `name.` within the current layer (a Transformer
    /// block's `self_attn`), running `body` with the prefix and path extended.
    public mutating func nested<Result>(_ name: String, _ body: (inout ONNXGraphBuilder) throws -> Result) rethrows -> Result {
        let (savedPrefix, savedPath) = (prefix, path)
        prefix += name + "."
        path = path.isEmpty ? name : "\(path).\(name)"
        defer { (prefix, path) = (savedPrefix, savedPath) }
        return try body(&self)
    }

    /// The shape `layer` gives for an input of `shape`, as the layer's description infers it.
    public func outputShape(of layer: some LayerDescription, for shape: [Int]) throws -> [Int] {
        do { return try ModelDescription.layer(layer).outputShape(for: shape) } catch let failure as ModelDescriptionError {
            throw error(failure.reason)
        }
    }

    /// An error about the layer being exported.
    public func error(_ reason: String) -> ONNXError { ONNXError(location: path.isEmpty ? "the model" : "layer \(path)", reason: reason) }
}

extension Onnx_TensorProto {
    static func floats(_ name: String, _ values: [Float], shape: [Int]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.dims = shape.map(Int64.init)
        tensor.rawData = values.withUnsafeBytes { Data($0) }  // little-endian, as ONNX's raw_data
        return tensor
    }

    static func int64s(_ name: String, _ values: [Int64], shape: [Int]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.dims = shape.map(Int64.init)
        tensor.rawData = values.withUnsafeBytes { Data($0) }
        return tensor
    }
}

extension ONNXAttribute {
    var proto: Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        switch self {
        case .int(_, let value): (attribute.type, attribute.i) = (.int, Int64(value))
        case .float(_, let value): (attribute.type, attribute.f) = (.float, value)
        case .ints(_, let values): (attribute.type, attribute.ints) = (.ints, values.map(Int64.init))
        case .floats(_, let values): (attribute.type, attribute.floats) = (.floats, values)
        case .string(_, let value): (attribute.type, attribute.s) = (.string, Data(value.utf8))
        case .floatTensor(_, let values, let shape): (attribute.type, attribute.t) = (.tensor, .floats("", values, shape: shape))
        case .intTensor(_, let values, let shape): (attribute.type, attribute.t) = (.tensor, .int64s("", values, shape: shape))
        }
        return attribute
    }
}

/// An ONNX model that cannot be written or read: an unsupported layer, operator, attribute or
/// shape, or a malformed file; `location` names the layer, the node or the file.
public struct ONNXError: Error, CustomStringConvertible, Equatable {
    /// The layer ("layer 3"), the node ("node Conv_2 (Conv)") or the file concerned.
    public var location: String
    /// What is wrong, and what is supported.
    public var reason: String

    /// An error about `location`.
    public init(location: String, reason: String) { (self.location, self.reason) = (location, reason) }

    public var description: String { "\(location): \(reason)" }
}
