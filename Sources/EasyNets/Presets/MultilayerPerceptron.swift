import Foundation

/// The activation between the layers of a ``MultilayerPerceptron``.
public enum ActivationKind: String, Sendable, CaseIterable {
    /// The supported activations; raw values are their names, e.g. "leaky-relu".
    case relu, leakyRelu = "leaky-relu", elu, selu, gelu, silu, mish, tanh, sigmoid

    /// The activation's description, with PyTorch's default parameters.
    public var modelDescription: ModelDescription {
        switch self {
        case .relu: return .relu
        case .leakyRelu: return .leakyRelu(negativeSlope: 0.01)
        case .elu: return .elu(alpha: 1)
        case .selu: return .selu
        case .gelu: return .gelu(tanhApproximation: false)
        case .silu: return .silu
        case .mish: return .mish
        case .tanh: return .tanh
        case .sigmoid: return .sigmoid
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
        let configuration = Configuration(inputSize: inputSize, hidden: hidden, classes: classes, activation: activation.rawValue,
                                          dropout: dropout)
        if let problem = configuration.problem(scalarSize: MemoryLayout<Scalar>.size) { programmerError("MultilayerPerceptron: \(problem)") }
        var seed = dropoutSeed
        return configuration.modelDescription.makeSequential(as: Scalar.self, using: &generator, dropoutSeed: &seed)
    }
}

extension MultilayerPerceptron {
    /// The shape of a multilayer perceptron: the `mlp` preset of `easynets train`, and the model
    /// record of checkpoints from versions before ``ModelDescription`` (which still load). Its
    /// ``modelDescription`` is the model. Values read from a file are untrusted:
    /// ``problem(scalarSize:)`` tells why one cannot be built.
    public struct Configuration: Codable, Equatable, Sendable {
        /// The number of input features.
        public var inputSize: Int
        /// The hidden layer widths.
        public var hidden: [Int]
        /// The number of classes (output logits).
        public var classes: Int
        /// The activation's name, an ``ActivationKind`` raw value such as "relu".
        public var activation: String
        /// The dropout probability after each hidden activation (0 for none).
        public var dropout: Double

        /// A configuration of `inputSize` features through the `hidden` widths to `classes` logits.
        public init(inputSize: Int, hidden: [Int], classes: Int, activation: String = "relu", dropout: Double = 0) {
            (self.inputSize, self.hidden, self.classes, self.activation, self.dropout) = (inputSize, hidden, classes, activation, dropout)
        }

        /// Why this configuration cannot be built, or `nil` when it can: a size below 1, an unknown
        /// activation, a dropout probability outside [0, 1), or parameters of `scalarSize` bytes
        /// each beyond ``InputLimits/maximumBytes``.
        public func problem(scalarSize: Int = MemoryLayout<Float>.size) -> String? {
            if inputSize < 1 || classes < 1 || hidden.contains(where: { $0 < 1 }) {
                return "sizes must be at least 1 (input \(inputSize), hidden \(hidden), classes \(classes))"
            }
            if ActivationKind(rawValue: activation) == nil {
                return "unknown activation \"\(activation)\" (known: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")))"
            }
            if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is outside [0, 1)" }
            return modelDescription.problem(scalarSize: scalarSize)  // the size against the limit
        }

        /// The model's description: `Linear → activation (→ Dropout)` per hidden width, then a
        /// `Linear` to the classes. The configuration must be valid (``problem(scalarSize:)`` is `nil`).
        public var modelDescription: ModelDescription {
            let kind = ActivationKind(rawValue: activation) ?? .relu
            var layers: [ModelDescription] = []
            var width = inputSize
            for size in hidden {
                layers.append(.linear(inputSize: width, outputSize: size, bias: true))
                layers.append(kind.modelDescription)
                if dropout > 0 { layers.append(.dropout(probability: dropout)) }
                width = size
            }
            layers.append(.linear(inputSize: width, outputSize: classes, bias: true))
            return .sequential(layers: layers)
        }

        /// Decodes and validates a configuration from JSON; `path` names the source in errors.
        public init(json: String, path: String) throws {
            do {
                self = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8))
            } catch {
                throw CheckpointError(path: path, reason: "the model description is not valid JSON of an MLP configuration")
            }
            if let problem = problem() { throw CheckpointError(path: path, reason: "the model description is invalid: \(problem)") }
        }
    }
}
