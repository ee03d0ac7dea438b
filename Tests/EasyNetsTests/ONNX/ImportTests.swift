import Foundation
import Testing
@testable import EasyNets
@testable import EasyNetsONNX

/// PyTorch models exported to ONNX (scripts/fixtures/make_onnx_fixture.py), imported: PyTorch's
/// outputs, training, export back; and files that must be refused with a message.
struct ONNXImportTests {
    struct Reference: Decodable {
        let input: EncodedTensor
        let output: EncodedTensor
    }

    static let fixtures = ["mlp", "mlp_gelu", "cnn", "cnn_transpose", "lstm", "gru", "residual_cnn", "residual_mlp"]

    /// The fixture's model imported and in evaluation mode, with its input and PyTorch's output.
    private func imported(_ name: String) throws -> (model: Sequential<Float>, input: Tensor<Float>, output: Tensor<Float>) {
        let onnx = try ONNXModel(contentsOfFile: fixturePath("onnx/\(name).onnx"))
        let model = try onnx.importedSequential(as: Float.self)
        model.eval()
        let reference = try loadFixture("onnx/\(name).json", as: Reference.self)
        let input = Tensor(reference.input.values.map(Float.init), shape: reference.input.shape)
        return (model, input, Tensor(reference.output.values.map(Float.init), shape: reference.output.shape))
    }

    /// The largest difference between `a` and `b` relative to the largest magnitude of `b` (at least 1).
    private func relativeError(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float {
        let scale = max(b.scalars.map(abs).max() ?? 0, 1)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    @Test(arguments: fixtures)
    func importedModelGivesPyTorchsOutputs(_ name: String) throws {
        let (model, input, expected) = try imported(name)
        let output = model(input)
        #expect(output.shape == expected.shape)
        #expect(relativeError(output, expected) <= 2e-6, "\(name): largest relative difference \(relativeError(output, expected))")
    }

    @Test func stateHasPyTorchNamesAndTheDescriptionRecordsTheLayers() throws {
        let lstm = try ONNXModel(contentsOfFile: fixturePath("onnx/lstm.onnx")).importedModel()
        // One stacked bidirectional batch-first LSTM, then the linear head (its MatMul and bias Add).
        #expect(lstm.description == .sequential(layers: [
            .recurrent(cell: .lstm, inputSize: 3, hiddenSize: 4, layerCount: 2, batchFirst: true, bidirectional: true),
            .linear(inputSize: 8, outputSize: 2),
        ]))
        #expect(Set(lstm.state.entries.keys).isSuperset(of: ["0.weight_ih_l1_reverse", "0.bias_hh_l0", "1.weight", "1.bias"]))
        #expect(lstm.state.metadata["model"] == (try lstm.description.jsonString()))
        let cnn = try ONNXModel(contentsOfFile: fixturePath("onnx/cnn.onnx")).importedModel()
        #expect(Set(cnn.state.entries.keys).isSuperset(of: ["2.running_mean", "2.running_var", "2.num_batches_tracked", "8.weight"]))
    }

    @Test func residualConnectionsAndSpelledOutActivationsBecomeTheirLayers() throws {
        // PyTorch at opset 17 spells SiLU, GELU and Mish out; x + block(x) becomes a residual
        // block; the per-channel and scalar affine maps fold into the convolution or linear layer before.
        let cnn = try ONNXModel(contentsOfFile: fixturePath("onnx/residual_cnn.onnx")).importedModel()
        #expect(cnn.description.layerKinds == ["conv2d", "silu", "residual[conv2d, gelu, conv2d]", "residual[batchNorm2d, mish, conv2d]",
                                               "adaptiveAvgPool2d", "flatten", "linear"])
        #expect(Set(cnn.state.entries.keys) == ["0.weight", "0.bias", "2.block.0.weight", "2.block.0.bias", "2.block.2.weight", "2.block.2.bias",
                                                "3.block.0.weight", "3.block.0.bias", "3.block.0.running_mean", "3.block.0.running_var",
                                                "3.block.0.num_batches_tracked", "3.block.2.weight", "3.block.2.bias", "6.weight", "6.bias"])
        let mlp = try ONNXModel(contentsOfFile: fixturePath("onnx/residual_mlp.onnx")).importedModel()
        #expect(mlp.description.layerKinds == ["linear", "residual[layerNorm, linear, gelu, linear]", "residual[linear, softplus, linear]",
                                               "elu", "linear", "hardSigmoid"])
        let gelu = try #require(mlp.description.allLayers.compactMap { $0 as? GELUDescription }.first)
        #expect(gelu.tanhApproximation)
    }

    @Test func everyActivationAndResidualBlockEasyNetsExportsImportsAsItself() throws {
        let description = ModelDescription.sequential(layers: [
            .linear(inputSize: 5, outputSize: 6), .gelu(), .residual(block: .sequential(layers: [.linear(inputSize: 6, outputSize: 6), .gelu(tanhApproximation: true)])),
            .silu, .mish, .elu(alpha: 0.5), .selu, .hardSigmoid, .leakyRelu(negativeSlope: 0.2), .sigmoid, .tanh, .relu,
            .residual(block: .linear(inputSize: 6, outputSize: 6)), .layer(SoftplusDescription()), .linear(inputSize: 6, outputSize: 2),
        ])
        let model = try Sequential<Float>(description, seed: 3)
        model.eval()
        let exported = try ONNXModel(exporting: model, exampleShape: [5])
        let imported = try ONNXModel(serializedBytes: exported.serializedBytes(), source: "again").importedSequential(as: Float.self)
        imported.eval()
        #expect(try imported.describe() == description)
        let input = Tensor<Float>((0..<20).map { Float($0) / 4 - 2.5 }, shape: [4, 5])
        #expect(relativeError(imported(input), model(input)) <= 1e-6)
    }

    @Test(arguments: fixtures)
    func importedModelTrains(_ name: String) throws {
        let (model, input, _) = try imported(name)
        let shape = model(input).shape
        let target = Tensor<Float>((0..<shape.reduce(1, *)).map { Float(sin(Double($0))) }, shape: shape)
        let loss = { meanSquaredError(model(input), target).scalars[0] }
        let before = loss()
        model.zeroGradients()
        meanSquaredError(model(input), target).backward()
        let parameters = model.namedParameters
        #expect(!parameters.isEmpty)
        for (parameterName, parameter) in parameters {
            let gradient = try #require(parameter.gradient, "\(name): no gradient for \(parameterName)")
            #expect(gradient.scalars.contains { $0 != 0 } || parameterName.hasSuffix("bias"), "\(name): zero gradient for \(parameterName)")
        }
        SGD(model.trainableParameters, learningRate: 0.05).step()
        #expect(loss() < before, "\(name): one step of gradient descent did not lower the loss")
    }

    @Test(arguments: fixtures)
    func exportedAgainImportsToTheSameOutputs(_ name: String) throws {
        let (model, input, _) = try imported(name)
        #expect(try model.describe().allLayers.allSatisfy { $0 is any ONNXExportable })
        let exported = try ONNXModel(exporting: model, exampleShape: Array(input.shape.dropFirst()))
        let reread = try ONNXModel(serializedBytes: exported.serializedBytes(), source: "again")
        let again = try reread.importedSequential(as: Float.self)
        again.eval()
        let (againDescription, modelDescription) = (try again.describe(), try model.describe())
        #expect(againDescription == modelDescription, "\((try? againDescription.jsonString()) ?? "")\n\((try? modelDescription.jsonString()) ?? "")")
        #expect(relativeError(again(input), model(input)) <= 1e-6)
    }

    @Test func modelExportedByEasyNetsImportsBack() throws {
        let model = Sequential<Float> { Flatten(); Linear(12, 7); ReLU(); Linear(7, 3) }
        model.eval()
        let exported = try ONNXModel(exporting: model, exampleShape: [3, 4])
        let imported = try ONNXModel(serializedBytes: exported.serializedBytes()).importedSequential(as: Float.self)
        imported.eval()
        let input = Tensor<Float>((0..<24).map { Float($0) / 10 - 1 }, shape: [2, 3, 4])
        #expect(relativeError(imported(input), model(input)) <= 1e-6)
        #expect(try imported.describe() == model.describe())
    }

    // MARK: Hostile files

    /// The MLP fixture's protobuf, changed by `change`, read as `name`.
    private func reading(_ change: (inout Onnx_ModelProto) -> Void) throws -> ONNXModel {
        var proto = try Onnx_ModelProto(serializedBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("onnx/mlp.onnx")))))
        change(&proto)
        return try ONNXModel(serializedBytes: try proto.serializedBytes(), source: "bad.onnx")
    }

    private func expectError(_ location: String, _ reason: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("no error; expected \(location): …\(reason)…", sourceLocation: sourceLocation)
        } catch let error as ONNXError {
            #expect(error.location.contains(location) && error.reason.contains(reason), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error) is not an ONNXError", sourceLocation: sourceLocation)
        }
    }

    @Test func truncatedFileIsRefused() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixturePath("onnx/mlp.onnx"))))
        // Nothing at all is an empty model, without an opset; every other cut here falls inside a field.
        for length in [0, 1, 7, bytes.count / 2, bytes.count - 3] {
            expectError("cut.onnx", length == 0 ? "no opset" : "not a readable ONNX model: the protobuf is malformed or truncated") {
                let model = try ONNXModel(serializedBytes: Array(bytes.prefix(length)), source: "cut.onnx")
                _ = try model.importedModel()
            }
        }
    }

    @Test func badTensorsAreRefusedNamingTheInitializer() {
        expectError("initializer \"0.weight\"", "data type 8 is not supported") { _ = try reading { $0.graph.initializer[0].dataType = 8 } }
        expectError("initializer \"0.weight\"", "InputLimits.maximumBytes") { _ = try reading { $0.graph.initializer[0].dims = [1 << 20, 1 << 20] } }
        expectError("initializer \"0.weight\"", "overflows") { _ = try reading { $0.graph.initializer[0].dims = [1 << 62, 1 << 62, 4] } }
        expectError("initializer \"0.weight\"", "each ≥ 0") { _ = try reading { $0.graph.initializer[0].dims = [-1, 6] } }
        expectError("initializer \"0.weight\"", "raw_data has 194 bytes") { _ = try reading { $0.graph.initializer[0].rawData.append(contentsOf: [0, 0]) } }
        expectError("initializer \"0.weight\"", "external file") { _ = try reading { $0.graph.initializer[0].dataLocation = .external } }
        expectError("initializer \"0.weight\"", "has 2 elements") {
            _ = try reading { $0.graph.initializer[0].rawData = Data(); $0.graph.initializer[0].floatData = [1, 2] }
        }
    }

    @Test func badGraphsAreRefusedNamingTheNode() {
        expectError("(Gemm)", "input \"0.weight\" is not defined") {
            _ = try reading { proto in proto.graph.initializer.removeAll { $0.name == "0.weight" } }
        }
        expectError("bad.onnx: node", "cycle") {
            _ = try reading { proto in proto.graph.node[0].input[0] = proto.graph.node[1].output[0] }
        }
        expectError("bad.onnx", "no opset of the default ONNX domain") { _ = try reading { $0.opsetImport = [] } }
        expectError("bad.onnx", "dynamic shapes are not supported") {
            _ = try reading { $0.graph.input[0].type.tensorType.shape.dim[1].dimParam = "features" }.importedModel()
        }
    }

    @Test func residualConnectionFromAnEarlierLayerWrapsTheLayersBetween() throws {
        // The MLP's LeakyReLU (node 3) becomes Add(output of node 2, output of node 0): x + Linear(ReLU(x)).
        let model = try reading { proto in
            proto.graph.node[3].opType = "Add"
            proto.graph.node[3].attribute = []
            proto.graph.node[3].input = [proto.graph.node[2].output[0], proto.graph.node[0].output[0]]
        }.importedModel()
        #expect(model.description.layerKinds.prefix(3) == ["linear", "residual[relu, linear]", "linear"])
        #expect(model.state.entries["1.block.1.weight"] != nil)
    }

    @Test func elementwiseNodesThatAreNoLayerAreRefusedNamingThem() {
        // Exp is no activation of EasyNets; the next layer's node reports the nodes that compute it.
        expectError("\"/2/Gemm\" (Gemm)", "\"/1/Relu\" (Exp) compute a function of") {
            _ = try reading { $0.graph.node[1].opType = "Exp" }.importedModel()
        }
        // A per-feature Mul after a ReLU has no layer to fold into.
        expectError("(Mul)", "folds into the layer just before") {
            _ = try reading { proto in
                proto.graph.node[2].opType = "Mul"
                proto.graph.node[2].attribute = []
                proto.graph.node[2].input = [proto.graph.node[1].output[0], "0.bias"]
            }.importedModel()
        }
        // Add of values of different shapes (the input, 6 features, and a layer's output, 8) is no residual connection.
        expectError("(Add)", "residual connection x + f(x)") {
            _ = try reading { proto in
                proto.graph.node[3].opType = "Add"
                proto.graph.node[3].attribute = []
                proto.graph.node[3].input = [proto.graph.node[2].output[0], proto.graph.input[0].name]
            }.importedModel()
        }
    }

    @Test func unsupportedOperatorIsNamedWithTheSupportedOnes() throws {
        let model = try reading { $0.graph.node[1].opType = "Celu" }
        do {
            _ = try model.importedModel()
            Issue.record("Celu was imported")
        } catch let error as ONNXError {
            #expect(error.location.contains("bad.onnx: node \"/1/Relu\" (Celu)"), "\(error)")
            #expect(error.reason.contains("operator Celu is not supported") && error.reason.contains("LSTM, GRU"), "\(error)")
        }
    }
}

extension ModelDescription {
    /// Every layer of the description, through sequences and residual blocks.
    fileprivate var allLayers: [any LayerDescription] {
        switch self {
        case .layer(let layer): return [layer]
        case .residual(let block): return block.allLayers
        case .sequential(let layers): return layers.flatMap(\.allLayers)
        }
    }

    /// The kinds of the top-level layers, a residual block as "residual[kinds of its layers]".
    fileprivate var layerKinds: [String] {
        switch self {
        case .layer(let layer): return [type(of: layer).kind]
        case .residual(let block): return ["residual[" + block.layerKinds.joined(separator: ", ") + "]"]
        case .sequential(let layers): return layers.flatMap(\.layerKinds)
        }
    }
}
