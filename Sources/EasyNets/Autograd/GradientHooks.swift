/// Removes a gradient hook registered by ``Tensor/registerGradientHook(_:)`` or
/// ``Parameter/registerGradientHook(_:)``.
public struct GradientHookHandle {
    let removal: () -> Void

    /// Removes the hook; later backward passes no longer call it. Removing twice does nothing.
    public func remove() { removal() }
}

/// The hooks of one tensor, in registration order; a class so a parameter and its tape leaf share them.
final class GradientHookList<Scalar: TensorScalar> {
    private var hooks: [(id: Int, hook: (Tensor<Scalar>) -> Tensor<Scalar>?)] = []
    private var nextID = 0

    var isEmpty: Bool { hooks.isEmpty }

    func add(_ hook: @escaping (Tensor<Scalar>) -> Tensor<Scalar>?) -> GradientHookHandle {
        let id = nextID
        nextID += 1
        hooks.append((id, hook))
        return GradientHookHandle { [weak self] in self?.hooks.removeAll { $0.id == id } }
    }

    /// Runs every hook in order, each on what the one before it returned, and returns the result.
    func run(on gradient: Tensor<Scalar>, op: String) -> Tensor<Scalar> {
        var current = gradient
        for (_, hook) in hooks {
            guard let replacement = hook(current) else { continue }
            require(replacement.shape == gradient.shape,
                    "gradient hook on \(op): replacement shape \(replacement.shape) does not match \(gradient.shape)")
            current = replacement.detached
        }
        return current
    }
}

extension AutogradNode {
    /// Runs this node's hooks on its complete gradient and keeps what they return.
    func runHooks() {
        guard let hooks, !hooks.isEmpty else { return }
        materializeGradient()
        guard let gradient else { return }
        self.gradient = hooks.run(on: Tensor(storage: gradient, shape: shape), op: op).storage
    }
}

extension Tensor {
    /// Registers `hook` to be called with this tensor's gradient once a backward pass has
    /// completed it; a non-`nil` result replaces the gradient (same shape), as PyTorch's
    /// `Tensor.register_hook`.
    ///
    /// The tensor must require gradients. For the result of an op, the hook sees ∂L/∂self once
    /// every op that uses the tensor has added to it, and the replacement is what flows on to the
    /// op's inputs. For a leaf (a parameter's value), the hook sees this backward pass's gradient
    /// before it adds into ``gradient``, so a replacement changes what is accumulated, not what
    /// earlier passes left. Each hook runs at most once per backward pass (not at all when no
    /// gradient reaches the tensor), in registration order, each given the previous one's result.
    /// Hooks run without recording. A replacement of another shape stops with a message.
    ///
    /// - Returns: a handle whose ``GradientHookHandle/remove()`` unregisters the hook.
    @discardableResult
    public func registerGradientHook(_ hook: @escaping (Tensor) -> Tensor?) -> GradientHookHandle {
        guard let node else {
            programmerError("Tensor.registerGradientHook: tensor of shape \(shape) does not require gradients")
        }
        if node.hooks == nil { node.hooks = GradientHookList() }
        return node.hooks!.add(hook)
    }
}

extension Parameter {
    /// Registers `hook` on the parameter's gradient, as ``Tensor/registerGradientHook(_:)`` on its
    /// ``value``: called once per backward pass with the pass's gradient for this parameter, before
    /// it adds into ``gradient``; a non-`nil` result replaces it. The hooks stay with the parameter
    /// when its value is replaced or it is frozen and unfrozen (a frozen parameter gets no
    /// gradient, so its hooks do not run).
    ///
    /// To clip one layer's gradient, register on each of its parameters a hook that returns the
    /// clipped gradient; to log norms, one that records the norm and returns `nil`.
    ///
    /// - Returns: a handle whose ``GradientHookHandle/remove()`` unregisters the hook.
    @discardableResult
    public func registerGradientHook(_ hook: @escaping (Tensor<Scalar>) -> Tensor<Scalar>?) -> GradientHookHandle {
        value.node?.hooks = hooks
        return hooks.add(hook)
    }
}
