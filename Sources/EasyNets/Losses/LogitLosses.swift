// Losses on logits against soft or multi-label targets: binary cross-entropy with positive
// weights, cross-entropy against class probabilities, and the multi-label soft margin.

/// Binary cross-entropy on logits as PyTorch's `binary_cross_entropy_with_logits`, stable for any
/// finite logit: −w·(p·y·log σ(x) + (1 − y)·log σ(−x)).
///
/// - Parameters:
///   - logits: any shape.
///   - target: the logits' shape, values in [0, 1].
///   - weight: a per-element weight that broadcasts to the logits' shape.
///   - positiveWeight: p, the weight of the positive term, broadcast over the last axis (one per
///     class of a multi-label output, shape `(C)`), as PyTorch's `pos_weight`.
///   - reduction: how the per-element losses combine.
public func binaryCrossEntropy<Scalar>(
    logits: Tensor<Scalar>, _ target: Tensor<Scalar>, weight: Tensor<Scalar>? = nil,
    positiveWeight: Tensor<Scalar>? = nil, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(logits, target, "binaryCrossEntropy(logits:)")
    let positive = target * logSigmoid(logits)
    var losses: Tensor<Scalar>
    if let positiveWeight {
        checkBroadcasts(positiveWeight.shape, to: logits.shape, "binaryCrossEntropy(logits:)", "positiveWeight", targetName: "logits")
        losses = -(positive * positiveWeight + (1 - target) * logSigmoid(-logits))
    } else {
        losses = -(positive + (1 - target) * logSigmoid(-logits))
    }
    if let weight {
        checkBroadcasts(weight.shape, to: logits.shape, "binaryCrossEntropy(logits:)", "weight", targetName: "logits")
        losses = losses * weight
    }
    return reduction.apply(losses)
}

/// Cross-entropy between logits `(N, C, d₁, …)` and class probabilities of the same shape, as
/// PyTorch's `cross_entropy` with floating-point targets (class axis 1):
/// loss = −Σ_c w_c·q_c·log softmax(x)_c with q = (1 − ε)·target + ε/C. `.none` gives the losses of
/// shape `(N, d₁, …)`; `.mean` averages them (not normalized by the weights, as PyTorch).
public func crossEntropy<Scalar>(
    logits: Tensor<Scalar>, probabilities: Tensor<Scalar>, classWeights: Tensor<Scalar>? = nil,
    labelSmoothing: Double = 0, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "crossEntropy(logits:probabilities:)"
    require(logits.rank >= 2, "\(op): logits must be (N, C) or (N, C, d…), shape is \(logits.shape)")
    require(probabilities.shape == logits.shape,
            "\(op): probabilities of shape \(probabilities.shape) for logits of shape \(logits.shape)")
    require(labelSmoothing >= 0 && labelSmoothing <= 1, "\(op): labelSmoothing must be in [0, 1], got \(labelSmoothing)")
    let classes = logits.shape[1]
    let classShape = [1, classes] + [Int](repeating: 1, count: logits.rank - 2)
    var target = probabilities
    if labelSmoothing > 0 {
        let epsilon = Scalar(labelSmoothing)
        target = target * (1 - epsilon) + epsilon / Scalar(classes)
    }
    var terms = logSoftmax(logits, along: 1) * target
    if let classWeights {
        require(classWeights.shape == [classes], "\(op): class weights shape \(classWeights.shape) is not [\(classes)]")
        terms = terms * classWeights.reshaped(to: classShape)
    }
    return reduction.apply(-terms.sum(along: 1))
}

/// The multi-label soft margin loss of scores `(N, C)` against 0/1 targets of that shape, as
/// PyTorch's `multilabel_soft_margin_loss`: per row −(1/C)·Σ_c w_c·(y_c·log σ(x_c) + (1 − y_c)·log σ(−x_c)),
/// one loss per row under `.none`.
public func multiLabelSoftMarginLoss<Scalar>(
    _ scores: Tensor<Scalar>, target: Tensor<Scalar>, weight: Tensor<Scalar>? = nil, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "multiLabelSoftMarginLoss"
    require(scores.rank == 2, "\(op): scores must be (N, C), shape is \(scores.shape)")
    require(target.shape == scores.shape, "\(op): target of shape \(target.shape) for scores of shape \(scores.shape)")
    var losses = -(target * logSigmoid(scores) + (1 - target) * logSigmoid(-scores))
    if let weight {
        checkBroadcasts(weight.shape, to: scores.shape, op, "weight", targetName: "scores")
        losses = losses * weight
    }
    return reduction.apply(losses.mean(along: 1))
}
