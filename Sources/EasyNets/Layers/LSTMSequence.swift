/// The steps an LSTM layer runs in one direction: how many rows each step has and where they
/// start, in the order the steps are processed. A full batch has N rows at every step; a packed
/// one (``SequencePacking``) the sequences still running, a prefix of the sorted batch.
struct LSTMSteps {
    /// Rows of step t and its first row (in rows of the (rows, ·) buffers), for t in time order.
    let counts: [Int], starts: [Int]
    /// The steps in processing order: forward, or backward through time.
    let order: [Int]
    /// Sequences (N) and all rows.
    let batch: Int, rows: Int

    init(length: Int, batch: Int, batchSizes: [Int]?, reverse: Bool) {
        let counts = batchSizes ?? [Int](repeating: batch, count: length)
        var starts: [Int] = [], rows = 0
        for count in counts {
            starts.append(rows)
            rows += count
        }
        (self.counts, self.starts, self.batch, self.rows) = (counts, starts, batch, rows)
        order = reverse ? Array(counts.indices.reversed()) : Array(counts.indices)
    }

    /// Rows 0..<counts[t] of the state (`width` per row) before the processing step `step`: the
    /// rows still running at the previous step come from its values in `steps`, the others (a
    /// backward direction's sequences that start here) from `initial`. Points into `steps` or
    /// `initial` when one holds them all, else assembles them in `scratch` (N·width): only the
    /// columns `columns` of each row, the share of the part that calls it.
    func previous<Scalar: TensorScalar>(_ step: Int, steps: UnsafePointer<Scalar>, initial: UnsafePointer<Scalar>, width: Int,
                                        scratch: UnsafeMutablePointer<Scalar>, columns: Range<Int>) -> UnsafePointer<Scalar> {
        guard step > 0 else { return initial }
        let (count, before) = (counts[order[step]], order[step - 1])
        let carried = min(count, counts[before])
        let source = steps + starts[before] * width
        if carried == count { return source }
        forEachRowShare(rows: carried, width: width, columns: columns) { offset, length in
            copyScalars(to: scratch + offset, from: source + offset, count: length)
        }
        forEachRowShare(rows: count - carried, width: width, columns: columns) { offset, length in
            let offset = carried * width + offset
            copyScalars(to: scratch + offset, from: initial + offset, count: length)
        }
        return UnsafePointer(scratch)
    }

    /// The row of `steps` that holds row i's last state: its last step in processing order.
    func lastRows() -> [Int] {
        var last = [Int](repeating: 0, count: batch)
        for t in order {
            for i in 0..<counts[t] { last[i] = starts[t] + i }
        }
        return last
    }
}

/// One LSTM layer in one direction as one recorded op, the projection of `proj_size` included:
/// x is (L, N, I), or with `batchSizes` the packed rows (Σ lengths, I) of a ``SequencePacking``;
/// `hidden` (N, P) and `cell` (N, H) the initial states (P = H without projection). The input
/// projection of all steps is one gemm, each step one gemm (gemv at N = 1) for h·W_hhᵀ, one pass of
/// ``Kernels/lstmCell(gates:previousCell:cell:tanhCell:hidden:batch:size:units:)`` and, with
/// `projectionWeight` W_hr (P, H), one gemm h = (o·tanh c)·W_hrᵀ. A packed step runs only the
/// sequences still running; the others keep their state.
///
/// Returns a flat tensor: every step's output (L·N or Σ lengths rows of P, in the input's row
/// order), then each sequence's last hidden state (N, P), then its last cell state (N, H).
///
/// Backward runs the steps in reverse with one gemm each for the recurrent gradient
/// (dh_{t−1} = dgates_t·W_hh, and dr_t = dh_t·W_hr with projection), then one gemm each for dW_hh,
/// dW_ih, dW_hr and dx over all steps at once.
///
/// With several threads and steps large enough (``Parallelism/lockstepParts(stepWork:)``), the
/// steps of both directions of time run split across threads in lockstep: each thread owns a share
/// of the cell units, computes their columns of every gate block with single-threaded products
/// and runs their cell, and the threads meet at a barrier once a step (twice with projection).
/// OpenBLAS's own split of each step's product hands off to its workers twice a step, while the
/// cell runs on one thread.
func lstmSequence<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>, inputWeight: Tensor<Scalar>, hiddenWeight: Tensor<Scalar>,
    projectionWeight: Tensor<Scalar>?, inputBias: Tensor<Scalar>?, hiddenBias: Tensor<Scalar>?, reverse: Bool, batchSizes: [Int]?
) -> Tensor<Scalar> {
    let (batch, features) = (hidden.shape[0], x.shape[x.rank - 1])
    let steps = LSTMSteps(length: x.shape[0], batch: batch, batchSizes: batchSizes, reverse: reverse)
    let size = cell.shape[1], out = hidden.shape[1], width = 4 * size, rows = steps.rows
    let order = steps.order
    // Pre-activations, then activations, of every step's gates: (rows, 4H) = b_ih + b_hh + x·W_ihᵀ.
    let gates = TensorStorage<Scalar>(uninitializedCount: rows * width)
    let biases = [inputBias, hiddenBias].compactMap { $0 }
    if !biases.isEmpty {
        let bias = biases.count == 2 ? biases[0] + biases[1] : biases[0]
        fillRows(gates.base, rows: rows, with: bias.storage.base, count: width)
    }
    MatrixProduct.gemm(transposeA: false, transposeB: true, m: rows, n: width, k: features, a: x.storage.base,
                       b: inputWeight.storage.base, beta: biases.isEmpty ? 0 : 1, c: gates.base)
    let result = Tensor<Scalar>(uninitializedShape: [rows * out + batch * (out + size)])
    let y = result.storage.base  // (rows, P)
    let cells = TensorStorage<Scalar>(uninitializedCount: rows * size), tanhCells = TensorStorage<Scalar>(uninitializedCount: rows * size)
    // o·tanh(c) before the projection, (rows, H); without projection it is the output itself.
    let unprojected = projectionWeight.map { _ in TensorStorage<Scalar>(uninitializedCount: rows * size) }
    // A backward direction's assembled states, one buffer per parity of the step, so that a part
    // assembling the next step's never writes what another part still reads.
    let scratch = TensorStorage<Scalar>(uninitializedCount: 2 * batch * (out + size))
    let parts = Parallelism.lockstepParts(stepWork: batch * width * out)
    Parallelism.inLockstep(parts: parts) { part, barrier in
        // Each part owns some cell units (and their columns of every gate block) and some output
        // columns; the products of a step need every part's previous state, hence the barriers.
        let (units, columns, threadLimit) = lockstepShare(part, of: parts, size: size, out: out)
        let blocks = gateBlocks(units, size: size)
        for (step, t) in order.enumerated() {
            let (count, start) = (steps.counts[t], steps.starts[t])
            let assembled = scratch.base + (step % 2) * batch * (out + size)
            let previousHidden = steps.previous(step, steps: y, initial: hidden.storage.base, width: out, scratch: assembled,
                                                columns: columns)
            let previousCell = steps.previous(step, steps: cells.base, initial: cell.storage.base, width: size,
                                              scratch: assembled + batch * out, columns: units)
            barrier.wait()
            for block in blocks {  // gates += h_{t−1}·W_hhᵀ, this part's columns
                productColumns(m: count, k: out, n: width, columns: block, a: previousHidden, b: hiddenWeight.storage.base,
                               transposeB: true, beta: 1, c: gates.base + start * width, threadLimit: threadLimit)
            }
            Kernels.lstmCell(gates: gates.base + start * width, previousCell: previousCell, cell: cells.base + start * size,
                             tanhCell: tanhCells.base + start * size, hidden: (unprojected?.base ?? y) + start * size,
                             batch: count, size: size, units: units)
            if let unprojected, let projectionWeight {  // h = (o·tanh c)·W_hrᵀ
                barrier.wait()
                productColumns(m: count, k: size, n: out, columns: columns, a: unprojected.base + start * size,
                               b: projectionWeight.storage.base, transposeB: true, beta: 0, c: y + start * out, threadLimit: threadLimit)
            }
        }
    }
    let lastRows = steps.lastRows()
    for (i, row) in lastRows.enumerated() {
        copyScalars(to: y + rows * out + i * out, from: y + row * out, count: out)
        copyScalars(to: y + rows * out + batch * out + i * size, from: cells.base + row * size, count: size)
    }
    let inputs = [x.node, hidden.node, cell.node, inputWeight.node, hiddenWeight.node, projectionWeight?.node, inputBias?.node, hiddenBias?.node]
    guard inputs.contains(where: { $0 != nil }), isRecordingGradients else { return result }
    let (savedX, savedHidden, savedCell) = (x.detached, hidden.detached, cell.detached)
    let (savedInputWeight, savedHiddenWeight, savedProjection, outputs) =
        (inputWeight.detached, hiddenWeight.detached, projectionWeight?.detached, result.detached)
    return result.recorded("lstm", inputs: inputs) { [xNode = x.node, hNode = hidden.node, cNode = cell.node,
                                                       wihNode = inputWeight.node, whhNode = hiddenWeight.node,
                                                       whrNode = projectionWeight?.node,
                                                       bihNode = inputBias?.node, bhhNode = hiddenBias?.node] dY in
        let dOut = dY.storage.base
        let dGates = TensorStorage<Scalar>(uninitializedCount: rows * width)
        // The gradients of the running states, from the final states' to the initial states'.
        let dHidden = TensorStorage<Scalar>(uninitializedCount: batch * out), dCell = TensorStorage<Scalar>(uninitializedCount: batch * size)
        copyScalars(to: dHidden.base, from: dOut + rows * out, count: batch * out)
        copyScalars(to: dCell.base, from: dOut + rows * out + batch * out, count: batch * size)
        // With projection: dh_t of every step (for dW_hr) and dr_t = dh_t·W_hr of the current one.
        let dProjected = savedProjection.map { _ in TensorStorage<Scalar>(uninitializedCount: rows * out) }
        let dUnprojected = savedProjection.map { _ in TensorStorage<Scalar>(uninitializedCount: batch * size) }
        // h_{t−1} of every step, in the rows of its step: the initial state for the first step processed.
        let previous = TensorStorage<Scalar>(uninitializedCount: rows * out)
        let scratch = TensorStorage<Scalar>(uninitializedCount: 2 * batch * (out + size))
        for step in order.indices {
            let t = order[step]
            let source = steps.previous(step, steps: outputs.storage.base, initial: savedHidden.storage.base, width: out,
                                        scratch: scratch.base, columns: 0..<out)
            copyScalars(to: previous.base + steps.starts[t] * out, from: source, count: steps.counts[t] * out)
        }
        Parallelism.inLockstep(parts: parts) { part, barrier in
            let (units, columns, threadLimit) = lockstepShare(part, of: parts, size: size, out: out)
            for (step, t) in order.enumerated().reversed() {
                let (count, start) = (steps.counts[t], steps.starts[t])
                forEachRowShare(rows: count, width: out, columns: columns) { offset, length in  // dh_t: from the output and from step t + 1
                    VectorRoutines.add(dOut + start * out + offset, into: dHidden.base + offset, count: length)
                }
                var dCellOutput = UnsafePointer(dHidden.base)
                if let dProjected, let dUnprojected, let savedProjection {  // dr_t = dh_t·W_hr
                    forEachRowShare(rows: count, width: out, columns: columns) { offset, length in
                        copyScalars(to: dProjected.base + start * out + offset, from: dHidden.base + offset, count: length)
                    }
                    barrier.wait()
                    productColumns(m: count, k: out, n: size, columns: units, a: dHidden.base, b: savedProjection.storage.base,
                                   transposeB: false, beta: 0, c: dUnprojected.base, threadLimit: threadLimit)
                    dCellOutput = UnsafePointer(dUnprojected.base)
                }
                let previousCell = steps.previous(step, steps: cells.base, initial: savedCell.storage.base, width: size,
                                                  scratch: scratch.base + (step % 2) * batch * (out + size) + batch * out, columns: units)
                Kernels.lstmCellBackward(gates: gates.base + start * width, previousCell: previousCell,
                                         tanhCell: tanhCells.base + start * size, dHidden: dCellOutput, dCell: dCell.base,
                                         dGates: dGates.base + start * width, batch: count, size: size, units: units)
                barrier.wait()
                productColumns(m: count, k: width, n: out, columns: columns, a: dGates.base + start * width,  // dh_{t−1} = dgates_t·W_hh
                               b: savedHiddenWeight.storage.base, transposeB: false, beta: 0, c: dHidden.base, threadLimit: threadLimit)
            }
        }
        hNode?.accumulate(Tensor(storage: dHidden, shape: [batch, out]))
        cNode?.accumulate(Tensor(storage: dCell, shape: [batch, size]))
        whhNode?.withGradientBuffer { dW, accumulate in  // dW_hh += Σ_t dgates_tᵀ·h_{t−1}
            MatrixProduct.gemm(transposeA: true, transposeB: false, m: width, n: out, k: rows, a: dGates.base, b: previous.base,
                               beta: accumulate ? 1 : 0, c: dW)
        }
        if let dProjected, let unprojected {
            whrNode?.withGradientBuffer { dW, accumulate in  // dW_hr += Σ_t dh_tᵀ·r_t
                MatrixProduct.gemm(transposeA: true, transposeB: false, m: out, n: size, k: rows, a: dProjected.base, b: unprojected.base,
                                   beta: accumulate ? 1 : 0, c: dW)
            }
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

/// Part `part` of `parts` nearly equal ranges covering 0..<count.
private func share(_ part: Int, of parts: Int, _ count: Int) -> Range<Int> {
    (part * count / parts)..<((part + 1) * count / parts)
}

/// What part `part` of an LSTM's lockstep steps owns: its cell units (of `size`), its output
/// columns (of `out`; the same as its units without a projection), and the threads its products
/// may use (all of them when it runs alone, else its own).
private func lockstepShare(_ part: Int, of parts: Int, size: Int, out: Int) -> (units: Range<Int>, columns: Range<Int>, threadLimit: Int) {
    (share(part, of: parts, size), share(part, of: parts, out), parts == 1 ? Parallelism.threadCount : 1)
}

/// Calls `body(offset, count)` for the columns `columns` of each of `rows` rows `width` apart:
/// once, for the whole block, when `columns` is every column.
private func forEachRowShare(rows: Int, width: Int, columns: Range<Int>, _ body: (_ offset: Int, _ count: Int) -> Void) {
    if columns == 0..<width { return body(0, rows * width) }
    for row in 0..<rows { body(row * width + columns.lowerBound, columns.count) }
}

/// The columns of the four gate blocks (i, f, g, o; `size` each) that belong to `units`: one range
/// covering all four blocks when `units` is every unit.
private func gateBlocks(_ units: Range<Int>, size: Int) -> [Range<Int>] {
    if units == 0..<size { return [0..<(4 * size)] }
    return (0..<4).map { block in (block * size + units.lowerBound)..<(block * size + units.upperBound) }
}

/// The columns `columns` of C (m, n) = A·op(B) + beta·C, all row-major: A is (m, k), B stored (n, k)
/// when `transposeB`, else (k, n). All columns: one ``MatrixProduct`` gemm, which picks gemv for
/// one row; a share of them: one gemm on the sub-matrices. The benchmark's floor records the whole
/// product once, for the share that starts at column 0.
private func productColumns<Scalar: TensorScalar>(
    m: Int, k: Int, n: Int, columns: Range<Int>, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, transposeB: Bool,
    beta: Scalar, c: UnsafeMutablePointer<Scalar>, threadLimit: Int
) {
    if columns == 0..<n {
        MatrixProduct.gemm(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, a: a, b: b, beta: beta, c: c,
                           threadLimit: threadLimit)
    } else {
        if columns.lowerBound == 0 && !columns.isEmpty {
            MatrixProduct.recordCall(transposeA: false, transposeB: transposeB, m: m, n: n, k: k, beta: Double(beta))
        }
        MatrixProduct.gemm(transposeA: false, transposeB: transposeB, m: m, n: columns.count, k: k, a: a, lda: k,
                           b: b + (transposeB ? columns.lowerBound * k : columns.lowerBound), ldb: transposeB ? k : n,
                           beta: beta, c: c + columns.lowerBound, ldc: n, threadLimit: threadLimit, recordsCall: false)
    }
}
