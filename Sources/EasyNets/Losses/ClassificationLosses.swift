/// Binary cross-entropy on probabilities: −(y·log p + (1 − y)·log(1 − p)), with each log
/// clamped at −100 as PyTorch does so p = 0 or 1 gives a finite loss.
public func binaryCrossEntropy<Scalar>(
    _ probabilities: Tensor<Scalar>, _ target: Tensor<Scalar>, weight: Tensor<Scalar>? = nil,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(probabilities, target, "binaryCrossEntropy")
    let logP = log(probabilities).clamped(min: -100)
    let logOneMinusP = log(1 - probabilities).clamped(min: -100)
    var losses = -(target * logP + (1 - target) * logOneMinusP)
    if let weight { losses = losses * weight }
    return reduction.apply(losses)
}

/// Negative log-likelihood of integer class labels under log-probabilities `(N, C)`, as PyTorch's
/// `nll_loss`: loss_i = −w[yᵢ]·logp[i, yᵢ]; the mean divides by Σ w[yᵢ] over rows whose label is
/// not `ignoreIndex` (ignored rows contribute 0).
///
/// Log-probabilities `(N, C, d₁, …)` (a class axis second, as PyTorch) take one label per position
/// of `(N, d₁, …)`, in row-major order; `.none` then gives losses of that shape.
public func negativeLogLikelihood<Scalar>(
    _ logProbabilities: Tensor<Scalar>, labels: [Int], classWeights: Tensor<Scalar>? = nil,
    ignoreIndex: Int? = nil, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    if logProbabilities.rank > 2 {
        let (rows, lossShape) = classRows(logProbabilities, labels: labels, op: "negativeLogLikelihood")
        let loss = negativeLogLikelihood(rows, labels: labels, classWeights: classWeights, ignoreIndex: ignoreIndex, reduction: reduction)
        return reduction == .none ? loss.reshaped(to: lossShape) : loss
    }
    let (rows, classes) = checkClassification(logProbabilities, labels, classWeights, ignoreIndex, op: "negativeLogLikelihood")
    // Per-row weights: w[yᵢ], 0 for ignored rows.
    let weights = rowWeights(labels, rows: rows, classWeights: classWeights, ignoreIndex: ignoreIndex, as: Scalar.self)
    let safeLabels = labels.map { $0 == ignoreIndex ? 0 : $0 }
    let picked = logProbabilities.picking(safeLabels, classes: classes)
    let losses = -(picked * weights)
    switch reduction {
    case .none: return losses
    case .sum: return losses.sum()
    case .mean: return losses.sum() / weights.sum().scalar
    }
}

/// Cross-entropy between logits `(N, C)` and integer labels, with a fused, stable log-softmax
/// (finite for logits of ±1e4), optional class weights, an ignored label and label smoothing
/// ε, following PyTorch's `cross_entropy`:
/// (1 − ε)·NLL + ε/C · Σ_c −w_c·logp_c, with the mean normalized by Σ w[yᵢ] of the kept rows.
///
/// Logits `(N, C, d₁, …)` (a class axis second, as PyTorch, e.g. per time step of a sequence)
/// take one label per position of `(N, d₁, …)`, in row-major order; `.none` then gives losses of
/// that shape.
public func crossEntropy<Scalar>(
    logits: Tensor<Scalar>, labels: [Int], classWeights: Tensor<Scalar>? = nil, ignoreIndex: Int? = nil,
    labelSmoothing: Double = 0, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    if logits.rank > 2 {
        let (rows, lossShape) = classRows(logits, labels: labels, op: "crossEntropy")
        let loss = crossEntropy(logits: rows, labels: labels, classWeights: classWeights, ignoreIndex: ignoreIndex,
                                labelSmoothing: labelSmoothing, reduction: reduction)
        return reduction == .none ? loss.reshaped(to: lossShape) : loss
    }
    require(labelSmoothing >= 0 && labelSmoothing <= 1,
                 "crossEntropy: labelSmoothing must be in [0, 1], got \(labelSmoothing)")
    let (rows, classes) = checkClassification(logits, labels, classWeights, ignoreIndex, op: "crossEntropy")
    if classWeights == nil, labelSmoothing == 0, reduction != .none, !labels.contains(where: { $0 == ignoreIndex }) {
        return fusedCrossEntropy(logits: logits, labels: labels, rows: rows, classes: classes, mean: reduction == .mean)
    }
    let logP = logSoftmax(logits, along: 1)
    let nll = negativeLogLikelihood(logP, labels: labels, classWeights: classWeights,
                                    ignoreIndex: ignoreIndex, reduction: reduction)
    guard labelSmoothing > 0 else { return nll }
    let weighted = classWeights.map { logP * $0.reshaped(to: [1, classes]) } ?? logP
    let keep = Tensor<Scalar>(labels.map { $0 == ignoreIndex ? 0 : 1 }, shape: [rows])
    let smooth = -weighted.sum(along: 1) * keep
    let smoothReduced: Tensor<Scalar>
    switch reduction {
    case .none: smoothReduced = smooth
    case .sum: smoothReduced = smooth.sum()
    case .mean:
        let weights = rowWeights(labels, rows: rows, classWeights: classWeights, ignoreIndex: ignoreIndex, as: Scalar.self)
        smoothReduced = smooth.sum() / weights.sum().scalar
    }
    let epsilon = Scalar(labelSmoothing)
    return nll * (1 - epsilon) + smoothReduced * (epsilon / Scalar(classes))
}

/// ``negativeLogLikelihood(_:labels:classWeights:ignoreIndex:reduction:)`` with the labels as an
/// ``IndexTensor`` of shape `(N)` or `(N, d₁, …)`, the scores' shape without the class axis.
public func negativeLogLikelihood<Scalar>(
    _ logProbabilities: Tensor<Scalar>, labels: IndexTensor, classWeights: Tensor<Scalar>? = nil,
    ignoreIndex: Int? = nil, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkLabelShape(labels, logProbabilities, op: "negativeLogLikelihood")
    return negativeLogLikelihood(logProbabilities, labels: labels.values, classWeights: classWeights, ignoreIndex: ignoreIndex,
                                 reduction: reduction)
}

/// ``crossEntropy(logits:labels:classWeights:ignoreIndex:labelSmoothing:reduction:)`` with the
/// labels as an ``IndexTensor`` of shape `(N)` or `(N, d₁, …)`, the logits' shape without the class axis.
public func crossEntropy<Scalar>(
    logits: Tensor<Scalar>, labels: IndexTensor, classWeights: Tensor<Scalar>? = nil, ignoreIndex: Int? = nil,
    labelSmoothing: Double = 0, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkLabelShape(labels, logits, op: "crossEntropy")
    return crossEntropy(logits: logits, labels: labels.values, classWeights: classWeights, ignoreIndex: ignoreIndex,
                        labelSmoothing: labelSmoothing, reduction: reduction)
}

/// Stops unless `labels` has the shape of `scores` without its class axis (axis 1).
private func checkLabelShape<Scalar>(_ labels: IndexTensor, _ scores: Tensor<Scalar>, op: String) {
    let expected = scores.rank >= 2 ? [scores.shape[0]] + Array(scores.shape[2...]) : []
    require(labels.shape == expected, "\(op): labels of shape \(labels.shape) for scores of shape \(scores.shape), "
            + "which need labels of shape \(expected)")
}

// MARK: - Fused cross-entropy

/// The common case (no weights, smoothing or ignored labels; mean or sum) as one op: per row
/// lse = m + log Σ exp(x − m) with m the row maximum, loss = lse − x[y]; backward
/// dX = (softmax − onehot)·dL (÷ N for the mean), from the softmax saved by the forward pass.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
private func fusedCrossEntropy<Scalar>(
    logits: Tensor<Scalar>, labels: [Int], rows: Int, classes: Int, mean: Bool
) -> Tensor<Scalar> {
    let probabilities = Tensor<Scalar>(uninitializedShape: [rows, classes])
    var total = 0.0
    labels.withUnsafeBufferPointer { y in
        logits.withUnsafeBufferPointer { x in
            total = CrossEntropyKernel.forward(x.baseAddress!, y.baseAddress!, rows: rows, classes: classes,
                                               probabilities: probabilities.storage.base)
        }
    }
    let scale = mean ? 1 / Double(rows) : 1
    let result = Tensor<Scalar>(Scalar(total * scale))
    return result.recorded("crossEntropy", inputs: [logits.node]) { [node = logits.node] dY in
        node?.withGradientBuffer { gradient, accumulate in
            labels.withUnsafeBufferPointer { y in
                CrossEntropyKernel.backward(probabilities.storage.base, y.baseAddress!, rows: rows, classes: classes,
                                            scale: dY.scalar * Scalar(scale), accumulate: accumulate, dX: gradient)
            }
        }
    }
}

/// The loops of the fused cross-entropy, pre-specialized for Float and Double and never inlined,
/// so a call from unspecialized generic code reaches the loop compiled for the concrete type.
enum CrossEntropyKernel {
    /// Writes the softmax of each row and returns the summed loss (accumulated in Double).
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func forward<T: TensorScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafePointer<Int>, rows: Int, classes: Int, probabilities: UnsafeMutablePointer<T>
    ) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let row = x + r * classes, p = probabilities + r * classes
            var m = row[0]
            for c in 1..<classes where row[c] > m { m = row[c] }
            if !m.isFinite { m = 0 }
            var sum: T = 0
            for c in 0..<classes {
                p[c] = T.exp(row[c] - m)
                sum += p[c]
            }
            let inverse = 1 / sum
            for c in 0..<classes { p[c] *= inverse }
            total += Double((m + T.log(sum)) - row[y[r]])
        }
        return total
    }

    /// dX (+)= scale·(p − onehot(y)).
    @inline(never)
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func backward<T: TensorScalar>(
        _ p: UnsafeMutablePointer<T>, _ y: UnsafePointer<Int>, rows: Int, classes: Int, scale: T, accumulate: Bool,
        dX: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let pr = p + r * classes, d = dX + r * classes
            for c in 0..<classes {
                let g = scale * (pr[c] - (c == y[r] ? 1 : 0))
                d[c] = accumulate ? d[c] + g : g
            }
        }
    }
}

// MARK: - Helpers

/// Scores `(N, C, d₁, …)` as rows `(N·d₁·…, C)`, one per label in the row-major order of
/// `(N, d₁, …)`, and that shape (of the per-position losses).
private func classRows<Scalar>(_ scores: Tensor<Scalar>, labels: [Int], op: String) -> (rows: Tensor<Scalar>, lossShape: [Int]) {
    let lossShape = [scores.shape[0]] + Array(scores.shape[2...])
    let positions = lossShape.reduce(1, *)
    require(labels.count == positions, "\(op): \(labels.count) labels for scores of shape \(scores.shape), "
            + "which need one per position of \(lossShape) (\(positions))")
    let classAxisLast = [0] + Array(2..<scores.rank) + [1]
    return (scores.permuted(classAxisLast).reshaped(to: [positions, scores.shape[1]]), lossShape)
}

private func checkClassification<Scalar>(
    _ scores: Tensor<Scalar>, _ labels: [Int], _ classWeights: Tensor<Scalar>?, _ ignoreIndex: Int?, op: String
) -> (rows: Int, classes: Int) {
    require(scores.rank == 2, "\(op): scores must be (N, C) or (N, C, d…), shape is \(scores.shape)")
    let (rows, classes) = (scores.shape[0], scores.shape[1])
    require(labels.count == rows, "\(op): \(labels.count) labels for scores of shape \(scores.shape)")
    for label in labels where label != ignoreIndex {
        require(label >= 0 && label < classes, "\(op): label \(label) out of range for \(classes) classes")
    }
    if let classWeights {
        require(classWeights.shape == [classes], "\(op): class weights shape \(classWeights.shape) is not [\(classes)]")
    }
    return (rows, classes)
}

private func rowWeights<Scalar>(
    _ labels: [Int], rows: Int, classWeights: Tensor<Scalar>?, ignoreIndex: Int?, as: Scalar.Type
) -> Tensor<Scalar> {
    let table = classWeights?.scalars
    return Tensor<Scalar>(labels.map { label in
        label == ignoreIndex ? 0 : (table?[label] ?? 1)
    }, shape: [rows])
}

extension Tensor {
    /// For a matrix (N, C), the element `labels[i]` of each row i, as (N). Differentiable.
    func picking(_ labels: [Int], classes: Int) -> Tensor {
        let rows = labels.count
        let result = Tensor(uninitializedShape: [rows])
        for (i, label) in labels.enumerated() { result.storage.base[i] = storage.base[i * classes + label] }
        return result.recorded("pick", inputs: [node]) { [node] dY in
            node?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: rows * classes) }
                for (i, label) in labels.enumerated() { gradient[i * classes + label] += dY.storage.base[i] }
            }
        }
    }
}
