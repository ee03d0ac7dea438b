// Negative log-likelihoods of values under a Gaussian and a Poisson distribution.

/// The Gaussian negative log-likelihood of `target` under means `input` and variances `variance`,
/// as PyTorch's `gaussian_nll_loss`: ½·(log v + (input − target)²/v), plus ½·log 2π when `full`.
///
/// The variance has the input's shape, that shape without its last axis, or that shape with a
/// last axis of 1 (one variance per row, shared by its values). It is clamped to at least `eps`
/// for the loss while its gradient passes through unchanged, as in PyTorch.
public func gaussianNegativeLogLikelihood<Scalar>(
    _ input: Tensor<Scalar>, target: Tensor<Scalar>, variance: Tensor<Scalar>, full: Bool = false,
    eps: Double = 1e-6, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    let op = "gaussianNegativeLogLikelihood"
    require(target.shape == input.shape, "\(op): target of shape \(target.shape) for input of shape \(input.shape)")
    var variance = variance
    if variance.shape != input.shape {
        let rows = Array(input.shape.dropLast())
        if variance.shape == rows {
            variance = variance.reshaped(to: rows + [1])
        } else {
            require(input.rank >= 1 && variance.shape == rows + [1],
                    "\(op): variance of shape \(variance.shape) for input of shape \(input.shape); it needs the input's "
                    + "shape, that shape without its last axis, or with a last axis of 1")
        }
    }
    require(eps >= 0, "\(op): eps must not be negative, got \(eps)")
    require(!variance.scalars.contains { $0 < 0 }, "\(op): variance of shape \(variance.shape) has a negative value")
    // v − v + clamp(v): the clamped value, with the gradient of v itself.
    let clamped = variance.detached.clamped(min: Scalar(eps))
    let v = variance - variance.detached + clamped
    var losses = (log(v) + square(input - target) / v) * 0.5
    if full { losses = losses + Scalar(0.5 * Double.log(2 * Double.pi)) }
    return reduction.apply(losses)
}

/// The Poisson negative log-likelihood of counts `target` under rates given by `input`, as
/// PyTorch's `poisson_nll_loss`: e^x − y·x when `logInput` (x = log rate), x − y·log(x + eps)
/// otherwise; `full` adds Stirling's approximation of log y!, y·log y − y + ½·log 2πy, where y > 1.
public func poissonNegativeLogLikelihood<Scalar>(
    _ input: Tensor<Scalar>, target: Tensor<Scalar>, logInput: Bool = true, full: Bool = false,
    eps: Double = 1e-8, reduction: LossReduction = .mean
) -> Tensor<Scalar> {
    require(target.shape == input.shape,
            "poissonNegativeLogLikelihood: target of shape \(target.shape) for input of shape \(input.shape)")
    let y = target.detached
    var losses = logInput ? exp(input) - y * input : input - y * log(input + Scalar(eps))
    if full {
        let stirling = y.scalars.map { y -> Scalar in
            y > 1 ? y * Scalar.log(y) - y + Scalar.log(2 * Scalar.pi * y) / 2 : 0
        }
        losses = losses + Tensor(stirling, shape: y.shape)
    }
    return reduction.apply(losses)
}
