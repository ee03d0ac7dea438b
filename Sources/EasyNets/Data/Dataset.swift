/// Examples in memory paired with their targets: features with the examples along the first
/// axis, (examples, features) or images (examples, channels, height, width), and ``Targets``:
/// class indices (one per example, or one per position of each example, such as the next
/// character at each step of a text) or floating-point values of any shape (regression,
/// several outputs, 0/1 multi-label vectors).
///
/// ```swift
/// let classified = Dataset(features: x, labels: [0, 2, 1])                    // classes
/// let regression = Dataset(features: x, targets: Tensor<Float>([1.5, -0.2, 3], shape: [3, 1]))
/// ```
public struct Dataset<Scalar: TensorScalar>: ExampleSource {
    /// (count, featureCount), or (count, …) with each example of ``exampleShape``.
    public var features: Tensor<Scalar>
    /// The targets, their first axis the examples.
    public var targets: Targets<Scalar>

    /// A dataset of class labels: one per example, or `labels` of `labelShape` each (default: one
    /// label per example), row-major.
    public init(features: Tensor<Scalar>, labels: [Int], labelShape: [Int] = []) {
        require(features.rank >= 2, "Dataset: features must be (examples, features…), shape is \(features.shape)")
        require(labelShape.allSatisfy { $0 >= 1 }, "Dataset: labelShape \(labelShape) has an empty axis")
        let perExample = labelShape.reduce(1, *)
        require(labels.count == features.shape[0] * perExample,
                "Dataset: \(labels.count) labels for \(features.shape[0]) examples of labels \(labelShape)")
        self.init(features: features, targets: .classes(IndexTensor(labels, shape: [features.shape[0]] + labelShape)))
    }

    /// A dataset of class indices `(N)` or `(N, d₁, …)`, the first axis the examples.
    public init(features: Tensor<Scalar>, targets: IndexTensor) {
        self.init(features: features, targets: .classes(targets))
    }

    /// A dataset of floating-point targets `(N, …)`, the first axis the examples: regression
    /// values, several outputs, or 0/1 multi-label vectors.
    public init(features: Tensor<Scalar>, targets: Tensor<Scalar>) {
        self.init(features: features, targets: .values(targets.detached))
    }

    /// A dataset of `features` and `targets`, both with the examples along the first axis.
    public init(features: Tensor<Scalar>, targets: Targets<Scalar>) {
        require(features.rank >= 2, "Dataset: features must be (examples, features…), shape is \(features.shape)")
        switch targets {
        case .classes(let indices):
            require(indices.rank >= 1 && indices.shape.dropFirst().allSatisfy { $0 >= 1 },
                    "Dataset: class indices of shape \(indices.shape) need the examples along a first axis and no empty axis")
        case .values(let values):
            require(values.rank >= 1, "Dataset: targets need the examples along a first axis, shape is \(values.shape)")
        }
        require(targets.count == features.shape[0],
                "Dataset: \(features.shape[0]) examples (features \(features.shape)) but targets for \(targets.count) (\(targets.layout))")
        (self.features, self.targets) = (features, targets)
    }

    /// The number of examples.
    public var count: Int { features.shape[0] }
    /// The shape of one example: [features], or [channels, height, width] for images.
    public var exampleShape: [Int] { Array(features.shape.dropFirst()) }
    /// The number of values per example (all of an image's pixels).
    public var featureCount: Int { exampleShape.reduce(1, *) }
    /// The kind of the targets and the shape of one example's.
    public var targetLayout: TargetLayout { targets.layout }

    /// The class labels (0-based), row-major: ``labelsPerExample`` for each example in turn. Stops
    /// when the targets are values.
    public var labels: [Int] { targets.classIndices }
    /// The shape of one example's targets: `[]` for one label per example, `[L]` for one per step
    /// of a sequence of L. A classifier's scores for a batch of N are then (N, classes) + labelShape.
    public var labelShape: [Int] { targets.exampleShape }
    /// The number of targets per example (1, or the positions of ``labelShape``).
    public var labelsPerExample: Int { targets.countPerExample }
    /// One more than the largest class label (0 for value targets).
    public var classCount: Int { targets.isClasses ? (labels.max() ?? -1) + 1 : 0 }

    /// The labels of the examples at `indices`, in that order.
    func labels(of indices: some Sequence<Int>) -> [Int] {
        let labels = labels, perExample = labelsPerExample
        if perExample == 1 { return indices.map { labels[$0] } }
        return indices.flatMap { labels[$0 * perExample ..< ($0 + 1) * perExample] }
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(features: features.gatheringRows(indices).detached, targets: targets.gathering(indices))
    }

    /// The examples at `indices` (``ExampleSource``): ``subset(_:)``.
    public func examples(at indices: [Int]) -> Dataset { subset(indices) }

    /// The first `count` examples (all of them if there are fewer).
    public func prefix(_ count: Int) -> Dataset {
        slice(0..<Swift.min(count, self.count))
    }

    /// The examples `range` (a contiguous slice).
    public func slice(_ range: Range<Int>) -> Dataset {
        require(range.lowerBound >= 0 && range.upperBound <= count,
                "Dataset.slice: range \(range) is outside the \(count) examples")
        return Dataset(features: features.rows(range).detached, targets: targets.slice(range))
    }

    /// A seeded random split into (training, validation), the validation part holding
    /// `validationFraction` of the examples (rounded), each part in the original order of its
    /// examples' draw.
    public func split(validationFraction: Double, seed: UInt64) -> (training: Dataset, validation: Dataset) {
        require(validationFraction > 0 && validationFraction < 1,
                     "Dataset.split: validationFraction must be in (0, 1), got \(validationFraction)")
        var generator = RandomGenerator(seed: seed)
        var order = Array(0..<count)
        order.shuffle(using: &generator)
        let validationCount = Int((Double(count) * validationFraction).rounded())
        return (subset(Array(order[validationCount...])), subset(Array(order[..<validationCount])))
    }

    /// The same examples with each one reshaped to `exampleShape` (784 features as [1, 28, 28], or
    /// back); the values are not moved.
    public func reshapingExamples(to exampleShape: [Int]) -> Dataset {
        require(exampleShape.allSatisfy { $0 >= 1 } && exampleShape.reduce(1, *) == featureCount,
                "Dataset.reshapingExamples: examples of shape \(self.exampleShape) cannot become \(exampleShape)")
        return Dataset(features: features.reshaped(to: [count] + exampleShape), targets: targets)
    }

    /// Features divided by `divisor` (255 maps bytes to [0, 1]).
    public func scaled(dividingBy divisor: Scalar) -> Dataset {
        Dataset(features: (features / divisor).detached, targets: targets)
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

    /// Standardizes a dataset's features, keeping its targets.
    public func apply(_ dataset: Dataset<Scalar>) -> Dataset<Scalar> {
        Dataset(features: apply(dataset.features), targets: dataset.targets)
    }

    /// The statistics as checkpoint metadata (``CheckpointWriter``'s `extra`): each value in
    /// its shortest exact decimal form.
    public var checkpointExtra: [String: String] {
        ["standardizer.mean": mean.scalars.map { "\($0)" }.joined(separator: ","),
         "standardizer.std": standardDeviation.scalars.map { "\($0)" }.joined(separator: ",")]
    }

    /// The statistics a checkpoint's metadata holds (see ``checkpointExtra``), `nil` when it
    /// holds none; `features` is the number of features the model takes. Throws a
    /// ``CheckpointError`` naming `path` when they are malformed.
    public init?(checkpoint file: SafeTensorsFile, features: Int, path: String) throws {
        guard let meanText = file.metadata["extra.standardizer.mean"] else { return nil }
        func values(_ text: String?, _ key: String, positive: Bool) throws -> Tensor<Scalar> {
            let parts = (text ?? "").split(separator: ",", omittingEmptySubsequences: false)
            let numbers = parts.compactMap { Double($0) }.filter { $0.isFinite && (!positive || $0 > 0) }
            guard parts.count == features, numbers.count == features else {
                throw CheckpointError(path: path, reason: "metadata \"extra.standardizer.\(key)\" is not \(features) finite numbers"
                                      + (positive ? " > 0" : "") + " (one per feature)")
            }
            return Tensor(numbers.map { Scalar($0) }, shape: [1, features])
        }
        mean = try values(meanText, "mean", positive: false)
        standardDeviation = try values(file.metadata["extra.standardizer.std"], "std", positive: true)
    }
}
