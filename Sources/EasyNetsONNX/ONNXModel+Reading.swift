import EasyNets
import Foundation
import SwiftProtobuf

extension ONNXModel {
    /// The deepest nesting of protobuf messages a file may have: a model is a graph of nodes of
    /// attributes of tensors, six levels; the rest of the budget covers ONNX's type protos.
    static let messageDepthLimit = 32

    /// Reads the ONNX model in the file at `path` (through ``readFileBytes(_:)``, so at most
    /// ``InputLimits/maximumBytes``) and checks it as ``init(serializedBytes:source:)`` does.
    public init(contentsOfFile path: String) throws {
        try self.init(serializedBytes: try readFileBytes(path), source: path)
    }

    /// Reads an ONNX model from its protobuf bytes and checks it before anything is built from
    /// it: every initializer's and constant's data type, dimensions, element count (through
    /// checked arithmetic and ``InputLimits/maximumBytes``) and data length; no external or sparse
    /// data; every node input defined by a graph input, an initializer or another node, and no
    /// cycle; the default domain's opset present. `source` names the file in errors.
    ///
    /// Throws ``ONNXError`` naming `source` and the initializer or node at fault.
    public init(serializedBytes bytes: [UInt8], source: String = "<memory>") throws {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = Self.messageDepthLimit
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes, options: options)
        } catch {
            throw ONNXError(location: source, reason: "not a readable ONNX model: the protobuf is malformed or truncated (\(error))")
        }
        _ = try ONNXGraphContents(proto, source: source)
        self.proto = proto
        self.source = source
    }
}

/// A value of an ONNX graph known when the model is read: an initializer or a constant.
struct ONNXConstant: Equatable {
    /// The tensor's dimensions.
    var shape: [Int]
    /// The elements, row-major: floating-point types as Float, integer types as Int64.
    var values: Values

    enum Values: Equatable {
        case floats([Float])
        case ints([Int64])
    }

    var count: Int {
        switch values {
        case .floats(let v): return v.count
        case .ints(let v): return v.count
        }
    }

    /// The elements as integers (a Float constant's values truncated), for shapes and indices.
    var integers: [Int64] {
        switch values {
        case .ints(let v): return v
        case .floats(let v): return v.map { $0.isFinite && abs($0) < 9e18 ? Int64($0) : 0 }
        }
    }

    /// The elements as Float.
    var floats: [Float] {
        switch values {
        case .floats(let v): return v
        case .ints(let v): return v.map { Float($0) }
        }
    }

    var tensor: Tensor<Float> { Tensor(floats, shape: shape) }
}

/// An ONNX model's graph, checked: its initializers decoded, its nodes in an order where every
/// input is defined before it is read.
struct ONNXGraphContents {
    /// The file, for error messages.
    var source: String
    /// The opset version of the default domain.
    var opset: Int
    /// The graph inputs that are not initializers: name, element type and dimensions (`nil` for a
    /// symbolic one).
    var inputs: [(name: String, elementType: Int32, dims: [Int?])]
    /// The graph outputs' names.
    var outputs: [String]
    /// The initializers by name.
    var initializers: [String: ONNXConstant]
    /// The nodes, sorted so that each one comes after the nodes it reads from.
    var nodes: [Onnx_NodeProto]

    init(_ proto: Onnx_ModelProto, source: String) throws {
        self.source = source
        let defaultDomain = proto.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = defaultDomain.first else {
            throw ONNXError(location: source, reason: "the model imports no opset of the default ONNX domain (opset_import has no entry with domain \"\")")
        }
        guard (1...1000).contains(opset.version) else {
            throw ONNXError(location: source, reason: "the default domain's opset version \(opset.version) is not a valid version")
        }
        self.opset = Int(opset.version)
        guard proto.hasGraph else { throw ONNXError(location: source, reason: "the model has no graph") }
        let graph = proto.graph
        guard graph.sparseInitializer.isEmpty else {
            throw ONNXError(location: source, reason: "sparse initializers (\"\(graph.sparseInitializer[0].values.name)\") are not supported")
        }

        var initializers: [String: ONNXConstant] = [:]
        for tensor in graph.initializer {
            let location = "\(source): initializer \"\(tensor.name)\""
            guard !tensor.name.isEmpty else { throw ONNXError(location: "\(source): an initializer", reason: "it has no name") }
            guard initializers[tensor.name] == nil else { throw ONNXError(location: location, reason: "the name is used by two initializers") }
            initializers[tensor.name] = try ONNXConstant(tensor, location: location)
        }
        self.initializers = initializers

        // Every name a node may read: graph inputs, initializers, then node outputs.
        var defined = Set(initializers.keys)
        var inputs: [(name: String, elementType: Int32, dims: [Int?])] = []
        for input in graph.input where initializers[input.name] == nil {
            let location = "\(source): graph input \"\(input.name)\""
            guard !input.name.isEmpty, defined.insert(input.name).inserted else {
                throw ONNXError(location: location, reason: "a graph input needs a name of its own")
            }
            guard case .tensorType(let type)? = input.type.value else {
                throw ONNXError(location: location, reason: "only tensor inputs are supported")
            }
            var dims: [Int?] = []
            for dim in type.shape.dim {
                if case .dimValue(let extent)? = dim.value {
                    guard extent >= 0, extent <= Int64(Int32.max) else {
                        throw ONNXError(location: location, reason: "a dimension is \(extent); dimensions are 0 to \(Int32.max)")
                    }
                    dims.append(Int(extent))
                } else {
                    dims.append(nil)
                }
            }
            guard dims.count <= 64 else { throw ONNXError(location: location, reason: "the input has \(dims.count) axes; at most 64 are supported") }
            if let problem = InputLimits.problem(shape: dims.map { $0 ?? 1 }, elementSize: 4) {
                throw ONNXError(location: location, reason: problem)
            }
            inputs.append((input.name, type.elemType, dims))
        }
        self.inputs = inputs

        var producer: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            let location = Self.location(of: node, in: source)
            for output in node.output where !output.isEmpty {
                guard !defined.contains(output), producer[output] == nil else {
                    throw ONNXError(location: location, reason: "its output \"\(output)\" is defined twice in the graph")
                }
                producer[output] = index
            }
            for attribute in node.attribute {
                guard !attribute.hasG && attribute.graphs.isEmpty else {
                    throw ONNXError(location: location, reason: "attribute \"\(attribute.name)\" holds a subgraph; subgraphs (If, Loop, Scan) are not supported")
                }
                guard !attribute.hasSparseTensor && attribute.sparseTensors.isEmpty else {
                    throw ONNXError(location: location, reason: "attribute \"\(attribute.name)\" holds a sparse tensor, which is not supported")
                }
                if attribute.hasT { _ = try ONNXConstant(attribute.t, location: "\(location), attribute \"\(attribute.name)\"") }
                for tensor in attribute.tensors { _ = try ONNXConstant(tensor, location: "\(location), attribute \"\(attribute.name)\"") }
            }
        }
        for node in graph.node {
            for input in node.input where !input.isEmpty && !defined.contains(input) && producer[input] == nil {
                throw ONNXError(location: Self.location(of: node, in: source),
                                reason: "input \"\(input)\" is not defined by a graph input, an initializer or a node")
            }
        }
        self.outputs = graph.output.map(\.name)
        for output in outputs where !defined.contains(output) && producer[output] == nil {
            throw ONNXError(location: "\(source): graph output \"\(output)\"", reason: "no graph input, initializer or node defines it")
        }

        // Kahn's algorithm: a node is ready once every node it reads from is placed.
        let nodes = graph.node
        var waiting = [Int](repeating: 0, count: nodes.count)
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for earlier in Set(node.input.compactMap({ producer[$0] })) {
                waiting[index] += 1
                readers[earlier].append(index)
            }
        }
        var ready = (0..<nodes.count).filter { waiting[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.popLast() {
            order.append(next)
            for reader in readers[next] {
                waiting[reader] -= 1
                if waiting[reader] == 0 { ready.append(reader) }
            }
        }
        guard order.count == nodes.count else {
            let stuck = nodes.indices.first { waiting[$0] > 0 } ?? 0
            throw ONNXError(location: Self.location(of: nodes[stuck], in: source),
                            reason: "the node is on a cycle (or reads from one): the graph must be acyclic")
        }
        // The file's order when it is already topological (as ONNX requires), so errors name the first bad node.
        let sorted = nodes.enumerated().allSatisfy { index, node in node.input.allSatisfy { (producer[$0] ?? -1) < index } }
        self.nodes = sorted ? nodes : order.map { nodes[$0] }
    }

    /// "file: node "name" (Op)", how errors name a node.
    static func location(of node: Onnx_NodeProto, in source: String) -> String {
        "\(source): node \"\(node.name)\" (\(node.opType))"
    }
}

extension ONNXConstant {
    /// The supported element types and their sizes in bytes.
    private static let elementSizes: [Onnx_TensorProto.DataType: Int] = [.float: 4, .double: 8, .int32: 4, .int64: 8]

    /// The tensor `tensor` decoded, after checking its data type, dimensions, element count and
    /// data length; `location` names it in errors.
    init(_ tensor: Onnx_TensorProto, location: String) throws {
        guard tensor.dataLocation != .external && tensor.externalData.isEmpty else {
            throw ONNXError(location: location, reason: "the data is stored in an external file, which is not supported (save the model with its data inside)")
        }
        guard !tensor.hasSegment else { throw ONNXError(location: location, reason: "segmented tensors are not supported") }
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(tensor.dataType)), let size = Self.elementSizes[type] else {
            throw ONNXError(location: location, reason: "data type \(tensor.dataType) is not supported; supported: FLOAT (1), INT32 (6), INT64 (7), DOUBLE (11)")
        }
        guard tensor.dims.count <= 64, tensor.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(Int.max) }) else {
            throw ONNXError(location: location, reason: "dimensions \(tensor.dims) must be at most 64 values, each ≥ 0")
        }
        let shape = tensor.dims.map { Int($0) }
        if let problem = InputLimits.problem(shape: shape, elementSize: size) { throw ONNXError(location: location, reason: problem) }
        let count = InputLimits.elementCount(shape) ?? 0  // checked just above
        let typed: Int
        switch type {
        case .float: typed = tensor.floatData.count
        case .double: typed = tensor.doubleData.count
        case .int32: typed = tensor.int32Data.count
        default: typed = tensor.int64Data.count
        }
        let others = tensor.stringData.count + tensor.uint64Data.count
            + (type == .float ? 0 : tensor.floatData.count) + (type == .double ? 0 : tensor.doubleData.count)
            + (type == .int32 ? 0 : tensor.int32Data.count) + (type == .int64 ? 0 : tensor.int64Data.count)
        guard others == 0 else { throw ONNXError(location: location, reason: "the tensor holds data in a field that does not match its data type \(type)") }
        let raw = tensor.rawData
        if !raw.isEmpty {
            guard typed == 0, raw.count == count * size else {
                throw ONNXError(location: location, reason: typed != 0 ? "the tensor has both raw_data and typed data"
                                : "raw_data has \(raw.count) bytes; \(count) elements of \(size) bytes (shape \(shape)) need \(count * size)")
            }
        } else if typed != count {
            throw ONNXError(location: location, reason: "the tensor has \(typed) elements; its shape \(shape) needs \(count)")
        }
        self.shape = shape
        switch type {
        case .float:
            values = .floats(raw.isEmpty ? tensor.floatData : Self.load(raw, count, as: UInt32.self).map { Float(bitPattern: $0) })
        case .double:
            let doubles = raw.isEmpty ? tensor.doubleData : Self.load(raw, count, as: UInt64.self).map { Double(bitPattern: $0) }
            values = .floats(doubles.map { Float($0) })
        case .int32:
            values = .ints(raw.isEmpty ? tensor.int32Data.map(Int64.init) : Self.load(raw, count, as: UInt32.self).map { Int64(Int32(bitPattern: $0)) })
        default:
            values = .ints(raw.isEmpty ? tensor.int64Data : Self.load(raw, count, as: UInt64.self).map { Int64(bitPattern: $0) })
        }
    }

    /// `count` little-endian integers from `raw` (whose length was checked).
    private static func load<T: FixedWidthInteger>(_ raw: Data, _ count: Int, as: T.Type) -> [T] {
        raw.withUnsafeBytes { bytes in
            (0..<count).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
    }
}
