import RealModule

/// The heads of multi-head self-attention as one op on the tape, read straight out of the
/// projected queries, keys and values and written straight into the joined output: no head is
/// copied or transposed into a buffer of its own.
///
/// `projected` holds [q | k | v] side by side along its last axis, (N, L, 3E) with `batchFirst`
/// and (L, N, 3E) without; head h of sequence n is a strided (L, E/heads) matrix inside it, and the
/// score and value products run as gemm on those strided matrices, one block of `rowBlock` query
/// rows at a time. For each block the scale, the causal mask, the softmax and the dropout run as
/// one pass over the block's rows; a causal block multiplies only the keys its rows may see. Only
/// each row's log-sum-exp is kept for backward, which recomputes a block's weights from the
/// queries and keys and redraws its dropout from a saved seed: memory for scores is one block,
/// whatever the length.
///
/// The result is (N, L, E) or (L, N, E), heads joined, ready for the output projection. The same
/// values as `softmax(q·kᵀ/√(E/heads) + mask)·v` per head within rounding (the tests compare the
/// two; the dropout masks are drawn differently).
func selfAttentionHeads<Scalar: TensorScalar>(
    _ projected: Tensor<Scalar>, heads: Int, batchFirst: Bool, isCausal: Bool, dropout: Double,
    generator: inout RandomGenerator
) -> Tensor<Scalar> {
    require(projected.rank == 3 && projected.shape[2] % (3 * heads) == 0,
            "selfAttentionHeads: projected shape \(projected.shape) is not (·, ·, 3·E) with E a multiple of \(heads) heads")
    let geometry = SelfAttentionGeometry(
        batch: projected.shape[batchFirst ? 0 : 1], length: projected.shape[batchFirst ? 1 : 0], heads: heads,
        embedding: projected.shape[2] / 3, batchFirst: batchFirst, isCausal: isCausal)
    let dropout = dropout > 0 ? SelfAttentionGeometry.Dropout(probability: dropout, seed: generator.next()) : nil
    let recording = Tensor.needsRecording(projected)
    var output = Tensor<Scalar>(uninitializedShape: Array(projected.shape.dropLast()) + [geometry.embedding], op: "selfAttentionHeads")
    var logSumExp = Tensor<Scalar>(uninitializedShape: [geometry.batch * heads * geometry.length], op: "selfAttentionHeads")
    projected.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { out in
            logSumExp.withUnsafeMutableBufferPointer { lse in
                geometry.forward(input.baseAddress!, out.baseAddress!, lse.baseAddress!, dropout: dropout)
            }
        }
    }
    guard recording else { return output }
    let saved = projected.detached
    return output.recorded("selfAttentionHeads", inputs: [projected.node]) { [node = projected.node] dOutput in
        var dProjected = Tensor<Scalar>.zeros(saved.shape)
        saved.withUnsafeBufferPointer { input in
            dOutput.withUnsafeBufferPointer { dOut in
                logSumExp.withUnsafeBufferPointer { lse in
                    dProjected.withUnsafeMutableBufferPointer { dIn in
                        geometry.backward(input.baseAddress!, dOut.baseAddress!, lse.baseAddress!, dIn.baseAddress!, dropout: dropout)
                    }
                }
            }
        }
        node?.accumulate(dProjected)
    }
}

/// Where the heads of ``selfAttentionHeads(_:heads:batchFirst:isCausal:dropout:generator:)`` sit
/// in its input and output, and the forward and backward passes over them.
struct SelfAttentionGeometry: Sendable {
    let batch: Int, length: Int, heads: Int, embedding: Int
    let batchFirst: Bool, isCausal: Bool
    var headSize: Int { embedding / heads }

    /// Query rows per block: large enough for efficient products, small enough that a causal
    /// block skips most of the keys its rows may not see.
    static let rowBlock = 32

    /// The rows of a block here: ``rowBlock``, or fewer for a shorter sequence (at least 1).
    var block: Int { Swift.max(1, Swift.min(Self.rowBlock, length)) }

    /// The dropout of the attention weights: its probability and the seed of each head's masks.
    struct Dropout: Sendable {
        let probability: Double, seed: UInt64

        /// The generator of head `index`'s masks (the same in forward and backward).
        func generator(head index: Int) -> RandomGenerator {
            RandomGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        }
    }

    /// Elements between consecutive rows of one head in the projected input and in the output.
    var inputRowStride: Int { batchFirst ? 3 * embedding : batch * 3 * embedding }
    var outputRowStride: Int { batchFirst ? embedding : batch * embedding }

    /// Offsets of head h of sequence n's first query row in the input, and of its first output row.
    func inputOffset(sequence n: Int, head h: Int) -> Int { (batchFirst ? n * length * 3 * embedding : n * 3 * embedding) + h * headSize }
    func outputOffset(sequence n: Int, head h: Int) -> Int { (batchFirst ? n * length * embedding : n * embedding) + h * headSize }

    var scale: Double { 1 / Double(headSize).squareRoot() }

    /// The heads' outputs into `output`, and each query row's log-sum-exp of scaled scores into
    /// `logSumExp` ((N·heads, L)).
    func forward<T: TensorScalar>(_ input: UnsafePointer<T>, _ output: UnsafeMutablePointer<T>, _ logSumExp: UnsafeMutablePointer<T>,
                                  dropout: Dropout?) {
        let (d, rs, os) = (headSize, inputRowStride, outputRowStride)
        forEachPairRange { pairs, threads in
            let weights = UnsafeMutablePointer<T>.allocate(capacity: block * length)
            defer { weights.deallocate() }
            for pair in pairs {
                let (n, h) = pair.quotientAndRemainder(dividingBy: heads)
                var masks = dropout?.generator(head: pair)
                let q = input + inputOffset(sequence: n, head: h), k = q + embedding, v = q + 2 * embedding
                let o = output + outputOffset(sequence: n, head: h)
                forEachBlock { first, rows, keys, visible0, step in
                    // Scores of the block's rows against the keys they see: (rows, keys), row stride `keys`.
                    MatrixProduct.gemm(transposeA: false, transposeB: true, m: rows, n: keys, k: d, a: q + first * rs, lda: rs,
                                       b: k, ldb: rs, beta: 0, c: weights, ldc: keys, threadLimit: threads)
                    T._kernelAttentionSoftmaxRows(weights, rows: rows, keys: keys, visible0: visible0, step: step, scale: T(scale),
                                                  logSumExp: logSumExp + pair * length + first)
                    if let dropout, masks != nil {
                        Kernels.dropout(x: weights, y: weights, keep: nil, count: rows * keys, probability: dropout.probability,
                                        generator: &masks!)
                    }
                    MatrixProduct.gemm(transposeA: false, transposeB: false, m: rows, n: d, k: keys, a: weights, lda: keys,
                                       b: v, ldb: rs, beta: 0, c: o + first * os, ldc: os, threadLimit: threads)
                }
            }
        }
    }

    /// Runs `body(first, rows, keys, visible0, step)` for each block of query rows
    /// `first ..< first + rows`: `keys` are the keys its rows see between them (all of them, or up
    /// to its last row when causal), and its row r sees the first `visible0 + step·r` of them.
    private func forEachBlock(_ body: (_ first: Int, _ rows: Int, _ keys: Int, _ visible0: Int, _ step: Int) -> Void) {
        for first in stride(from: 0, to: length, by: block) {
            let rows = Swift.min(block, length - first)
            if isCausal {
                body(first, rows, first + rows, first + 1, 1)
            } else {
                body(first, rows, length, length, 0)
            }
        }
    }

    /// Runs `body(pairs, threads)` over ranges covering the (sequence, head) pairs, numbered
    /// n·heads + h: split across ``Parallelism/threadCount`` threads when there is enough work, each
    /// range's products then on its own thread (`threads` 1); else one range with every thread.
    /// Pairs write disjoint parts of the outputs and draw from generators of their own, so the
    /// result is the same either way.
    private func forEachPairRange(_ body: (Range<Int>, Int) -> Void) {
        let pairs = batch * heads
        Parallelism.splitting(pairs, costPerItem: length * length) { first, count in
            body(first..<(first + count), count == pairs ? Parallelism.threadCount : 1)
        }
    }

    /// ∂L/∂input (zeros on entry) from ∂L/∂output, the input and the saved log-sum-exps: each
    /// block's weights recomputed and its dropout redrawn, then dV += Pdᵀ·dO, dPd = dO·Vᵀ,
    /// dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale, dQ = dS·K, dK += dSᵀ·Q.
    func backward<T: TensorScalar>(_ input: UnsafePointer<T>, _ dOutput: UnsafePointer<T>, _ logSumExp: UnsafePointer<T>,
                                   _ dInput: UnsafeMutablePointer<T>, dropout: Dropout?) {
        let (d, rs, os) = (headSize, inputRowStride, outputRowStride)
        let scale = T(scale)
        forEachPairRange { pairs, threads in
            let weights = UnsafeMutablePointer<T>.allocate(capacity: block * length)
            let work = UnsafeMutablePointer<T>.allocate(capacity: block * length)
            let keep = dropout == nil ? nil : UnsafeMutablePointer<UInt8>.allocate(capacity: block * length)
            defer { weights.deallocate(); work.deallocate(); keep?.deallocate() }
            for pair in pairs {
                let (n, h) = pair.quotientAndRemainder(dividingBy: heads)
                var masks = dropout?.generator(head: pair)
                let offset = inputOffset(sequence: n, head: h)
                let q = input + offset, k = q + embedding, v = q + 2 * embedding
                let dq = dInput + offset, dk = dq + embedding, dv = dq + 2 * embedding
                let dO = dOutput + outputOffset(sequence: n, head: h)
                forEachBlock { first, rows, keys, visible0, step in
                    MatrixProduct.gemm(transposeA: false, transposeB: true, m: rows, n: keys, k: d, a: q + first * rs, lda: rs,
                                       b: k, ldb: rs, beta: 0, c: weights, ldc: keys, threadLimit: threads)
                    T._kernelAttentionWeightRows(weights, rows: rows, keys: keys, visible0: visible0, step: step, scale: scale,
                                                 logSumExp: logSumExp + pair * length + first)
                    // dV += Pdᵀ·dO, with Pd the weights after dropout.
                    var dropped = UnsafePointer(weights)
                    if let dropout, masks != nil {
                        Kernels.dropout(x: weights, y: work, keep: keep, count: rows * keys, probability: dropout.probability,
                                        generator: &masks!)
                        dropped = UnsafePointer(work)
                    }
                    MatrixProduct.gemm(transposeA: true, transposeB: false, m: keys, n: d, k: rows, a: dropped, lda: keys,
                                       b: dO + first * os, ldb: os, beta: 1, c: dv, ldc: rs, threadLimit: threads)
                    // dPd = dO·Vᵀ, then dS in place.
                    MatrixProduct.gemm(transposeA: false, transposeB: true, m: rows, n: keys, k: d, a: dO + first * os, lda: os,
                                       b: v, ldb: rs, beta: 0, c: work, ldc: keys, threadLimit: threads)
                    Kernels.attentionSoftmaxBackwardRows(weights: weights, gradient: work, rows: rows, keys: keys, scale: scale,
                                                         keep: keep, factor: T(1 / (1 - (dropout?.probability ?? 0))))
                    MatrixProduct.gemm(transposeA: false, transposeB: false, m: rows, n: d, k: keys, a: work, lda: keys,
                                       b: k, ldb: rs, beta: 0, c: dq + first * rs, ldc: rs, threadLimit: threads)
                    MatrixProduct.gemm(transposeA: true, transposeB: false, m: keys, n: d, k: rows, a: work, lda: keys,
                                       b: q + first * rs, ldb: rs, beta: 1, c: dk, ldc: rs, threadLimit: threads)
                }
            }
        }
    }
}

extension Kernels {
    /// Softmax of the scaled scores of `rows` query rows, each `keys` wide, in place: row r sees
    /// its first `visible0 + step·r` keys (at most `keys`); for those, p = exp(scale·s − lse), with
    /// lse = m + log Σ exp(scale·s − m) (m the row's largest scaled score) saved to `logSumExp[r]`,
    /// and 0 for the others. `Double`'s loop and the reference of `Float`'s C loop.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func attentionSoftmaxRowsLoop<T: TensorScalar>(
        _ scores: UnsafeMutablePointer<T>, rows: Int, keys: Int, visible0: Int, step: Int, scale: T, logSumExp: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let row = scores + r * keys, visible = Swift.min(visible0 + step * r, keys)
            var largest = -T.infinity
            for j in 0..<visible {
                row[j] *= scale
                largest = Swift.max(largest, row[j])
            }
            var sum: T = 0
            for j in 0..<visible { sum += T.exp(row[j] - largest) }
            let lse = largest + T.log(sum)
            logSumExp[r] = lse
            for j in 0..<visible { row[j] = T.exp(row[j] - lse) }
            for j in visible..<keys { row[j] = 0 }
        }
    }

    /// The weights ``attentionSoftmaxRowsLoop(_:rows:keys:visible0:step:scale:logSumExp:)`` made,
    /// from the same scores and the saved log-sum-exps.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func attentionWeightRowsLoop<T: TensorScalar>(
        _ scores: UnsafeMutablePointer<T>, rows: Int, keys: Int, visible0: Int, step: Int, scale: T, logSumExp: UnsafePointer<T>
    ) {
        for r in 0..<rows {
            let row = scores + r * keys, visible = Swift.min(visible0 + step * r, keys)
            let lse = logSumExp[r]
            for j in 0..<visible { row[j] = T.exp(row[j] * scale - lse) }
            for j in visible..<keys { row[j] = 0 }
        }
    }

    /// The scores' gradient in place of `gradient` (∂L/∂weights after dropout, rows × keys):
    /// dP = dPd·keep·factor, then dS = P ⊙ (dP − Σⱼ dP ⊙ P)·scale per row.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func attentionSoftmaxBackwardRows<T: TensorScalar>(
        weights: UnsafePointer<T>, gradient: UnsafeMutablePointer<T>, rows: Int, keys: Int, scale: T,
        keep: UnsafePointer<UInt8>?, factor: T
    ) {
        for r in 0..<rows {
            let p = weights + r * keys, g = gradient + r * keys
            if let keep {
                let kept = keep + r * keys
                for j in 0..<keys { g[j] *= kept[j] != 0 ? factor : 0 }
            }
            var dot: T = 0
            for j in 0..<keys { dot += g[j] * p[j] }
            for j in 0..<keys { g[j] = p[j] * (g[j] - dot) * scale }
        }
    }
}
