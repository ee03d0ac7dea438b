import Foundation
import Testing
import EasyNets
@testable import EasyNetsONNX

/// A layer the description format does not cover.
private final class Doubling<Scalar: TensorScalar>: Layer {
    var isTraining = true
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * 2 }
}

/// A registered layer kind that has no ONNX export.
private struct HalvingDescription: ShapePreservingLayerDescription {
    static let kind = "halvingForExportTests"
    func problem() -> String? { nil }
    func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> { Halving<Scalar>() }
}

private final class Halving<Scalar: TensorScalar>: Layer {
    var isTraining = true
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * 0.5 }
    var layerDescription: ModelDescription? { .layer(HalvingDescription()) }
}

@Suite("ONNX export")
struct ExportCoreTests {
    @Test func aLayerWithoutADescriptionIsNamed() {
        let model = Sequential<Float>([Linear<Float>(3, 2), Doubling<Float>()])
        #expect { try ONNXModel(exporting: model, exampleShape: [3]) } throws: { error in
            guard let error = error as? ONNXError else { return false }
            return error.location == "layer 1" && error.reason.contains("Doubling")
        }
    }

    @Test func aKindWithoutAnExportIsNamed() {
        ModelDescription.register(HalvingDescription.self)
        let model = Sequential<Float>([Linear<Float>(3, 2), ReLU<Float>(), Halving<Float>()])
        #expect { try ONNXModel(exporting: model, exampleShape: [3]) } throws: { error in
            guard let error = error as? ONNXError else { return false }
            return error.location == "layer 2" && error.reason.contains("halvingForExportTests") && error.reason.contains("ONNXExportable")
        }
    }

    @Test func anExampleShapeTheModelCannotTakeIsRefused() {
        let model = Sequential<Float>([Linear<Float>(3, 2)])
        #expect { try ONNXModel(exporting: model, exampleShape: [4]) } throws: { error in
            (error as? ONNXError)?.location == "layer 0"
        }
    }

    @Test func aDoubleModelExportsFloatParametersAndItsDescription() throws {
        let model = Sequential<Double>([Linear<Double>(3, 2), ReLU<Double>(), Flatten<Double>()])
        let graph = try ExportedGraph(bytes: ONNXModel(exporting: model, exampleShape: [3]).serializedBytes())
        #expect(graph.initializers["0.weight"] == model.layers[0].namedParameters[0].parameter.value.scalars.map { Float($0) })
        #expect(graph.proto.graph.initializer.allSatisfy { $0.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue) })
        let metadata = graph.proto.metadataProps.first { $0.key == "easynets.model" }?.value
        #expect(try metadata.map { try ModelDescription(json: Array($0.utf8), source: "metadata") } == model.describe())
        #expect(graph.proto.irVersion == 8 && graph.opset == 17 && graph.proto.producerName == "EasyNets")
    }

    @Test func residualBlocksAddTheirInput() throws {
        let model = try Sequential<Float>(.sequential(layers: [
            .linear(inputSize: 4, outputSize: 4, bias: true),
            .residual(block: .sequential(layers: [.linear(inputSize: 4, outputSize: 4, bias: true), .relu])),
        ]))
        let graph = try ExportedGraph(bytes: ONNXModel(exporting: model, exampleShape: [4]).serializedBytes())
        #expect(graph.operators == ["Gemm", "Gemm", "Relu", "Add", "Identity"])
        // The block's weights keep their nested PyTorch names.
        #expect(graph.initializers["1.block.0.weight"] != nil)
        let add = try #require(graph.proto.graph.node.first { $0.opType == "Add" })
        #expect(add.input[0] == graph.proto.graph.node[0].output[0])
    }
}
