/// A lookup table: each integer index in the input selects a row of `weight: (count, dimension)`,
/// giving output shape `input.shape + [dimension]`. Initialized from N(0, 1) as in PyTorch.
///
/// Indices arrive as an ``IndexTensor`` (exact at any size) or as a tensor of whole numbers.
/// As PyTorch's `nn.Embedding`: the row at `paddingIndex` starts as zeros and gets no gradient (it
/// stays what it is while training); with `maxNorm`, each forward pass first rescales, in place
/// and without recording gradients, every looked-up row whose `normType`-norm exceeds `maxNorm` to
/// norm `maxNorm` (the factor `maxNorm / (norm + 1e-7)`, PyTorch's `embedding_renorm_`).
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// The table, one row per index: (count, dimension).
    public let weight: Parameter<Scalar>  // (count, dimension)
    /// The row that starts as zeros and gets no gradient (in 0..<count), or `nil`.
    public let paddingIndex: Int?
    /// The largest norm a looked-up row keeps, or `nil` to leave rows as they are.
    public let maxNorm: Double?
    /// The p of the p-norm ``maxNorm`` bounds (2 by default; `.infinity` for the largest magnitude).
    public let normType: Double
    public var isTraining = true

    /// A table of `count` rows of size `dimension`, drawn from N(0, 1) with `generator`, the row
    /// at `paddingIndex` (negative counts from the end) then zeroed.
    public convenience init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, maxNorm: Double? = nil, normType: Double = 2,
                            using generator: inout RandomGenerator) {
        self.init(weight: Tensor.normal([count, dimension], using: &generator), paddingIndex: paddingIndex, maxNorm: maxNorm,
                  normType: normType)
    }

    /// A table drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, maxNorm: Double? = nil, normType: Double = 2) {
        // Drawn while holding the shared generator, so layers built concurrently never share draws.
        self.init(weight: RandomGenerator.withShared { Tensor.normal([count, dimension], using: &$0) }, paddingIndex: paddingIndex,
                  maxNorm: maxNorm, normType: normType)
    }

    private init(weight: Tensor<Scalar>, paddingIndex: Int?, maxNorm: Double?, normType: Double) {
        EmbeddingDescription(count: weight.shape[0], dimension: weight.shape[1], paddingIndex: paddingIndex, maxNorm: maxNorm,
                             normType: normType).requireValid()
        let count = weight.shape[0]
        self.paddingIndex = paddingIndex.map { $0 < 0 ? $0 + count : $0 }
        (self.maxNorm, self.normType) = (maxNorm, normType)
        self.weight = Parameter(weight)
        if let row = self.paddingIndex {
            self.weight.value.withUnsafeMutableBufferPointer { table in
                zeroFill(table.baseAddress! + row * weight.shape[1], count: weight.shape[1])
            }
        }
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
        if let maxNorm { withoutGradients { renormalizeRows(Set(indices.values), maxNorm: maxNorm) } }
        return weight.value.gatheringRows(indices.values, skippingGradientOf: paddingIndex).reshaped(to: indices.shape + [weight.shape[1]])
    }

    /// Scales each of `rows` whose norm exceeds `maxNorm` by `maxNorm / (norm + 1e-7)`, in place.
    private func renormalizeRows(_ rows: Set<Int>, maxNorm: Double) {
        let dimension = weight.shape[1], p = normType
        weight.value.withUnsafeMutableBufferPointer { table in
            for row in rows.sorted() {
                let values = UnsafeMutableBufferPointer(rebasing: table[(row * dimension)..<((row + 1) * dimension)])
                let norm: Double
                if p == .infinity {
                    norm = values.reduce(0) { Swift.max($0, abs(Double($1))) }
                } else if p == 2 {
                    norm = values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                } else {
                    norm = Double.pow(values.reduce(0) { $0 + Double.pow(abs(Double($1)), p) }, 1 / p)
                }
                guard norm > maxNorm else { continue }
                let scale = Scalar(maxNorm / (norm + 1e-7))
                for i in values.indices { values[i] *= scale }
            }
        }
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [("weight", weight)] }
}

extension Embedding {
    public var layerDescription: ModelDescription? {
        .layer(EmbeddingDescription(count: weight.shape[0], dimension: weight.shape[1], paddingIndex: paddingIndex, maxNorm: maxNorm,
                                    normType: normType))
    }
}

/// The description of an ``Embedding`` layer. It must be a model's first layer: it takes row
/// indices, which no layer computes.
///
/// As JSON, `paddingIndex` and `maxNorm` appear only when set and `normType` only when it is not 2
/// (`"inf"` for infinity), so files without them read as PyTorch's defaults.
public struct EmbeddingDescription: LayerDescription {
    public static let kind = "embedding"
    public static let defaultFields = #"{"paddingIndex":null,"maxNorm":null,"normType":2}"#
    /// The number of rows (indices 0..<count).
    public var count: Int
    /// The size of each row.
    public var dimension: Int
    /// The row that starts as zeros and gets no gradient, in -count..<count (negative counts from
    /// the end), or `nil`.
    public var paddingIndex: Int?
    /// The largest norm a looked-up row keeps (finite and ≥ 0), or `nil`.
    public var maxNorm: Double?
    /// The p of the norm `maxNorm` bounds: > 0, infinity allowed.
    public var normType: Double
    /// A description of a table of `count` rows of size `dimension`.
    public init(count: Int, dimension: Int, paddingIndex: Int? = nil, maxNorm: Double? = nil, normType: Double = 2) {
        (self.count, self.dimension, self.paddingIndex, self.maxNorm, self.normType) = (count, dimension, paddingIndex, maxNorm, normType)
    }
    private enum CodingKeys: String, CodingKey { case count, dimension, paddingIndex, maxNorm, normType }
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: CodingKeys.self)
        count = try keys.decode(Int.self, forKey: .count)
        dimension = try keys.decode(Int.self, forKey: .dimension)
        paddingIndex = try keys.decodeIfPresent(Int.self, forKey: .paddingIndex)
        maxNorm = try keys.decodeIfPresent(Double.self, forKey: .maxNorm)
        if !keys.contains(.normType) {
            normType = 2
        } else if let p = try? keys.decode(Double.self, forKey: .normType) {
            normType = p
        } else {
            guard try keys.decode(String.self, forKey: .normType) == "inf" else {
                throw DecodingError.dataCorruptedError(forKey: .normType, in: keys, debugDescription: "normType is a number or \"inf\"")
            }
            normType = .infinity
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var keys = encoder.container(keyedBy: CodingKeys.self)
        try keys.encode(count, forKey: .count)
        try keys.encode(dimension, forKey: .dimension)
        try keys.encodeIfPresent(paddingIndex, forKey: .paddingIndex)
        try keys.encodeIfPresent(maxNorm, forKey: .maxNorm)
        if normType == .infinity {
            try keys.encode("inf", forKey: .normType)
        } else if normType != 2 {
            try keys.encode(normType, forKey: .normType)
        }
    }
    public func problem() -> String? {
        if count < 1 || dimension < 1 { return "Embedding sizes must be at least 1, got \(count) × \(dimension)" }
        if let paddingIndex, !(-count..<count).contains(paddingIndex) {
            return "Embedding's paddingIndex \(paddingIndex) is out of range -\(count)..<\(count)"
        }
        if let maxNorm, !(maxNorm >= 0 && maxNorm.isFinite) { return "Embedding's maxNorm must be finite and ≥ 0, got \(maxNorm)" }
        return normType > 0 ? nil : "Embedding's normType must be > 0, got \(normType)"
    }
    public var stateCount: Int? { CheckedCount.product(count, dimension) }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard inference.isModelInput else { throw inference.error("an embedding takes row indices, which no layer computes: it must come first") }
        return shape + [dimension]
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Embedding<Scalar>(count, dimension, paddingIndex: paddingIndex, maxNorm: maxNorm, normType: normType, using: &context.generator)
    }
}

extension ModelDescription {
    /// An ``Embedding`` layer.
    public static func embedding(count: Int, dimension: Int, paddingIndex: Int? = nil, maxNorm: Double? = nil,
                                 normType: Double = 2) -> ModelDescription {
        .layer(EmbeddingDescription(count: count, dimension: dimension, paddingIndex: paddingIndex, maxNorm: maxNorm, normType: normType))
    }
}
