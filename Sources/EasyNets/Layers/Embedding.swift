/// A lookup table: each integer index in the input selects a row of `weight: (count, dimension)`,
/// giving output shape `input.shape + [dimension]`. Initialized from N(0, 1) as in PyTorch.
///
/// Indices arrive as a tensor of whole numbers (e.g. token ids stored as `Float`).
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// The table, one row per index: (count, dimension).
    public let weight: Parameter<Scalar>  // (count, dimension)
    public var isTraining = true

    /// A table of `count` rows of size `dimension`, drawn from N(0, 1) with `generator`.
    public init(_ count: Int, _ dimension: Int, using generator: inout RandomGenerator) {
        weight = Parameter(Tensor.normal([count, dimension], using: &generator))
    }

    /// A table drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ count: Int, _ dimension: Int) {
        var generator = RandomGenerator.sharedState
        self.init(count, dimension, using: &generator)
        RandomGenerator.sharedState = generator
    }

    public func callAsFunction(_ indices: Tensor<Scalar>) -> Tensor<Scalar> {
        let count = weight.shape[0]
        let rows = indices.scalars.map { value -> Int in
            let index = Int(exactly: value)
            precondition(index != nil && index! >= 0 && index! < count,
                         "Embedding: index \(value) is not a whole number in 0..<\(count)")
            return index!
        }
        return weight.value.gatheringRows(rows).reshaped(to: indices.shape + [weight.shape[1]])
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }
}
