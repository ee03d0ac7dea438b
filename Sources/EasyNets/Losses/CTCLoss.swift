/// The connectionist temporal classification loss, as PyTorch's `ctc_loss`: the negative log of
/// the total probability of every alignment of each target sequence to its input frames.
///
/// Each target of length L is extended with blanks to l′ = (blank, l₁, blank, …, l_L, blank); the
/// forward variables α_t(s) (log probability of the prefixes ending in l′_s at frame t) follow
/// α_t(s) = logp_t(l′_s) + log(e^{α_{t−1}(s)} + e^{α_{t−1}(s−1)} + [l′_s ≠ l′_{s−2}]·e^{α_{t−1}(s−2)}),
/// and loss = −log(e^{α_{T−1}(2L)} + e^{α_{T−1}(2L−1)}). The backward variables β run the same
/// recursion from the end, and ∂loss/∂logp_t(c) = −Σ_{s: l′_s = c} e^{α_t(s) + β_t(s) + loss − logp_t(c)};
/// the backward pass of this op applies that gradient, computed with the forward.
/// Time O(T·N·S); memory O(T·S) per sequence, and O(T·N·C) for the saved gradient.
///
/// - Parameters:
///   - logProbabilities: `(T, N, C)` log-probabilities (e.g. ``logSoftmax(_:along:)`` along the
///     last axis) of T frames, N sequences and C classes, blank included; or `(T, C)` for one
///     unbatched sequence, which takes one input and one target length and gives a 0-D loss under `.none`.
///   - targets: either `(N, S)`, each row a target padded to S, or `(ΣL)`, the targets concatenated;
///     labels in 0..<C, never `blank`.
///   - inputLengths: the frames of each sequence, each in 0...T. A sequence of 0 frames has loss 0
///     for an empty target and +∞ otherwise, and no gradient, as in PyTorch.
///   - targetLengths: the labels of each target (0 for an empty one), each at most S for padded targets.
///   - blank: the blank class.
///   - reduction: `.none` gives the N losses; `.mean` divides each by its target length (at least 1)
///     and averages over the batch, as PyTorch; `.sum` adds them.
///   - zeroInfinity: whether an infinite loss (a target that no alignment of its input can produce)
///     and its gradient become 0.
public func ctcLoss<Scalar>(
    logProbabilities: Tensor<Scalar>, targets: IndexTensor, inputLengths: [Int], targetLengths: [Int],
    blank: Int = 0, reduction: LossReduction = .mean, zeroInfinity: Bool = false
) -> Tensor<Scalar> {
    let op = "ctcLoss"
    require(logProbabilities.rank == 3 || logProbabilities.rank == 2,
            "\(op): log-probabilities must be (T, N, C) or (T, C), shape is \(logProbabilities.shape)")
    if logProbabilities.rank == 2 {
        require(inputLengths.count == 1 && targetLengths.count == 1,
                "\(op): \(inputLengths.count) input lengths and \(targetLengths.count) target lengths for unbatched "
                + "log-probabilities of shape \(logProbabilities.shape), which need one of each")
        let (frames, classes) = (logProbabilities.shape[0], logProbabilities.shape[1])
        let loss = ctcLoss(logProbabilities: logProbabilities.reshaped(to: [frames, 1, classes]), targets: targets,
                           inputLengths: inputLengths, targetLengths: targetLengths, blank: blank, reduction: reduction,
                           zeroInfinity: zeroInfinity)
        return reduction == .none ? loss.reshaped(to: []) : loss
    }
    let (frames, batch, classes) = (logProbabilities.shape[0], logProbabilities.shape[1], logProbabilities.shape[2])
    require(inputLengths.count == batch && targetLengths.count == batch,
            "\(op): \(inputLengths.count) input lengths and \(targetLengths.count) target lengths for log-probabilities "
            + "of shape \(logProbabilities.shape), which need \(batch) of each")
    require(blank >= 0 && blank < classes, "\(op): blank \(blank) out of range for log-probabilities of shape \(logProbabilities.shape)")
    for length in inputLengths {
        require(length >= 0 && length <= frames, "\(op): input length \(length) out of 0...\(frames) for log-probabilities "
                + "of shape \(logProbabilities.shape)")
    }
    require(targetLengths.allSatisfy { $0 >= 0 }, "\(op): negative target length in \(targetLengths)")
    var offsets = [Int](repeating: 0, count: batch)
    if targets.rank == 2 {
        require(targets.shape[0] == batch, "\(op): padded targets of shape \(targets.shape) for log-probabilities of shape "
                + "\(logProbabilities.shape)")
        for b in 0..<batch {
            require(targetLengths[b] <= targets.shape[1], "\(op): target length \(targetLengths[b]) longer than the padded "
                    + "targets of shape \(targets.shape)")
            offsets[b] = b * targets.shape[1]
        }
    } else {
        require(targets.rank == 1 && targets.count == targetLengths.reduce(0, +),
                "\(op): concatenated targets of shape \(targets.shape) for target lengths summing to \(targetLengths.reduce(0, +))")
        for b in 1..<Swift.max(batch, 1) { offsets[b] = offsets[b - 1] + targetLengths[b - 1] }
    }
    for b in 0..<batch {
        for label in targets.values[offsets[b]..<offsets[b] + targetLengths[b]] {
            require(label >= 0 && label < classes && label != blank,
                    "\(op): target label \(label) out of range for \(classes) classes with blank \(blank)")
        }
    }

    let withGradient = Tensor.needsRecording(logProbabilities)
    let shape = CTCKernel.Shape(frames: frames, batch: batch, classes: classes, blank: blank)
    // dLoss_b/dlogp, zero for frames past each input: (T, N, C)
    var dLogP = [Scalar](repeating: 0, count: withGradient ? logProbabilities.count : 0)
    var losses = [Double](repeating: 0, count: batch)
    logProbabilities.withUnsafeBufferPointer { logP in
        targets.values.withUnsafeBufferPointer { labels in
            dLogP.withUnsafeMutableBufferPointer { dLogP in
                for b in 0..<batch {
                    let target = UnsafeBufferPointer(rebasing: labels[offsets[b]..<offsets[b] + targetLengths[b]])
                    losses[b] = CTCKernel.sequence(logP.baseAddress!, shape, b, inputLength: inputLengths[b], target: target,
                                                   dLogP: withGradient ? dLogP.baseAddress! : nil)
                    if zeroInfinity && losses[b] == .infinity {
                        losses[b] = 0
                        if withGradient { CTCKernel.zero(dLogP.baseAddress!, shape, b) }
                    }
                }
            }
        }
    }
    // Each sequence's weight in the reduced loss.
    let weights: [Double] = switch reduction {
    case .none, .sum: [Double](repeating: 1, count: batch)
    case .mean: targetLengths.map { 1 / (Double(Swift.max($0, 1)) * Double(batch)) }
    }
    let result: Tensor<Scalar> = switch reduction {
    case .none: Tensor(losses.map { Scalar($0) }, shape: [batch])
    case .sum: Tensor(Scalar(losses.reduce(0, +)))
    case .mean: Tensor(Scalar(zip(losses, targetLengths).map { $0 / Double(Swift.max($1, 1)) }.reduce(0, +) / Double(batch)))
    }
    guard withGradient else { return result }
    return result.recorded("ctcLoss", inputs: [logProbabilities.node]) { [node = logProbabilities.node] dY in
        let upstream = dY.scalars
        let scales = (0..<batch).map { Scalar(weights[$0]) * (reduction == .none ? upstream[$0] : upstream[0]) }
        node?.withGradientBuffer { dX, accumulate in
            dLogP.withUnsafeBufferPointer { dLogP in
                CTCKernel.backward(dLogP.baseAddress!, shape, scales: scales, accumulate: accumulate, dX: dX)
            }
        }
    }
}

/// The CTC recursions of one sequence, in Double, pre-specialized for Float and Double.
enum CTCKernel {
    struct Shape { var frames: Int, batch: Int, classes: Int, blank: Int }

    /// log(e^a + e^b + e^c), stable, with the maximum taken as 0 when every term is −∞ (as PyTorch).
    @inline(__always)
    static func logSumExp(_ a: Double, _ b: Double, _ c: Double = -.infinity) -> Double {
        var m = Swift.max(a, b, c)
        if m == -.infinity { m = 0 }
        return Double.log(Double.exp(a - m) + Double.exp(b - m) + Double.exp(c - m)) + m
    }

    /// The loss of sequence `b`; when `dLogP` is given, writes ∂loss/∂logp of its frames into it
    /// (the rest of the sequence's entries stay 0).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func sequence<T: TensorScalar>(
        _ logP: UnsafePointer<T>, _ shape: Shape, _ b: Int, inputLength: Int, target: UnsafeBufferPointer<Int>,
        dLogP: UnsafeMutablePointer<T>?
    ) -> Double {
        let (C, N, blank) = (shape.classes, shape.batch, shape.blank)
        let L = target.count, S = 2 * L + 1
        // No frames: only the empty target has an alignment, the empty one (PyTorch's convention).
        guard inputLength > 0 else { return L == 0 ? 0 : .infinity }
        @inline(__always) func label(_ s: Int) -> Int { s % 2 == 0 ? blank : target[s / 2] }
        @inline(__always) func lp(_ t: Int, _ c: Int) -> Double { Double(logP[(t * N + b) * C + c]) }
        // Whether state s may be entered from s − 2 (skipping a blank between different labels).
        @inline(__always) func skips(_ s: Int) -> Bool { s > 1 && label(s) != label(s - 2) }

        var alpha = [Double](repeating: -.infinity, count: inputLength * S)  // (T_b, S)
        alpha[0] = lp(0, blank)
        if S > 1 { alpha[1] = lp(0, label(1)) }
        for t in 1..<Swift.max(inputLength, 1) {
            let previous = (t - 1) * S
            for s in 0..<S {
                let a1 = alpha[previous + s]
                let a2 = s > 0 ? alpha[previous + s - 1] : -.infinity
                let a3 = skips(s) ? alpha[previous + s - 2] : -.infinity
                alpha[t * S + s] = logSumExp(a1, a2, a3) + lp(t, label(s))
            }
        }
        let last = (inputLength - 1) * S
        let loss = -logSumExp(alpha[last + S - 1], L > 0 ? alpha[last + S - 2] : -.infinity)
        guard let dLogP else { return loss }

        // β_t(s): log probability of the suffixes from l′_s at frame t (logp_t included).
        var beta = [Double](repeating: -.infinity, count: inputLength * S)  // (T_b, S)
        // log Σ_{s: l′_s = c} α_t(s) + β_t(s), per frame and class.
        var alphaBeta = [Double](repeating: -.infinity, count: inputLength * C)  // (T_b, C)
        func addAlphaBeta(_ t: Int, _ s: Int) {
            let value = alpha[t * S + s] + beta[t * S + s]
            let c = alphaBeta[t * C + label(s)]
            alphaBeta[t * C + label(s)] = c == -.infinity ? value : logSumExp(c, value)
        }
        beta[last + S - 1] = lp(inputLength - 1, blank)
        addAlphaBeta(inputLength - 1, S - 1)
        if L > 0 {
            beta[last + S - 2] = lp(inputLength - 1, label(S - 2))
            addAlphaBeta(inputLength - 1, S - 2)
        }
        for t in stride(from: inputLength - 2, through: 0, by: -1) {
            let next = (t + 1) * S
            for s in 0..<S {
                let b1 = beta[next + s]
                let b2 = s < S - 1 ? beta[next + s + 1] : -.infinity
                let b3 = s + 2 < S && skips(s + 2) ? beta[next + s + 2] : -.infinity
                beta[t * S + s] = logSumExp(b1, b2, b3) + lp(t, label(s))
                addAlphaBeta(t, s)
            }
        }
        for t in 0..<inputLength {
            for c in 0..<C where alphaBeta[t * C + c] != -.infinity {
                let logp = lp(t, c)
                dLogP[(t * N + b) * C + c] = T(-Double.exp(alphaBeta[t * C + c] + loss - logp))
            }
        }
        return loss
    }

    /// Zeroes the gradient of sequence `b`.
    static func zero<T: TensorScalar>(_ dLogP: UnsafeMutablePointer<T>, _ shape: Shape, _ b: Int) {
        for t in 0..<shape.frames {
            for c in 0..<shape.classes { dLogP[(t * shape.batch + b) * shape.classes + c] = 0 }
        }
    }

    /// dX (+)= scale_b · dLogP for every frame and class of sequence b.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func backward<T: TensorScalar>(
        _ dLogP: UnsafePointer<T>, _ shape: Shape, scales: [T], accumulate: Bool, dX: UnsafeMutablePointer<T>
    ) {
        let (N, C) = (shape.batch, shape.classes)
        for t in 0..<shape.frames {
            for b in 0..<N {
                let row = (t * N + b) * C
                for c in 0..<C {
                    let g = scales[b] * dLogP[row + c]
                    dX[row + c] = accumulate ? dX[row + c] + g : g
                }
            }
        }
    }
}
