import Foundation
import Testing
import EasyNets

@Suite("The sigmoid neuron example")
struct SigmoidNeuronDocumentationTests {
    /// The printed values, the article's comment and its gradient table, against the closed form.
    @Test func sigmoidNeuron() throws {
        // Documentation block: SigmoidNeuron.md #1
        func leaf(_ v: Double) -> Tensor<Double> { var t = Tensor(v); t.requiresGradient = true; return t }
        let (x0, x1, w0, w1, b) = (leaf(-1), leaf(-2), leaf(4), leaf(-4), leaf(-3))
        let f = sigmoid(x0 * w0 + x1 * w1 + b)
        f.backward()
        print(f.scalar, b.gradient!.scalar, w0.gradient!.scalar)   // 0.7310585786300049 0.19661193324148185 -0.19661193324148185

        // Closed form at q = 1: σ(1) = 1/(1 + e⁻¹), σ'(1) = σ(1)(1 − σ(1)).
        let s = 1 / (1 + Foundation.exp(-1.0)), ds = s * (1 - s)
        #expect(f.scalar == s)
        #expect(b.gradient!.scalar == ds)
        #expect(w0.gradient!.scalar == ds * -1)
        expectClose(x0.gradient!.scalar, ds * 4, tolerance: 1e-15)
        expectClose(w1.gradient!.scalar, ds * -2, tolerance: 1e-15)
        expectClose(x1.gradient!.scalar, ds * -4, tolerance: 1e-15)

        // The article's comment shows exactly what its `print` writes.
        let text = try documentationText("SigmoidNeuron.md")
        let printed = "\(f.scalar) \(b.gradient!.scalar) \(w0.gradient!.scalar)"
        let printLine = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("print(f.scalar") })
        let comment = try #require(printLine.components(separatedBy: "// ").last)
        #expect(comment.trimmingCharacters(in: .whitespaces) == printed)

        // The table's six-digit values.
        let table: [(String, Double)] = [
            ("∂f/∂b ", b.gradient!.scalar), ("∂f/∂w₀", w0.gradient!.scalar), ("∂f/∂x₀", x0.gradient!.scalar),
            ("∂f/∂w₁", w1.gradient!.scalar), ("∂f/∂x₁", x1.gradient!.scalar),
        ]
        for (name, value) in table {
            let row = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("| \(name)") }, "\(name)")
            let cell = row.split(separator: "|").last!.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "−", with: "-")
            #expect(cell == String(format: "%.6f", value), "\(name)")
        }
        #expect(text.contains("f = σ(1) ≈ \(String(format: "%.6f", s))"))
        // The note's wrong formula (1 − σ)/σ gives e⁻¹ at q = 1, as the article says.
        #expect(text.contains("gives \(String(format: "%.6f", (1 - s) / s))"))

        // The library's plain walk-through agrees with autodiff.
        let example = SigmoidNeuronExample()
        expectClose(example.f, f.scalar, tolerance: 1e-15)
        expectClose(example.gradients.w1, w1.gradient!.scalar, tolerance: 1e-15)
        expectClose(example.gradients.x1, x1.gradient!.scalar, tolerance: 1e-15)
    }
}
