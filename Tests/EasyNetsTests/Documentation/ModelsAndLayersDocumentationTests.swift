import Foundation
import Testing
import EasyNets

@Suite("Models and layers examples")
struct ModelsAndLayersDocumentationTests {
    /// A Sequential model: its summary, PyTorch names, evaluation mode and forward pass.
    @Test func sequentialModel() throws {
        // Documentation block: ModelsAndLayers.md #1
        RandomGenerator.seedShared(0)                 // like torch.manual_seed
        let model = Sequential<Float> {
            Linear(784, 256)                          // weight (out, in), PyTorch's default init
            ReLU()
            Dropout(probability: 0.2, seed: 1)
            Linear(256, 10)
        }
        print(model.summary(inputShape: [1, 784]))   // each layer's output shape and parameters
        print(model.namedParameters.map(\.name))     // ["0.weight", "0.bias", "3.weight", "3.bias"]
        model.eval()                                  // evaluation mode: dropout off
        let scores = model(Tensor<Float>.ones([2, 784]))
        print(scores.shape, model.parameterCount)     // [2, 10] 203530

        // nn.Sequential's names: the layer's index, then the parameter's own name.
        let expectedNames = model.layers.enumerated().flatMap { index, layer in layer.parameters.map { "\(index).\($0.name)" } }
        #expect(model.namedParameters.map(\.name) == expectedNames)
        #expect(expectedNames == ["0.weight", "0.bias", "3.weight", "3.bias"])
        let total = (784 * 256 + 256) + (256 * 10 + 10)
        #expect(model.parameterCount == total && total == 203_530)
        let summary = model.summary(inputShape: [1, 784])
        for row in ["0: Linear(784 → 256)", "1: ReLU", "2: Dropout(p: 0.2)", "3: Linear(256 → 10)", "[1, 256]", "[1, 10]",
                    "Total parameters: \(total)"] {
            #expect(summary.contains(row), "\(summary)")
        }
        #expect(model.namedLayers.allSatisfy { !$0.layer.isTraining })
        // In evaluation mode dropout passes values through: W₂·relu(W₁·1 + b₁) + b₂, by loops.
        let first = model.layers[0] as! Linear<Float>, last = model.layers[3] as! Linear<Float>
        let hidden = plainAffine([Double](repeating: 1, count: 784), weight: first.weight.value, bias: first.bias?.value).map { Swift.max($0, 0) }
        let expected = plainAffine(hidden, weight: last.weight.value, bias: last.bias?.value)
        #expect(scores.shape == [2, 10])
        expectClose(scores.scalars.map(Double.init), expected + expected, tolerance: 1e-4)
    }

    /// "A custom layer": composes like a built-in one; forward pass and gradients.
    @Test func customLayer() throws {
        // Documentation block: ModelsAndLayers.md #2
        final class Affine: Layer {
            let scale = Parameter(Tensor<Double>.ones([4]))
            let shift = Parameter(Tensor<Double>.zeros([4]))
            var isTraining = true
            var parameters: [(name: String, parameter: Parameter<Double>)] { [("scale", scale), ("shift", shift)] }
            func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { x * scale.value + shift.value }
        }

        let stack = Sequential<Double> { Affine(); ReLU(); Affine() }
        print(stack.namedParameters.map(\.name))      // ["0.scale", "0.shift", "2.scale", "2.shift"]

        #expect(stack.namedParameters.map(\.name) == [0, 2].flatMap { i in ["scale", "shift"].map { "\(i).\($0)" } })
        #expect(stack.parameterCount == 16)
        let layer = Affine()
        layer.scale.value = Tensor([1, -2, 0.5, 3])
        layer.shift.value = Tensor([0.25, 0, -1, 2])
        var generator = RandomGenerator(seed: 5)
        let x = Tensor<Double>.uniform([3, 4], low: -1, high: 1, using: &generator)
        let scale = layer.scale.value.scalars, shift = layer.shift.value.scalars
        #expect(layer(x).scalars == x.scalars.enumerated().map { $0.element * scale[$0.offset % 4] + shift[$0.offset % 4] })
        stack.eval()
        #expect(stack.namedLayers.allSatisfy { !$0.layer.isTraining })
        let result = checkGradients(of: { inputs in
            layer.scale.value = inputs[1]
            layer.shift.value = inputs[2]
            return layer(inputs[0])
        }, at: [x, Tensor([1, -2, 0.5, 3]), Tensor([0.25, 0, -1, 2])])
        #expect(result.maxAbsoluteError <= 1e-6 && result.maxRelativeError <= 1e-6, "\(result)")
        // A custom layer has no description; describe() names it by its index.
        #expect(throws: ModelDescriptionError.self) { try stack.describe() }
    }

    /// "Model descriptions": JSON out and a model back.
    @Test func modelDescription() throws {
        // Documentation block: ModelsAndLayers.md #3
        let small = Sequential<Float> { Linear(4, 8); Tanh(); Linear(8, 3) }
        let json = try small.describe().jsonString()
        print(json)        // {"sequential":{"layers":[{"linear":{"bias":true,"inputSize":4,"outputSize":8}},{"tanh":{}},…]}}
        let rebuilt = try Sequential<Float>(ModelDescription(json: Array(json.utf8), source: "small.json"), seed: 0)
        print(try rebuilt.describe() == small.describe())   // true

        // The JSON, parsed independently: one key per layer, its kind, holding its hyperparameters.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let layers = try #require((object["sequential"] as? [String: Any])?["layers"] as? [[String: Any]])
        #expect(object.count == 1 && layers.count == 3)
        #expect(layers.map { Array($0.keys) } == [["linear"], ["tanh"], ["linear"]])
        #expect(layers[0]["linear"] as? NSDictionary == ["inputSize": 4, "outputSize": 8, "bias": true] as NSDictionary)
        #expect(layers[1]["tanh"] as? NSDictionary == [:] as NSDictionary)
        #expect(layers[2]["linear"] as? NSDictionary == ["inputSize": 8, "outputSize": 3, "bias": true] as NSDictionary)
        // The comment is the printed line's beginning.
        let text = try documentationText("ModelsAndLayers.md")
        let line = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("print(json)") })
        let shown = try #require(line.components(separatedBy: "// ").last?.components(separatedBy: "…").first)
        #expect(json.hasPrefix(shown))
        // Rebuilt with the same layers and parameter shapes.
        #expect(try rebuilt.describe() == small.describe())
        #expect(rebuilt.namedParameters.map(\.parameter.shape) == [[8, 4], [8], [3, 8], [3]])
    }

    /// The article's JSON file builds the network it describes.
    @Test func jsonModelFile() throws {
        let blocks = try codeBlocks(ofFile: "ModelsAndLayers.md", language: "json")
        #expect(blocks.count == 1)
        let text = blocks[0].lines.joined(separator: "\n")
        let description = try ModelDescription(json: Array(text.utf8), source: "mlp.json")
        let model = try Sequential<Float>(description, seed: 0)
        // 784 → 256, a residual 256 → 256 block, 256 → 10.
        #expect(model.parameterCount == (784 * 256 + 256) + (256 * 256 + 256) + (256 * 10 + 10))
        #expect(try model.describe() == description)
        #expect(try description.outputShape(for: [5, 784]) == [5, 10])
        let kinds = model.layers.map(\.summaryName)
        #expect(kinds.count == 5 && kinds[2].contains("Residual"), "\(kinds)")
        // The padding encodings the article gives decode, and the cnn preset writes the explicit one.
        for padding in [#"{"valid":{}}"#, #"{"same":{}}"#, #"{"explicit":{"_0":[1,1]}}"#] {
            let conv = #"{"sequential":{"layers":[{"conv2d":{"inChannels":1,"outChannels":2,"kernelSize":[3,3],"stride":[1,1],"padding":"#
                + padding + #","dilation":[1,1],"groups":1,"bias":true}}]}}"#
            #expect(throws: Never.self) { try ModelDescription(json: Array(conv.utf8), source: "conv.json") }
        }
        #expect(try ConvolutionalNetwork.description().jsonString().contains(#""padding":{"explicit":{"_0":[1,1]}}"#))
    }
}
