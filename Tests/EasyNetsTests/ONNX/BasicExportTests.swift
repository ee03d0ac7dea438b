import Foundation
import Testing
@testable import EasyNets
@testable import EasyNetsONNX

/// What ONNX Runtime cannot see of the activation, normalization and embedding exports: the
/// operators used and the initializers' names and values. (Scripts/onnx/check_export.py runs the
/// exports of Tests/ONNXChecks/Cases against EasyNets' outputs.)
@Suite struct BasicExportTests {
    /// The operator types of the exported graph, in order.
    func operators(_ onnx: ONNXModel) -> [String] { onnx.proto.graph.node.map(\.opType) }

    /// The Float values of initializer `name`, or `nil` when the graph has none of that name.
    func initializer(_ name: String, of onnx: ONNXModel) -> [Float]? {
        guard let tensor = onnx.proto.graph.initializer.first(where: { $0.name == name }) else { return nil }
        return tensor.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    @Test func batchNormExportsBatchNormalizationWithPyTorchNamedRunningStatistics() throws {
        let norm = BatchNorm2d<Float>(2)
        norm.runningMean?.assign(Tensor([0.25, -0.5], shape: [2]))
        norm.runningVariance?.assign(Tensor([2, 3], shape: [2]))
        let model = Sequential<Float>([Identity<Float>(), norm])
        model.eval()
        let onnx = try ONNXModel(exporting: model, exampleShape: [2, 3, 3])
        let node = try #require(onnx.proto.graph.node.first { $0.opType == "BatchNormalization" })
        #expect(Array(node.input.dropFirst()) == ["1.weight", "1.bias", "1.running_mean", "1.running_var"])
        #expect(initializer("1.running_mean", of: onnx) == [0.25, -0.5])
        #expect(initializer("1.running_var", of: onnx) == [2, 3])
        #expect(!operators(onnx).contains("ReduceMean"))
    }

    @Test func batchNormWithoutRunningStatisticsUsesTheBatchStatistics() throws {
        let model = Sequential<Float>([BatchNorm1d<Float>(3, trackRunningStats: false)])
        model.eval()
        let onnx = try ONNXModel(exporting: model, exampleShape: [3, 4])
        #expect(!operators(onnx).contains("BatchNormalization"))
        let reductions = onnx.proto.graph.node.filter { $0.opType == "ReduceMean" }
        #expect(reductions.count == 2)
        // Over the batch and length axes, so each channel keeps its own statistics.
        #expect(reductions.allSatisfy { $0.attribute.first { $0.name == "axes" }?.ints == [0, 2] })
    }

    @Test func geluDecomposesThroughErfOrTanh() throws {
        let exact = try ONNXModel(exporting: Sequential<Float>([GELU<Float>()]), exampleShape: [4])
        #expect(operators(exact).contains("Erf"))
        #expect(!operators(exact).contains("Gelu") && !operators(exact).contains("Tanh"))
        let approximate = try ONNXModel(exporting: Sequential<Float>([GELU<Float>(approximation: .tanh)]), exampleShape: [4])
        #expect(operators(approximate).contains("Tanh"))
        #expect(!operators(approximate).contains("Erf"))
    }

    @Test func embeddingCastsItsIdsToInt64AndGathersPyTorchNamedRows() throws {
        let model = Sequential<Float>([Embedding<Float>(5, 3)])
        let onnx = try ONNXModel(exporting: model, exampleShape: [4])
        #expect(Array(operators(onnx).prefix(2)) == ["Cast", "Gather"])
        let cast = onnx.proto.graph.node[0]
        #expect(cast.input == ["input"])
        #expect(cast.attribute.first { $0.name == "to" }?.i == Int64(Onnx_TensorProto.DataType.int64.rawValue))
        #expect(onnx.proto.graph.node[1].input == ["0.weight", cast.output[0]])
        #expect(onnx.proto.graph.output[0].type.tensorType.shape.dim.map(\.dimValue) == [0, 4, 3])
    }

    /// A row of norm 5 over `maxNorm` 1 becomes (3, 4)/(5 + 1e-7), as PyTorch's renormalization;
    /// a row within the bound stays.
    @Test func embeddingWithMaxNormExportsTheRenormalizedTable() throws {
        let embedding = Embedding<Float>(2, 2, maxNorm: 1)
        embedding.weight.assign(Tensor([3, 4, 0.3, 0.4], shape: [2, 2]))
        let onnx = try ONNXModel(exporting: Sequential<Float>([embedding]), exampleShape: [1])
        let table = try #require(initializer("0.weight.renormalized", of: onnx))
        let expected: [Float] = [Float(3 / (5 + 1e-7)), Float(4 / (5 + 1e-7)), 0.3, 0.4]
        #expect(zip(table, expected).allSatisfy { abs($0 - $1) <= 1e-7 })
        #expect(onnx.proto.graph.node[1].input[0] == "0.weight.renormalized")
    }

    @Test func permuteMovingTheBatchAxisThrowsNamingTheLayer() throws {
        let model = Sequential<Float>([Identity<Float>(), Permute<Float>([1, 0, 2])])
        #expect(throws: ONNXError.self) { try ONNXModel(exporting: model, exampleShape: [3, 4]) }
        do {
            _ = try ONNXModel(exporting: model, exampleShape: [3, 4])
        } catch let error as ONNXError {
            #expect(error.location == "layer 1")
            #expect(error.reason.contains("batch axis"))
        }
        let kept = try ONNXModel(exporting: Sequential<Float>([Permute<Float>([0, 2, 1])]), exampleShape: [3, 4])
        #expect(kept.proto.graph.node[0].attribute.first { $0.name == "perm" }?.ints == [0, 2, 1])
    }
}
