/// The result of ``checkGradients(of:at:epsilon:seed:)``.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The largest |analytic − numeric| over every element of every input.
    public var maxAbsoluteError: Double
    /// The largest |analytic − numeric| / max(|analytic|, |numeric|), over elements where that
    /// denominator exceeds 1e-6 (below it the absolute error is what matters).
    public var maxRelativeError: Double

    public var description: String {
        "GradientCheckResult(maxAbsoluteError: \(maxAbsoluteError), maxRelativeError: \(maxRelativeError))"
    }
}

/// Compares reverse-mode gradients of `function` with central finite differences, in `Double`.
///
/// The output is contracted with a fixed random weight tensor `r` (L = Σ r ⊙ f(inputs)), so every
/// output element is checked (a plain sum would hide gradients that sum to zero, as softmax's do).
/// Each input element `x` is perturbed to `x ± epsilon` and ∂L/∂x ≈ (L₊ − L₋) / 2·epsilon is compared
/// with the gradient from ``Tensor/backward()``.
///
/// - Parameters:
///   - function: the computation; it receives tensors that require gradients.
///   - inputs: the point to check at (avoid kinks such as 0 for `relu` and `abs`).
///   - epsilon: the finite-difference step.
///   - seed: seeds the random output weights.
public func checkGradients(
    of function: ([Tensor<Double>]) -> Tensor<Double>, at inputs: [Tensor<Double>],
    epsilon: Double = 1e-5, seed: UInt64 = 0x5EED
) -> GradientCheckResult {
    let leaves = inputs.map { input -> Tensor<Double> in
        var leaf = input.detached
        leaf.requiresGradient = true
        return leaf
    }
    let output = function(leaves)
    var generator = RandomGenerator(seed: seed)
    let weights = Tensor<Double>.uniform(output.shape, low: 0.5, high: 1.5, using: &generator)
    (output * weights).sum().backward()

    func loss(_ point: [Tensor<Double>]) -> Double {
        withoutGradients { (function(point) * weights).sum().scalar }
    }

    var result = GradientCheckResult(maxAbsoluteError: 0, maxRelativeError: 0)
    for (i, input) in inputs.enumerated() {
        let analytic = leaves[i].gradient?.scalars ?? [Double](repeating: 0, count: input.count)
        var point = inputs.map(\.detached)
        for j in 0..<input.count {
            let original = point[i].withUnsafeBufferPointer { $0[j] }
            point[i].withUnsafeMutableBufferPointer { $0[j] = original + epsilon }
            let plus = loss(point)
            point[i].withUnsafeMutableBufferPointer { $0[j] = original - epsilon }
            let minus = loss(point)
            point[i].withUnsafeMutableBufferPointer { $0[j] = original }
            let numeric = (plus - minus) / (2 * epsilon)
            let absolute = Swift.abs(analytic[j] - numeric)
            result.maxAbsoluteError = Swift.max(result.maxAbsoluteError, absolute)
            let scale = Swift.max(Swift.abs(analytic[j]), Swift.abs(numeric))
            if scale > 1e-6 { result.maxRelativeError = Swift.max(result.maxRelativeError, absolute / scale) }
            if absolute.isNaN { result.maxAbsoluteError = .nan; result.maxRelativeError = .nan }
        }
    }
    return result
}
