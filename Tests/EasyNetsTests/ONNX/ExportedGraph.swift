import Foundation
@testable import EasyNetsONNX

/// An exported ONNX file read back with the generated messages, for tests: what a reader of the
/// file sees, independently of the builder that wrote it.
struct ExportedGraph {
    var proto: Onnx_ModelProto

    init(contentsOfFile path: String) throws {
        try self.init(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    init(bytes: [UInt8]) throws {
        proto = try Onnx_ModelProto(serializedBytes: bytes)
    }

    /// The default domain's opset.
    var opset: Int64? { proto.opsetImport.first { $0.domain.isEmpty }?.version }

    /// The operators of the nodes, in order.
    var operators: [String] { proto.graph.node.map(\.opType) }

    /// Each axis of the graph's first input: its extent, or its symbolic name.
    var inputShape: [String] { Self.axes(proto.graph.input[0]) }
    /// Each axis of the graph's first output.
    var outputShape: [String] { Self.axes(proto.graph.output[0]) }

    private static func axes(_ value: Onnx_ValueInfoProto) -> [String] {
        value.type.tensorType.shape.dim.map { dim in
            switch dim.value {
            case .dimValue(let extent): return String(extent)
            case .dimParam(let name): return name
            case nil: return "?"
            }
        }
    }

    /// The Float initializers by name, decoded from their little-endian raw data.
    var initializers: [String: [Float]] {
        var result: [String: [Float]] = [:]
        for tensor in proto.graph.initializer where tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) {
            result[tensor.name] = stride(from: 0, to: tensor.rawData.count, by: 4).map { offset in
                Float(bitPattern: tensor.rawData[tensor.rawData.startIndex + offset..<tensor.rawData.startIndex + offset + 4]
                    .enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
            }
        }
        return result
    }

    /// The node that computes `name`, if any.
    func producer(of name: String) -> Onnx_NodeProto? { proto.graph.node.first { $0.output.contains(name) } }
}
