/// The cell of a recurrent layer, with PyTorch's equations and gate order.
public enum RecurrentCell: String, Sendable, Codable {
    /// h′ = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (`nn.RNN`, `nonlinearity='tanh'`).
    case tanh
    /// h′ = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (`nn.RNN`, `nonlinearity='relu'`).
    case relu
    /// `nn.LSTM`: gates i, f, g, o (in that order in the weights); c′ = σ(f)·c + σ(i)·tanh(g),
    /// h′ = σ(o)·tanh(c′).
    case lstm
    /// `nn.GRU`: gates r, z, n; r = σ(·), z = σ(·), n = tanh(x_n + r·(h·W_hnᵀ + b_hn)),
    /// h′ = (1 − z)·n + z·h.
    case gru

    /// Rows of W_ih and W_hh per hidden unit.
    var gateCount: Int {
        switch self {
        case .tanh, .relu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }
}

/// The state a recurrent layer starts from or ends in: `hidden` is (layers·directions, N, H), and
/// `cell` the LSTM's cell state of the same shape (`nil` for RNN and GRU).
public struct RecurrentState<Scalar: TensorScalar> {
    /// h: one (N, H) slice per layer and direction, the forward direction first.
    public var hidden: Tensor<Scalar>
    /// c (LSTM only), laid out as `hidden`.
    public var cell: Tensor<Scalar>?

    /// A state of `hidden` and, for an LSTM, `cell`.
    public init(hidden: Tensor<Scalar>, cell: Tensor<Scalar>? = nil) {
        (self.hidden, self.cell) = (hidden, cell)
    }
}

/// A multi-layer recurrent network over sequences: PyTorch's `nn.RNN`, `nn.LSTM` and `nn.GRU`, with
/// their parameter names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, the LSTM's
/// projection `weight_hr_l0`, `…_reverse` for the backward direction), shapes, gate order and
/// initialization (U(−1/√H, 1/√H)), so a PyTorch state dict loads.
///
/// Input is (L, N, I), or (N, L, I) with `batchFirst`, or (L, I) for one sequence; the output
/// holds the last layer's hidden state at every step, (L, N, D·H) (D = 2 when bidirectional, the
/// backward direction's half second; an LSTM with `projectionSize` P > 0 gives D·P). A batch of
/// sequences of different lengths runs packed (``run(_:lengths:initialState:)``): each sequence
/// stops at its own end. Each layer computes the input projection of all its steps
/// as one gemm, then one gemm (gemv at batch 1) per step for the recurrent product; backward
/// through time runs the same products transposed. An LSTM layer runs as one op over the whole
/// sequence (`lstmSequence`):
/// each step's gate work in one pass, and its weight gradients as one gemm over all steps. In
/// training, dropout with probability `dropout` applies to the outputs of every layer but the last.
public final class Recurrent<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The cell: tanh or ReLU RNN, LSTM or GRU.
    public let cell: RecurrentCell
    /// Features per step of the input.
    public let inputSize: Int
    /// Features of the hidden state (for an LSTM with projection, of its cell state and gates).
    public let hiddenSize: Int
    /// An LSTM's projection size P (PyTorch's `proj_size`): h = W_hr·(o·tanh c) has P features;
    /// 0 for none.
    public let projectionSize: Int
    /// Stacked layers, each reading the previous one's output.
    public let layerCount: Int
    /// Whether each layer also runs over the sequence backwards, its outputs concatenated.
    public let bidirectional: Bool
    /// Whether input and output put the batch axis first.
    public let batchFirst: Bool
    /// The dropout probability between layers in training.
    public let dropout: Double
    /// Per layer and direction (forward first): W_ih, W_hh and the biases, or `nil` without bias.
    public let weights: [(inputWeight: Parameter<Scalar>, hiddenWeight: Parameter<Scalar>,
                          inputBias: Parameter<Scalar>?, hiddenBias: Parameter<Scalar>?)]
    /// Per layer and direction, an LSTM's projection W_hr (P, H) (`weight_hr_l0`, …); empty
    /// without projection.
    public let projectionWeights: [Parameter<Scalar>]
    /// The generator dropout masks come from (saved in training checkpoints).
    public var generator: RandomGenerator
    public var isTraining = true

    /// A recurrent network of `layerCount` layers of `cell`, its weights drawn from `source`
    /// (forward direction before backward, layer by layer, W_ih, W_hh, b_ih, b_hh, then W_hr for an
    /// LSTM with `projectionSize` > 0, which must be below `hiddenSize`); dropout masks come from a
    /// generator seeded with `seed`.
    public init(_ cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, projectionSize: Int = 0, seed: UInt64 = 0,
                using source: inout RandomGenerator) {
        RecurrentDescription(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                             batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
                             projectionSize: projectionSize).requireValid()
        (self.cell, self.inputSize, self.hiddenSize, self.layerCount) = (cell, inputSize, hiddenSize, layerCount)
        (self.bidirectional, self.batchFirst, self.dropout, self.projectionSize) = (bidirectional, batchFirst, dropout, projectionSize)
        self.generator = RandomGenerator(seed: seed)
        let bound = 1 / Double(hiddenSize).squareRoot(), rows = cell.gateCount * hiddenSize
        let directions = bidirectional ? 2 : 1, out = projectionSize > 0 ? projectionSize : hiddenSize
        func uniform(_ shape: [Int]) -> Parameter<Scalar> {
            Parameter(Tensor.uniform(shape, low: Scalar(-bound), high: Scalar(bound), using: &source))
        }
        var weights: [(inputWeight: Parameter<Scalar>, hiddenWeight: Parameter<Scalar>,
                       inputBias: Parameter<Scalar>?, hiddenBias: Parameter<Scalar>?)] = []
        var projections: [Parameter<Scalar>] = []
        for index in 0..<(layerCount * directions) {
            let layerInput = index < directions ? inputSize : out * directions
            weights.append((uniform([rows, layerInput]), uniform([rows, out]), bias ? uniform([rows]) : nil, bias ? uniform([rows]) : nil))
            if projectionSize > 0 { projections.append(uniform([projectionSize, hiddenSize])) }
        }
        (self.weights, self.projectionWeights) = (weights, projections)
    }

    /// ``init(_:inputSize:hiddenSize:layerCount:bias:batchFirst:dropout:bidirectional:projectionSize:seed:using:)``
    /// with weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                            batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, projectionSize: Int = 0,
                            seed: UInt64 = 0) {
        var generator = RandomGenerator.withShared { RandomGenerator(seed: $0.next()) }
        self.init(cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias, batchFirst: batchFirst,
                  dropout: dropout, bidirectional: bidirectional, projectionSize: projectionSize, seed: seed, using: &generator)
    }

    /// Features of each direction's output and hidden state: P with projection, else H.
    var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

    /// The output at every step from zero initial states (the ``Layer`` entry point).
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { run(input).output }

    /// The output at every step and the final state, from `initialState` (zeros when `nil`).
    ///
    /// With `lengths` (one per sequence of a batched input, each in 1...L), sequence n stops after
    /// its first `lengths[n]` steps, as PyTorch's
    /// `pack_padded_sequence(x, lengths, enforce_sorted=False)` → layer → `pad_packed_sequence(…,
    /// total_length=L)`: the input past each end is never read, the output there is 0, the final
    /// states are each sequence's own last ones, and the backward direction starts at each
    /// sequence's last element. Only the running sequences are computed at each step (sorted by
    /// length, as a `PackedSequence`); without `lengths`, or when every length is L, all run the
    /// whole length. ``Tensor/sequenceLengths(paddingMask:)`` turns a padding mask into lengths.
    ///
    /// - Returns: `output` (L, N, D·H) or (N, L, D·H) with `batchFirst` ((L, D·H) for one
    ///   sequence; P for H with projection), and `state` with `hidden` of shape (layers·D, N, H)
    ///   ((layers·D, H) for one sequence; P for H with projection) and for an LSTM `cell` of shape
    ///   (layers·D, N, H).
    public func run(_ input: Tensor<Scalar>, lengths: [Int]? = nil, initialState: RecurrentState<Scalar>? = nil)
        -> (output: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        let name = cell.layerName
        require((input.rank == 3 || input.rank == 2) && input.shape.last == inputSize,
                "\(name): input shape \(input.shape) is not (L, N, \(inputSize))\(batchFirst ? " with batchFirst (N, L, …)" : "") or (L, \(inputSize))")
        let unbatched = input.rank == 2
        require(lengths == nil || !unbatched, "\(name): lengths \(lengths ?? []) need a batched input "
                + "\(batchFirst ? "(N, L, \(inputSize))" : "(L, N, \(inputSize))"), the input has shape \(input.shape)")
        let (length, batch) = unbatched ? (input.shape[0], 1) : batchFirst ? (input.shape[1], input.shape[0]) : (input.shape[0], input.shape[1])
        let packing = lengths.map { SequencePacking(lengths: $0, length: length, batch: batch, name: name, shape: input.shape) }
            .flatMap { $0.isFull ? nil : $0 }
        let directions = bidirectional ? 2 : 1, out = outputSize
        let stateShape = [layerCount * directions, batch, out], cellShape = [layerCount * directions, batch, hiddenSize]
        func initial(_ tensor: Tensor<Scalar>?, _ what: String, _ shape: [Int]) -> Tensor<Scalar>? {
            guard let tensor else { return nil }
            let given = unbatched ? tensor.unsqueezed(axis: 1) : tensor
            require(given.shape == shape, "\(name): initial \(what) shape \(tensor.shape) is not "
                    + "\(unbatched ? [shape[0], shape[2]] : shape) (layers·directions, N, \(shape[2] == hiddenSize ? "H" : "P")) "
                    + "for input \(input.shape)")
            // A packed batch runs its sequences sorted by length.
            return packing.map { given.indexSelecting(along: 1, indices: IndexTensor($0.order)) } ?? given
        }
        let h0 = initial(initialState?.hidden, "hidden state", stateShape), c0 = initial(initialState?.cell, "cell state", cellShape)
        require(initialState?.cell == nil || cell == .lstm, "\(name): only an LSTM has a cell state")
        // (L, N, I), or the packed rows (Σ lengths, I).
        var sequence = if let packing {
            input.reshaped(to: [length * batch, inputSize]).gatheringRows(packing.packedRows(batchFirst: batchFirst))
        } else {
            unbatched ? input.unsqueezed(axis: 1) : (batchFirst ? input.permuted([1, 0, 2]) : input)
        }
        var finalHidden: [Tensor<Scalar>] = [], finalCells: [Tensor<Scalar>] = []
        for layer in 0..<layerCount {
            var outputs: [Tensor<Scalar>] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let start = { (state: Tensor<Scalar>?, size: Int) in
                    state?.sliced(along: 0, index..<(index + 1)).reshaped(to: [batch, size]) ?? .zeros([batch, size])
                }
                let (steps, h, c) = runDirection(sequence, index: index, reverse: direction == 1, hidden: start(h0, out),
                                                 cellState: cell == .lstm ? start(c0, hiddenSize) : nil, packing: packing)
                outputs.append(steps)
                finalHidden.append(h)
                if let c { finalCells.append(c) }
            }
            sequence = directions == 1 ? outputs[0] : Tensor.concatenated(outputs, along: sequence.rank - 1)
            if layer < layerCount - 1, isTraining, dropout > 0 {
                sequence = EasyNets.dropout(sequence, probability: dropout, using: &generator)
            }
        }
        var hidden = Tensor.stacked(finalHidden, along: 0), cells = finalCells.isEmpty ? nil : Tensor.stacked(finalCells, along: 0)
        var output: Tensor<Scalar>
        if let packing {  // back to the padded layout, zeros past each end, the states in batch order
            let features = directions * out
            output = Tensor.concatenated([sequence, .zeros([1, features])], along: 0)
                .gatheringRows(packing.paddedRows(batchFirst: batchFirst))
                .reshaped(to: batchFirst ? [batch, length, features] : [length, batch, features])
            let position = IndexTensor(packing.position)
            hidden = hidden.indexSelecting(along: 1, indices: position)
            cells = cells?.indexSelecting(along: 1, indices: position)
        } else {
            output = batchFirst && !unbatched ? sequence.permuted([1, 0, 2]) : sequence
        }
        if unbatched {
            output = output.reshaped(to: [length, directions * out])
            hidden = hidden.reshaped(to: [layerCount * directions, out])
            cells = cells?.reshaped(to: [layerCount * directions, hiddenSize])
        }
        return (output, RecurrentState(hidden: hidden, cell: cells))
    }

    /// Layer and direction `index` over `sequence`, (L, N, I) or with `packing` its packed rows
    /// (Σ lengths, I): the outputs in the same layout, and the last hidden (and LSTM cell) state
    /// of each sequence (N, ·).
    private func runDirection(_ sequence: Tensor<Scalar>, index: Int, reverse: Bool, hidden: Tensor<Scalar>,
                              cellState: Tensor<Scalar>?, packing: SequencePacking?)
        -> (outputs: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>?) {
        let p = weights[index]
        let rows = packing?.total ?? sequence.shape[0] * sequence.shape[1], features = sequence.shape[sequence.rank - 1]
        let batch = hidden.shape[0], out = outputSize
        if cell == .lstm {  // one op for the whole sequence: its steps' elementwise work fused
            let flat = lstmSequence(sequence, hidden: hidden, cell: cellState!, inputWeight: p.inputWeight.value,
                                    hiddenWeight: p.hiddenWeight.value, projectionWeight: projectionWeights.isEmpty ? nil : projectionWeights[index].value,
                                    inputBias: p.inputBias?.value, hiddenBias: p.hiddenBias?.value, reverse: reverse,
                                    batchSizes: packing?.batchSizes)
            let (outputEnd, hiddenEnd) = (rows * out, rows * out + batch * out)
            return (flat.sliced(along: 0, 0..<outputEnd).reshaped(to: Array(sequence.shape.dropLast()) + [out]),
                    flat.sliced(along: 0, outputEnd..<hiddenEnd).reshaped(to: [batch, out]),
                    flat.sliced(along: 0, hiddenEnd..<(hiddenEnd + batch * hiddenSize)).reshaped(to: [batch, hiddenSize]))
        }
        let width = cell.gateCount * hiddenSize
        // Every step's input projection in one gemm: (rows, I)·W_ihᵀ + b_ih.
        let projected = linear(sequence.reshaped(to: [rows, features]), weight: p.inputWeight.value, bias: p.inputBias?.value)
        var h = hidden
        if let packing {  // step t runs the first batchSizes[t] sequences; the others keep their state
            var outputs = [Tensor<Scalar>?](repeating: nil, count: packing.batchSizes.count)
            for t in reverse ? Array(packing.batchSizes.indices.reversed()) : Array(packing.batchSizes.indices) {
                let (count, start) = (packing.batchSizes[t], packing.starts[t])
                let running = count == batch ? h : h.sliced(along: 0, 0..<count)
                let next = step(projected.sliced(along: 0, start..<(start + count)), hidden: running, parameters: p)
                outputs[t] = next
                h = count == batch ? next : Tensor.concatenated([next, h.sliced(along: 0, count..<batch)], along: 0)
            }
            return (Tensor.concatenated(outputs.map { $0! }, along: 0), h, nil)
        }
        let (length, projectedSteps) = (sequence.shape[0], projected.reshaped(to: [sequence.shape[0], batch, width]))
        var outputs = [Tensor<Scalar>?](repeating: nil, count: length)
        for t in reverse ? Array((0..<length).reversed()) : Array(0..<length) {
            h = step(projectedSteps.sliced(along: 0, t..<(t + 1)).reshaped(to: [batch, width]), hidden: h, parameters: p)
            outputs[t] = h
        }
        return (Tensor.stacked(outputs.map { $0! }, along: 0), h, nil)
    }

    /// One step of an RNN or GRU cell: the new hidden state (n, H) from the step's input projection
    /// `x` (n, gates·H) and the previous state `hidden` (n, H).
    private func step(_ x: Tensor<Scalar>, hidden h: Tensor<Scalar>,
                      parameters p: (inputWeight: Parameter<Scalar>, hiddenWeight: Parameter<Scalar>,
                                     inputBias: Parameter<Scalar>?, hiddenBias: Parameter<Scalar>?)) -> Tensor<Scalar> {
        let recurrent = linear(h, weight: p.hiddenWeight.value, bias: p.hiddenBias?.value)  // one gemm (gemv at N = 1)
        switch cell {
        case .tanh: return EasyNets.tanh(x + recurrent)
        case .relu: return EasyNets.relu(x + recurrent)
        case .lstm:
            programmerError("Recurrent: an LSTM layer runs as one lstmSequence op, not step by step")
        case .gru:
            let (inputGates, hiddenGates) = (x.chunked(3, along: 1), recurrent.chunked(3, along: 1))
            let reset = sigmoid(inputGates[0] + hiddenGates[0]), update = sigmoid(inputGates[1] + hiddenGates[1])
            let candidate = EasyNets.tanh(inputGates[2] + reset * hiddenGates[2])
            return (1 - update) * candidate + update * h
        }
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        let directions = bidirectional ? 2 : 1
        return weights.enumerated().flatMap { index, p -> [(name: String, parameter: Parameter<Scalar>)] in
            let suffix = "_l\(index / directions)" + (index % directions == 1 ? "_reverse" : "")
            return [("weight_ih" + suffix, p.inputWeight), ("weight_hh" + suffix, p.hiddenWeight)]
                + (p.inputBias.map { [("bias_ih" + suffix, $0)] } ?? []) + (p.hiddenBias.map { [("bias_hh" + suffix, $0)] } ?? [])
                + (projectionWeights.isEmpty ? [] : [("weight_hr" + suffix, projectionWeights[index])])
        }
    }

    public var summaryName: String {
        "\(cell.layerName)(\(inputSize) → \(hiddenSize)" + (projectionSize > 0 ? ", projection \(projectionSize)" : "")
            + (layerCount > 1 ? ", \(layerCount) layers" : "")
            + (bidirectional ? ", bidirectional" : "") + (dropout > 0 ? ", dropout \(dropout)" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(RecurrentDescription(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                                    bias: weights[0].inputBias != nil, batchFirst: batchFirst, dropout: dropout,
                                    bidirectional: bidirectional, projectionSize: projectionSize))
    }
}

/// The description of a ``Recurrent`` layer (an RNN, LSTM or GRU giving its output at every step);
/// built from a model description, it takes one dropout seed. As JSON, `projectionSize` is written
/// only when it is not 0 and read as 0 when absent (PyTorch's default), so descriptions written
/// without it still load and read back to the same bytes.
public struct RecurrentDescription: LayerDescription {
    public static let kind = "recurrent"
    public static let defaultFields = #"{"layerCount":1,"bias":true,"batchFirst":false,"dropout":0,"bidirectional":false,"projectionSize":0}"#
    /// The cell: tanh or ReLU RNN, LSTM or GRU.
    public var cell: RecurrentCell
    /// Features per step of the input, at least 1.
    public var inputSize: Int
    /// Features of the hidden state, at least 1.
    public var hiddenSize: Int
    /// Stacked layers, 1 to 1024.
    public var layerCount: Int
    /// Whether the layers have biases.
    public var bias: Bool
    /// Whether input and output put the batch axis first.
    public var batchFirst: Bool
    /// The dropout probability between layers in training, in [0, 1).
    public var dropout: Double
    /// Whether each layer also runs backwards.
    public var bidirectional: Bool
    /// An LSTM's projection size (PyTorch's `proj_size`), in 1..<`hiddenSize`; 0 for none (every other cell).
    public var projectionSize: Int

    /// A description of a recurrent network of `layerCount` layers of `cell`.
    public init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, projectionSize: Int = 0) {
        (self.cell, self.inputSize, self.hiddenSize, self.layerCount) = (cell, inputSize, hiddenSize, layerCount)
        (self.bias, self.batchFirst, self.dropout, self.bidirectional) = (bias, batchFirst, dropout, bidirectional)
        self.projectionSize = projectionSize
    }

    private enum CodingKeys: String, CodingKey {
        case cell, inputSize, hiddenSize, layerCount, bias, batchFirst, dropout, bidirectional, projectionSize
    }

    /// Reads a description; a missing `projectionSize` is 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(cell: try c.decode(RecurrentCell.self, forKey: .cell), inputSize: try c.decode(Int.self, forKey: .inputSize),
                  hiddenSize: try c.decode(Int.self, forKey: .hiddenSize), layerCount: try c.decode(Int.self, forKey: .layerCount),
                  bias: try c.decode(Bool.self, forKey: .bias), batchFirst: try c.decode(Bool.self, forKey: .batchFirst),
                  dropout: try c.decode(Double.self, forKey: .dropout), bidirectional: try c.decode(Bool.self, forKey: .bidirectional),
                  projectionSize: try c.decodeIfPresent(Int.self, forKey: .projectionSize) ?? 0)
    }

    /// Writes the description; `projectionSize` only when it is not 0.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encode(inputSize, forKey: .inputSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(layerCount, forKey: .layerCount)
        try c.encode(bias, forKey: .bias)
        try c.encode(batchFirst, forKey: .batchFirst)
        try c.encode(dropout, forKey: .dropout)
        try c.encode(bidirectional, forKey: .bidirectional)
        if projectionSize != 0 { try c.encode(projectionSize, forKey: .projectionSize) }
    }

    public func problem() -> String? {
        if inputSize < 1 || hiddenSize < 1 || !(1...1024).contains(layerCount) || !(dropout >= 0 && dropout < 1) {
            return "\(cell.layerName) needs sizes ≥ 1, 1 to 1024 layers and dropout in [0, 1), got \(inputSize) → \(hiddenSize), "
                + "\(layerCount) layers, dropout \(dropout)"
        }
        if projectionSize != 0 && (cell != .lstm || projectionSize < 0 || projectionSize >= hiddenSize) {
            return cell != .lstm ? "\(cell.layerName) has no projection (projectionSize \(projectionSize)); only an LSTM has one"
                : "LSTM needs projectionSize in 0..<hiddenSize \(hiddenSize), got \(projectionSize)"
        }
        return nil
    }

    /// Features of each direction's output: the projection size, or H without one.
    private var outputSize: Int { projectionSize > 0 ? projectionSize : hiddenSize }

    /// Per layer and direction: gates·H rows of W_ih (input or D·P columns) and W_hh (P columns),
    /// two biases, and with projection W_hr (P·H); P = H without projection.
    public var stateCount: Int? {
        let directions = bidirectional ? 2 : 1
        guard layerCount >= 1, let rows = CheckedCount.product(cell.gateCount, hiddenSize),
              let wider = CheckedCount.product(directions, outputSize) else { return nil }
        let biases = bias ? CheckedCount.product(rows, 2) : 0
        let projection = CheckedCount.product(projectionSize, hiddenSize)
        let first = CheckedCount.sum([CheckedCount.product(rows, inputSize), CheckedCount.product(rows, outputSize), biases, projection])
        let later = CheckedCount.sum([CheckedCount.product(rows, wider), CheckedCount.product(rows, outputSize), biases, projection])
        return CheckedCount.sum([CheckedCount.product(first, directions), CheckedCount.product(later, directions, layerCount - 1)])
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard (shape.count == 3 || shape.count == 2) && shape.last == inputSize else {
            throw inference.error("\(cell.layerName) takes \(batchFirst ? "(N, L" : "(L, N"), \(inputSize)) or (L, \(inputSize)), "
                                  + "the input has shape \(shape)")
        }
        try inference.noteBuffer(Array(shape.dropLast()) + [cell.gateCount * hiddenSize], "\(cell.layerName)'s gates")
        return shape.dropLast() + [(bidirectional ? 2 : 1) * outputSize]
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Recurrent<Scalar>(cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias, batchFirst: batchFirst,
                          dropout: dropout, bidirectional: bidirectional, projectionSize: projectionSize, seed: context.takeSeed(),
                          using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``Recurrent`` layer.
    public static func recurrent(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                                 batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
                                 projectionSize: Int = 0) -> ModelDescription {
        .layer(RecurrentDescription(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                                    batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, projectionSize: projectionSize))
    }
}

extension RecurrentCell {
    /// The PyTorch layer this cell makes: RNN, LSTM or GRU.
    var layerName: String {
        switch self {
        case .tanh, .relu: return "RNN"
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        }
    }
}
