import Testing
@testable import EasyNets

/// Recurrent, attention and positional layers in `ModelDescription`: built from a description
/// they describe themselves back, survive JSON, count their parameters, infer shapes, and reject
/// invalid hyperparameters with a message naming the layer.
@Suite struct SequenceDescriptionTests {
    let model = ModelDescription.sequential(layers: [
        .embedding(count: 30, dimension: 16),
        .learnedPositionalEmbedding(maximumLength: 12, dimension: 16, batchFirst: true),
        .sinusoidalPositionalEncoding(dimension: 16, batchFirst: true),
        .transformerEncoderLayer(modelSize: 16, headCount: 4, feedForwardSize: 24, dropout: 0.1, activation: .gelu,
                                 layerNormEpsilon: 1e-5, batchFirst: true, normFirst: true, causal: true),
        .multiheadAttention(embeddingSize: 16, headCount: 2, dropout: 0, bias: false, batchFirst: true),
        .recurrent(cell: .lstm, inputSize: 16, hiddenSize: 8, layerCount: 2, bias: true, batchFirst: true, dropout: 0.2,
                   bidirectional: true),
        .recurrent(cell: .gru, inputSize: 16, hiddenSize: 5, layerCount: 1, bias: false, batchFirst: true, dropout: 0,
                   bidirectional: false),
        .linear(inputSize: 5, outputSize: 30, bias: true),
        .permute(axes: [0, -1, 1]),
    ])

    @Test func roundTripsThroughLayersAndJSON() throws {
        let built = try Sequential<Float>(model, seed: 3)
        #expect(try built.describe() == model)
        #expect(try ModelDescription(json: Array(model.jsonString().utf8), source: "test") == model)
        #expect(model.stateCount == built.parameterCount + built.namedBuffers.reduce(0) { $0 + $1.parameter.value.count })
        #expect(try model.outputShape(for: [7, 12]) == [7, 30, 12])
        let tokens = Tensor<Float>((0..<(2 * 12)).map { Float($0 % 30) }, shape: [2, 12])
        #expect(built(tokens).shape == [2, 30, 12])
    }

    @Test func badHyperparametersAreNamed() {
        let bad: [(ModelDescription, String)] = [
            (.recurrent(cell: .tanh, inputSize: 4, hiddenSize: 0, layerCount: 1, bias: true, batchFirst: false, dropout: 0,
                        bidirectional: false), "RNN"),
            (.recurrent(cell: .lstm, inputSize: 4, hiddenSize: 4, layerCount: 1, bias: true, batchFirst: false, dropout: 1,
                        bidirectional: false), "LSTM"),
            (.multiheadAttention(embeddingSize: 10, headCount: 4, dropout: 0, bias: true, batchFirst: false), "MultiheadAttention"),
            (.transformerEncoderLayer(modelSize: 8, headCount: 2, feedForwardSize: 16, dropout: 0, activation: .relu,
                                      layerNormEpsilon: 0, batchFirst: false, normFirst: false, causal: false), "TransformerEncoderLayer"),
            (.permute(axes: [0, 0, 1]), "Permute"),
            (.learnedPositionalEmbedding(maximumLength: 0, dimension: 4, batchFirst: true), "LearnedPositionalEmbedding"),
        ]
        for (layer, name) in bad {
            let problem = ModelDescription.sequential(layers: [layer]).problem()
            #expect(problem?.contains(name) == true && problem?.contains("layer 0") == true, "\(problem ?? "no problem")")
        }
        #expect(throws: ModelDescriptionError.self) {  // longer than the learned table
            try ModelDescription.sequential(layers: [.learnedPositionalEmbedding(maximumLength: 4, dimension: 3, batchFirst: true)])
                .outputShape(for: [2, 5, 3])
        }
    }
}
