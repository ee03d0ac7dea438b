import ArgumentParser
import EasyNets

/// `easynets explain`: the lecture's sigmoid neuron, forward and backward, node by node.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk through the sigmoid-neuron example forward and backward.")

    func run() {
        func fmt(_ value: Double) -> String { String(value, style: .rounded(6)) }
        let example = SigmoidNeuronExample()
        print("""
            A sigmoid neuron: f = σ(q), q = x₀·w₀ + x₁·w₁ + b
            with x₀ = \(example.x0), x₁ = \(example.x1), w₀ = \(example.w0), w₁ = \(example.w1), b = \(example.b)

            Forward
              x₀·w₀ = \(example.x0 * example.w0)
              x₁·w₁ = \(example.x1 * example.w1)
              q     = \(example.q)
              f     = σ(q) = 1/(1 + e^−q) = \(fmt(example.f))

            Backward (chain rule, ∂f/∂f = 1)
              ∂f/∂q  = σ(q)(1 − σ(q)) = \(fmt(example.dfdq))
                       (the lecture note writes (1 − σ)/σ = \(fmt((1 - example.f) / example.f)); that is wrong)
              ∂f/∂b  = ∂f/∂q · 1   = \(fmt(example.gradients.b))
              ∂f/∂w₀ = ∂f/∂q · x₀  = \(fmt(example.gradients.w0))
              ∂f/∂x₀ = ∂f/∂q · w₀  = \(fmt(example.gradients.x0))
              ∂f/∂w₁ = ∂f/∂q · x₁  = \(fmt(example.gradients.w1))
              ∂f/∂x₁ = ∂f/∂q · w₁  = \(fmt(example.gradients.x1))

            These gradients come from EasyNets' reverse-mode autodiff (Tensor.backward()).
            """)
    }
}
