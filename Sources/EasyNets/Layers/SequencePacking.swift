/// The steps of a batch of sequences of different lengths, laid out as PyTorch's `PackedSequence`
/// (`pack_padded_sequence(…, enforce_sorted=False)`): the sequences sorted by decreasing length
/// (ties in batch order), and the packed rows of step t the first `batchSizes[t]` of them, step
/// after step. A recurrent layer runs each step on that prefix only, so a sequence stops at its
/// own end.
struct SequencePacking {
    /// Steps of the padded batch (L) and sequences (N).
    let length: Int, batch: Int
    /// Each sequence's length, in batch order.
    let lengths: [Int]
    /// The sequences by decreasing length: packed position i holds sequence `order[i]`.
    let order: [Int]
    /// The packed position of each sequence (the inverse of `order`).
    let position: [Int]
    /// Sequences still running at each step, one entry per step of the longest.
    let batchSizes: [Int]
    /// The first packed row of each step.
    let starts: [Int]
    /// Packed rows: the lengths added up.
    let total: Int

    /// The packing of `lengths` (one per sequence, each in 1...`length`); `name` and `shape`
    /// (the layer and its input) name the error when they are not.
    init(lengths: [Int], length: Int, batch: Int, name: String, shape: [Int]) {
        require(lengths.count == batch, "\(name): \(lengths.count) lengths for a batch of \(batch) sequences (input shape \(shape))")
        for (sequence, steps) in lengths.enumerated() {
            require(steps >= 1, "\(name): sequence \(sequence) has length \(steps); every length must be at least 1, "
                    + "as PyTorch's pack_padded_sequence requires (input shape \(shape))")
            require(steps <= length, "\(name): sequence \(sequence) has length \(steps), more than the \(length) steps "
                    + "of input shape \(shape)")
        }
        (self.length, self.batch, self.lengths) = (length, batch, lengths)
        order = lengths.indices.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) }
        var position = [Int](repeating: 0, count: batch)
        for (i, sequence) in order.enumerated() { position[sequence] = i }
        self.position = position
        let longest = lengths.max() ?? 0
        batchSizes = (0..<longest).map { t in lengths.count(where: { $0 > t }) }
        var starts: [Int] = [], total = 0
        for size in batchSizes {
            starts.append(total)
            total += size
        }
        (self.starts, self.total) = (starts, total)
    }

    /// Whether every sequence runs the whole length, so packing changes nothing.
    var isFull: Bool { lengths.allSatisfy { $0 == length } }

    /// The rows of the input, flattened to (L·N, …) (or (N·L, …) with `batchFirst`), that make the
    /// packed rows, in packed order.
    func packedRows(batchFirst: Bool) -> [Int] {
        var rows: [Int] = []
        rows.reserveCapacity(total)
        for (t, size) in batchSizes.enumerated() {
            for i in 0..<size { rows.append(batchFirst ? order[i] * length + t : t * batch + order[i]) }
        }
        return rows
    }

    /// For each row of the padded output, flattened as the input, its packed row, or `total`
    /// (a row of zeros appended to the packed rows) past the sequence's end.
    func paddedRows(batchFirst: Bool) -> [Int] {
        var rows = [Int](repeating: total, count: length * batch)
        for sequence in 0..<batch {
            for t in 0..<lengths[sequence] {
                rows[batchFirst ? sequence * length + t : t * batch + sequence] = starts[t] + position[sequence]
            }
        }
        return rows
    }
}

extension Tensor {
    /// The length of each sequence of a padding mask (N, L), 1 where a position is padding (as
    /// ``paddedSequences(_:batchFirst:paddingValue:)`` returns it): the steps before the first 1 of
    /// each row, what ``Recurrent/run(_:lengths:initialState:)`` takes. Stops with a message when
    /// the mask is not (N, L) of 0s and 1s, or a row has a 0 after a 1 (padding only at the end).
    public static func sequenceLengths(paddingMask mask: Tensor) -> [Int] {
        require(mask.rank == 2, "Tensor.sequenceLengths: the padding mask must be (N, L), its shape is \(mask.shape)")
        let (batch, length) = (mask.shape[0], mask.shape[1])
        let values = mask.scalars
        return (0..<batch).map { row in
            let flags = values[(row * length)..<((row + 1) * length)]
            require(flags.allSatisfy { $0 == 0 || $0 == 1 }, "Tensor.sequenceLengths: row \(row) of the padding mask of shape \(mask.shape) "
                    + "holds values other than 0 and 1")
            let steps = flags.firstIndex(of: 1).map { $0 - row * length } ?? length
            require(flags.dropFirst(steps).allSatisfy { $0 == 1 },
                    "Tensor.sequenceLengths: row \(row) of the padding mask of shape \(mask.shape) has a position that is not padding "
                        + "after padding; sequences are padded at the end")
            return steps
        }
    }
}
