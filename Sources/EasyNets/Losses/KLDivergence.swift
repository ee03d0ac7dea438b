/// KL divergence as PyTorch's `kl_div`: `input` holds log-probabilities; `target` holds
/// probabilities (elementwise target·(log target − input), 0 where target = 0), or with
/// `logTarget` log-probabilities (elementwise e^target·(target − input)).
/// `.mean` averages over all elements; use ``KLReduction/batchMean`` for the mathematical KL.
public func klDivergence<Scalar>(
    _ input: Tensor<Scalar>, _ target: Tensor<Scalar>, logTarget: Bool = false, reduction: KLReduction = .mean
) -> Tensor<Scalar> {
    checkSameShape(input, target, "klDivergence")
    let losses: Tensor<Scalar>
    if logTarget {
        losses = exp(target) * (target - input)
    } else {
        let positive = target .> 0
        // xlogy: target·log(target) with 0·log 0 = 0.
        let safeTarget = Tensor.select(where: positive, target, else: Tensor.ones(target.shape))
        losses = target * log(safeTarget) - target * input
    }
    switch reduction {
    case .mean: return losses.mean()
    case .sum: return losses.sum()
    case .none: return losses
    case .batchMean: return losses.sum() / Scalar(Swift.max(input.shape.first ?? 1, 1))
    }
}

/// Reductions for ``klDivergence(_:_:logTarget:reduction:)``; `batchMean` divides the sum by the batch size.
public enum KLReduction: Sendable { case mean, sum, none, batchMean }
