/// Labeled examples in memory: features with the examples along the first axis, (examples,
/// features) or images (examples, channels, height, width), and class labels: one per example,
/// or one per position of each example (``labelShape``), such as the next character at each
/// step of a text sequence.
public struct Dataset<Scalar: TensorScalar> {
    /// (count, featureCount), or (count, …) with each example of ``exampleShape``.
    public var features: Tensor<Scalar>
    /// The class labels (0-based), row-major: ``labelsPerExample`` for each example in turn.
    public var labels: [Int]
    /// The shape of one example's labels: `[]` for one label per example, `[L]` for one per step
    /// of a sequence of L. A model's scores for a batch of N are then (N, classes) + labelShape,
    /// the class axis second as PyTorch's `cross_entropy` takes them.
    public let labelShape: [Int]

    /// A dataset from features with one example per index of the first axis, and `labels` of
    /// `labelShape` each (default: one label per example), row-major.
    public init(features: Tensor<Scalar>, labels: [Int], labelShape: [Int] = []) {
        require(features.rank >= 2, "Dataset: features must be (examples, features…), shape is \(features.shape)")
        require(labelShape.allSatisfy { $0 >= 1 }, "Dataset: labelShape \(labelShape) has an empty axis")
        let perExample = labelShape.reduce(1, *)
        require(labels.count == features.shape[0] * perExample,
                "Dataset: \(labels.count) labels for \(features.shape[0]) examples of labels \(labelShape)")
        (self.features, self.labels, self.labelShape) = (features, labels, labelShape)
    }

    /// The number of examples.
    public var count: Int { features.shape[0] }
    /// The shape of one example: [features], or [channels, height, width] for images.
    public var exampleShape: [Int] { Array(features.shape.dropFirst()) }
    /// The number of values per example (all of an image's pixels).
    public var featureCount: Int { exampleShape.reduce(1, *) }
    /// The number of labels per example (1, or the positions of ``labelShape``).
    public var labelsPerExample: Int { labelShape.reduce(1, *) }
    /// One more than the largest label.
    public var classCount: Int { (labels.max() ?? -1) + 1 }

    /// The labels of the examples at `indices`, in that order.
    func labels(of indices: some Sequence<Int>) -> [Int] {
        let perExample = labelsPerExample
        if perExample == 1 { return indices.map { labels[$0] } }
        return indices.flatMap { labels[$0 * perExample ..< ($0 + 1) * perExample] }
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(features: features.gatheringRows(indices).detached, labels: labels(of: indices), labelShape: labelShape)
    }

    /// The first `count` examples (all of them if there are fewer).
    public func prefix(_ count: Int) -> Dataset {
        slice(0..<Swift.min(count, self.count))
    }

    /// The examples `range` (a contiguous slice).
    public func slice(_ range: Range<Int>) -> Dataset {
        require(range.lowerBound >= 0 && range.upperBound <= count,
                "Dataset.slice: range \(range) is outside the \(count) examples")
        return Dataset(features: features.rows(range).detached, labels: labels(of: range), labelShape: labelShape)
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

    /// The same examples with each one reshaped to `exampleShape` (784 features as [1, 28, 28], or
    /// back); the values are not moved.
    public func reshapingExamples(to exampleShape: [Int]) -> Dataset {
        require(exampleShape.allSatisfy { $0 >= 1 } && exampleShape.reduce(1, *) == featureCount,
                "Dataset.reshapingExamples: examples of shape \(self.exampleShape) cannot become \(exampleShape)")
        return Dataset(features: features.reshaped(to: [count] + exampleShape), labels: labels, labelShape: labelShape)
    }

    /// Features divided by `divisor` (255 maps bytes to [0, 1]).
    public func scaled(dividingBy divisor: Scalar) -> Dataset {
        Dataset(features: (features / divisor).detached, labels: labels, labelShape: labelShape)
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
        Dataset(features: apply(dataset.features), labels: dataset.labels, labelShape: dataset.labelShape)
    }
}

/// Random changes to training images that keep their class, applied by a ``DataLoader`` to each
/// example of each batch with draws from the loader's seeded generator, so an epoch (and a resumed
/// one) sees the same changes every run.
public struct ImageAugmentation: Sendable, Equatable {
    /// Shifts each image by up to this many pixels along each axis, filling with zeros: a random
    /// crop of the image padded by this much on every side.
    public var maximumShift: Int
    /// Mirrors each image left to right with probability ½.
    public var horizontalFlip: Bool

    /// An augmentation of random shifts up to `maximumShift` pixels and optional horizontal flips.
    public init(maximumShift: Int = 0, horizontalFlip: Bool = false) {
        require(maximumShift >= 0, "ImageAugmentation: maximumShift must not be negative, got \(maximumShift)")
        (self.maximumShift, self.horizontalFlip) = (maximumShift, horizontalFlip)
    }

    /// One example's draw: its shift along height and width, and whether it is mirrored.
    struct Draw: Equatable {
        var dy: Int, dx: Int, flip: Bool
    }

    func draw(using generator: inout RandomGenerator) -> Draw {
        let span = UInt64(2 * maximumShift + 1)
        let dy = maximumShift > 0 ? Int(generator.next() % span) - maximumShift : 0
        let dx = maximumShift > 0 ? Int(generator.next() % span) - maximumShift : 0
        return Draw(dy: dy, dx: dx, flip: horizontalFlip && generator.next() & 1 == 1)
    }

    /// Image i of `images` (N, C, H, W) moved by `draws[i]`: output (y, x) reads input
    /// (y + dy, x′ + dx), x′ mirrored when flipped, 0 outside the image.
    @inline(never)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func apply<Scalar: TensorScalar>(_ draws: [Draw], to images: Tensor<Scalar>) -> Tensor<Scalar> {
        let (channels, height, width) = (images.shape[1], images.shape[2], images.shape[3])
        let result = Tensor<Scalar>.zeros(images.shape)
        let source = images.storage.base, target = result.storage.base
        for (i, draw) in draws.enumerated() {
            for c in 0..<channels {
                let plane = (i * channels + c) * height * width
                for y in 0..<height {
                    let sy = y + draw.dy
                    guard sy >= 0 && sy < height else { continue }
                    for x in 0..<width {
                        let sx = (draw.flip ? width - 1 - x : x) + draw.dx
                        if sx >= 0 && sx < width { target[plane + y * width + x] = source[plane + sy * width + sx] }
                    }
                }
            }
        }
        return result
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
    /// Random changes applied to each training image, or `nil`.
    public let augmentation: ImageAugmentation?
    /// The shuffling and augmentation generator (saved in training checkpoints to resume the same
    /// order and changes).
    public var generator: RandomGenerator

    /// A loader over `dataset`, its generator seeded with `seed`. With `augmentation`, the dataset
    /// must hold images, (N, C, H, W).
    public init(_ dataset: Dataset<Scalar>, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                augmentation: ImageAugmentation? = nil, seed: UInt64 = 0) {
        require(batchSize > 0, "DataLoader: batchSize must be positive, got \(batchSize)")
        require(augmentation == nil || dataset.features.rank == 4,
                "DataLoader: augmentation needs images (N, C, H, W), the features have shape \(dataset.features.shape)")
        (self.dataset, self.batchSize, self.shuffle, self.dropLast) = (dataset, batchSize, shuffle, dropLast)
        self.augmentation = augmentation
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
            let draws = augmentation.map { augmentation in indices.map { _ in augmentation.draw(using: &generator) } }
            return Batch(indices: indices, dataset: dataset, augmentation: augmentation, draws: draws)
        }
    }

    /// One mini-batch; its tensors are gathered when first read.
    public struct Batch {
        /// The batch's example indices into the dataset (0-based).
        public let indices: [Int]
        let dataset: Dataset<Scalar>
        let augmentation: ImageAugmentation?
        let draws: [ImageAugmentation.Draw]?
        /// The features, (count, …) as the dataset's, augmented when the loader augments.
        public var features: Tensor<Scalar> {
            let gathered = dataset.features.gatheringRows(indices).detached
            guard let augmentation, let draws else { return gathered }
            return augmentation.apply(draws, to: gathered)
        }
        /// The labels, the dataset's ``Dataset/labelShape`` for each example in turn.
        public var labels: [Int] { dataset.labels(of: indices) }
        /// The number of examples in the batch.
        public var count: Int { indices.count }

        /// The examples at positions `range` of this batch, with their augmentation draws: one
        /// process's share of a global batch in data-parallel training.
        public func share(_ range: Range<Int>) -> Batch {
            require(range.lowerBound >= 0 && range.upperBound <= count, "DataLoader.Batch.share: \(range) is outside the batch of \(count)")
            return Batch(indices: Array(indices[range]), dataset: dataset, augmentation: augmentation, draws: draws.map { Array($0[range]) })
        }
    }
}
