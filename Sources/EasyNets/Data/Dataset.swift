/// Labeled examples in memory: a feature matrix (examples, features) and one class label each.
public struct Dataset<Scalar: TensorScalar> {
    /// (count, featureCount)
    public var features: Tensor<Scalar>
    /// One class label (0-based) per example.
    public var labels: [Int]

    /// A dataset from (count, featureCount) features and one label per row.
    public init(features: Tensor<Scalar>, labels: [Int]) {
        require(features.rank == 2, "Dataset: features must be (examples, features), shape is \(features.shape)")
        require(labels.count == features.shape[0],
                     "Dataset: \(labels.count) labels for \(features.shape[0]) examples")
        (self.features, self.labels) = (features, labels)
    }

    /// The number of examples.
    public var count: Int { labels.count }
    /// The number of features per example.
    public var featureCount: Int { features.shape[1] }
    /// One more than the largest label.
    public var classCount: Int { (labels.max() ?? -1) + 1 }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(features: features.gatheringRows(indices).detached, labels: indices.map { labels[$0] })
    }

    /// The first `count` examples (all of them if there are fewer).
    public func prefix(_ count: Int) -> Dataset {
        let n = Swift.min(count, self.count)
        return Dataset(features: features.rows(0..<n).detached, labels: Array(labels[0..<n]))
    }

    /// A seeded random split into (training, validation), the validation part holding
    /// `validationFraction` of the examples.
    public func split(validationFraction: Double, seed: UInt64) -> (training: Dataset, validation: Dataset) {
        require(validationFraction > 0 && validationFraction < 1,
                     "Dataset.split: validationFraction must be in (0, 1), got \(validationFraction)")
        var generator = RandomGenerator(seed: seed)
        var order = Array(0..<count)
        order.shuffle(using: &generator)
        let validationCount = Int((Double(count) * validationFraction).rounded())
        return (subset(Array(order[validationCount...])), subset(Array(order[..<validationCount])))
    }

    /// Features divided by `divisor` (255 maps bytes to [0, 1]).
    public func scaled(dividingBy divisor: Scalar) -> Dataset {
        Dataset(features: (features / divisor).detached, labels: labels)
    }
}

/// Per-feature standardization, (x − mean)/std, with statistics fitted on training data and
/// reused for validation and test data. Features with zero spread are only centered.
public struct Standardizer<Scalar: TensorScalar> {
    /// (1, features)
    public var mean: Tensor<Scalar>
    /// (1, features), zero spread replaced by 1.
    public var standardDeviation: Tensor<Scalar>

    /// Fits the mean and population standard deviation of each column of `features`.
    public init(fitting features: Tensor<Scalar>) {
        require(features.rank == 2 && features.shape[0] > 0, "Standardizer: needs (examples, features), shape is \(features.shape)")
        mean = withoutGradients { features.mean(along: 0, keepingDims: true) }
        let spread = withoutGradients { sqrt(features.variance(along: 0, correction: 0, keepingDims: true)) }
        standardDeviation = Tensor.select(where: spread .> 0, spread, else: Tensor.ones(spread.shape))
    }

    /// Standardizes (examples, features) values with the fitted statistics.
    public func apply(_ features: Tensor<Scalar>) -> Tensor<Scalar> {
        withoutGradients { (features - mean) / standardDeviation }
    }

    /// Standardizes a dataset's features, keeping its labels.
    public func apply(_ dataset: Dataset<Scalar>) -> Dataset<Scalar> {
        Dataset(features: apply(dataset.features), labels: dataset.labels)
    }
}

/// Mini-batches of a dataset for one epoch at a time, optionally shuffled by a seeded generator.
///
/// ```swift
/// var loader = DataLoader(dataset, batchSize: 128, shuffle: true, seed: 1)
/// for batch in loader.epoch() { … batch.features, batch.labels … }
/// ```
public struct DataLoader<Scalar: TensorScalar> {
    /// The examples to batch.
    public let dataset: Dataset<Scalar>
    /// The number of examples per batch (the last may be smaller).
    public let batchSize: Int
    /// Whether each epoch visits the examples in a fresh random order.
    public let shuffle: Bool
    /// Whether a last batch smaller than `batchSize` is dropped.
    public let dropLast: Bool
    /// The shuffling generator (saved in training checkpoints to resume the same order).
    public var generator: RandomGenerator

    /// A loader over `dataset`, its shuffling generator seeded with `seed`.
    public init(_ dataset: Dataset<Scalar>, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0) {
        require(batchSize > 0, "DataLoader: batchSize must be positive, got \(batchSize)")
        (self.dataset, self.batchSize, self.shuffle, self.dropLast) = (dataset, batchSize, shuffle, dropLast)
        generator = RandomGenerator(seed: seed)
    }

    /// The number of batches in an epoch.
    public var batchCount: Int {
        dataset.count / batchSize + (dropLast || dataset.count % batchSize == 0 ? 0 : 1)
    }

    /// The batches of the next epoch (a fresh order when shuffling).
    public mutating func epoch() -> [Batch] {
        var order = Array(0..<dataset.count)
        if shuffle { order.shuffle(using: &generator) }
        return (0..<batchCount).map { b in
            let start = b * batchSize  // < dataset.count: no overflow
            let indices = Array(order[start..<(start + Swift.min(batchSize, order.count - start))])
            return Batch(indices: indices, dataset: dataset)
        }
    }

    /// One mini-batch; its tensors are gathered when first read.
    public struct Batch {
        /// The batch's example indices into the dataset (0-based).
        public let indices: [Int]
        let dataset: Dataset<Scalar>
        /// The features, (count, featureCount).
        public var features: Tensor<Scalar> { dataset.features.gatheringRows(indices).detached }
        /// The labels, one per example.
        public var labels: [Int] { indices.map { dataset.labels[$0] } }
        /// The number of examples in the batch.
        public var count: Int { indices.count }
    }
}
