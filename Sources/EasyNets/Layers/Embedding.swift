/// A lookup table: each integer index in the input selects a row of `weight: (count, dimension)`,
/// giving output shape `input.shape + [dimension]`. Initialized from N(0, 1) as in PyTorch.
///
/// Indices arrive as an ``IndexTensor`` (exact at any size) or as a tensor of whole numbers.
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// The table, one row per index: (count, dimension).
    public let weight: Parameter<Scalar>  // (count, dimension)
    public var isTraining = true

    /// A table of `count` rows of size `dimension`, drawn from N(0, 1) with `generator`.
    public convenience init(_ count: Int, _ dimension: Int, using generator: inout RandomGenerator) {
        self.init(weight: Tensor.normal([count, dimension], using: &generator))
    }

    /// A table drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ count: Int, _ dimension: Int) {
        // Drawn while holding the shared generator, so layers built concurrently never share draws.
        self.init(weight: RandomGenerator.withShared { Tensor.normal([count, dimension], using: &$0) })
    }

    private init(weight: Tensor<Scalar>) {
        EmbeddingDescription(count: weight.shape[0], dimension: weight.shape[1]).requireValid()
        self.weight = Parameter(weight)
    }

    /// The rows of `indices`, given as whole numbers in a tensor (the ``Layer`` entry point, so an
    /// embedding can open a ``Sequential``).
    public func callAsFunction(_ indices: Tensor<Scalar>) -> Tensor<Scalar> {
        self(IndexTensor(indices.scalars.map { value -> Int in
            guard let index = Int(exactly: value) else {
                programmerError("Embedding: index \(value) is not a whole number in 0..<\(weight.shape[0])")
            }
            return index
        }, shape: indices.shape))
    }

    /// The rows of `indices` (e.g. token ids, exact at any size): output `indices.shape + [dimension]`.
    public func callAsFunction(_ indices: IndexTensor) -> Tensor<Scalar> {
        let count = weight.shape[0]
        for index in indices.values where index < 0 || index >= count {
            programmerError("Embedding: index \(index) is out of range 0..<\(count) (a table of \(count) rows)")
        }
        return weight.value.gatheringRows(indices.values).reshaped(to: indices.shape + [weight.shape[1]])
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }
}

extension Embedding {
    public var layerDescription: ModelDescription? { .layer(EmbeddingDescription(count: weight.shape[0], dimension: weight.shape[1])) }
}

/// The description of an ``Embedding`` layer. It must be a model's first layer: it takes row
/// indices, which no layer computes.
public struct EmbeddingDescription: LayerDescription {
    public static let kind = "embedding"
    /// The number of rows (indices 0..<count).
    public var count: Int
    /// The size of each row.
    public var dimension: Int
    /// A description of a table of `count` rows of size `dimension`.
    public init(count: Int, dimension: Int) { (self.count, self.dimension) = (count, dimension) }
    public func problem() -> String? {
        count < 1 || dimension < 1 ? "Embedding sizes must be at least 1, got \(count) × \(dimension)" : nil
    }
    public var stateCount: Int? { CheckedCount.product(count, dimension) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard inference.isModelInput else { throw inference.error("an embedding takes row indices, which no layer computes: it must come first") }
        return shape + [dimension]
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Embedding<Scalar>(count, dimension, using: &context.generator)
    }
}

extension ModelDescription {
    /// An ``Embedding`` layer.
    public static func embedding(count: Int, dimension: Int) -> ModelDescription { .layer(EmbeddingDescription(count: count, dimension: dimension)) }
}
