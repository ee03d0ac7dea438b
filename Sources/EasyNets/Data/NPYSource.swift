/// Examples whose features are a memory-mapped `.npy` file, read batch by batch: the file is
/// mapped with `mmap`, not read into memory, so an array larger than the memory limit trains
/// as well as a small one, and each batch converts only its own rows to `Scalar`.
///
/// The first axis of the array counts examples; the rest is one example's shape (a 1-D array is
/// one feature per example). Opening validates the header by ``NPYArray``'s rules (float32,
/// float64, signed and unsigned integers of 1 to 8 bytes, C order; sizes through checked
/// arithmetic) and that the file holds exactly the data its header describes: a shorter or
/// longer file is a ``DataError`` at once. Each batch is checked against
/// ``InputLimits/maximumBytes`` before its tensor is allocated, and against the file's size (a
/// file truncated since it was opened is a ``DataError``, not a crash).
///
/// The targets come from a second `.npy` (read into memory, first axis the examples): an integer
/// array holds class indices, `(N)` or `(N, d₁, …)`, whole numbers ≥ 0; a float array holds
/// values, `(N, k…)`, a 1-D one being one value per example `(N, 1)`. Or they are given as
/// ``Targets``.
///
/// ```swift
/// let train = try NPYSource<Float>(features: "x.npy", targets: "y.npy", dividingBy: 255)
/// let loader = DataLoader(train, batchSize: 128, seed: 1)
/// ```
public struct NPYSource<Scalar: TensorScalar>: ExampleSource {
    private let file: MappedFile
    private let header: NPYHeader
    private let divisor: Scalar
    /// The targets of every example, in memory.
    public let targets: Targets<Scalar>
    public let count: Int
    public let exampleShape: [Int]
    public var targetLayout: TargetLayout { targets.layout }

    /// The features of `features` (mapped), the targets of `targets` (read), each feature
    /// divided by `divisor` (255 maps bytes to [0, 1]).
    public init(features: String, targets: String, dividingBy divisor: Double = 1) throws {
        let array = try NPYArray(contentsOfFile: targets)
        let kind = array.descr.dropFirst().first
        let parsed: Targets<Scalar>
        guard let examples = array.shape.first else {
            throw DataError(path: targets, reason: "the targets are a scalar (shape []); they need the examples along a first axis")
        }
        if kind == "f" {
            let shape = array.shape.count == 1 ? [examples, 1] : array.shape
            parsed = .values(Tensor(array.values.map { Scalar($0) }, shape: shape))
        } else {
            if let (index, value) = array.values.enumerated().first(where: { Int(exactly: $0.element) == nil || $0.element < 0 }) {
                throw DataError(path: targets, location: "value \(index)", reason: "class index \(value) is not a whole number ≥ 0")
            }
            guard array.shape.dropFirst().allSatisfy({ $0 >= 1 }) else {
                throw DataError(path: targets, reason: "class indices of shape \(array.shape) have an empty axis")
            }
            parsed = .classes(IndexTensor(array.values.map { Int($0) }, shape: array.shape))
        }
        try self.init(features: features, targets: parsed, targetsName: targets, dividingBy: divisor)
    }

    /// The features of `features` (mapped) with `targets` in memory, their first axis the
    /// examples; each feature divided by `divisor`.
    public init(features: String, targets: Targets<Scalar>, dividingBy divisor: Double = 1) throws {
        try self.init(features: features, targets: targets, targetsName: "the targets", dividingBy: divisor)
    }

    private init(features path: String, targets: Targets<Scalar>, targetsName: String, dividingBy divisor: Double) throws {
        require(divisor.isFinite && divisor != 0, "NPYSource: dividingBy must be finite and non-zero, got \(divisor)")
        file = try MappedFile(path: path)
        header = try NPYHeader(file.bytes, path: path)
        try header.checkDataLength(file.bytes.count)
        guard let examples = header.shape.first else {
            throw header.fail(header.headerStart, "the array is a scalar (shape []); it needs the examples along a first axis")
        }
        let shape = header.shape.count == 1 ? [1] : Array(header.shape.dropFirst())
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw header.fail(header.headerStart, "examples of shape \(shape) hold no features")
        }
        // One example must fit the limit as a tensor, so a batch of one can be read.
        if let problem = InputLimits.problem(shape: shape, elementSize: MemoryLayout<Scalar>.stride) {
            throw header.fail(header.headerStart, "one example: " + problem)
        }
        guard targets.count == examples else {
            throw DataError(path: path, reason: "\(examples) examples, but \(targetsName) have \(targets.count) (\(targets.layout))")
        }
        (count, exampleShape, self.targets, self.divisor) = (examples, shape, targets, Scalar(divisor))
    }

    /// The examples at `indices`, their rows converted from the mapped file.
    public func examples(at indices: [Int]) throws -> Dataset<Scalar> {
        let rowCount = header.count / Swift.max(count, 1)  // values per example
        for index in indices { require(index >= 0 && index < count, "NPYSource.examples: index \(index) is outside 0..<\(count)") }
        if let problem = InputLimits.problem(shape: [indices.count] + exampleShape, elementSize: MemoryLayout<Scalar>.stride) {
            throw DataError(path: file.path, reason: "a batch of \(indices.count): " + problem)
        }
        try file.checkSize(atLeast: file.bytes.count)
        let features = Tensor<Scalar>(uninitializedShape: [indices.count] + exampleShape)
        let base = file.bytes.baseAddress.map { $0 + header.dataStart }
        for (i, index) in indices.enumerated() {  // rowCount ≥ 1, so a batch's file is not empty
            header.type.convert(base! + index * rowCount * header.type.size, count: rowCount,
                                into: features.storage.base + i * rowCount, dividingBy: divisor)
        }
        return Dataset(features: features, targets: targets.gathering(indices))
    }
}
