/// The activation between the layers of a ``MultilayerPerceptron``.
public enum ActivationKind: String, Sendable, CaseIterable {
    /// The supported activations; raw values are their names, e.g. "leaky-relu".
    case relu, leakyRelu = "leaky-relu", elu, selu, gelu, silu, mish, tanh, sigmoid

    /// A fresh layer of this activation.
    public func layer<Scalar: TensorScalar>(_: Scalar.Type = Scalar.self) -> any Layer<Scalar> {
        switch self {
        case .relu: return ReLU<Scalar>()
        case .leakyRelu: return LeakyReLU<Scalar>()
        case .elu: return ELU<Scalar>()
        case .selu: return SELU<Scalar>()
        case .gelu: return GELU<Scalar>()
        case .silu: return SiLU<Scalar>()
        case .mish: return Mish<Scalar>()
        case .tanh: return Tanh<Scalar>()
        case .sigmoid: return Sigmoid<Scalar>()
        }
    }
}

/// A fully connected classifier: `Linear → activation (→ Dropout)` per hidden width, then a final
/// `Linear` to the classes. Its parameter names match the equivalent `torch.nn.Sequential`
/// (`0.weight`, `0.bias`, `2.weight`, … with dropout layers counted when present).
public enum MultilayerPerceptron {
    /// A network from `inputSize` features through the `hidden` widths to `classes` logits, weights drawn from `generator`.
    public static func make<Scalar: TensorScalar>(
        inputSize: Int, hidden: [Int], classes: Int, activation: ActivationKind = .relu, dropout: Double = 0,
        using generator: inout RandomGenerator, dropoutSeed: UInt64 = 0, as: Scalar.Type = Scalar.self
    ) -> Sequential<Scalar> {
        require(inputSize > 0 && classes > 0 && hidden.allSatisfy { $0 > 0 },
                     "MultilayerPerceptron: sizes must be positive (input \(inputSize), hidden \(hidden), classes \(classes))")
        var layers: [any Layer<Scalar>] = []
        var width = inputSize
        for (i, size) in hidden.enumerated() {
            layers.append(Linear<Scalar>(width, size, using: &generator))
            layers.append(activation.layer(Scalar.self))
            if dropout > 0 { layers.append(Dropout<Scalar>(probability: dropout, seed: dropoutSeed &+ UInt64(i))) }
            width = size
        }
        layers.append(Linear<Scalar>(width, classes, using: &generator))
        return Sequential(layers)
    }
}
