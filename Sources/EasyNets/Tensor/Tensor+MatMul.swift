/// The matrix product `op(a)·op(b)`, where `op` transposes an operand when its flag is set
/// (through BLAS transpose flags: nothing is copied).
///
/// - 2-D × 2-D: (m, k)·(k, n) → (m, n) through gemm; one row or one column goes to gemv.
/// - 2-D × 1-D and 1-D × 2-D: matrix–vector through gemv; 1-D × 1-D: the dot product (0-D).
/// - Batched, as PyTorch's `matmul` at any rank: the trailing two axes are the matrices and the
///   leading ones broadcast against each other ((5, 4)·(2, 4, 3) → (2, 5, 3); (2, 1, m, k)·(3, k, n)
///   → (2, 3, m, n)); a 1-D operand gains a matrix axis that the result drops again. One gemm per
///   batch entry; when only `a` has batch axes and is not transposed, one gemm over all its rows.
///
/// Backward: dA += dC·op(B)ᵀ and dB += op(A)ᵀ·dC, each one gemm with `beta = 1`.
public func matmul<Scalar>(
    _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool = false, transposeB: Bool = false
) -> Tensor<Scalar> {
    require(!(transposeA && a.rank == 1) && !(transposeB && b.rank == 1),
                 "matmul: a transpose flag was set for a 1-D operand (shapes \(a.shape) and \(b.shape))")
    require(a.rank >= 1 && b.rank >= 1, "matmul: both operands need at least one axis, shapes are \(a.shape) and \(b.shape)")
    // Checked here, on the caller's shapes, before vectors and batches are reshaped to matrices.
    let k = a.rank == 1 ? a.shape[0] : a.shape[a.rank - (transposeA ? 2 : 1)]
    let kb = b.rank == 1 ? b.shape[0] : b.shape[b.rank - (transposeB ? 1 : 2)]
    require(k == kb, "matmul: shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") "
                 + "do not chain (inner dimensions \(k) and \(kb))")
    switch (a.rank, b.rank) {
    case (2, 2):
        return Tensor.matmul2D(a, b, transposeA: transposeA, transposeB: transposeB)
    case (2, 1):
        return Tensor.matmul2D(a, b.unsqueezed(axis: 1), transposeA: transposeA, transposeB: false)
            .squeezed(axis: 1)
    case (1, 2):
        return Tensor.matmul2D(a.unsqueezed(axis: 0), b, transposeA: false, transposeB: transposeB)
            .squeezed(axis: 0)
    case (1, 1):
        return Tensor.matmul2D(a.unsqueezed(axis: 0), b.unsqueezed(axis: 1), transposeA: false, transposeB: false)
            .reshaped(to: [])
    default:
        return broadcastMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
    }
}

/// ``matmul(_:_:transposeA:transposeB:)`` when an operand has batch axes: vectors become
/// matrices, the batch axes broadcast, and the products run as one gemm per batch entry (one gemm
/// in all when only `a` has batch axes and is not transposed).
private func broadcastMatmul<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool, transposeB: Bool) -> Tensor<Scalar> {
    let left = a.rank == 1 ? a.unsqueezed(axis: 0) : a, right = b.rank == 1 ? b.unsqueezed(axis: 1) : b
    let leftMatrix = Array(left.shape.suffix(2)), rightMatrix = Array(right.shape.suffix(2))
    let (leftBatch, rightBatch) = (Array(left.shape.dropLast(2)), Array(right.shape.dropLast(2)))
    require(zip(leftBatch.reversed(), rightBatch.reversed()).allSatisfy { $0 == $1 || $0 == 1 || $1 == 1 },
            "matmul: the batch axes of \(a.shape) and \(b.shape) do not broadcast together")
    let batch = broadcastShape(leftBatch, rightBatch, op: "matmul")
    let batchCount = batch.reduce(1, *)
    let m = leftMatrix[transposeA ? 1 : 0], n = rightMatrix[transposeB ? 0 : 1]
    var product: Tensor<Scalar>
    if right.rank == 2 && !transposeA {  // (…, m, k)·(k, n): every row of every batch entry times one matrix
        product = Tensor.matmul2D(left.reshaped(to: [batchCount * m, leftMatrix[1]]), right, transposeA: false, transposeB: transposeB)
    } else {
        let stackedLeft = left.broadcasted(to: batch + leftMatrix).reshaped(to: [batchCount] + leftMatrix)
        let stackedRight = right.rank == 2 ? right : right.broadcasted(to: batch + rightMatrix).reshaped(to: [batchCount] + rightMatrix)
        product = Tensor.batchedMatmul(stackedLeft, stackedRight, transposeA: transposeA, transposeB: transposeB)
    }
    product = product.reshaped(to: batch + [m, n])
    if b.rank == 1 { product = product.squeezed(axis: product.rank - 1) }
    if a.rank == 1 { product = product.squeezed(axis: product.rank - (b.rank == 1 ? 1 : 2)) }
    return product
}

extension Tensor {
    /// Dimensions (m, n, k) of op(a)·op(b) for matrices, checked.
    private static func productDimensions(
        _ a: [Int], _ b: [Int], transposeA: Bool, transposeB: Bool
    ) -> (m: Int, n: Int, k: Int) {
        let (m, k) = transposeA ? (a[1], a[0]) : (a[0], a[1])
        let (kb, n) = transposeB ? (b[1], b[0]) : (b[0], b[1])
        require(k == kb, "matmul: shapes \(a)\(transposeA ? "ᵀ" : "") and \(b)\(transposeB ? "ᵀ" : "") "
                     + "do not chain (inner dimensions \(k) and \(kb))")
        return (m, n, k)
    }

    static func matmul2D(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let (m, n, k) = productDimensions(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB)
        let result = Tensor(uninitializedShape: [m, n])
        MatrixProduct.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                           a: a.storage.base, b: b.storage.base, beta: 0, c: result.storage.base)
        guard needsRecording(a, b) else { return result }
        let savedA = a.detached, savedB = b.detached
        return result.recorded("matmul", inputs: [a.node, b.node]) { [an = a.node, bn = b.node] dC in
            accumulateProductGradients(
                dC: dC.storage.base, a: savedA.storage.base, b: savedB.storage.base,
                dA: an, dB: bn, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        }
    }

    /// dA += dC·op(B)ᵀ and dB += op(A)ᵀ·dC for one (m, k)·(k, n) product, in stored layouts.
    private static func accumulateProductGradients(
        dC: UnsafePointer<Scalar>, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>,
        dA: AutogradNode<Scalar>?, dB: AutogradNode<Scalar>?, aOffset: Int = 0, bOffset: Int = 0,
        m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
    ) {
        dA?.withGradientBuffer { gradient, accumulate in
            let beta: Scalar = accumulate ? 1 : 0
            if transposeA {  // A stored (k, m): dA = op(B)·dCᵀ
                MatrixProduct.gemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                                   a: b, b: dC, beta: beta, c: gradient + aOffset)
            } else {  // dA = dC·op(B)ᵀ
                MatrixProduct.gemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                                   a: dC, b: b, beta: beta, c: gradient + aOffset)
            }
        }
        dB?.withGradientBuffer { gradient, accumulate in
            let beta: Scalar = accumulate ? 1 : 0
            if transposeB {  // B stored (n, k): dB = dCᵀ·op(A)
                MatrixProduct.gemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m,
                                   a: dC, b: a, beta: beta, c: gradient + bOffset)
            } else {  // dB = op(A)ᵀ·dC
                MatrixProduct.gemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m,
                                   a: a, b: dC, beta: beta, c: gradient + bOffset)
            }
        }
    }

    /// (B, m, k)·(B, k, n) (or a shared (k, n) right operand) by one gemm per batch entry.
    static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let batch = a.shape[0]
        let sharedB = b.rank == 2
        require(sharedB || b.shape[0] == batch,
                     "matmul: batch sizes of \(a.shape) and \(b.shape) differ")
        let bMatrix = sharedB ? b.shape : Array(b.shape.dropFirst())
        let (m, n, k) = productDimensions(Array(a.shape.dropFirst()), bMatrix,
                                          transposeA: transposeA, transposeB: transposeB)
        let result = Tensor(uninitializedShape: [batch, m, n])
        let strideB = sharedB ? 0 : k * n
        for i in 0..<batch {
            MatrixProduct.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: a.storage.base + i * m * k, b: b.storage.base + i * strideB,
                               beta: 0, c: result.storage.base + i * m * n)
        }
        guard needsRecording(a, b) else { return result }
        let savedA = a.detached, savedB = b.detached
        return result.recorded("batchedMatmul", inputs: [a.node, b.node]) { [an = a.node, bn = b.node] dC in
            // Each batch entry accumulates into its slice, so fresh buffers start at zero.
            for node in [an, bn] {
                node?.withGradientBuffer { g, accumulate in
                    if !accumulate { zeroFill(g, count: node!.count) }
                }
            }
            for i in 0..<batch {
                accumulateProductGradients(
                    dC: dC.storage.base + i * m * n, a: savedA.storage.base + i * m * k,
                    b: savedB.storage.base + i * strideB, dA: an, dB: bn,
                    aOffset: i * m * k, bOffset: i * strideB,
                    m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
            }
        }
    }
}
