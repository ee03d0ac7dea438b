extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public init(filledWith value: Scalar, shape: [Int]) {
        Tensor.checkShape(shape, op: "Tensor(filledWith:shape:)")
        self.init(storage: TensorStorage(repeating: value, count: shape.reduce(1, *)), shape: shape)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(filledWith: 0, shape: shape) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(filledWith: 1, shape: shape) }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(_ scalars: [Scalar], shape: [Int]) {
        Tensor.checkShape(shape, op: "Tensor(_:shape:)")
        require(scalars.count == shape.reduce(1, *),
                     "Tensor(_:shape:): \(scalars.count) scalars do not fill shape \(shape)")
        let storage = TensorStorage<Scalar>(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { copyScalars(to: storage.base, from: $0.baseAddress!, count: scalars.count) }
        self.init(storage: storage, shape: shape)
    }

    /// A 1-D tensor.
    public init(_ scalars: [Scalar]) { self.init(scalars, shape: [scalars.count]) }

    /// A 2-D tensor from rows of equal length.
    public init(_ rows: [[Scalar]]) {
        let columns = rows.first?.count ?? 0
        for (i, row) in rows.enumerated() {
            require(row.count == columns,
                         "Tensor(_ rows:): row \(i) has \(row.count) elements, row 0 has \(columns)")
        }
        self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    /// A 0-D (scalar) tensor.
    public init(_ value: Scalar) { self.init([value], shape: []) }

    /// Values from `start` up to (not including) `end` in steps of `step`, as `numpy.arange`.
    public static func arange(from start: Scalar = 0, to end: Scalar, by step: Scalar = 1) -> Tensor {
        require(step != 0, "Tensor.arange: step must not be zero")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<count).map { start + Scalar($0) * step })
    }

    /// `count` evenly spaced values from `start` to `end`, both included, as `numpy.linspace`.
    public static func linspace(from start: Scalar, to end: Scalar, count: Int) -> Tensor {
        require(count >= 0, "Tensor.linspace: count must not be negative, got \(count)")
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Scalar(count - 1)
        return Tensor((0..<count).map { $0 == count - 1 ? end : start + Scalar($0) * step })
    }

    /// The n×n identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        var result = zeros([n, n])
        result.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<n { buffer[i * n + i] = 1 }
        }
        return result
    }

    /// Uniform random values in `[low, high)` drawn from `generator`.
    public static func uniform(
        _ shape: [Int], low: Scalar = 0, high: Scalar = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        require(low < high, "Tensor.uniform: low \(low) must be below high \(high)")
        let result = Tensor(uninitializedShape: shape, op: "Tensor.uniform")
        Kernels.fillUniform(result.storage.base, result.count, low: low, high: high, generator: &generator)
        return result
    }

    /// Normal random values with the given mean and standard deviation drawn from `generator`.
    public static func normal(
        _ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1,
        using generator: inout RandomGenerator
    ) -> Tensor {
        require(standardDeviation >= 0, "Tensor.normal: negative standard deviation \(standardDeviation)")
        let result = Tensor(uninitializedShape: shape, op: "Tensor.normal")
        Kernels.fillNormal(result.storage.base, result.count, mean: mean,
                           standardDeviation: standardDeviation, generator: &generator)
        return result
    }

    /// A tensor whose elements are not yet set (every op writes all of them before returning).
    init(uninitializedShape shape: [Int], op: String = "Tensor") {
        Tensor.checkShape(shape, op: op)
        self.init(storage: TensorStorage(uninitializedCount: shape.reduce(1, *)), shape: shape)
    }

    static func checkShape(_ shape: [Int], op: String) {
        require(shape.allSatisfy { $0 >= 0 }, "\(op): negative extent in shape \(shape)")
    }
}
