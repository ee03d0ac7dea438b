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

    private(set) var buffers: [String: Buffer] = [:]
    /// The step count of each parameter (as PyTorch keeps `state[p]["step"]`).
    var steps: [Int]

    init(parameterCount: Int) { steps = [Int](repeating: 0, count: parameterCount) }

    /// Runs `body` with the slot's buffer, created filled with `initial` on first use; `isNew`
    /// tells whether it was just created.
    func withBuffer<R>(
        _ index: Int, _ slot: String, count: Int, initial: Scalar = 0,
        _ body: (UnsafeMutablePointer<Scalar>, _ isNew: Bool) -> R
    ) -> R {
        let key = "\(index).\(slot)"
        if let buffer = buffers[key] {
            return withExtendedLifetime(buffer) { body(buffer.storage.base, false) }
        }
        let buffer = Buffer(TensorStorage(repeating: initial, count: count))
        buffers[key] = buffer
        return withExtendedLifetime(buffer) { body(buffer.storage.base, true) }
    }

    var state: [String: Tensor<Scalar>] {
        var result = buffers.mapValues { Tensor(storage: $0.storage.copy(), shape: [$0.storage.count]) }
        for (i, step) in steps.enumerated() where step > 0 { result["\(i).step"] = Tensor(Scalar(step)) }
        return result
    }

    func load(_ state: [String: Tensor<Scalar>], parameters: [Parameter<Scalar>], slots: Set<String>) throws {
        var newBuffers: [String: Buffer] = [:]
        var newSteps = [Int](repeating: 0, count: parameters.count)
        for (key, tensor) in state {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let index = Int(parts[0]), index >= 0, index < parameters.count else {
                throw OptimizerStateError(description: "optimizer state: unexpected key \"\(key)\"")
            }
            if parts[1] == "step" {
                newSteps[index] = Int(tensor.scalar)
            } else if slots.contains(parts[1]) {
                guard tensor.count == parameters[index].value.count else {
                    throw OptimizerStateError(description: "optimizer state: \"\(key)\" has \(tensor.count) values, "
                                              + "parameter \(index) has \(parameters[index].value.count)")
                }
                newBuffers[key] = Buffer(tensor.detached.storage.copy())
            } else {
                throw OptimizerStateError(description: "optimizer state: unknown slot in key \"\(key)\"")
            }
        }
        buffers = newBuffers
        steps = newSteps
    }
}

extension Optimizer {
    /// Runs `body(index, parameterValues, gradient, count)` for every parameter with a gradient.
    func forEachParameterWithGradient(
        _ body: (Int, UnsafeMutablePointer<Scalar>, UnsafePointer<Scalar>, Int) -> Void
    ) {
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    body(index, p.baseAddress!, g.baseAddress!, p.count)
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
        let norm = Double(g.withUnsafeBufferPointer { Scalar.blasDot(count: $0.count, x: $0.baseAddress!, incX: 1, y: $0.baseAddress!, incY: 1) })
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
        node?.withGradientBuffer { g, _ in Scalar.blasScal(count: count, alpha: factor, x: g, incX: 1) }
    }

    func clampGradient(to limit: Scalar) {
        node?.withGradientBuffer { g, _ in
            Kernels.unary(.clamp(lower: -Double(limit), upper: Double(limit)), g, g, count)
        }
    }
}
