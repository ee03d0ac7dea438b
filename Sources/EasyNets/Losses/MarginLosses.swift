// Losses on similarities and margins: cosine and hinge embedding, margin ranking, triplet margin,
// and the multi-class margin loss. Inputs broadcast as in PyTorch wherever PyTorch broadcasts them.

/// The broadcast shape of `shapes`, or a stop naming `op` and every shape.
private func lossBroadcastShape(_ shapes: [[Int]], _ op: String, _ names: String) -> [Int] {
    let rank = shapes.map(\.count).max() ?? 0
    var result = [Int](repeating: 1, count: rank)
    for shape in shapes {
        for (i, extent) in shape.enumerated() {
            let d = rank - shape.count + i
            require(extent == result[d] || extent == 1 || result[d] == 1,
                    "\(op): \(names) of shapes \(shapes.map { "\($0)" }.joined(separator: ", ")) do not broadcast together")
            if result[d] == 1 { result[d] = extent }
        }
    }
    return result
}

/// The cosine embedding loss of rows `(N, D)` against targets ±1 of shape `(N)`, or of vectors `(D)`
/// against a 0-D target, as PyTorch's `cosine_embedding_loss`: 1 − cos where y = 1 and
/// max(0, cos − margin) where y = −1 (0 for other targets), with
/// cos = x₁·x₂ / √((|x₁|² + 10⁻¹²)(|x₂|² + 10⁻¹²)). The inputs broadcast together (`(N, D)` with
/// `(1, D)`), and the target with their N cosines; `.none` gives one loss per row (0-D for vectors).
public func cosineEmbeddingLoss<Scalar>(
    _ input1: Tensor<Scalar>, _ input2: Tensor<Scalar>, target: Tensor<Scalar>, margin: Double = 0,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "cosineEmbeddingLoss"
    require(target.rank <= 1 && input1.rank == target.rank + 1 && input2.rank == target.rank + 1,
            "\(op): inputs of shapes \(input1.shape) and \(input2.shape) for a target of shape \(target.shape); "
            + "needs (N, D) inputs with an (N) target or (D) inputs with a 0-D target")
    let inputShape = lossBroadcastShape([input1.shape, input2.shape], op, "inputs")
    _ = lossBroadcastShape([Array(inputShape.dropLast()), target.shape], op, "rows and target")
    let axis = target.rank
    let epsilon: Scalar = 1e-12
    let product = (input1 * input2).sum(along: axis)
    let magnitudes = ((input1 * input1).sum(along: axis) + epsilon) * ((input2 * input2).sum(along: axis) + epsilon)
    let cosine = product / sqrt(magnitudes)
    let zeros = Tensor<Scalar>.zeros([])
    let positive = Tensor.select(where: target .== 1, 1 - cosine, else: zeros)
    let negative = Tensor.select(where: target .== -1, (cosine - Scalar(margin)).clamped(min: 0), else: zeros)
    return reduction.apply(positive + negative)
}

/// The margin ranking loss, as PyTorch's `margin_ranking_loss`: max(0, −y·(x₁ − x₂) + margin) for
/// inputs and targets ±1 of one rank whose shapes broadcast together (y = 1: x₁ should rank higher).
public func marginRankingLoss<Scalar>(
    _ input1: Tensor<Scalar>, _ input2: Tensor<Scalar>, target: Tensor<Scalar>, margin: Double = 0,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "marginRankingLoss"
    require(input1.rank == input2.rank && target.rank == input1.rank,
            "\(op): inputs of shapes \(input1.shape) and \(input2.shape) and target of shape \(target.shape) need one rank")
    _ = lossBroadcastShape([input1.shape, input2.shape, target.shape], op, "inputs and target")
    return reduction.apply((-target * (input1 - input2) + Scalar(margin)).clamped(min: 0))
}

/// The triplet margin loss along the last axis of rows `(N, D)` (or vectors `(D)`, or any rank
/// at least 1), as PyTorch's `triplet_margin_loss`: max(0, d(a, p) − d(a, n) + margin) with
/// d(x, y) = ‖x − y + eps‖_p; `swap` uses min(d(a, n), d(p, n)) as the negative distance. The
/// three have one rank and broadcast together; `.none` gives one loss per row.
public func tripletMarginLoss<Scalar>(
    anchor: Tensor<Scalar>, positive: Tensor<Scalar>, negative: Tensor<Scalar>, margin: Double = 1, p: Double = 2,
    eps: Double = 1e-6, swap: Bool = false, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "tripletMarginLoss"
    require(anchor.rank >= 1 && positive.rank == anchor.rank && negative.rank == anchor.rank,
            "\(op): anchor \(anchor.shape), positive \(positive.shape) and negative \(negative.shape) need one rank of at least 1")
    _ = lossBroadcastShape([anchor.shape, positive.shape, negative.shape], op, "anchor, positive and negative")
    require(p > 0, "\(op): p must be positive, got \(p)")
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
/// max(0, margin − x) where y = −1 (both for other targets), for inputs (distances) and targets
/// ±1 of any shapes that broadcast together.
public func hingeEmbeddingLoss<Scalar>(
    _ input: Tensor<Scalar>, target: Tensor<Scalar>, margin: Double = 1, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    _ = lossBroadcastShape([input.shape, target.shape], "hingeEmbeddingLoss", "input and target")
    let zeros = Tensor<Scalar>.zeros([])
    let belowMargin = Tensor.select(where: target .!= 1, (Scalar(margin) - input).clamped(min: 0), else: zeros)
    let distance = Tensor.select(where: target .!= -1, input, else: zeros)
    return reduction.apply(belowMargin + distance)
}

/// The multi-class margin loss of scores `(N, C)` against N class labels, or of scores `(C)`
/// against one label, as PyTorch's `multi_margin_loss`: per row (1/C)·Σ_{j≠y} w_y·max(0, margin − x_y + x_j)^p,
/// p ∈ {1, 2}, `weight` of shape (C) (1 without). `.none` gives one loss per row, a 0-D loss for `(C)` scores.
public func multiMarginLoss<Scalar>(
    _ scores: Tensor<Scalar>, labels: [Int], p: Int = 1, margin: Double = 1, weight: Tensor<Scalar>? = nil,
    reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "multiMarginLoss"
    require(scores.rank == 2 || scores.rank == 1, "\(op): scores must be (N, C) or (C), shape is \(scores.shape)")
    require(p == 1 || p == 2, "\(op): p must be 1 or 2, got \(p)")
    let unbatched = scores.rank == 1
    let (rows, classes) = unbatched ? (1, scores.shape[0]) : (scores.shape[0], scores.shape[1])
    require(labels.count == rows, "\(op): \(labels.count) labels for scores of shape \(scores.shape)")
    for label in labels {
        require(label >= 0 && label < classes, "\(op): label \(label) out of range for scores of shape \(scores.shape)")
    }
    let matrix = scores.reshaped(to: [rows, classes])
    let picked = matrix.picking(labels, classes: classes).reshaped(to: [rows, 1])
    let hinge = relu(matrix - picked + Scalar(margin))
    var notLabel = [Scalar](repeating: 1, count: rows * classes)
    for (i, label) in labels.enumerated() { notLabel[i * classes + label] = 0 }
    var terms = (p == 1 ? hinge : square(hinge)) * Tensor(notLabel, shape: [rows, classes])
    if let weight {
        require(weight.shape == [classes], "\(op): weight of shape \(weight.shape) for scores of shape \(scores.shape)")
        terms = terms * weight.detached.gatheringRows(labels).reshaped(to: [rows, 1])
    }
    let losses = terms.sum(along: 1) / Scalar(classes)
    return reduction.apply(unbatched ? losses.reshaped(to: []) : losses)
}
