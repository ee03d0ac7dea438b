/// Updates parameters from their gradients: state plus one update rule, over one or more
/// parameter groups (``OptimizerGroup``), each with its own learning rate and options.
///
/// Call ``step()`` after ``Tensor/backward()``, then ``zeroGradients()`` (or zero them before the
/// next backward). Parameters without a gradient, frozen ones among them (``Parameter/isFrozen``),
/// are skipped, as in PyTorch.
public protocol Optimizer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// Every group's parameters, in order: the parameters this optimizer updates.
    var parameters: [Parameter<Scalar>] { get }
    /// The parameter groups, in order (PyTorch's `param_groups`). Set a group's learning rate or
    /// initial rate through them; the groups and their parameters are fixed.
    var groups: [OptimizerGroup<Scalar>] { get set }
    /// The learning rate of the next step, for single-group use: reading gives the first group's
    /// rate, setting sets every group's.
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// The optimizer's state (moments, step counts) as named tensors, for checkpoints.
    var state: [String: Tensor<Scalar>] { get }
    /// Restores state saved by ``state``.
    func loadState(_ state: [String: Tensor<Scalar>]) throws
}

extension Optimizer {
    /// The first group's learning rate; setting it sets every group's (schedules of several
    /// groups set each group's through ``groups``).
    public var learningRate: Double {
        get { groups[0].learningRate }
        set {
            var groups = groups
            for index in groups.indices { groups[index].learningRate = newValue }
            self.groups = groups
        }
    }

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

    /// Whether parameter `index` has a buffer in `slot` yet.
    func hasBuffer(_ index: Int, _ slot: String) -> Bool { buffers[index].contains { $0.slot == slot } }

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

    /// Runs `body` with two slots' buffers of parameter `index` (both created zeroed on first use),
    /// as the optimizers with a first and a second moment use them.
    func withBuffers(_ index: Int, _ first: String, _ second: String, count: Int,
                     _ body: (UnsafeMutablePointer<Scalar>, UnsafeMutablePointer<Scalar>) -> Void) {
        withBuffer(index, first, count: count) { a, _ in
            withBuffer(index, second, count: count) { b, _ in body(a, b) }
        }
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

    /// Restores `state`: buffers of `slots` (one value per parameter element) and of `scalarSlots`
    /// (one value per parameter, such as NAdam's product of momentum coefficients).
    func load(_ state: [String: Tensor<Scalar>], parameters: [Parameter<Scalar>], slots: Set<String>,
              scalarSlots: Set<String> = []) throws {
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
            } else if slots.contains(parts[1]) || scalarSlots.contains(parts[1]) {
                let expected = scalarSlots.contains(parts[1]) ? 1 : parameters[index].value.count
                guard tensor.count == expected else {
                    throw OptimizerStateError(description: "optimizer state: \"\(key)\" has \(tensor.count) values, "
                                              + "parameter \(index) needs \(expected)")
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
