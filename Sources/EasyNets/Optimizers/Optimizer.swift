/// Updates a list of parameters from their gradients: state plus one update rule.
///
/// Call ``step()`` after ``Tensor/backward()``, then ``zeroGradients()`` (or zero them before the
/// next backward). Parameters without a gradient are skipped, as in PyTorch.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// The parameters this optimizer updates.
    var parameters: [Parameter<Scalar>] { get }
    /// The learning rate of the next step (schedules set it).
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// The optimizer's state (moments, step counts) as named tensors, for checkpoints.
    var state: [String: Tensor<Scalar>] { get }
    /// Restores state saved by ``state``.
    func loadState(_ state: [String: Tensor<Scalar>]) throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}

/// A checkpoint's optimizer state does not fit this optimizer.
public struct OptimizerStateError: Error, CustomStringConvertible {
    /// Which key does not fit, and why.
    public var description: String
}

/// Per-parameter state buffers of an optimizer, created on first use, named `"<index>.<slot>"`.
final class OptimizerSlots<Scalar: TensorScalar> {
    /// One state buffer; a class so several can be written at once without exclusivity conflicts.
    final class Buffer {
        let storage: TensorStorage<Scalar>
        init(_ storage: TensorStorage<Scalar>) { self.storage = storage }
    }

    /// Each parameter's buffers by slot name (a few at most, so a list).
    private var buffers: [[(slot: String, buffer: Buffer)]]
    /// The step count of each parameter (as PyTorch keeps `state[p]["step"]`).
    var steps: [Int]

    init(parameterCount: Int) {
        buffers = Array(repeating: [], count: parameterCount)
        steps = [Int](repeating: 0, count: parameterCount)
    }

    /// Runs `body` with the slot's buffer, created filled with `initial` on first use; `isNew`
    /// tells whether it was just created.
    func withBuffer<R>(
        _ index: Int, _ slot: String, count: Int, initial: Scalar = 0,
        _ body: (UnsafeMutablePointer<Scalar>, _ isNew: Bool) -> R
    ) -> R {
        if let buffer = buffers[index].first(where: { $0.slot == slot })?.buffer {
            return withExtendedLifetime(buffer) { body(buffer.storage.base, false) }
        }
        let buffer = Buffer(TensorStorage(repeating: initial, count: count))
        buffers[index].append((slot, buffer))
        return withExtendedLifetime(buffer) { body(buffer.storage.base, true) }
    }

    var state: [String: Tensor<Scalar>] {
        var result: [String: Tensor<Scalar>] = [:]
        for (index, slots) in buffers.enumerated() {
            for (slot, buffer) in slots {
                result["\(index).\(slot)"] = Tensor(storage: buffer.storage.copy(), shape: [buffer.storage.count])
            }
        }
        for (i, step) in steps.enumerated() where step > 0 { result["\(i).step"] = Tensor(Scalar(step)) }
        return result
    }

    func load(_ state: [String: Tensor<Scalar>], parameters: [Parameter<Scalar>], slots: Set<String>) throws {
        var newBuffers: [[(slot: String, buffer: Buffer)]] = Array(repeating: [], count: parameters.count)
        var newSteps = [Int](repeating: 0, count: parameters.count)
        for (key, tensor) in state {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let index = Int(parts[0]), index >= 0, index < parameters.count else {
                throw OptimizerStateError(description: "optimizer state: unexpected key \"\(key)\"")
            }
            if parts[1] == "step" {
                guard tensor.count == 1, let step = Int(exactly: tensor.storage.base[0]), step >= 0 else {
                    throw OptimizerStateError(description: "optimizer state: \"\(key)\" is not one whole number ≥ 0")
                }
                newSteps[index] = step
            } else if slots.contains(parts[1]) {
                guard tensor.count == parameters[index].value.count else {
                    throw OptimizerStateError(description: "optimizer state: \"\(key)\" has \(tensor.count) values, "
                                              + "parameter \(index) has \(parameters[index].value.count)")
                }
                newBuffers[index].append((parts[1], Buffer(tensor.detached.storage.copy())))
            } else {
                throw OptimizerStateError(description: "optimizer state: unknown slot in key \"\(key)\"")
            }
        }
        buffers = newBuffers
        steps = newSteps
    }
}

/// A parameter's gradient as an update rule reads it: consecutive pieces, each with its offset
/// into the parameter.
///
/// A dense gradient is one piece. A gradient held as an outer product (a batch-1 ``Linear``
/// weight) is expanded a few rows at a time into a scratch buffer that stays in L1 cache, so the
/// update reads the parameter and its state once and the full gradient is never written out. The
/// pieces hold the same values as the dense gradient, so the update is bit-identical.
struct GradientPieces<Scalar: TensorScalar> {
    fileprivate enum Source {
        case dense(UnsafePointer<Scalar>)
        case outerProduct(AutogradNode<Scalar>.OuterProduct)
    }
    fileprivate let source: Source
    /// The number of scalars in the gradient.
    let count: Int

    /// Scalars per expanded piece: 16 KiB of Float, half of a Zen 4 L1 data cache.
    static var pieceCapacity: Int { 4096 }

    /// The gradient's factors when it is held as an outer product, for update rules with a fused
    /// kernel that forms each element where it is used.
    var outerProduct: AutogradNode<Scalar>.OuterProduct? {
        if case .outerProduct(let product) = source { return product }
        return nil
    }

    /// Calls `body(offset, gradient, count)` for consecutive pieces covering the gradient.
    func forEach(_ body: (_ offset: Int, _ gradient: UnsafePointer<Scalar>, _ count: Int) -> Void) {
        switch source {
        case .dense(let gradient):
            body(0, gradient, count)
        case .outerProduct(let product):
            let rows = product.column.count, columns = product.row.count
            let rowsPerPiece = Swift.max(1, Self.pieceCapacity / Swift.max(columns, 1))
            let scratch = TensorStorage<Scalar>(uninitializedCount: Swift.min(rows, rowsPerPiece) * columns)
            withExtendedLifetime(scratch) {
                for first in stride(from: 0, to: rows, by: rowsPerPiece) {
                    let piece = first..<Swift.min(first + rowsPerPiece, rows)
                    product.writeRows(piece, into: scratch.base)
                    body(first * columns, scratch.base, piece.count * columns)
                }
            }
        }
    }
}

extension Optimizer {
    /// Runs `body(index, parameterValues, gradient, count)` for every parameter with a gradient.
    func forEachParameterWithGradient(
        _ body: (Int, UnsafeMutablePointer<Scalar>, GradientPieces<Scalar>, Int) -> Void
    ) {
        for (index, parameter) in parameters.enumerated() {
            guard let node = parameter.value.node else { continue }
            if let product = node.outerProductGradient {
                parameter.value.withUnsafeMutableBufferPointer { p in
                    body(index, p.baseAddress!, GradientPieces(source: .outerProduct(product), count: p.count), p.count)
                }
                continue
            }
            guard let gradient = parameter.gradient else { continue }
            gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    body(index, p.baseAddress!, GradientPieces(source: .dense(g.baseAddress!), count: g.count), p.count)
                }
            }
        }
    }
}

// MARK: - Gradient clipping

/// Scales all gradients so their global L2 norm is at most `maxNorm` (as PyTorch's
/// `clip_grad_norm_`, with its 1e-6 guard) and returns the norm before clipping.
@discardableResult
public func clipGradientNorm<Scalar>(_ parameters: [Parameter<Scalar>], maxNorm: Double) -> Double {
    var total = 0.0
    for parameter in parameters {
        guard let g = parameter.gradient else { continue }
        let norm = Double(g.withUnsafeBufferPointer { VectorRoutines.dot($0.baseAddress!, $0.baseAddress!, count: $0.count) })
        total += norm
    }
    let norm = total.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for parameter in parameters where parameter.gradient != nil {
            parameter.value.scaleGradient(by: Scalar(coefficient))
        }
    }
    return norm
}

/// Clamps every gradient element to `-maxValue...maxValue` (as PyTorch's `clip_grad_value_`).
public func clipGradientValue<Scalar>(_ parameters: [Parameter<Scalar>], maxValue: Double) {
    for parameter in parameters where parameter.gradient != nil {
        parameter.value.clampGradient(to: Scalar(maxValue))
    }
}

extension Tensor {
    func scaleGradient(by factor: Scalar) {
        node?.withGradientBuffer { g, _ in VectorRoutines.scale(g, count: count, by: factor) }
    }

    func clampGradient(to limit: Scalar) {
        node?.withGradientBuffer { g, _ in
            Kernels.unary(.clamp(lower: -Double(limit), upper: Double(limit)), .forward(x: g, y: g), count)
        }
    }
}
