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
/// their parameter names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `…_reverse`
/// for the backward direction), shapes, gate order and initialization (U(−1/√H, 1/√H)), so a
/// PyTorch state dict loads.
///
/// Input is (L, N, I), or (N, L, I) with `batchFirst`, or (L, I) for one sequence; the output
/// holds the last layer's hidden state at every step, (L, N, D·H) (D = 2 when bidirectional, the
/// backward direction's half second). Each layer computes the input projection of all its steps
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
    /// Features of the hidden state.
    public let hiddenSize: Int
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
    /// The generator dropout masks come from (saved in training checkpoints).
    public var generator: RandomGenerator
    public var isTraining = true

    /// A recurrent network of `layerCount` layers of `cell`, its weights drawn from `source`
    /// (forward direction before backward, layer by layer, W_ih, W_hh, b_ih, b_hh); dropout
    /// masks come from a generator seeded with `seed`.
    public init(_ cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, seed: UInt64 = 0,
                using source: inout RandomGenerator) {
        RecurrentDescription(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                             batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional).requireValid()
        (self.cell, self.inputSize, self.hiddenSize, self.layerCount) = (cell, inputSize, hiddenSize, layerCount)
        (self.bidirectional, self.batchFirst, self.dropout) = (bidirectional, batchFirst, dropout)
        self.generator = RandomGenerator(seed: seed)
        let bound = 1 / Double(hiddenSize).squareRoot(), rows = cell.gateCount * hiddenSize
        let directions = bidirectional ? 2 : 1
        func uniform(_ shape: [Int]) -> Parameter<Scalar> {
            Parameter(Tensor.uniform(shape, low: Scalar(-bound), high: Scalar(bound), using: &source))
        }
        weights = (0..<(layerCount * directions)).map { index in
            let layerInput = index < directions ? inputSize : hiddenSize * directions
            return (uniform([rows, layerInput]), uniform([rows, hiddenSize]), bias ? uniform([rows]) : nil, bias ? uniform([rows]) : nil)
        }
    }

    /// ``init(_:inputSize:hiddenSize:layerCount:bias:batchFirst:dropout:bidirectional:seed:using:)``
    /// with weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                            batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false, seed: UInt64 = 0) {
        var generator = RandomGenerator.withShared { RandomGenerator(seed: $0.next()) }
        self.init(cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias, batchFirst: batchFirst,
                  dropout: dropout, bidirectional: bidirectional, seed: seed, using: &generator)
    }

    /// The output at every step from zero initial states (the ``Layer`` entry point).
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { run(input).output }

    /// The output at every step and the final state, from `initialState` (zeros when `nil`).
    ///
    /// - Returns: `output` (L, N, D·H) or (N, L, D·H) with `batchFirst` ((L, D·H) for one
    ///   sequence), and `state` with `hidden` (and for an LSTM `cell`) of shape
    ///   (layers·D, N, H) ((layers·D, H) for one sequence).
    public func run(_ input: Tensor<Scalar>, initialState: RecurrentState<Scalar>? = nil)
        -> (output: Tensor<Scalar>, state: RecurrentState<Scalar>) {
        let name = cell.layerName
        require((input.rank == 3 || input.rank == 2) && input.shape.last == inputSize,
                "\(name): input shape \(input.shape) is not (L, N, \(inputSize))\(batchFirst ? " with batchFirst (N, L, …)" : "") or (L, \(inputSize))")
        let unbatched = input.rank == 2
        var sequence = unbatched ? input.unsqueezed(axis: 1) : (batchFirst ? input.permuted([1, 0, 2]) : input)  // (L, N, I)
        let (length, batch) = (sequence.shape[0], sequence.shape[1])
        let directions = bidirectional ? 2 : 1
        let stateShape = [layerCount * directions, batch, hiddenSize]
        func initial(_ tensor: Tensor<Scalar>?, _ what: String) -> Tensor<Scalar>? {
            guard let tensor else { return nil }
            let given = unbatched ? tensor.unsqueezed(axis: 1) : tensor
            require(given.shape == stateShape, "\(name): initial \(what) shape \(tensor.shape) is not "
                    + "\(unbatched ? [stateShape[0], hiddenSize] : stateShape) (layers·directions, N, H) for input \(input.shape)")
            return given
        }
        let h0 = initial(initialState?.hidden, "hidden state"), c0 = initial(initialState?.cell, "cell state")
        require(initialState?.cell == nil || cell == .lstm, "\(name): only an LSTM has a cell state")
        var finalHidden: [Tensor<Scalar>] = [], finalCells: [Tensor<Scalar>] = []
        for layer in 0..<layerCount {
            var outputs: [Tensor<Scalar>] = []
            for direction in 0..<directions {
                let index = layer * directions + direction
                let start = { (state: Tensor<Scalar>?) in
                    state?.sliced(along: 0, index..<(index + 1)).reshaped(to: [batch, self.hiddenSize]) ?? .zeros([batch, self.hiddenSize])
                }
                let (steps, h, c) = runDirection(sequence, parameters: weights[index], reverse: direction == 1,
                                                 hidden: start(h0), cellState: cell == .lstm ? start(c0) : nil)
                outputs.append(steps)
                finalHidden.append(h)
                if let c { finalCells.append(c) }
            }
            sequence = directions == 1 ? outputs[0] : Tensor.concatenated(outputs, along: 2)
            if layer < layerCount - 1, isTraining, dropout > 0 {
                sequence = sequence * dropoutMask(sequence.shape, probability: dropout, using: &generator)
            }
        }
        var hidden = Tensor.stacked(finalHidden, along: 0), cells = finalCells.isEmpty ? nil : Tensor.stacked(finalCells, along: 0)
        var output = batchFirst && !unbatched ? sequence.permuted([1, 0, 2]) : sequence
        if unbatched {
            output = output.reshaped(to: [length, directions * hiddenSize])
            hidden = hidden.reshaped(to: [layerCount * directions, hiddenSize])
            cells = cells?.reshaped(to: [layerCount * directions, hiddenSize])
        }
        return (output, RecurrentState(hidden: hidden, cell: cells))
    }

    /// One layer in one direction over `sequence` (L, N, I): its outputs (L, N, H) in time order,
    /// and the last hidden (and LSTM cell) state.
    private func runDirection(
        _ sequence: Tensor<Scalar>, parameters p: (inputWeight: Parameter<Scalar>, hiddenWeight: Parameter<Scalar>,
                                                   inputBias: Parameter<Scalar>?, hiddenBias: Parameter<Scalar>?),
        reverse: Bool, hidden: Tensor<Scalar>, cellState: Tensor<Scalar>?
    ) -> (outputs: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>?) {
        let (length, batch, features) = (sequence.shape[0], sequence.shape[1], sequence.shape[2])
        if cell == .lstm {  // one op for the whole sequence: its steps' elementwise work fused
            let packed = lstmSequence(sequence, hidden: hidden, cell: cellState!, inputWeight: p.inputWeight.value,
                                      hiddenWeight: p.hiddenWeight.value, inputBias: p.inputBias?.value,
                                      hiddenBias: p.hiddenBias?.value, reverse: reverse)
            let last = reverse ? 0 : length - 1
            return (packed.sliced(along: 0, 0..<length), packed.sliced(along: 0, last..<(last + 1)).reshaped(to: [batch, hiddenSize]),
                    packed.sliced(along: 0, length..<(length + 1)).reshaped(to: [batch, hiddenSize]))
        }
        let rows = cell.gateCount * hiddenSize
        // Every step's input projection in one gemm: (L·N, I)·W_ihᵀ + b_ih.
        let projected = linear(sequence.reshaped(to: [length * batch, features]), weight: p.inputWeight.value, bias: p.inputBias?.value)
            .reshaped(to: [length, batch, rows])
        var h = hidden
        var outputs = [Tensor<Scalar>?](repeating: nil, count: length)
        for t in reverse ? Array((0..<length).reversed()) : Array(0..<length) {
            let x = projected.sliced(along: 0, t..<(t + 1)).reshaped(to: [batch, rows])
            let recurrent = linear(h, weight: p.hiddenWeight.value, bias: p.hiddenBias?.value)  // one gemm (gemv at N = 1)
            switch cell {
            case .tanh: h = EasyNets.tanh(x + recurrent)
            case .relu: h = EasyNets.relu(x + recurrent)
            case .lstm:
                programmerError("Recurrent: an LSTM layer runs as one lstmSequence op, not step by step")
            case .gru:
                let (inputGates, hiddenGates) = (x.chunked(3, along: 1), recurrent.chunked(3, along: 1))
                let reset = sigmoid(inputGates[0] + hiddenGates[0]), update = sigmoid(inputGates[1] + hiddenGates[1])
                let candidate = EasyNets.tanh(inputGates[2] + reset * hiddenGates[2])
                h = (1 - update) * candidate + update * h
            }
            outputs[t] = h
        }
        return (Tensor.stacked(outputs.map { $0! }, along: 0), h, nil)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        let directions = bidirectional ? 2 : 1
        return weights.enumerated().flatMap { index, p -> [(name: String, parameter: Parameter<Scalar>)] in
            let suffix = "_l\(index / directions)" + (index % directions == 1 ? "_reverse" : "")
            return [("weight_ih" + suffix, p.inputWeight), ("weight_hh" + suffix, p.hiddenWeight)]
                + (p.inputBias.map { [("bias_ih" + suffix, $0)] } ?? []) + (p.hiddenBias.map { [("bias_hh" + suffix, $0)] } ?? [])
        }
    }

    public var summaryName: String {
        "\(cell.layerName)(\(inputSize) → \(hiddenSize)" + (layerCount > 1 ? ", \(layerCount) layers" : "")
            + (bidirectional ? ", bidirectional" : "") + (dropout > 0 ? ", dropout \(dropout)" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(RecurrentDescription(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                                    bias: weights[0].inputBias != nil, batchFirst: batchFirst, dropout: dropout,
                                    bidirectional: bidirectional))
    }
}

/// The description of a ``Recurrent`` layer (an RNN, LSTM or GRU giving its output at every step);
/// built from a model description, it takes one dropout seed.
public struct RecurrentDescription: LayerDescription {
    public static let kind = "recurrent"
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

    /// A description of a recurrent network of `layerCount` layers of `cell`.
    public init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false) {
        (self.cell, self.inputSize, self.hiddenSize, self.layerCount) = (cell, inputSize, hiddenSize, layerCount)
        (self.bias, self.batchFirst, self.dropout, self.bidirectional) = (bias, batchFirst, dropout, bidirectional)
    }

    public func problem() -> String? {
        inputSize < 1 || hiddenSize < 1 || !(1...1024).contains(layerCount) || !(dropout >= 0 && dropout < 1)
            ? "\(cell.layerName) needs sizes ≥ 1, 1 to 1024 layers and dropout in [0, 1), got \(inputSize) → \(hiddenSize), "
                + "\(layerCount) layers, dropout \(dropout)"
            : nil
    }

    /// Per layer and direction: gates·H rows of W_ih (input or D·H columns) and W_hh (H columns), and two biases.
    public var stateCount: Int? {
        let directions = bidirectional ? 2 : 1
        guard layerCount >= 1, let rows = CheckedCount.product(cell.gateCount, hiddenSize),
              let wider = CheckedCount.product(directions, hiddenSize) else { return nil }
        let biases = bias ? CheckedCount.product(rows, 2) : 0
        let first = CheckedCount.sum([CheckedCount.product(rows, inputSize), CheckedCount.product(rows, hiddenSize), biases])
        let later = CheckedCount.sum([CheckedCount.product(rows, wider), CheckedCount.product(rows, hiddenSize), biases])
        return CheckedCount.sum([CheckedCount.product(first, directions), CheckedCount.product(later, directions, layerCount - 1)])
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard (shape.count == 3 || shape.count == 2) && shape.last == inputSize else {
            throw inference.error("\(cell.layerName) takes \(batchFirst ? "(N, L" : "(L, N"), \(inputSize)) or (L, \(inputSize)), "
                                  + "the input has shape \(shape)")
        }
        try inference.noteBuffer(Array(shape.dropLast()) + [cell.gateCount * hiddenSize], "\(cell.layerName)'s gates")
        return shape.dropLast() + [(bidirectional ? 2 : 1) * hiddenSize]
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Recurrent<Scalar>(cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias, batchFirst: batchFirst,
                          dropout: dropout, bidirectional: bidirectional, seed: context.takeSeed(), using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``Recurrent`` layer.
    public static func recurrent(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1, bias: Bool = true,
                                 batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false) -> ModelDescription {
        .layer(RecurrentDescription(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                                    batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional))
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

/// One LSTM layer in one direction over `x` (L, N, I) from `hidden` and `cell` (N, H), as one
/// recorded op: the input projection of all steps is one gemm, each step one gemm (gemv at
/// N = 1) for h·W_hhᵀ and one pass of ``Kernels/lstmCell(gates:previousCell:cell:hidden:batch:size:)``.
/// Returns (L + 1, N, H): the hidden state after each step, in time order, then the last cell state.
///
/// Backward runs the steps in reverse with one gemm each for the recurrent gradient
/// (dh_{t−1} = dgates_t·W_hh), then one gemm each for dW_hh, dW_ih and dx over all steps at once.
func lstmSequence<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>, inputWeight: Tensor<Scalar>, hiddenWeight: Tensor<Scalar>,
    inputBias: Tensor<Scalar>?, hiddenBias: Tensor<Scalar>?, reverse: Bool
) -> Tensor<Scalar> {
    let (length, batch, features) = (x.shape[0], x.shape[1], x.shape[2])
    let size = hiddenWeight.shape[1], width = 4 * size, rows = length * batch, plane = batch * size
    let order = reverse ? Array((0..<length).reversed()) : Array(0..<length)
    // Pre-activations, then activations, of every step's gates: (L·N, 4H) = b_ih + b_hh + x·W_ihᵀ.
    let gates = TensorStorage<Scalar>(uninitializedCount: rows * width)
    let biases = [inputBias, hiddenBias].compactMap { $0 }
    if !biases.isEmpty {
        let bias = biases.count == 2 ? biases[0] + biases[1] : biases[0]
        fillRows(gates.base, rows: rows, with: bias.storage.base, count: width)
    }
    MatrixProduct.gemm(transposeA: false, transposeB: true, m: rows, n: width, k: features, a: x.storage.base,
                       b: inputWeight.storage.base, beta: biases.isEmpty ? 0 : 1, c: gates.base)
    let result = Tensor<Scalar>(uninitializedShape: [length + 1, batch, size])
    let y = result.storage.base
    let cells = TensorStorage<Scalar>(uninitializedCount: length * plane), tanhCells = TensorStorage<Scalar>(uninitializedCount: length * plane)
    var (previousHidden, previousCell) = (UnsafePointer(hidden.storage.base), UnsafePointer(cell.storage.base))
    for t in order {
        MatrixProduct.gemm(transposeA: false, transposeB: true, m: batch, n: width, k: size, a: previousHidden,
                           b: hiddenWeight.storage.base, beta: 1, c: gates.base + t * batch * width)
        Kernels.lstmCell(gates: gates.base + t * batch * width, previousCell: previousCell, cell: cells.base + t * plane,
                         tanhCell: tanhCells.base + t * plane, hidden: y + t * plane, batch: batch, size: size)
        (previousHidden, previousCell) = (UnsafePointer(y + t * plane), UnsafePointer(cells.base + t * plane))
    }
    copyScalars(to: y + length * plane, from: previousCell, count: plane)
    let inputs = [x.node, hidden.node, cell.node, inputWeight.node, hiddenWeight.node, inputBias?.node, hiddenBias?.node]
    guard inputs.contains(where: { $0 != nil }), isRecordingGradients else { return result }
    let (savedX, savedHidden, savedCell) = (x.detached, hidden.detached, cell.detached)
    let (savedInputWeight, savedHiddenWeight, outputs) = (inputWeight.detached, hiddenWeight.detached, result.detached)
    return result.recorded("lstm", inputs: inputs) { [xNode = x.node, hNode = hidden.node, cNode = cell.node,
                                                       wihNode = inputWeight.node, whhNode = hiddenWeight.node,
                                                       bihNode = inputBias?.node, bhhNode = hiddenBias?.node] dY in
        let dOut = dY.storage.base
        let dGates = TensorStorage<Scalar>(uninitializedCount: rows * width)
        let dHidden = TensorStorage<Scalar>(uninitializedCount: plane), dCell = TensorStorage<Scalar>(uninitializedCount: plane)
        zeroFill(dHidden.base, count: plane)
        copyScalars(to: dCell.base, from: dOut + length * plane, count: plane)
        // h_{t−1} of every step in time order: the initial state for the first step processed.
        let previous = TensorStorage<Scalar>(uninitializedCount: rows * size)
        for (step, t) in order.enumerated() {
            let source = step == 0 ? savedHidden.storage.base : outputs.storage.base + order[step - 1] * plane
            copyScalars(to: previous.base + t * plane, from: source, count: plane)
        }
        for (step, t) in order.enumerated().reversed() {
            VectorRoutines.add(dOut + t * plane, into: dHidden.base, count: plane)  // dh_t: from the output and from step t + 1
            let previousCell = step == 0 ? savedCell.storage.base : cells.base + order[step - 1] * plane
            Kernels.lstmCellBackward(gates: gates.base + t * batch * width, previousCell: previousCell, tanhCell: tanhCells.base + t * plane,
                                     dHidden: dHidden.base, dCell: dCell.base, dGates: dGates.base + t * batch * width,
                                     batch: batch, size: size)
            MatrixProduct.gemm(transposeA: false, transposeB: false, m: batch, n: size, k: width, a: dGates.base + t * batch * width,
                               b: savedHiddenWeight.storage.base, beta: 0, c: dHidden.base)  // dh_{t−1} = dgates_t·W_hh
        }
        hNode?.accumulate(Tensor(storage: dHidden, shape: [batch, size]))
        cNode?.accumulate(Tensor(storage: dCell, shape: [batch, size]))
        whhNode?.withGradientBuffer { dW, accumulate in  // dW_hh += Σ_t dgates_tᵀ·h_{t−1}
            MatrixProduct.gemm(transposeA: true, transposeB: false, m: width, n: size, k: rows, a: dGates.base, b: previous.base,
                               beta: accumulate ? 1 : 0, c: dW)
        }
        wihNode?.withGradientBuffer { dW, accumulate in  // dW_ih += Σ_t dgates_tᵀ·x_t
            MatrixProduct.gemm(transposeA: true, transposeB: false, m: width, n: features, k: rows, a: dGates.base,
                               b: savedX.storage.base, beta: accumulate ? 1 : 0, c: dW)
        }
        if bihNode != nil || bhhNode != nil {  // db_ih = db_hh = Σ_t dgates_t
            let sums = Tensor<Scalar>(uninitializedShape: [width])
            Tensor<Scalar>(filledWith: 1, shape: [rows]).withUnsafeBufferPointer { ones in
                MatrixProduct.gemm(transposeA: true, transposeB: false, m: width, n: 1, k: rows, a: dGates.base, b: ones.baseAddress!,
                                   beta: 0, c: sums.storage.base)
            }
            bihNode?.accumulate(sums)
            bhhNode?.accumulate(sums)
        }
        xNode?.withGradientBuffer { dX, accumulate in  // dx = dgates·W_ih
            MatrixProduct.gemm(transposeA: false, transposeB: false, m: rows, n: features, k: width, a: dGates.base,
                               b: savedInputWeight.storage.base, beta: accumulate ? 1 : 0, c: dX)
        }
    }
}
