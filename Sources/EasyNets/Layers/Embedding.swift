/// A lookup table: each integer index in the input selects a row of `weight: (count, dimension)`,
/// giving output shape `input.shape + [dimension]`. Initialized from N(0, 1) as in PyTorch.
///
/// Indices arrive as a tensor of whole numbers (e.g. token ids stored as `Float`).
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

    private init(weight: Tensor<Scalar>) { self.weight = Parameter(weight) }

    public func callAsFunction(_ indices: Tensor<Scalar>) -> Tensor<Scalar> {
        let count = weight.shape[0]
        let rows = indices.scalars.map { value -> Int in
            let index = Int(exactly: value)
            require(index != nil && index! >= 0 && index! < count,
                         "Embedding: index \(value) is not a whole number in 0..<\(count)")
            return index!
        }
        return weight.value.gatheringRows(rows).reshaped(to: indices.shape + [weight.shape[1]])
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }
}
