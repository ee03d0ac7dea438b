/// What a dataset pairs each example with: class indices, or floating-point values.
///
/// The first axis counts examples in both cases:
/// - ``classes(_:)``: one class index per example, `(N)`, or one per position, `(N, d₁, …)` (the
///   next character at each step of a text); a classifier's scores are then `(N, C)` or
///   `(N, C, d₁, …)`, the class axis second as PyTorch's `cross_entropy` takes them.
/// - ``values(_:)``: any values of any shape, `(N, …)`: one regression target `(N, 1)`, several
///   outputs `(N, k)`, or 0/1 vectors for multi-label classification `(N, labels)`.
public enum Targets<Scalar: TensorScalar> {
    /// Class indices (0-based), the first axis the examples.
    case classes(IndexTensor)
    /// Floating-point targets, the first axis the examples.
    case values(Tensor<Scalar>)

    /// The number of examples.
    public var count: Int {
        switch self {
        case .classes(let indices): indices.shape.first ?? 0
        case .values(let values): values.shape.first ?? 0
        }
    }

    /// The shape of one example's targets: `[]` for one class per example, `[L]` for one per step,
    /// `[k]` for k values.
    public var exampleShape: [Int] {
        switch self {
        case .classes(let indices): Array(indices.shape.dropFirst())
        case .values(let values): Array(values.shape.dropFirst())
        }
    }

    /// The targets of one example: its class indices or values.
    public var countPerExample: Int { exampleShape.reduce(1, *) }

    /// Whether the targets are class indices.
    public var isClasses: Bool {
        if case .classes = self { return true }
        return false
    }

    /// The kind and per-example shape, without the data: what a model and a loss are checked against.
    public var layout: TargetLayout {
        switch self {
        case .classes: .classes(exampleShape)
        case .values: .values(exampleShape)
        }
    }

    /// The class indices, row-major (``countPerExample`` for each example in turn); stops for
    /// value targets.
    public var classIndices: [Int] {
        guard case .classes(let indices) = self else {
            programmerError("Targets.classIndices: the targets are values of shape \(exampleShape) per example, not class indices")
        }
        return indices.values
    }

    /// The targets of the examples at `indices`, in that order.
    public func gathering(_ indices: [Int]) -> Targets {
        switch self {
        case .classes(let classes):
            let perExample = countPerExample
            let values = perExample == 1 ? indices.map { classes.values[$0] }
                : indices.flatMap { classes.values[$0 * perExample ..< ($0 + 1) * perExample] }
            return .classes(IndexTensor(values, shape: [indices.count] + exampleShape))
        case .values(let values):
            return .values(values.gatheringRows(indices).detached)
        }
    }

    /// The targets of examples `range`.
    public func slice(_ range: Range<Int>) -> Targets {
        switch self {
        case .classes(let classes):
            let perExample = countPerExample
            return .classes(IndexTensor(Array(classes.values[range.lowerBound * perExample ..< range.upperBound * perExample]),
                                        shape: [range.count] + exampleShape))
        case .values(let values):
            return .values(values.rows(range).detached)
        }
    }

    /// The targets of several parts, in order (all of one kind and per-example shape).
    public static func concatenating(_ parts: [Targets]) -> Targets {
        require(!parts.isEmpty, "Targets.concatenating: needs at least one part")
        let layout = parts[0].layout
        require(parts.allSatisfy { $0.layout == layout }, "Targets.concatenating: parts of layouts \(parts.map(\.layout)) differ")
        switch parts[0] {
        case .classes:
            let values = parts.flatMap(\.classIndices)
            return .classes(IndexTensor(values, shape: [parts.reduce(0) { $0 + $1.count }] + layout.exampleShape))
        case .values:
            let tensors = parts.map { part -> Tensor<Scalar> in
                guard case .values(let values) = part else { programmerError("unreachable") }
                return values
            }
            return .values(Tensor.concatenated(tensors, along: 0).detached)
        }
    }
}

/// The kind of a dataset's targets and the shape of one example's targets.
public enum TargetLayout: Sendable, Equatable, CustomStringConvertible {
    /// Class indices, of this shape per example (`[]`: one per example).
    case classes([Int])
    /// Floating-point values, of this shape per example.
    case values([Int])

    /// The shape of one example's targets.
    public var exampleShape: [Int] {
        switch self {
        case .classes(let shape), .values(let shape): shape
        }
    }

    /// Whether the targets are class indices.
    public var isClasses: Bool {
        if case .classes = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .classes(let shape): "class indices of shape \(shape) per example"
        case .values(let shape): "values of shape \(shape) per example"
        }
    }

    /// The model output a batch of `batch` examples needs for these targets: for classes, the
    /// scores `(N, C) + shape` with any C ≥ 1 (written as `nil` at axis 1); for values, the
    /// targets' own shape.
    public func expectedOutputShape(batch: Int) -> [Int?] {
        switch self {
        case .classes(let shape): [batch, nil] + shape.map { $0 }
        case .values(let shape): [batch] + shape.map { $0 }
        }
    }

    /// Why a model output of `shape` for a batch of `batch` examples does not fit these targets,
    /// naming both shapes; `nil` when it does.
    public func mismatch(outputShape shape: [Int], batch: Int) -> String? {
        let expected = expectedOutputShape(batch: batch)
        let fits = shape.count == expected.count && zip(shape, expected).allSatisfy { $1 == nil ? $0 >= 1 : $0 == $1 }
        guard !fits else { return nil }
        let written = "(" + expected.map { $0.map(String.init) ?? "classes" }.joined(separator: ", ") + ")"
        return "the model's output has shape \(shape) for a batch of \(batch), but targets of \(description) need an output of shape \(written)"
    }
}
