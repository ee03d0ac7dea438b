import Testing
@testable import EasyNets

/// A leaf that requires gradients.
private func leaf(_ t: Tensor<Double>) -> Tensor<Double> {
    var t = t
    t.requiresGradient = true
    return t
}

/// Ops whose backward writes the gradient buffer in different ways (fresh BLAS output, axpy into
/// slices, ownership of a computed buffer): each must add to an existing gradient, not overwrite it.
enum AccumulatingOp: String, CaseIterable, Sendable {
    case elementwise, broadcasting, unary, gemm, gemmTransposed, gemv, ger, batched
    case batchedShared, rows, gather, concatenate, reduction

    /// A scalar loss of `x` (shape (3, 4)) through this op.
    func loss(_ x: Tensor<Double>) -> Tensor<Double> {
        let w = Tensor<Double>.arange(from: -1, to: 1, by: 1.0 / 6).reshaped(to: [3, 4])
        switch self {
        case .elementwise: return (x * w).sum()
        case .broadcasting: return (x * Tensor([1, 2, 3, 4])).sum()
        case .unary: return tanh(x).sum()
        case .gemm: return (matmul(x, w, transposeB: true) * matmul(x, w, transposeB: true)).sum()
        case .gemmTransposed: return matmul(x, w, transposeA: true).sum()
        // One row: dX = dC·Wᵀ is a gemv.
        case .gemv: return matmul(x.reshaped(to: [1, 12]), Tensor.arange(to: 24).reshaped(to: [12, 2])).sum()
        // One column: dX = dC·vᵀ has inner dimension 1, an outer product (ger).
        case .ger: return matmul(x, Tensor([[1], [-1], [2], [0.5]])).sum()
        case .batched: return matmul(x.reshaped(to: [3, 2, 2]), w.reshaped(to: [3, 2, 2])).sum()
        case .batchedShared:
            return matmul(x.reshaped(to: [3, 2, 2]), Tensor([[1, 2], [3, 4]]), transposeA: true).sum()
        case .rows: return (x.rows(1..<3) * x.rows(0..<2)).sum()
        case .gather: return x.gatheringRows([2, 2, 0]).sum()
        case .concatenate: return (Tensor.concatenated([x, x * 2], along: 1) * Tensor.arange(to: 8)).sum()
        case .reduction: return x.max(along: 1).sum() + x.logSumExp().sum()
        }
    }
}

@Suite("Autograd")
struct AutogradTests {
    @Test func backwardFillsLeafGradients() {
        let x = leaf(Tensor([1, 2, 3])), w = leaf(Tensor([4, -5, 6]))
        let y = (x * w).sum()
        y.backward()
        #expect(x.gradient?.scalars == [4, -5, 6])
        #expect(w.gradient?.scalars == [1, 2, 3])
        #expect(x.gradient?.shape == [3])
    }

    @Test func leavesWithoutGradientAndUnusedLeavesGetNone() {
        let x = leaf(Tensor([1, 2])), unused = leaf(Tensor([5]))
        let constant = Tensor<Double>([3, 4])
        (x * constant).sum().backward()
        #expect(x.gradient?.scalars == [3, 4])
        #expect(constant.gradient == nil)
        #expect(unused.gradient == nil)
    }

    @Test func gradientsAccumulateUntilZeroed() {
        let x = leaf(Tensor([1, 2, 3]))
        (x * x).sum().backward()
        #expect(x.gradient?.scalars == [2, 4, 6])
        (x * x).sum().backward()
        #expect(x.gradient?.scalars == [4, 8, 12])
        x.zeroGradient()
        #expect(x.gradient == nil)
        (x * 3).sum().backward()
        #expect(x.gradient?.scalars == [3, 3, 3])
    }

    @Test(arguments: AccumulatingOp.allCases)
    func secondBackwardAddsTheSameGradient(op: AccumulatingOp) throws {
        let x = leaf(randomTensor([3, 4], seed: 91))
        op.loss(x).backward()
        let once = try #require(x.gradient, "\(op)")
        op.loss(x).backward()
        let twice = try #require(x.gradient, "\(op)")
        expectClose(twice, once * 2, tolerance: 1e-15, "\(op)")
        #expect(once.scalars.contains { $0 != 0 }, "\(op) gives a zero gradient")
    }

    @Test func fanOutAccumulates() {
        // y = x·x + x: dy/dx = 2x + 1.
        let x = leaf(Tensor([1, -2, 0.5]))
        (x * x + x).sum().backward()
        #expect(x.gradient?.scalars == [3, -3, 2])
        // The same tensor on both sides of every kind of binary op.
        let z = leaf(Tensor([2, 3]))
        (z + z).sum().backward()
        #expect(z.gradient?.scalars == [2, 2])
        z.zeroGradient()
        (z / z).sum().backward()  // constant 1
        #expect(z.gradient?.scalars == [0, 0])
        z.zeroGradient()
        matmul(z, z).backward()  // z·z
        #expect(z.gradient?.scalars == [4, 6])
    }

    @Test func withoutGradientsRecordsNothing() {
        let x = leaf(Tensor([1, 2, 3]))
        #expect(isRecordingGradients)
        let (inside, result) = withoutGradients { (isRecordingGradients, (exp(x) * x + 1).sum()) }
        #expect(!inside)
        #expect(!result.requiresGradient)
        #expect(isRecordingGradients)
        let reshaped = withoutGradients { matmul(x.reshaped(to: [3, 1]), x.reshaped(to: [1, 3])) }
        #expect(!reshaped.requiresGradient)
        // Recording resumes afterwards.
        #expect((x * 2).requiresGradient)
    }

    @Test func withoutGradientsDetachesShapeChangesThatChangeNothing() {
        let x = leaf(Tensor([[1, 2, 3]]))
        let results = withoutGradients {
            [x.reshaped(to: [1, 3]), x.permuted([0, 1]), x.broadcasted(to: [1, 3]), x.summed(toShape: [1, 3]),
             x.squeezed(axis: nil).unsqueezed(axis: 0)]
        }
        for (i, result) in results.enumerated() { #expect(!result.requiresGradient, "result \(i)") }
        // While recording, they stay on the tape.
        #expect(x.reshaped(to: [1, 3]).requiresGradient)
    }

    @Test func detachedCutsTheTape() {
        let x = leaf(Tensor([1, 2, 3]))
        let d = x.detached
        #expect(!d.requiresGradient)
        #expect(d.scalars == x.scalars)
        #expect(x.requiresGradient)
        (x * x.detached).sum().backward()  // only one factor carries the gradient
        #expect(x.gradient?.scalars == [1, 2, 3])
    }

    @Test func interiorTensorsHaveNoGradient() {
        let x = leaf(Tensor([1, 2]))
        let hidden = x * 2
        #expect(hidden.requiresGradient)
        #expect(!hidden.isLeaf)
        #expect(x.isLeaf)
        (hidden * hidden).sum().backward()
        #expect(hidden.gradient == nil)
        #expect(x.gradient?.scalars == [8, 16])  // d(4x²)/dx
    }

    @Test func gradientCopyIsNotChangedByLaterBackward() {
        let x = leaf(Tensor([1, 2]))
        (x * 5).sum().backward()
        var copy = x.gradient!
        #expect(copy.scalars == [5, 5])
        (x * 5).sum().backward()
        #expect(copy.scalars == [5, 5])
        #expect(x.gradient?.scalars == [10, 10])
        // Writing to the copy leaves the stored gradient alone.
        copy[0] = -1
        #expect(x.gradient?.scalars == [10, 10])
    }

    @Test func backwardWithSeedGradient() {
        let x = leaf(Tensor([[1, 2], [3, 4]]))
        let y = x * x
        y.backward(seed: Tensor([[1, 0], [0.5, -1]]))
        #expect(x.gradient?.scalars == [2, 0, 3, -8])
    }

    @Test func backwardFromALeafItself() {
        let x = leaf(Tensor(3))
        x.backward()
        #expect(x.gradient?.scalar == 1)
    }

    @Test func requiresGradientFalseDetaches() {
        var x = leaf(Tensor([1, 2]))
        x.requiresGradient = false
        #expect(!x.requiresGradient)
        #expect(!(x * 2).requiresGradient)
    }

    @Test func aCopyOfALeafSharesItsGradient() {
        // Copies share the tape node (as two references to one PyTorch tensor would).
        let x = leaf(Tensor([1, 2]))
        let alias = x
        (alias * 4).sum().backward()
        #expect(x.gradient?.scalars == [4, 4])
    }

    @Test func tiesAndKinksFollowPyTorch() {
        // Tied maxima/minima share the gradient equally; relu and abs have gradient 0 at 0;
        // clamped passes the gradient at its bounds.
        let x = leaf(Tensor([1, 3, 3, -2]))
        x.max().backward()
        #expect(x.gradient?.scalars == [0, 0.5, 0.5, 0])
        x.zeroGradient()
        x.min(along: 0).backward()
        #expect(x.gradient?.scalars == [0, 0, 0, 1])
        let a = leaf(Tensor([1, 2])), b = leaf(Tensor([1, 5]))
        maximum(a, b).sum().backward()
        #expect(a.gradient?.scalars == [0.5, 0])
        #expect(b.gradient?.scalars == [0.5, 1])
        let z = leaf(Tensor([0, -1, 1]))
        (relu(z) + abs(z) + z.clamped(min: -1, max: 0)).sum().backward()
        #expect(z.gradient?.scalars == [1, 0, 2])  // relu' + abs' + clamp': (0+0+1), (0−1+1), (1+1+0)
    }

    @Test func backwardTwiceThroughOneGraphStops() async {
        await #expect(processExitsWith: .failure) {
            let x = leaf(Tensor([1, 2]))
            let y = (x * x).sum()
            y.backward()
            y.backward()
        }
        // A second loss sharing a spent part of the graph would get no gradient through it.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = leaf(Tensor([1, 2]))
            let shared = x * x
            (shared * 2).sum().backward()
            (shared * 3).sum().backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("already used by a backward pass"), "stderr: \(message)")
    }

    @Test func separateForwardPassesMayShareLeaves() {
        let x = leaf(Tensor([1, 2]))
        (x * x * 2).sum().backward()
        (x * x * 3).sum().backward()
        #expect(x.gradient?.scalars == [10, 20])  // (4 + 6)·x
    }

    @Test func theGradientCheckerDetectsAWrongGradient() {
        // x·detached(x) has analytic gradient x but true derivative 2x: the checker must say so.
        let result = checkGradients(of: { $0[0] * $0[0].detached }, at: [Tensor([0.5, -1, 2])])
        #expect(result.maxRelativeError > 0.4)
        #expect(result.maxAbsoluteError > 0.4)
        let right = checkGradients(of: { $0[0] * $0[0] }, at: [Tensor([0.5, -1, 2])])
        #expect(right.maxRelativeError < 1e-8)
    }
}
