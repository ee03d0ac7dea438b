/// The worked example of the lecture note EasyNets started from: a sigmoid neuron
/// f = σ(q), q = x₀·w₀ + x₁·w₁ + b, differentiated by reverse-mode autodiff.
///
/// The note writes σ'(q) = (1 − σ)/σ; the correct derivative is σ'(q) = σ(q)(1 − σ(q)),
/// ≈ 0.196612 at q = 1, which is what ``dfdq`` and the gradients use.
public struct SigmoidNeuronExample: Sendable {
    /// The inputs x₀, x₁, the weights w₀, w₁ and the bias b.
    public let x0, x1, w0, w1, b: Double
    /// The pre-activation x₀·w₀ + x₁·w₁ + b.
    public let q: Double
    /// The output σ(q).
    public let f: Double
    /// ∂f/∂q = σ(q)(1 − σ(q)).
    public var dfdq: Double { f * (1 - f) }
    /// ∂f/∂input for every input, from ``Tensor/backward()``.
    public let gradients: (x0: Double, x1: Double, w0: Double, w1: Double, b: Double)

    /// Builds the neuron at the lecture's values (x₀ = −1, x₁ = −2, w₀ = 4, w₁ = −4, b = −3, so q = 1)
    /// or at others, and runs forward and backward.
    public init(x0: Double = -1, x1: Double = -2, w0: Double = 4, w1: Double = -4, b: Double = -3) {
        (self.x0, self.x1, self.w0, self.w1, self.b) = (x0, x1, w0, w1, b)
        func leaf(_ value: Double) -> Tensor<Double> {
            var t = Tensor(value)
            t.requiresGradient = true
            return t
        }
        let (tx0, tx1, tw0, tw1, tb) = (leaf(x0), leaf(x1), leaf(w0), leaf(w1), leaf(b))
        let tq = tx0 * tw0 + tx1 * tw1 + tb
        let tf = sigmoid(tq)
        tf.backward()
        q = tq.scalar
        f = tf.scalar
        gradients = (tx0.gradient!.scalar, tx1.gradient!.scalar, tw0.gradient!.scalar,
                     tw1.gradient!.scalar, tb.gradient!.scalar)
    }
}
