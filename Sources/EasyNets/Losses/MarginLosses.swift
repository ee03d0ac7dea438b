// Losses on similarities and margins: cosine and hinge embedding, margin ranking, triplet margin,
// and the multi-class margin loss.

/// The cosine embedding loss of rows `(N, D)` (or vectors `(D)`) against targets ±1 of shape `(N)`
/// (or a scalar), as PyTorch's `cosine_embedding_loss`: 1 − cos where y = 1 and max(0, cos − margin)
/// where y = −1 (0 for other targets), with cos = x₁·x₂ / √((|x₁|² + 10⁻¹²)(|x₂|² + 10⁻¹²)).
public func cosineEmbeddingLoss<Scalar>(
    _ input1: Tensor<Scalar>, _ input2: Tensor<Scalar>, target: Tensor<Scalar>, margin: Double = 0,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "cosineEmbeddingLoss"
    require(input1.shape == input2.shape && (input1.rank == 1 || input1.rank == 2),
            "\(op): inputs of shapes \(input1.shape) and \(input2.shape); both must be (N, D) or (D)")
    require(target.shape == Array(input1.shape.dropLast()),
            "\(op): target of shape \(target.shape) for inputs of shape \(input1.shape)")
    let axis = input1.rank - 1
    let epsilon: Scalar = 1e-12
    let product = (input1 * input2).sum(along: axis)
    let magnitudes = ((input1 * input1).sum(along: axis) + epsilon) * ((input2 * input2).sum(along: axis) + epsilon)
    let cosine = product / sqrt(magnitudes)
    let zeros = Tensor<Scalar>.zeros(cosine.shape)
    let positive = Tensor.select(where: target .== 1, 1 - cosine, else: zeros)
    let negative = Tensor.select(where: target .== -1, (cosine - Scalar(margin)).clamped(min: 0), else: zeros)
    return reduction.apply(positive + negative)
}

/// The margin ranking loss, as PyTorch's `margin_ranking_loss`: max(0, −y·(x₁ − x₂) + margin) for
/// inputs and targets ±1 of one shape (y = 1: x₁ should rank higher).
public func marginRankingLoss<Scalar>(
    _ input1: Tensor<Scalar>, _ input2: Tensor<Scalar>, target: Tensor<Scalar>, margin: Double = 0,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    require(input1.shape == input2.shape && target.shape == input1.shape,
            "marginRankingLoss: inputs of shapes \(input1.shape) and \(input2.shape) and target of shape \(target.shape) differ")
    return reduction.apply((-target * (input1 - input2) + Scalar(margin)).clamped(min: 0))
}

/// The triplet margin loss of rows `(N, D)` (or vectors `(D)`), as PyTorch's `triplet_margin_loss`:
/// max(0, d(a, p) − d(a, n) + margin) with d(x, y) = ‖x − y + eps‖_p; `swap` uses
/// min(d(a, n), d(p, n)) as the negative distance.
public func tripletMarginLoss<Scalar>(
    anchor: Tensor<Scalar>, positive: Tensor<Scalar>, negative: Tensor<Scalar>, margin: Double = 1, p: Double = 2,
    eps: Double = 1e-6, swap: Bool = false, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    require(anchor.shape == positive.shape && anchor.shape == negative.shape && (anchor.rank == 1 || anchor.rank == 2),
            "tripletMarginLoss: anchor \(anchor.shape), positive \(positive.shape) and negative \(negative.shape) "
            + "must share one shape, (N, D) or (D)")
    require(p > 0, "tripletMarginLoss: p must be positive, got \(p)")
    func distance(_ x: Tensor<Scalar>, _ y: Tensor<Scalar>) -> Tensor<Scalar> {
        let d = x - y + Scalar(eps)
        let axis = d.rank - 1
        if p == 2 { return sqrt(square(d).sum(along: axis)) }
        if p == 1 { return abs(d).sum(along: axis) }
        return pow(pow(abs(d), Scalar(p)).sum(along: axis), Scalar(1 / p))
    }
    let positiveDistance = distance(anchor, positive)
    var negativeDistance = distance(anchor, negative)
    if swap { negativeDistance = minimum(negativeDistance, distance(positive, negative)) }
    return reduction.apply((positiveDistance - negativeDistance + Scalar(margin)).clamped(min: 0))
}

/// The hinge embedding loss, as PyTorch's `hinge_embedding_loss`: x where y = 1 and
/// max(0, margin − x) where y = −1, for inputs (distances) and targets ±1 of one shape.
public func hingeEmbeddingLoss<Scalar>(
    _ input: Tensor<Scalar>, target: Tensor<Scalar>, margin: Double = 1, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    require(target.shape == input.shape, "hingeEmbeddingLoss: target of shape \(target.shape) for input of shape \(input.shape)")
    let zeros = Tensor<Scalar>.zeros(input.shape)
    let belowMargin = Tensor.select(where: target .!= 1, (Scalar(margin) - input).clamped(min: 0), else: zeros)
    let distance = Tensor.select(where: target .!= -1, input, else: zeros)
    return reduction.apply(belowMargin + distance)
}

/// The multi-class margin loss of scores `(N, C)` against class labels, as PyTorch's
/// `multi_margin_loss`: per row (1/C)·Σ_{j≠y} w_y·max(0, margin − x_y + x_j)^p, p ∈ {1, 2}, one loss
/// per row under `.none`.
public func multiMarginLoss<Scalar>(
    _ scores: Tensor<Scalar>, labels: [Int], p: Int = 1, margin: Double = 1, weight: Tensor<Scalar>? = nil,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "multiMarginLoss"
    require(scores.rank == 2, "\(op): scores must be (N, C), shape is \(scores.shape)")
    require(p == 1 || p == 2, "\(op): p must be 1 or 2, got \(p)")
    let (rows, classes) = (scores.shape[0], scores.shape[1])
    require(labels.count == rows, "\(op): \(labels.count) labels for scores of shape \(scores.shape)")
    for label in labels {
        require(label >= 0 && label < classes, "\(op): label \(label) out of range for scores of shape \(scores.shape)")
    }
    let picked = scores.picking(labels, classes: classes).reshaped(to: [rows, 1])
    let hinge = relu(scores - picked + Scalar(margin))
    var notLabel = [Scalar](repeating: 1, count: rows * classes)
    for (i, label) in labels.enumerated() { notLabel[i * classes + label] = 0 }
    var terms = (p == 1 ? hinge : square(hinge)) * Tensor(notLabel, shape: [rows, classes])
    if let weight {
        require(weight.shape == [classes], "\(op): weight of shape \(weight.shape) for scores of shape \(scores.shape)")
        let table = weight.scalars
        terms = terms * Tensor(labels.map { table[$0] }, shape: [rows, 1])
    }
    return reduction.apply(terms.sum(along: 1) / Scalar(classes))
}
