import EasyNets
import Foundation
import SwiftProtobuf

/// A model in ONNX, the exchange format of ONNX Runtime, TensorRT, OpenVINO and the other
/// frameworks: exported from an EasyNets model, or read from a file to import.
///
/// An export is the model in inference mode (batch normalization with its running statistics,
/// dropout left out) as ONNX operators of opset 17, Float32, with a symbolic batch axis (`batch`)
/// on its input `input` and output `output`, and the parameters as initializers under their
/// PyTorch names (`0.weight`, `3.running_mean`):
///
/// ```swift
/// let onnx = try ONNXModel(exporting: model, exampleShape: [1, 28, 28])
/// try onnx.write(toFile: "model.onnx")
/// ```
///
/// Every layer kind of the library exports; a program's own kind does when it conforms to
/// ``ONNXExportable``.
///
/// A file read with ``init(contentsOfFile:)`` is checked before anything is built from it, and
/// imports as a model description with its state (``importedModel()``) or as a loaded model, for
/// example a PyTorch `nn.Sequential`, LSTM or GRU exported with `torch.onnx.export`:
///
/// ```swift
/// let model = try ONNXModel(contentsOfFile: "model.onnx").importedSequential(as: Float.self)
/// model.eval()
/// ```
public struct ONNXModel {
    /// The operator set exports use.
    public static let opsetVersion = 17
    /// The ONNX IR version of exports (the one that goes with opset 17).
    public static let irVersion = 8

    var proto: Onnx_ModelProto
    /// The file the model was read from, or a placeholder, for error messages.
    var source = "<memory>"

    /// The model `model` exported for examples of `exampleShape` (without the batch axis); the
    /// model's layers must be describable (``Layer/describe()``) and take that shape.
    public init<Scalar: TensorScalar>(exporting model: some Layer<Scalar>, exampleShape: [Int]) throws {
        let description: ModelDescription
        do { description = try model.describe() } catch let error as ModelDescriptionError {
            throw ONNXError(location: error.layer, reason: error.reason)
        }
        // Checks the shape for every layer first, so an export fails with the shape error the model would give.
        do { _ = try description.outputShape(for: [1] + exampleShape) } catch let error as ModelDescriptionError {
            throw ONNXError(location: error.layer, reason: error.reason)
        }
        var state: [String: Tensor<Float>] = [:]
        for (name, parameter) in model.stateEntries {
            state[name] = Tensor(parameter.value.scalars.map { Float($0) }, shape: parameter.value.shape)
        }
        var graph = ONNXGraphBuilder(state: state)
        let input = ONNXValue("input", shape: [1] + exampleShape)
        let output = try Self.export(description, input, to: &graph)
        graph.node("Identity", [output.name], outputs: 0)
        graph.nodes[graph.nodes.count - 1].output = ["output"]

        var graphProto = Onnx_GraphProto()
        graphProto.name = "easynets"
        graphProto.node = graph.nodes
        graphProto.initializer = graph.initializers
        graphProto.input = [.tensor("input", shape: input.shape)]
        graphProto.output = [.tensor("output", shape: output.shape)]

        var proto = Onnx_ModelProto()
        proto.irVersion = Int64(Self.irVersion)
        proto.producerName = "EasyNets"
        proto.producerVersion = EasyNetsVersion.current
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(Self.opsetVersion)
        proto.opsetImport = [opset]
        proto.graph = graphProto
        var json = Onnx_StringStringEntryProto()
        json.key = "easynets.model"
        json.value = try description.jsonString()
        proto.metadataProps = [json]
        self.proto = proto
    }

    private static func export(_ description: ModelDescription, _ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        switch description {
        case .sequential(let layers):
            var value = input
            for (i, layer) in layers.enumerated() {
                value = try graph.nested(String(i)) { try export(layer, value, to: &$0) }
            }
            return value
        case .residual(let block):
            let output = try graph.nested("block") { try export(block, input, to: &$0) }
            return ONNXValue(graph.apply("Add", input.name, output.name), shape: input.shape)
        case .layer(let layer):
            guard let exportable = layer as? any ONNXExportable else {
                throw graph.error("the layer kind \"\(type(of: layer).kind)\" has no ONNX export (its description does not conform to ONNXExportable)")
            }
            return try exportable.exportONNX(input, to: &graph)
        }
    }

    /// The model as ONNX's protobuf bytes.
    public func serializedBytes() throws -> [UInt8] {
        try proto.serializedBytes()
    }

    /// Writes the model to `path` atomically (a temporary file renamed into place).
    public func write(toFile path: String) throws {
        try OutputFile.write(try serializedBytes(), to: path)
    }
}

extension Onnx_ValueInfoProto {
    /// A Float tensor value whose axis 0 is the symbolic batch axis.
    static func tensor(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var shapeProto = Onnx_TensorShapeProto()
        shapeProto.dim = shape.enumerated().map { axis, extent in
            var dim = Onnx_TensorShapeProto.Dimension()
            if axis == 0 { dim.dimParam = "batch" } else { dim.dimValue = Int64(extent) }
            return dim
        }
        tensorType.shape = shapeProto
        info.type.tensorType = tensorType
        return info
    }
}
