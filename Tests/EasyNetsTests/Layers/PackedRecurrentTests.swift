import Foundation
import Testing
@testable import EasyNets

/// `Recurrent` over batches of sequences of different lengths (`run(_:lengths:initialState:)`)
/// and the LSTM's projection, beyond the PyTorch fixtures of `RecurrentTests`: finite differences
/// through packed steps and the projection, Float against the Double reference, padding that is
/// never read, and the equal-length batch that runs the unpacked path.
@Suite("Recurrent layers over packed sequences")
struct PackedRecurrentTests {
    /// The output and the final states flattened into one vector, so a check covers them all.
    static func flattened(_ run: (output: Tensor<Double>, state: RecurrentState<Double>)) -> Tensor<Double> {
        let parts = [run.output, run.state.hidden] + (run.state.cell.map { [$0] } ?? [])
        return Tensor.concatenated(parts.map { $0.reshaped(to: [$0.count]) }, along: 0)
    }

    @Test(arguments: [RecurrentCell.tanh, .relu, .lstm, .gru])
    func packedGradientsMatchFiniteDifferences(_ cell: RecurrentCell) {
        for batchFirst in [false, true] {
            var generator = RandomGenerator(seed: 11)
            let layer = Recurrent<Double>(cell, inputSize: 3, hiddenSize: 3, layerCount: 2, batchFirst: batchFirst, bidirectional: true,
                                          using: &generator)
            let input = randomTensor(batchFirst ? [4, 5, 3] : [5, 4, 3], seed: 12)
            let lengths = [3, 5, 1, 3]
            let state = [randomTensor([4, 4, 3], seed: 13), randomTensor([4, 4, 3], seed: 14)]
            // The input, the initial states and every parameter (each parameter's value becomes the checked leaf).
            let parameters = layer.parameters.map(\.parameter)
            expectGradientsMatch([input] + state + parameters.map(\.value)) { x in
                for (parameter, value) in zip(parameters, x.dropFirst(3)) { parameter.value = value }
                return Self.flattened(layer.run(x[0], lengths: lengths,
                                                initialState: RecurrentState(hidden: x[1], cell: cell == .lstm ? x[2] : nil)))
            }
        }
    }

    @Test func projectionGradientsMatchFiniteDifferences() {
        var generator = RandomGenerator(seed: 21)
        let layer = Recurrent<Double>(.lstm, inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, projectionSize: 2,
                                      using: &generator)
        let input = randomTensor([4, 3, 3], seed: 22)
        let state = [randomTensor([4, 3, 2], seed: 23), randomTensor([4, 3, 4], seed: 24)]
        let parameters = layer.parameters.map(\.parameter)
        // A step of 1e-4: some gradients here are near 1e-5, where the default step's rounding
        // noise (about 1e-10) alone would exceed the relative tolerance; the truncation error of
        // central differences stays far smaller at this step.
        for lengths in [nil, [2, 4, 1]] as [[Int]?] {
            expectGradientsMatch([input] + state + parameters.map(\.value), epsilon: 1e-4) { x in
                for (parameter, value) in zip(parameters, x.dropFirst(3)) { parameter.value = value }
                return Self.flattened(layer.run(x[0], lengths: lengths, initialState: RecurrentState(hidden: x[1], cell: x[2])))
            }
        }
    }

    /// The Float LSTM (its C cell kernel) and RNN follow the Double reference of PyTorch's packed
    /// and projected fixtures to Float precision: outputs, states and every gradient.
    @Test(arguments: ["packed_lstm_projection_2_layers_bidirectional_batch_first", "packed_lstm", "packed_gru",
                      "lstm_projection_2_layers_bidirectional"])
    func floatMatchesTheDoubleReference(_ name: String) throws {
        let c = try #require(try loadFixture("recurrent.json", as: RecurrentTests.Fixture.self).cases[name])
        func float(_ tensor: Tensor<Double>) -> Tensor<Float> { Tensor(tensor.scalars.map(Float.init), shape: tensor.shape) }
        func double(_ tensor: Tensor<Float>) -> Tensor<Double> { Tensor(tensor.scalars.map(Double.init), shape: tensor.shape) }
        var generator = RandomGenerator(seed: 1)
        let layer = Recurrent<Float>(RecurrentCell(rawValue: c.cell)!, inputSize: c.input_size, hiddenSize: c.hidden_size,
                                     layerCount: c.num_layers, bias: c.bias, batchFirst: c.batch_first,
                                     bidirectional: c.bidirectional, projectionSize: c.proj_size, using: &generator)
        for (name, parameter) in layer.parameters { parameter.assign(float(c.state_dict[name]!.tensor)) }
        var input = float(c.input.tensor)
        input.requiresGradient = true
        var initial = c.initial.map { float($0.tensor) }
        for index in initial.indices { initial[index].requiresGradient = true }
        let state = initial.isEmpty ? nil : RecurrentState(hidden: initial[0], cell: initial.count > 1 ? initial[1] : nil)
        let (output, final) = layer.run(input, lengths: c.lengths, initialState: state)
        let outputs = [output, final.hidden] + (final.cell.map { [$0] } ?? [])
        for (actual, expected) in zip(outputs, c.outputs) { expectClose(double(actual.detached), expected.tensor, tolerance: 1e-5, "\(name)") }
        zip(outputs, c.upstream).map { ($0 * float($1.tensor)).sum() }.reduce(Tensor<Float>(0)) { $0 + $1 }.backward()
        expectClose(double(input.gradient!), c.input_gradient.tensor, tolerance: 1e-5, "\(name) input gradient")
        for (tensor, expected) in zip(initial, c.initial_gradients) {
            expectClose(double(tensor.gradient!), expected.tensor, tolerance: 1e-5, "\(name) initial-state gradient")
        }
        for (parameterName, parameter) in layer.parameters {
            expectClose(double(parameter.gradient!), c.parameter_gradients[parameterName]!.tensor, tolerance: 1e-5, "\(name) \(parameterName)")
        }
    }

    /// What lies past a sequence's end is never read: NaN there changes nothing, the output there
    /// is 0 and the input's gradient there is 0.
    @Test(arguments: [RecurrentCell.relu, .lstm, .gru])
    func paddingIsNeverRead(_ cell: RecurrentCell) {
        var generator = RandomGenerator(seed: 31)
        let layer = Recurrent<Double>(cell, inputSize: 2, hiddenSize: 3, layerCount: 2, batchFirst: true, bidirectional: true,
                                      using: &generator)
        let lengths = [2, 4, 3]
        let input = randomTensor([3, 4, 2], seed: 32)
        var mask = [Double](repeating: 0, count: 24)
        for (n, length) in lengths.enumerated() { for t in length..<4 { mask[(n * 4 + t) * 2] = 1; mask[(n * 4 + t) * 2 + 1] = 1 } }
        let poisoned = input.assigning(.nan, where: Tensor(mask, shape: [3, 4, 2]))
        let clean = layer.run(input, lengths: lengths), dirty = layer.run(poisoned, lengths: lengths)
        #expect(clean.output.scalars == dirty.output.scalars && clean.state.hidden.scalars == dirty.state.hidden.scalars)
        for (n, length) in lengths.enumerated() {
            for t in length..<4 { #expect(clean.output.sliced(along: 0, n..<(n + 1)).sliced(along: 1, t..<(t + 1)).scalars.allSatisfy { $0 == 0 }) }
        }
        var leaf = input
        leaf.requiresGradient = true
        Self.flattened(layer.run(leaf, lengths: lengths)).sum().backward()
        let gradient = leaf.gradient!.scalars
        #expect(zip(gradient, mask).allSatisfy { $1 == 0 || $0 == 0 })
        #expect(zip(gradient, mask).contains { $1 == 0 && $0 != 0 })
    }

    /// Each sequence of a packed batch gives what it gives alone: its own output, final states
    /// and, for the backward direction, a start at its own last element.
    @Test(arguments: [RecurrentCell.tanh, .lstm, .gru])
    func eachSequenceRunsAsIfAlone(_ cell: RecurrentCell) {
        var generator = RandomGenerator(seed: 41)
        let layer = Recurrent<Double>(cell, inputSize: 2, hiddenSize: 3, layerCount: 2, bidirectional: true, projectionSize: cell == .lstm ? 2 : 0,
                                      using: &generator)
        let lengths = [3, 5, 1, 5]
        let input = randomTensor([5, 4, 2], seed: 42)
        let packed = layer.run(input, lengths: lengths)
        for (n, length) in lengths.enumerated() {
            let alone = layer.run(input.sliced(along: 1, n..<(n + 1)).sliced(along: 0, 0..<length))
            let mine = packed.output.sliced(along: 1, n..<(n + 1)).sliced(along: 0, 0..<length)
            expectClose(mine, alone.output, tolerance: 1e-12, "sequence \(n) output")
            expectClose(packed.state.hidden.sliced(along: 1, n..<(n + 1)), alone.state.hidden, tolerance: 1e-12, "sequence \(n) h_n")
            if let cells = packed.state.cell, let own = alone.state.cell {
                expectClose(cells.sliced(along: 1, n..<(n + 1)), own, tolerance: 1e-12, "sequence \(n) c_n")
            }
        }
    }

    /// Lengths that are all L run the unpacked path: the same numbers as no lengths at all.
    @Test func fullLengthsAreTheUnpackedRun() {
        var generator = RandomGenerator(seed: 51)
        let layer = Recurrent<Float>(.lstm, inputSize: 3, hiddenSize: 4, layerCount: 2, bidirectional: true, using: &generator)
        let input: Tensor<Float> = randomTensor([6, 2, 3], seed: 52)
        let (a, b) = (layer.run(input), layer.run(input, lengths: [6, 6]))
        #expect(a.output.scalars == b.output.scalars && a.state.hidden.scalars == b.state.hidden.scalars
                && a.state.cell!.scalars == b.state.cell!.scalars)
    }

    @Test func paddingMasksGiveLengths() {
        let sequences = [Tensor<Double>.ones([3, 2]), .ones([1, 2]), .ones([4, 2])]
        let (padded, mask) = Tensor.paddedSequences(sequences)
        #expect(padded.shape == [3, 4, 2] && Tensor.sequenceLengths(paddingMask: mask) == [3, 1, 4])
        #expect(Tensor.sequenceLengths(paddingMask: Tensor<Float>.zeros([2, 5])) == [5, 5])
    }

    @Test func projectionParameterNamesAndShapesAreTorchs() {
        var generator = RandomGenerator(seed: 1)
        let lstm = Recurrent<Float>(.lstm, inputSize: 10, hiddenSize: 7, layerCount: 2, bidirectional: true, projectionSize: 3,
                                    using: &generator)
        let shapes = Dictionary(uniqueKeysWithValues: lstm.parameters.map { ($0.name, $0.parameter.shape) })
        #expect(shapes["weight_ih_l0"] == [28, 10] && shapes["weight_hh_l0_reverse"] == [28, 3] && shapes["weight_hr_l0"] == [3, 7])
        #expect(shapes["weight_ih_l1"] == [28, 6] && shapes["weight_hr_l1_reverse"] == [3, 7] && shapes.count == 20)
        #expect(Array(lstm.parameters.map(\.name).prefix(5)) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"])
        let (output, state) = lstm.run(.zeros([5, 2, 10]))
        #expect(output.shape == [5, 2, 6] && state.hidden.shape == [4, 2, 3] && state.cell?.shape == [4, 2, 7])
        #expect(lstm.summaryName == "LSTM(10 → 7, projection 3, 2 layers, bidirectional)")
        // PyTorch's nn.LSTM(10, 7, num_layers=2, bidirectional=True, proj_size=3) has 1540 parameters.
        #expect(lstm.parameterCount == 1540 && lstm.summary(inputShape: [5, 2, 10]).contains("Total parameters: 1540"))
        #expect(lstm.summary(inputShape: [5, 2, 10]).contains("[5, 2, 6]"))
    }

    /// A projected LSTM's safetensors state carries PyTorch's names (those of the fixture's
    /// `named_parameters`) and loads into another layer of the same shape.
    @Test func projectionStateUsesTorchNames() throws {
        let c = try #require(try loadFixture("recurrent.json", as: RecurrentTests.Fixture.self)
            .cases["packed_lstm_projection_2_layers_bidirectional_batch_first"])
        func make(seed: UInt64) -> Recurrent<Double> {
            var generator = RandomGenerator(seed: seed)
            return Recurrent<Double>(.lstm, inputSize: c.input_size, hiddenSize: c.hidden_size, layerCount: c.num_layers, batchFirst: true,
                                     bidirectional: true, projectionSize: c.proj_size, using: &generator)
        }
        let (saved, loaded) = (make(seed: 1), make(seed: 2))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("projected-lstm-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try saved.saveState(toFile: path)
        let file = try SafeTensorsFile(contentsOfFile: path)
        #expect(Set(file.entries.keys) == Set(c.state_dict.keys))
        #expect(file.entries["weight_hr_l1_reverse"]?.shape == c.state_dict["weight_hr_l1_reverse"]?.shape)
        _ = try loaded.loadState(fromFile: path)
        let input = c.input.tensor
        #expect(loaded.run(input, lengths: c.lengths).output.scalars == saved.run(input, lengths: c.lengths).output.scalars)
    }

    /// `projectionSize` is written only when it is not 0, and a description without it reads as 0.
    @Test func projectionSizeInJSON() throws {
        let plain = ModelDescription.recurrent(cell: .lstm, inputSize: 4, hiddenSize: 6)
        let json = try plain.jsonString()
        #expect(!json.contains("projectionSize"))
        #expect(try ModelDescription(json: Array(json.utf8), source: "plain") == plain)
        let projected = ModelDescription.recurrent(cell: .lstm, inputSize: 4, hiddenSize: 6, projectionSize: 2)
        #expect(try projected.jsonString().contains("\"projectionSize\":2"))
        #expect(try ModelDescription(json: Array(try projected.jsonString().utf8), source: "projected") == projected)
        #expect(try projected.outputShape(for: [2, 5, 4]) == [2, 5, 2])
        for (description, fragment) in [(RecurrentDescription(cell: .gru, inputSize: 4, hiddenSize: 6, projectionSize: 2), "only an LSTM"),
                                        (RecurrentDescription(cell: .lstm, inputSize: 4, hiddenSize: 6, projectionSize: 6), "0..<hiddenSize 6"),
                                        (RecurrentDescription(cell: .lstm, inputSize: 4, hiddenSize: 6, projectionSize: -1), "got -1")] {
            #expect(description.problem()?.contains(fragment) == true, "\(description.problem() ?? "nil")")
        }
    }
}
