import Foundation
import Testing
@testable import EasyNets
@testable import EasyNetsONNX

/// What ONNX Runtime's parity check (scripts/onnx/check_export.py) cannot see in the exports of
/// recurrent layers, attention and Transformer blocks: which operators carry them, the gate order
/// of the derived weights, and that parameters a fresh model holds at 0 or 1 (projection biases,
/// layer normalizations) still reach the graph under their PyTorch names.
@Suite struct SequenceExportTests {
    /// `layers` as a model and its export for examples of `exampleShape`.
    func export(_ layers: [ModelDescription], exampleShape: [Int]) throws -> (model: Sequential<Float>, onnx: ONNXModel) {
        let model = try Sequential<Float>(.sequential(layers: layers), seed: 7)
        model.eval()
        return (model, try ONNXModel(exporting: model, exampleShape: exampleShape))
    }

    /// The graph's initializer `name` as Float values.
    func initializer(_ name: String, in onnx: ONNXModel) throws -> [Float] {
        let tensor = try #require(onnx.proto.graph.initializer.first { $0.name == name }, "no initializer \(name)")
        return tensor.rawData.withUnsafeBytes { bytes in
            (0..<(bytes.count / 4)).map { bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        }
    }

    /// Whether some node of the graph (or of a node's subgraph) takes `name` as an input.
    func isConsumed(_ name: String, in onnx: ONNXModel) -> Bool {
        func search(_ nodes: [Onnx_NodeProto]) -> Bool {
            nodes.contains { $0.input.contains(name) || $0.attribute.contains { $0.hasG && search($0.g.node) } }
        }
        return search(onnx.proto.graph.node)
    }

    @Test func lstmExportsOneLSTMNodePerLayerWithGatesInONNXOrder() throws {
        let (hidden, input) = (3, 2)
        let (model, onnx) = try export([.recurrent(cell: .lstm, inputSize: input, hiddenSize: hidden, layerCount: 2, batchFirst: true,
                                                   bidirectional: true)], exampleShape: [4, input])
        let lstms = onnx.proto.graph.node.filter { $0.opType == "LSTM" }
        #expect(lstms.count == 2)
        #expect(lstms.allSatisfy { node in node.attribute.contains { $0.name == "direction" && $0.s == Data("bidirectional".utf8) } })
        #expect(lstms.allSatisfy { node in node.attribute.contains { $0.name == "hidden_size" && $0.i == Int64(hidden) } })
        #expect(!onnx.proto.graph.node.contains { $0.opType == "Scan" })
        // W (directions, 4H, I): PyTorch's gates i, f, g, o per direction, as ONNX's i, o, f, c.
        let state = Dictionary(uniqueKeysWithValues: model.stateEntries.map { ($0.name, $0.parameter.value.scalars) })
        let w = try initializer("0.weight_ih_l0.onnx_W", in: onnx)
        let block = hidden * input
        for (direction, suffix) in ["_l0", "_l0_reverse"].enumerated() {
            let pytorch = try #require(state["0.weight_ih" + suffix])
            for (onnxGate, pytorchGate) in [0, 3, 1, 2].enumerated() {
                let start = direction * 4 * block + onnxGate * block
                #expect(Array(w[start..<(start + block)]) == Array(pytorch[(pytorchGate * block)..<((pytorchGate + 1) * block)]))
            }
        }
        // B (directions, 8H): W_b then R_b, each reordered.
        let b = try initializer("0.bias_l1.onnx_B", in: onnx)
        let hiddenBias = try #require(state["0.bias_hh_l1_reverse"])
        #expect(Array(b[(8 * hidden + 4 * hidden + hidden)..<(8 * hidden + 4 * hidden + 2 * hidden)])
                == Array(hiddenBias[(3 * hidden)..<(4 * hidden)]))
    }

    @Test func gruResetsAfterTheRecurrentProductAndReordersGates() throws {
        let (hidden, input) = (2, 3)
        let (model, onnx) = try export([.recurrent(cell: .gru, inputSize: input, hiddenSize: hidden, bias: false)], exampleShape: [1, input])
        let gru = try #require(onnx.proto.graph.node.first { $0.opType == "GRU" })
        #expect(gru.attribute.contains { $0.name == "linear_before_reset" && $0.i == 1 })
        #expect(gru.input.count == 3)  // no bias input without biases
        let r = try initializer("0.weight_hh_l0.onnx_R", in: onnx)
        let pytorch = try #require(model.stateEntries.first { $0.name == "0.weight_hh_l0" }).parameter.value.scalars
        let block = hidden * hidden
        // ONNX's z, r, h are PyTorch's rows of z (1), r (0), n (2).
        #expect(Array(r[0..<block]) == Array(pytorch[block..<(2 * block)]))
        #expect(Array(r[block..<(2 * block)]) == Array(pytorch[0..<block]))
    }

    @Test func reluRNNNamesItsActivationPerDirection() throws {
        let (_, onnx) = try export([.recurrent(cell: .relu, inputSize: 2, hiddenSize: 3, bidirectional: true)], exampleShape: [2, 2])
        let rnn = try #require(onnx.proto.graph.node.first { $0.opType == "RNN" })
        let activations = try #require(rnn.attribute.first { $0.name == "activations" })
        #expect(activations.strings == [Data("Relu".utf8), Data("Relu".utf8)])
    }

    @Test func lstmWithProjectionRunsAsScanOverPyTorchNamedWeights() throws {
        let (_, onnx) = try export([.recurrent(cell: .lstm, inputSize: 2, hiddenSize: 4, bidirectional: true, projectionSize: 2)],
                                   exampleShape: [3, 2])
        #expect(onnx.proto.graph.node.filter { $0.opType == "Scan" }.count == 2)
        #expect(!onnx.proto.graph.node.contains { $0.opType == "LSTM" })
        for name in ["weight_ih_l0", "weight_hh_l0", "weight_hr_l0", "bias_ih_l0", "bias_hh_l0_reverse", "weight_hr_l0_reverse"] {
            #expect(isConsumed("0." + name, in: onnx), "\(name) is not used")
        }
    }

    @Test func attentionAndTransformerUseTheirZeroAndOneInitializedParameters() throws {
        let attention = try export([.multiheadAttention(embeddingSize: 4, headCount: 2, batchFirst: true)], exampleShape: [3, 4]).onnx
        for name in ["0.in_proj_weight", "0.in_proj_bias", "0.out_proj.weight", "0.out_proj.bias"] {
            #expect(isConsumed(name, in: attention), "\(name) is not used")
        }
        let block = TransformerEncoderLayerDescription(modelSize: 4, headCount: 2, feedForwardSize: 6, batchFirst: true)
        let encoder = try export([.transformerEncoder(layer: block, layerCount: 2, norm: true)], exampleShape: [3, 4]).onnx
        for name in ["layers.0.norm1.weight", "layers.0.norm1.bias", "layers.1.norm2.weight", "layers.1.self_attn.in_proj_bias",
                     "layers.1.linear2.bias", "norm.weight", "norm.bias"] {
            #expect(isConsumed("0." + name, in: encoder), "\(name) is not used")
        }
        let transformer = try export([.transformer(modelSize: 4, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 1,
                                                   feedForwardSize: 6, batchFirst: true)], exampleShape: [3, 4]).onnx
        for name in ["encoder.norm.bias", "decoder.layers.0.multihead_attn.in_proj_bias", "decoder.layers.0.norm3.weight",
                     "decoder.norm.weight"] {
            #expect(isConsumed("0." + name, in: transformer), "\(name) is not used")
        }
    }
}
