/// Mini-batches of a source of examples for one epoch at a time, optionally shuffled by a
/// seeded generator, optionally with random changes to images, read ahead on a background thread
/// while the current batch trains (``reader(for:)``, which the ``Trainer`` uses).
///
/// ```swift
/// var loader = DataLoader(dataset, batchSize: 128, shuffle: true, seed: 1)
/// for batch in loader.epoch() {
///     let examples = try batch.examples()   // examples.features, examples.targets
/// }
/// ```
public struct DataLoader<Scalar: TensorScalar> {
    /// The examples to batch.
    public let source: any ExampleSource<Scalar>
    /// The number of examples per batch (the last may be smaller).
    public let batchSize: Int
    /// Whether each epoch visits the examples in a fresh random order.
    public let shuffle: Bool
    /// Whether a last batch smaller than `batchSize` is dropped.
    public let dropLast: Bool
    /// Random changes applied to each training image, or `nil`.
    public let augmentation: ImageAugmentation?
    /// How many batches ``reader(for:)`` reads ahead on a background thread (0: none, each batch
    /// is read when it is asked for). The batches and their examples are the same either way.
    public var prefetchCount: Int {
        didSet { require(prefetchCount >= 0, "DataLoader: prefetchCount must not be negative, got \(prefetchCount)") }
    }
    /// The shuffling and augmentation generator (saved in training checkpoints to resume the same
    /// order and changes).
    public var generator: RandomGenerator

    /// A loader over `source` (a ``Dataset`` in memory, or a source read lazily), its generator
    /// seeded with `seed`. With `augmentation`, the examples must be images, (C, H, W) each;
    /// `prefetchCount` batches are read ahead (see ``prefetchCount``).
    public init(_ source: some ExampleSource<Scalar>, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                augmentation: ImageAugmentation? = nil, seed: UInt64 = 0, prefetchCount: Int = 1) {
        require(batchSize > 0, "DataLoader: batchSize must be positive, got \(batchSize)")
        require(prefetchCount >= 0, "DataLoader: prefetchCount must not be negative, got \(prefetchCount)")
        require(augmentation == nil || source.exampleShape.count == 3,
                "DataLoader: augmentation needs images (N, C, H, W), the examples have shape \(source.exampleShape)")
        (self.source, self.batchSize, self.shuffle, self.dropLast) = (source, batchSize, shuffle, dropLast)
        (self.augmentation, self.prefetchCount) = (augmentation, prefetchCount)
        generator = RandomGenerator(seed: seed)
    }

    /// The number of batches in an epoch.
    public var batchCount: Int {
        source.count / batchSize + (dropLast || source.count % batchSize == 0 ? 0 : 1)
    }

    /// The batches of the next epoch (a fresh order when shuffling). The order and the
    /// augmentation draws depend only on the generator, not on the batch size: batches of 64
    /// visit the examples in the order batches of 128 do.
    public mutating func epoch() -> [Batch] {
        var order = Array(0..<source.count)
        if shuffle { order.shuffle(using: &generator) }
        return (0..<batchCount).map { b in
            let start = b * batchSize  // < source.count: no overflow
            let indices = Array(order[start..<(start + Swift.min(batchSize, order.count - start))])
            let draws = augmentation.map { augmentation in indices.map { _ in augmentation.draw(using: &generator) } }
            return Batch(indices: indices, source: source, augmentation: augmentation, draws: draws)
        }
    }

    /// One mini-batch: which examples, and their augmentation draws; read with ``examples()``.
    public struct Batch {
        /// The batch's example indices into the source (0-based).
        public let indices: [Int]
        let source: any ExampleSource<Scalar>
        let augmentation: ImageAugmentation?
        let draws: [ImageAugmentation.Draw]?

        /// The batch's examples with their targets, augmented when the loader augments.
        public func examples() throws -> Dataset<Scalar> {
            let examples = try source.examples(at: indices)
            guard let augmentation, let draws else { return examples }
            return Dataset(features: augmentation.apply(draws, to: examples.features), targets: examples.targets)
        }

        /// The number of examples in the batch.
        public var count: Int { indices.count }

        /// The examples at positions `range` of this batch, with their augmentation draws: one
        /// process's share of a global batch in data-parallel training, or one micro-batch.
        public func share(_ range: Range<Int>) -> Batch {
            require(range.lowerBound >= 0 && range.upperBound <= count, "DataLoader.Batch.share: \(range) is outside the batch of \(count)")
            return Batch(indices: Array(indices[range]), source: source, augmentation: augmentation, draws: draws.map { Array($0[range]) })
        }
    }
}
