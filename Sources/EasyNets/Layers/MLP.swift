import Foundation

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

extension MultilayerPerceptron {
    /// The architecture of a multilayer perceptron as a `Codable` value: what `easynets train`
    /// records in its checkpoints so that evaluation and prediction can rebuild the model. Values
    /// read from a file are untrusted: ``problem`` tells why one cannot be built.
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

        /// The number of parameters (weights and biases), or `nil` when it overflows `Int`.
        public var parameterCount: Int? {
            var total = 0, width = inputSize
            for next in hidden + [classes] {
                let (weights, o1) = width.multipliedReportingOverflow(by: next)
                let (layer, o2) = weights.addingReportingOverflow(next)
                let (sum, o3) = total.addingReportingOverflow(layer)
                guard !o1, !o2, !o3 else { return nil }
                (total, width) = (sum, next)
            }
            return total
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
            guard let count = parameterCount else {
                return InputLimits.problem(byteCount: (0, true), what: "a model of widths \([inputSize] + hidden + [classes])")
            }
            return InputLimits.problem(byteCount: count.multipliedReportingOverflow(by: scalarSize),
                                       what: "a model of widths \([inputSize] + hidden + [classes]) (\(count) parameters)")
        }

        /// The model, its weights drawn from a generator seeded with `seed` and its dropout layers
        /// seeded from `seed + 1000`. The configuration must be valid (``problem`` is `nil`).
        public func makeModel<Scalar: TensorScalar>(seed: UInt64, as: Scalar.Type = Scalar.self) -> Sequential<Scalar> {
            if let problem = problem(scalarSize: MemoryLayout<Scalar>.size) { programmerError("MultilayerPerceptron.Configuration: \(problem)") }
            var generator = RandomGenerator(seed: seed)
            return MultilayerPerceptron.make(inputSize: inputSize, hidden: hidden, classes: classes,
                                             activation: ActivationKind(rawValue: activation)!, dropout: dropout,
                                             using: &generator, dropoutSeed: seed &+ 1000, as: Scalar.self)
        }

        /// The configuration as one line of JSON with sorted keys (byte-identical from run to run).
        public func jsonString() throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(self), as: UTF8.self)
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
