import Foundation
import Testing
@testable import EasyNets

/// `Recurrent` (RNN tanh/ReLU, LSTM, GRU) against PyTorch's modules in Double
/// (`scripts/fixtures/make_recurrent_fixture.py`): outputs, final states, and the gradients of the
/// input, the initial states and every parameter, loaded from PyTorch's state dicts, for full
/// batches, packed batches of sequences of different lengths and LSTMs with a projection; plus
/// finite differences, dropout between layers, and shape errors.
@Suite("Recurrent layers") struct RecurrentTests {
    struct Case: Decodable {
        let cell: String
        let input_size: Int, hidden_size: Int, num_layers: Int
        let bias: Bool, batch_first: Bool, bidirectional: Bool
        let proj_size: Int, lengths: [Int]?
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
                                      bidirectional: c.bidirectional, projectionSize: c.proj_size, using: &generator)
        #expect(Set(layer.parameters.map(\.name)) == Set(c.state_dict.keys), "parameter names")
        for (name, parameter) in layer.parameters { parameter.assign(c.state_dict[name]!.tensor) }
        return layer
    }

    @Test(arguments: ["rnn_tanh", "rnn_relu_2_layers_bidirectional", "lstm", "lstm_2_layers_bidirectional_batch_first",
                      "lstm_batch_1_no_bias", "lstm_one_sequence", "gru", "gru_3_layers_bidirectional", "gru_batch_1_batch_first",
                      "rnn_one_sequence", "packed_rnn_tanh", "packed_rnn_relu_2_layers_bidirectional", "packed_lstm",
                      "packed_lstm_2_layers_bidirectional_batch_first", "packed_lstm_short_no_bias", "packed_gru",
                      "packed_gru_2_layers_bidirectional_batch_first", "packed_rnn_tanh_bidirectional_batch_first", "lstm_projection",
                      "lstm_projection_2_layers_bidirectional", "lstm_projection_one_sequence",
                      "packed_lstm_projection_2_layers_bidirectional_batch_first"])
    func matchesPyTorch(_ name: String) throws {
        let c = try #require(fixture.cases[name])
        let layer = layer(for: c)
        var input = c.input.tensor
        input.requiresGradient = true
        var initial = c.initial.map(\.tensor)
        for index in initial.indices { initial[index].requiresGradient = true }
        let state = initial.isEmpty ? nil : RecurrentState(hidden: initial[0], cell: initial.count > 1 ? initial[1] : nil)
        let (output, final) = layer.run(input, lengths: c.lengths, initialState: state)
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

    /// The Float LSTM cell (the vectorized C loop) computes σ and tanh within one Float ulp of the
    /// correctly rounded values everywhere, passes NaN, saturates at 0 and ±1, and forms c and h
    /// as the Double reference does, rounded in Float.
    @Test func floatCellActivationsAreAccurate() {
        var generator = RandomGenerator(seed: 9)
        let values: [Float] = (0..<200_000).map { _ in
            Float(Double(generator.next() % 8_000_001) / 1e5 - 40) * (generator.next() & 1 == 0 ? 1 : 1e-4)
        } + [0, -0.0, 1e-3, -1e-3, 0.000999, 1e-30, 9, 20, -20, 88, -88, 104, -104, 800, -800, .infinity, -.infinity,
             .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        let h = values.count
        // One row: every gate holds the values; the previous cell holds them scaled, so c = σ(x)·0.5x + σ(x)·tanh(x).
        var gates = values + values + values + values
        let previous = values.map { $0 / 2 }
        var (cell, tanhCell, hidden) = ([Float](repeating: 0, count: h), [Float](repeating: 0, count: h), [Float](repeating: 0, count: h))
        Kernels.lstmCell(gates: &gates, previousCell: previous, cell: &cell, tanhCell: &tanhCell, hidden: &hidden, batch: 1, size: h)
        func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x)) }
        var worst = (ulps: Float(0), at: Float(0))
        for (j, x) in values.enumerated() {
            let (exactSigmoid, exactTanh) = (Float(sigmoid(Double(x))), Float(Foundation.tanh(Double(x))))
            for (got, exact) in [(gates[j], exactSigmoid), (gates[h + j], exactSigmoid), (gates[3 * h + j], exactSigmoid),
                                 (gates[2 * h + j], exactTanh)] {
                let ulps = got == exact ? 0 : Swift.abs(got - exact) / exact.ulp
                if !(ulps <= worst.ulps) { worst = (ulps, x) }
            }
            let c = exactSigmoid * previous[j] + exactSigmoid * exactTanh
            #expect(cell[j] == c || (cell[j].isNaN && c.isNaN), "c at \(x)")
            let exactTanhCell = Float(Foundation.tanh(Double(c)))
            #expect(tanhCell[j] == exactTanhCell || Swift.abs(tanhCell[j] - exactTanhCell) <= exactTanhCell.ulp || (c.isNaN && tanhCell[j].isNaN),
                    "tanh(c) at \(x)")
            #expect(hidden[j] == exactSigmoid * tanhCell[j] || (hidden[j].isNaN && c.isNaN), "h at \(x)")
        }
        #expect(worst.ulps <= 1, "largest error \(worst.ulps) ulp at \(worst.at)")
        var nan: [Float] = [.nan, .nan, .nan, .nan]
        var (c, t, y) = ([Float(0)], [Float(0)], [Float(0)])
        Kernels.lstmCell(gates: &nan, previousCell: [0], cell: &c, tanhCell: &t, hidden: &y, batch: 1, size: 1)
        #expect(nan.allSatisfy(\.isNaN) && c[0].isNaN && y[0].isNaN)
    }

    @Test func parameterNamesAndShapesAreTorchs() {
        var generator = RandomGenerator(seed: 1)
        let gru = Recurrent<Float>(.gru, inputSize: 10, hiddenSize: 7, layerCount: 2, bidirectional: true, using: &generator)
        let shapes = Dictionary(uniqueKeysWithValues: gru.parameters.map { ($0.name, $0.parameter.shape) })
        #expect(shapes["weight_ih_l0"] == [21, 10] && shapes["weight_hh_l0_reverse"] == [21, 7])
        #expect(shapes["weight_ih_l1"] == [21, 14] && shapes["bias_hh_l1_reverse"] == [21] && shapes.count == 16)
    }
}
