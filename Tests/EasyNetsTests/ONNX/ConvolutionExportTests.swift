@testable import EasyNetsONNX
import EasyNets
import Foundation
import Testing

/// The graphs convolution, pooling and resizing layers export to: the operators and attributes
/// ONNX Runtime's numeric check cannot see. Expected values are worked out by hand from PyTorch's
/// window and coordinate rules.
@Suite struct ConvolutionExportTests {
    /// The exported graph of `description` for examples of `shape`.
    private func exported(_ description: ModelDescription, exampleShape shape: [Int]) throws -> Onnx_GraphProto {
        let model = try Sequential<Float>(description, seed: 1)
        model.eval()
        return try ONNXModel(exporting: model, exampleShape: shape).proto.graph
    }

    /// The operators of `graph`'s nodes, without the final `Identity` that names the output.
    private func operators(_ graph: Onnx_GraphProto) -> [String] { graph.node.map(\.opType).dropLast() }

    /// The integer list attribute `name` of `node`.
    private func ints(_ node: Onnx_NodeProto, _ name: String) -> [Int64]? { node.attribute.first { $0.name == name }.map(\.ints) }

    /// The string attribute `name` of `node`.
    private func string(_ node: Onnx_NodeProto, _ name: String) -> String? {
        node.attribute.first { $0.name == name }.map { String(decoding: $0.s, as: UTF8.self) }
    }

    /// The values of the 64-bit integer initializer `name`.
    private func int64s(_ graph: Onnx_GraphProto, _ name: String) -> [Int64] {
        guard let tensor = graph.initializer.first(where: { $0.name == name }) else { return [] }
        return tensor.rawData.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }
    }

    @Test func conv2dIsOneConvWithPyTorchNamedInitializers() throws {
        let description = ModelDescription.sequential(layers: [
            .conv2d(inChannels: 3, outChannels: 4, kernelSize: [3, 2], stride: [2, 1], padding: .explicit([1, 0]),
                    dilation: [1, 2]),
            .conv2d(inChannels: 4, outChannels: 2, kernelSize: [1, 1], bias: false),
        ])
        let graph = try exported(description, exampleShape: [3, 9, 8])
        #expect(operators(graph) == ["Conv", "Conv"])
        #expect(graph.node[0].input == ["input", "0.weight", "0.bias"])
        #expect(graph.node[1].input.dropFirst() == ["1.weight"])
        #expect(Set(graph.initializer.map(\Onnx_TensorProto.name)) == ["0.weight", "0.bias", "1.weight"])
        #expect(graph.initializer.first { $0.name == "0.weight" }?.dims == [4, 3, 3, 2])
        #expect(ints(graph.node[0], "pads") == [1, 0, 1, 0])
        #expect(ints(graph.node[0], "strides") == [2, 1])
        #expect(ints(graph.node[0], "dilations") == [1, 2])
    }

    @Test func samePaddingWithAnEvenKernelPadsTheOddOneAfter() throws {
        // Kernel 4 at dilation 1 pads 3 in all, kernel 2 at dilation 3 pads 3 too: 1 before, 2 after.
        let graph = try exported(.sequential(layers: [.conv2d(inChannels: 1, outChannels: 1, kernelSize: [4, 2], padding: .same, dilation: [1, 3])]),
                              exampleShape: [1, 8, 8])
        #expect(ints(graph.node[0], "pads") == [1, 1, 2, 2])
    }

    @Test func circularPaddingWrapsWithSlicesInsteadOfPad() throws {
        let graph = try exported(.sequential(layers: [.conv2d(inChannels: 2, outChannels: 2, kernelSize: [3, 3], padding: .explicit([2, 1]),
                                                   paddingMode: .circular)]), exampleShape: [2, 5, 6])
        let ops = operators(graph)
        #expect(!ops.contains("Pad"))
        #expect(ops.filter { $0 == "Slice" }.count == 4 && ops.filter { $0 == "Concat" }.count == 2)
        // The height axis (2) takes its last 2 rows before and its first 2 after.
        let firstSlice = try #require(graph.node.first { $0.opType == "Slice" })
        #expect(int64s(graph, firstSlice.input[1]) == [3] && int64s(graph, firstSlice.input[2]) == [5])
        #expect(int64s(graph, firstSlice.input[3]) == [2])
        let conv = try #require(graph.node.last { $0.opType == "Conv" })
        #expect(ints(conv, "pads") == [0, 0, 0, 0])
    }

    @Test func reflectAndReplicatePaddingUsePadModes() throws {
        for (mode, name) in [(ConvolutionPaddingMode.reflect, "reflect"), (.replicate, "edge")] {
            let graph = try exported(.sequential(layers: [.conv1d(inChannels: 1, outChannels: 1, kernelSize: 3, padding: .explicit([2]), paddingMode: mode)]),
                                  exampleShape: [1, 6])
            #expect(operators(graph) == ["Pad", "Conv"])
            #expect(string(graph.node[0], "mode") == name)
            #expect(int64s(graph, graph.node[0].input[1]) == [0, 0, 2, 0, 0, 2])
        }
    }

    @Test func ceilModePoolingPadsAfterInsteadOfRoundingUp() throws {
        // 6 rows, kernel 3, stride 2, padding 1, rounding up: 4 windows, the last starting at row 5
        // (inside the input), reaching 2 past it. 5 columns, kernel 2, stride 2, padding 1: the
        // fourth window would start at 6, in the right padding, so PyTorch keeps 3 and no more padding.
        let graph = try exported(.sequential(layers: [.maxPool2d(kernelSize: [3, 2], stride: [2, 2], padding: [1, 1], ceilMode: true)]),
                              exampleShape: [1, 6, 5])
        #expect(operators(graph) == ["MaxPool"])
        #expect(ints(graph.node[0], "pads") == [1, 1, 2, 1])
        #expect(!graph.node[0].attribute.contains { $0.name == "ceil_mode" })
        #expect(graph.output[0].type.tensorType.shape.dim.map(\Onnx_TensorShapeProto.Dimension.dimValue).dropFirst() == [1, 4, 3])
    }

    @Test func divisorOverrideRescalesAnAveragePool() throws {
        // Windows of 2×2 over a 4×4 plane hold 4 inputs each; a divisor of 3 scales their mean by 4/3.
        let graph = try exported(.sequential(layers: [.avgPool2d(kernelSize: [2, 2], divisorOverride: 3)]), exampleShape: [1, 4, 4])
        #expect(operators(graph) == ["AveragePool", "Mul"])
        let scales = try #require(graph.initializer.first { $0.name == graph.node[1].input[1] })
        let values = scales.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values.count == 4 && values.allSatisfy { abs($0 - 4 / 3) < 1e-6 })
    }

    @Test func adaptivePoolingPicksGlobalEvenOrSlicedWindows() throws {
        let global = try exported(.sequential(layers: [.adaptiveMaxPool2d(outputSize: [1, 1])]), exampleShape: [2, 5, 7])
        #expect(operators(global) == ["GlobalMaxPool"])
        let even = try exported(.sequential(layers: [.adaptiveAvgPool2d(outputSize: [2, 3])]), exampleShape: [2, 6, 9])
        #expect(operators(even) == ["AveragePool"] && ints(even.node[0], "kernel_shape") == [3, 3])
        // 5 columns into 3 cells: PyTorch's windows 0..<2, 1..<4, 3..<5.
        let sliced = try exported(.sequential(layers: [.adaptiveAvgPool1d(outputSize: 3)]), exampleShape: [2, 5])
        #expect(operators(sliced) == ["Slice", "ReduceMean", "Slice", "ReduceMean", "Slice", "ReduceMean", "Concat"])
        let slices = sliced.node.filter { $0.opType == "Slice" }
        #expect(slices.map { int64s(sliced, $0.input[1]) + int64s(sliced, $0.input[2]) } == [[0, 2], [1, 4], [3, 5]])
    }

    @Test func nearestUpsamplingByWholeFactorsIsAResize() throws {
        let graph = try exported(.sequential(layers: [.upsample(scaleFactor: [2, 3])]), exampleShape: [1, 4, 4])
        #expect(operators(graph) == ["Resize"])
        #expect(string(graph.node[0], "coordinate_transformation_mode") == "asymmetric")
        #expect(string(graph.node[0], "nearest_mode") == "floor")
    }

    @Test func nearestUpsamplingToAnUnevenSizeGathersPyTorchsSources() throws {
        // 3 columns to 5: output o reads ⌊o·3/5⌋ = 0, 0, 1, 1, 2.
        let graph = try exported(.sequential(layers: [.upsample(size: [5], mode: .nearest)]), exampleShape: [1, 3])
        #expect(operators(graph) == ["Gather"])
        #expect(int64s(graph, graph.node[0].input[1]) == [0, 0, 1, 1, 2])
    }

    @Test func bilinearUpsamplingToASizeUsesHalfPixelCoordinates() throws {
        let plain = try exported(.sequential(layers: [.upsample(size: [7, 9], mode: .bilinear)]), exampleShape: [1, 4, 5])
        #expect(operators(plain) == ["Shape", "Concat", "Resize"])
        #expect(string(plain.node[2], "coordinate_transformation_mode") == "half_pixel")
        let aligned = try exported(.sequential(layers: [.upsample(size: [7, 9], mode: .bilinear, alignCorners: true)]), exampleShape: [1, 4, 5])
        #expect(string(aligned.node[2], "coordinate_transformation_mode") == "align_corners")
    }
}
