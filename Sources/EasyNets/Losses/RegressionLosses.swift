/// Mean squared error: (prediction − target)².
public func meanSquaredError<Scalar>(
    _ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(prediction, target, "meanSquaredError")
    return reduction.apply(square(prediction - target))
}

/// Mean absolute error: |prediction − target| (gradient 0 where they are equal, as in PyTorch).
public func l1Loss<Scalar>(
    _ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(prediction, target, "l1Loss")
    return reduction.apply(abs(prediction - target))
}

/// Huber loss: ½d² where |d| < δ, δ(|d| − ½δ) elsewhere, with d = prediction − target.
public func huberLoss<Scalar>(
    _ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, delta: Scalar = 1, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(prediction, target, "huberLoss")
    require(delta > 0, "huberLoss: delta must be positive, got \(delta)")
    let d = prediction - target
    let absolute = abs(d)
    let quadratic = square(d) * 0.5
    let linear = (absolute - delta * 0.5) * delta
    return reduction.apply(Tensor.select(where: (absolute .< delta), quadratic, else: linear))
}

/// Smooth L1 loss: ½d²/β where |d| < β, |d| − ½β elsewhere (Huber loss divided by β).
public func smoothL1Loss<Scalar>(
    _ prediction: Tensor<Scalar>, _ target: Tensor<Scalar>, beta: Scalar = 1, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(prediction, target, "smoothL1Loss")
    require(beta > 0, "smoothL1Loss: beta must be positive, got \(beta)")
    return reduction.apply(huberLoss(prediction, target, delta: beta, reduction: .none) / beta)
}
