import Foundation
import Testing
import EasyNets  // not @testable: the article's code must work through the public API alone

// The Swift blocks of the article "Writing a layer" (CustomLayers.md), as written there (see
// DocumentationBlocks.swift), with assertions against values counted by hand.

// Documentation block: CustomLayers.md #1
final class Scale<Scalar: TensorScalar>: Layer {
    let factor: Parameter<Scalar>   // (features)
    var isTraining = true

    init(features: Int) {
        ScaleDescription(features: features).requireValid()
        factor = Parameter(Tensor.ones([features]))
    }

    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * factor.value }
    var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("factor", factor)] }
    var layerDescription: ModelDescription? { .layer(ScaleDescription(features: factor.shape[0])) }
}

struct ScaleDescription: LayerDescription {
    static let kind = "scale"   // the layer's key in JSON
    var features: Int

    func problem() -> String? { features >= 1 ? nil : "Scale needs at least 1 feature, got \(features)" }
    var stateCount: Int? { features }
    func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.last == features else { throw inference.error("Scale takes \(features) features, the input has shape \(shape)") }
        return shape
    }
    func makeLayer<S: TensorScalar>(as: S.Type, context: inout LayerBuildContext) -> any Layer<S> { Scale<S>(features: features) }
}

@Suite("Article: Writing a layer")
struct CustomLayersArticleTests {
    @Test func savingAndLoading() throws {
        // Documentation block: CustomLayers.md #2
        ModelDescription.register(ScaleDescription.self)

        let model = Sequential<Float> {
            Linear(3, 4)
            Scale<Float>(features: 4)
        }
        let json = try model.describe().jsonString()
        // {"sequential":{"layers":[{"linear":{"bias":true,"inputSize":3,"outputSize":4}},{"scale":{"features":4}}]}}
        let rebuilt = try Sequential<Float>(ModelDescription(json: Array(json.utf8), source: "model.json"))
        print(rebuilt.parameterCount)   // 20

        // The JSON the article shows in its comment: each layer one key, its kind.
        let article = try documentationText("CustomLayers.md").components(separatedBy: "\n")
        let shown = try #require(article.first { $0.hasPrefix("// {\"sequential\"") })
        #expect(json == String(shown.dropFirst(3)))
        let layers = try #require(((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["sequential"]
            as? [String: Any])?["layers"] as? [[String: [String: Any]]])
        #expect(layers.map { Array($0.keys) } == [["linear"], ["scale"]])
        #expect(layers[1]["scale"] as NSDictionary? == ["features": 4] as NSDictionary)
        // Linear(3, 4): 3·4 weights + 4 biases; Scale: 4 factors.
        #expect(rebuilt.parameterCount == 3 * 4 + 4 + 4)
        #expect(rebuilt.layers[1] is Scale<Float>)
        #expect(try rebuilt.describe() == model.describe())
    }

    /// The rules are checked where a description is read, with the layer named, and the shape is
    /// inferred before anything is built.
    @Test func theDescriptionsRulesAndShapes() throws {
        ModelDescription.register(ScaleDescription.self)
        ModelDescription.register(ScaleDescription.self)  // again: nothing changes
        #expect {
            try ModelDescription(json: Array(#"{"sequential":{"layers":[{"scale":{"features":0}}]}}"#.utf8), source: "m.json")
        } throws: { error in
            "\(error)" == "m.json: layer 0: Scale needs at least 1 feature, got 0"
        }
        let description = ModelDescription.sequential(layers: [.linear(inputSize: 3, outputSize: 4), .layer(ScaleDescription(features: 4))])
        #expect(try description.outputShape(for: [7, 3]) == [7, 4])
        #expect(throws: ModelDescriptionError(layer: "layer 1", reason: "Scale takes 5 features, the input has shape [7, 4]")) {
            try ModelDescription.sequential(layers: [.linear(inputSize: 3, outputSize: 4), .layer(ScaleDescription(features: 5))])
                .outputShape(for: [7, 3])
        }
    }
}
