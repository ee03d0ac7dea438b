import Foundation
import Testing
@testable import EasyNets

/// `Recurrent` (RNN tanh/ReLU, LSTM, GRU) against PyTorch's modules in Double
/// (`scripts/fixtures/make_recurrent_fixture.py`): outputs, final states, and the gradients of the
/// input, the initial states and every parameter, loaded from PyTorch's state dicts; plus finite
/// differences, dropout between layers, and shape errors.
@Suite("Recurrent layers") struct RecurrentTests {
    struct Case: Decodable {
        let cell: String
        let input_size: Int, hidden_size: Int, num_layers: Int
        let bias: Bool, batch_first: Bool, bidirectional: Bool
        let state_dict: [String: EncodedTensor]
        let input: EncodedTensor
        let initial: [EncodedTensor]
        let outputs: [EncodedTensor]
        let upstream: [EncodedTensor]
        let input_gradient: EncodedTensor
        let initial_gradients: [EncodedTensor]
        let parameter_gradients: [String: EncodedTensor]
    }

    struct Fixture: Decodable { let cases: [String: Case] }

    let fixture: Fixture
    init() throws { fixture = try loadFixture("recurrent.json", as: Fixture.self) }

    func layer(for c: Case) -> Recurrent<Double> {
        var generator = RandomGenerator(seed: 1)
        let layer = Recurrent<Double>(RecurrentCell(rawValue: c.cell)!, inputSize: c.input_size, hiddenSize: c.hidden_size,
                                      layerCount: c.num_layers, bias: c.bias, batchFirst: c.batch_first,
                                      bidirectional: c.bidirectional, using: &generator)
        #expect(Set(layer.parameters.map(\.name)) == Set(c.state_dict.keys), "parameter names")
        for (name, parameter) in layer.parameters { parameter.assign(c.state_dict[name]!.tensor) }
        return layer
    }

    @Test(arguments: ["rnn_tanh", "rnn_relu_2_layers_bidirectional", "lstm", "lstm_2_layers_bidirectional_batch_first",
                      "lstm_batch_1_no_bias", "lstm_one_sequence", "gru", "gru_3_layers_bidirectional", "gru_batch_1_batch_first",
                      "rnn_one_sequence"])
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        let layer = layer(for: c)
        var input = c.input.tensor
        input.requiresGradient = true
        var initial = c.initial.map(\.tensor)
        for index in initial.indices { initial[index].requiresGradient = true }
        let state = initial.isEmpty ? nil : RecurrentState(hidden: initial[0], cell: initial.count > 1 ? initial[1] : nil)
        let (output, final) = layer.run(input, initialState: state)
        let outputs = [output, final.hidden] + (final.cell.map { [$0] } ?? [])
        #expect(outputs.count == c.outputs.count)
        for (index, (actual, expected)) in zip(outputs, c.outputs).enumerated() {
            expectClose(actual.detached, expected.tensor, tolerance: 1e-10, "\(name) output \(index)")
        }
        zip(outputs, c.upstream).map { ($0 * $1.tensor).sum() }.reduce(Tensor<Double>(0)) { $0 + $1 }.backward()
        expectClose(input.gradient!, c.input_gradient.tensor, tolerance: 1e-10, "\(name) input gradient")
        for (tensor, expected) in zip(initial, c.initial_gradients) {
            expectClose(tensor.gradient!, expected.tensor, tolerance: 1e-10, "\(name) initial-state gradient")
        }
        for (parameterName, parameter) in layer.parameters {
            expectClose(parameter.gradient!, c.parameter_gradients[parameterName]!.tensor, tolerance: 1e-10, "\(name) \(parameterName)")
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        for cell in [RecurrentCell.tanh, .relu, .lstm, .gru] {
            var generator = RandomGenerator(seed: 5)
            let layer = Recurrent<Double>(cell, inputSize: 3, hiddenSize: 2, layerCount: 2, bidirectional: true, using: &generator)
            expectGradientsMatch([randomTensor([4, 2, 3], seed: 6), randomTensor([4, 2, 2], seed: 7)]) {
                layer.run($0[0], initialState: RecurrentState(hidden: $0[1], cell: cell == .lstm ? $0[1] * 0.5 : nil)).output
            }
        }
    }

    @Test func dropoutActsBetweenLayersInTrainingOnly() {
        var generator = RandomGenerator(seed: 2)
        let layer = Recurrent<Double>(.lstm, inputSize: 3, hiddenSize: 8, layerCount: 2, dropout: 0.5, seed: 3, using: &generator)
        let input = randomTensor([6, 2, 3], seed: 4)
        layer.isTraining = false
        let evaluation = layer(input)
        // The same weights without dropout.
        let withoutDropout = Recurrent<Double>(.lstm, inputSize: 3, hiddenSize: 8, layerCount: 2, using: &generator)
        for ((_, a), (_, b)) in zip(withoutDropout.parameters, layer.parameters) { a.assign(b.value) }
        withoutDropout.isTraining = false
        #expect(evaluation.scalars == withoutDropout(input).scalars)
        layer.isTraining = true
        #expect(layer(input).scalars != evaluation.scalars)
    }

    /// The LSTM cell's Float tanh (computed in Double from one exp) is within one Float ulp of the
    /// correctly rounded tanh everywhere, passes NaN and saturates at ±1.
    @Test func cellTanhIsAccurate() {
        var generator = RandomGenerator(seed: 9)
        let values: [Float] = (0..<200_000).map { _ in
            Float(Double(generator.next() % 2_000_001) / 1e5 - 10) * (generator.next() & 1 == 0 ? 1 : 1e-4)
        } + [0, -0.0, 1e-3, -1e-3, 0.000999, 1e-30, 9, 20, -20, .infinity, -.infinity, .leastNonzeroMagnitude]
        for x in values {
            let exact = Float(Foundation.tanh(Double(x))), fast = Kernels.cellTanh(x)
            #expect(Swift.abs(fast - exact) <= exact.ulp, "cellTanh(\(x)) = \(fast), tanh = \(exact)")
        }
        #expect(Kernels.cellTanh(Float.nan).isNaN)
        #expect(Kernels.cellTanh(0.75 as Double) == Foundation.tanh(0.75))
    }

    @Test func parameterNamesAndShapesAreTorchs() {
        var generator = RandomGenerator(seed: 1)
        let gru = Recurrent<Float>(.gru, inputSize: 10, hiddenSize: 7, layerCount: 2, bidirectional: true, using: &generator)
        let shapes = Dictionary(uniqueKeysWithValues: gru.parameters.map { ($0.name, $0.parameter.shape) })
        #expect(shapes["weight_ih_l0"] == [21, 10] && shapes["weight_hh_l0_reverse"] == [21, 7])
        #expect(shapes["weight_ih_l1"] == [21, 14] && shapes["bias_hh_l1_reverse"] == [21] && shapes.count == 16)
    }
}
