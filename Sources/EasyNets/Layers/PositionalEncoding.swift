import RealModule

/// Adds the fixed sinusoidal position code of "Attention Is All You Need" to (N, L, E) input (or
/// (L, N, E) without `batchFirst`): position p, feature 2i gets sin(p / 10000^(2i/E)), feature
/// 2i + 1 gets cos of the same. No parameters.
public final class SinusoidalPositionalEncoding<Scalar: TensorScalar>: Layer {
    /// The feature count E.
    public let dimension: Int
    /// Whether the input puts the batch axis first.
    public let batchFirst: Bool
    public var isTraining = true

    /// The code for `dimension` features.
    public init(dimension: Int, batchFirst: Bool = true) {
        SinusoidalPositionalEncodingDescription(dimension: dimension, batchFirst: batchFirst).requireValid()
        (self.dimension, self.batchFirst) = (dimension, batchFirst)
    }

    /// The code of positions 0 ..< `length`: (length, E).
    public func code(length: Int) -> Tensor<Scalar> { code(positions: 0..<length) }

    /// The code of `positions`: (positions.count, E).
    public func code(positions: Range<Int>) -> Tensor<Scalar> {
        Tensor(positions.flatMap { position in
            (0..<dimension).map { feature in
                let angle = Double(position) / Double.pow(10000, Double(feature - feature % 2) / Double(dimension))
                return Scalar(feature % 2 == 0 ? Double.sin(angle) : Double.cos(angle))
            }
        }, shape: [positions.count, dimension])
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        require(input.rank == 3 && input.shape[2] == dimension,
                "SinusoidalPositionalEncoding: input shape \(input.shape) is not \(batchFirst ? "(N, L" : "(L, N"), \(dimension))")
        let code = code(length: input.shape[batchFirst ? 1 : 0])
        return input + (batchFirst ? code : code.unsqueezed(axis: 1))
    }

    public var layerDescription: ModelDescription? { .layer(SinusoidalPositionalEncodingDescription(dimension: dimension, batchFirst: batchFirst)) }
}

/// Adds a learned embedding of each position to (N, L, E) input (or (L, N, E) without
/// `batchFirst`): a (maximumLength, E) table, drawn from N(0, 1) as ``Embedding``'s.
public final class LearnedPositionalEmbedding<Scalar: TensorScalar>: Layer {
    /// The table, one row per position: (maximumLength, E).
    public let weight: Parameter<Scalar>
    /// Whether the input puts the batch axis first.
    public let batchFirst: Bool
    public var isTraining = true

    /// A table for sequences of up to `maximumLength` positions of `dimension` features.
    public init(maximumLength: Int, dimension: Int, batchFirst: Bool = true, using source: inout RandomGenerator) {
        LearnedPositionalEmbeddingDescription(maximumLength: maximumLength, dimension: dimension, batchFirst: batchFirst).requireValid()
        weight = Parameter(.normal([maximumLength, dimension], using: &source))
        self.batchFirst = batchFirst
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let (maximumLength, dimension) = (weight.shape[0], weight.shape[1])
        require(input.rank == 3 && input.shape[2] == dimension && input.shape[batchFirst ? 1 : 0] <= maximumLength,
                "LearnedPositionalEmbedding: input shape \(input.shape) is not \(batchFirst ? "(N, L" : "(L, N"), \(dimension)) "
                + "with L ≤ \(maximumLength)")
        let code = weight.value.sliced(along: 0, 0..<input.shape[batchFirst ? 1 : 0])
        return input + (batchFirst ? code : code.unsqueezed(axis: 1))
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }

    public var layerDescription: ModelDescription? {
        .layer(LearnedPositionalEmbeddingDescription(maximumLength: weight.shape[0], dimension: weight.shape[1], batchFirst: batchFirst))
    }
}

/// The description of a ``SinusoidalPositionalEncoding`` layer.
public struct SinusoidalPositionalEncodingDescription: LayerDescription {
    public static let kind = "sinusoidalPositionalEncoding"
    public static let defaultFields = #"{"batchFirst":false}"#
    /// The feature count E, at least 1.
    public var dimension: Int
    /// Whether the input puts the batch axis first.
    public var batchFirst: Bool
    /// A description of the code for `dimension` features.
    public init(dimension: Int, batchFirst: Bool = true) { (self.dimension, self.batchFirst) = (dimension, batchFirst) }
    public func problem() -> String? {
        dimension < 1 ? "SinusoidalPositionalEncoding's dimension must be at least 1, got \(dimension)" : nil
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 3 && shape[2] == dimension else {
            throw inference.error("SinusoidalPositionalEncoding takes (…, …, \(dimension)), the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        SinusoidalPositionalEncoding<Scalar>(dimension: dimension, batchFirst: batchFirst)
    }
}

extension ModelDescription {
    /// A ``SinusoidalPositionalEncoding`` layer.
    public static func sinusoidalPositionalEncoding(dimension: Int, batchFirst: Bool = true) -> ModelDescription {
        .layer(SinusoidalPositionalEncodingDescription(dimension: dimension, batchFirst: batchFirst))
    }
}

/// The description of a ``LearnedPositionalEmbedding`` layer.
public struct LearnedPositionalEmbeddingDescription: LayerDescription {
    public static let kind = "learnedPositionalEmbedding"
    public static let defaultFields = #"{"batchFirst":false}"#
    /// The longest sequence, at least 1.
    public var maximumLength: Int
    /// The feature count E, at least 1.
    public var dimension: Int
    /// Whether the input puts the batch axis first.
    public var batchFirst: Bool
    /// A description of a table for up to `maximumLength` positions of `dimension` features.
    public init(maximumLength: Int, dimension: Int, batchFirst: Bool = true) {
        (self.maximumLength, self.dimension, self.batchFirst) = (maximumLength, dimension, batchFirst)
    }
    public func problem() -> String? {
        maximumLength < 1 || dimension < 1
            ? "LearnedPositionalEmbedding's sizes must be at least 1, got \(maximumLength) × \(dimension)" : nil
    }
    public var stateCount: Int? { CheckedCount.product(maximumLength, dimension) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 3 && shape[2] == dimension && shape[batchFirst ? 1 : 0] <= maximumLength else {
            throw inference.error("LearnedPositionalEmbedding takes \(batchFirst ? "(N, L" : "(L, N"), \(dimension)) with L ≤ \(maximumLength), "
                                  + "the input has shape \(shape)")
        }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        LearnedPositionalEmbedding<Scalar>(maximumLength: maximumLength, dimension: dimension, batchFirst: batchFirst,
                                           using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``LearnedPositionalEmbedding`` layer.
    public static func learnedPositionalEmbedding(maximumLength: Int, dimension: Int, batchFirst: Bool = true) -> ModelDescription {
        .layer(LearnedPositionalEmbeddingDescription(maximumLength: maximumLength, dimension: dimension, batchFirst: batchFirst))
    }
}
