import Foundation
import Testing
import EasyNets  // not @testable: the article's code must work through the public API alone
import EasyNetsONNX

// The Swift blocks of the article "Models in and out through ONNX" (ONNX.md), as written there
// (see DocumentationBlocks.swift); the files they write are read back with the generated ONNX
// messages (ONNXFileInspection.swift) and compared with the models' own parameters.

@Suite("Article: ONNX")
struct ONNXDocumentationTests {
    @Test func exportingAModel() throws {
        try inScratchDirectory {
            // Documentation block: ONNX.md #1
            let model = Sequential<Float> {
                Linear(4, 8)
                GELU()
                Dropout(probability: 0.1)
                Linear(8, 3)
            }
            let onnx = try ONNXModel(exporting: model, exampleShape: [4])
            try onnx.write(toFile: "model.onnx")

            let file = try ExportedGraph(contentsOfFile: "model.onnx")
            #expect(file.opset == 17)
            #expect(file.inputShape == ["batch", "4"] && file.outputShape == ["batch", "3"])
            // Dropout leaves no node; both linear layers are Gemm on their PyTorch-named weights.
            #expect(!file.operators.contains("Dropout"))
            #expect(file.operators.filter { $0 == "Gemm" }.count == 2)
            for (name, parameter) in model.stateEntries {
                #expect(file.initializers[name] == parameter.value.scalars, "\(name)")
            }
        }
    }

    @Test func importingAModel() throws {
        try inScratchDirectory {
            // A model of supported operators, written the way another framework would.
            let original = Sequential<Float>([Linear<Float>(4, 6), Tanh<Float>(), Linear<Float>(6, 3), LogSoftmax<Float>()])
            original.eval()
            try ONNXModel(exporting: original, exampleShape: [4]).write(toFile: "model.onnx")

            // Documentation block: ONNX.md #2
            let onnx = try ONNXModel(contentsOfFile: "model.onnx")
            let imported = try onnx.importedSequential(as: Float.self)
            imported.eval()
            var generator = RandomGenerator(seed: 0)
            let scores = imported(Tensor<Float>.normal([5, 4], using: &generator))

            let (description, state) = try onnx.importedModel()
            try state.write(toFile: "imported.safetensors")
            print(try description.jsonString())

            // The same inputs through the original model give the same scores.
            var again = RandomGenerator(seed: 0)
            let expected = original(Tensor<Float>.normal([5, 4], using: &again))
            #expect(zip(scores.scalars, expected.scalars).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
            let reloaded = try Sequential<Float>(description, loadingStateFrom: SafeTensorsFile(contentsOfFile: "imported.safetensors"))
            #expect(reloaded.stateEntries.map(\.name) == original.stateEntries.map(\.name))
        }
    }

    @Test func exportingALayerOfYourOwn() throws {
        // Documentation block: ONNX.md #3
        /// y = x · scale, one learned scale per feature.
        struct FeatureScaleDescription: LayerDescription, ONNXExportable {
            static let kind = "featureScale"
            var features: Int
            func problem() -> String? { features >= 1 ? nil : "featureScale needs at least 1 feature" }
            var stateCount: Int? { features }
            func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] { shape }
            func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
                FeatureScale<Scalar>(features: features)
            }
            func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
                ONNXValue(graph.apply("Mul", input.name, try graph.parameter("scale")), shape: input.shape)
            }
        }

        final class FeatureScale<Scalar: TensorScalar>: Layer {
            let scale: Parameter<Scalar>
            var isTraining = true
            init(features: Int) { scale = Parameter(Tensor(filledWith: 2, shape: [features])) }
            var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("scale", scale)] }
            func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * scale.value }
            var layerDescription: ModelDescription? { .layer(FeatureScaleDescription(features: scale.shape[0])) }
        }

        ModelDescription.register(FeatureScaleDescription.self)
        let scaled = Sequential<Float>([Linear<Float>(3, 2), FeatureScale<Float>(features: 2)])
        let exported = try ONNXModel(exporting: scaled, exampleShape: [3])

        let graph = try ExportedGraph(bytes: exported.serializedBytes())
        #expect(graph.operators == ["Gemm", "Mul", "Identity"])
        #expect(graph.initializers["1.scale"] == [2, 2])
    }
}
