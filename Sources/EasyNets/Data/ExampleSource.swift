/// Examples a ``DataLoader`` can batch: in memory (``Dataset``) or read lazily, example by
/// example, from files (a folder of images with a labels file, a memory-mapped `.npy`).
///
/// A source knows how many examples it has, the shape of each, and the kind of its targets
/// without reading them; ``examples(at:)`` reads the examples a batch needs. A reader that can
/// fail partway (a file changed or truncated under it) throws a ``DataError`` naming the file
/// and the offset.
///
/// A ``DataLoader`` that prefetches calls ``examples(at:)`` on a background thread while the
/// caller works on earlier batches, so a source must not change while it is read (the library's
/// sources never change once made); a source that does can be read with `prefetchCount: 0`.
public protocol ExampleSource<Scalar> {
    associatedtype Scalar: TensorScalar
    /// The number of examples.
    var count: Int { get }
    /// The shape of one example's features.
    var exampleShape: [Int] { get }
    /// The kind of the targets and the shape of one example's.
    var targetLayout: TargetLayout { get }
    /// The examples at `indices` (each in `0..<count`), in that order, with their targets.
    func examples(at indices: [Int]) throws -> Dataset<Scalar>
}

extension ExampleSource {
    /// The number of values per example.
    public var featureCount: Int { exampleShape.reduce(1, *) }
}
