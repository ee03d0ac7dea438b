extension Tensor {
    /// Whether this tensor takes part in autodiff.
    ///
    /// Setting `true` makes the tensor a leaf that collects a ``gradient``; setting `false` detaches
    /// it from the tape.
    public var requiresGradient: Bool {
        get { node != nil }
        set {
            if newValue {
                if node == nil { node = AutogradNode(leafOfShape: shape) }
            } else {
                node = nil
            }
        }
    }

    /// Whether this tensor is a leaf of the tape (it requires gradients and no recorded op made it).
    public var isLeaf: Bool { node?.isLeaf ?? true }

    /// The gradient accumulated into this leaf by ``backward()`` calls, or `nil` if none has been.
    ///
    /// Interior tensors (results of ops) do not keep gradients, as in PyTorch.
    public var gradient: Tensor? {
        guard let node, node.isLeaf else { return nil }
        if let product = node.outerProductGradient {  // written out for the reader; the node keeps its factors
            let dense = TensorStorage<Scalar>(uninitializedCount: count)
            product.writeRows(0..<product.column.count, into: dense.base)
            return Tensor(storage: dense, shape: shape)
        }
        guard let storage = node.gradient else { return nil }
        return Tensor(storage: storage, shape: shape)
    }

    /// Clears the accumulated gradient (it becomes `nil`; the next ``backward()`` starts afresh).
    public func zeroGradient() {
        node?.clearGradient()
    }

    /// The same values, cut from the tape: ops on the result record nothing.
    public var detached: Tensor {
        var copy = self
        copy.node = nil
        return copy
    }

    /// Back-propagates from this scalar: adds ∂self/∂leaf into the ``gradient`` of every leaf it
    /// depends on, visiting ops in reverse topological order. The graph is freed afterwards.
    public func backward() {
        require(count == 1, "Tensor.backward: needs a one-element tensor, shape is \(shape); "
                     + "pass a seed gradient with backward(seed:) for other shapes")
        backward(seed: Tensor(filledWith: 1, shape: shape))
    }

    /// Back-propagates `seed` (∂L/∂self, same shape as `self`) to every leaf.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(seed: Tensor) {
        backward(seed: seed, leafGradientReady: nil)
    }

    /// ``backward(seed:)``, calling `leafGradientReady` with each leaf's node as soon as the last op
    /// that adds to its gradient has run (data-parallel training starts reducing it then).
    func backward(seed: Tensor, leafGradientReady: ((AutogradNode<Scalar>) -> Void)?) {
        require(seed.shape == shape,
                     "Tensor.backward: seed shape \(seed.shape) does not match tensor shape \(shape)")
        guard let root = node else {
            programmerError("Tensor.backward: tensor does not require gradients (no op on the tape)")
        }
        let order = Array(topologicalOrder(from: root).reversed())
        // Leaves whose hooks see this pass's gradient alone: their earlier gradient waits aside.
        var hookedLeaves: [ObjectIdentifier: (gradient: TensorStorage<Scalar>?, product: AutogradNode<Scalar>.OuterProduct?)] = [:]
        func setAside(_ leaf: AutogradNode<Scalar>) {
            guard leaf.isLeaf, leaf.hasHooks, hookedLeaves[ObjectIdentifier(leaf)] == nil else { return }
            hookedLeaves[ObjectIdentifier(leaf)] = (leaf.gradient, leaf.outerProductGradient)
            leaf.clearGradient()
        }
        setAside(root)
        for node in order { node.inputs.forEach(setAside) }
        // For each op, the leaves it is the last op to add to (collected before running: ops drop their inputs).
        let tracksLeaves = leafGradientReady != nil || !hookedLeaves.isEmpty
        var completes = [[AutogradNode<Scalar>]](repeating: [], count: tracksLeaves ? order.count : 0)
        if tracksLeaves {
            var lastUse: [ObjectIdentifier: Int] = [:]
            for (index, node) in order.enumerated() {
                for input in node.inputs where input.isLeaf { lastUse[ObjectIdentifier(input)] = index }
            }
            // In the order of the graph, never of the dictionary: every process calls back in the same order.
            for (index, node) in order.enumerated() {
                for input in node.inputs where input.isLeaf && lastUse[ObjectIdentifier(input)] == index {
                    lastUse[ObjectIdentifier(input)] = -1
                    completes[index].append(input)
                }
            }
        }
        /// A leaf's gradient of this pass is complete: hooks, then the earlier gradient added back.
        func complete(_ leaf: AutogradNode<Scalar>) {
            if let earlier = hookedLeaves.removeValue(forKey: ObjectIdentifier(leaf)) {
                leaf.runHooks()
                if let product = earlier.product {
                    leaf.accumulateOuterProduct(column: product.column, row: product.row)
                } else if let gradient = earlier.gradient {
                    leaf.accumulate(Tensor(storage: gradient, shape: leaf.shape))
                }
            }
            leafGradientReady?(leaf)
        }
        withoutGradients {
            root.accumulate(seed.detached)
            if root.isLeaf { complete(root) }
            for (index, node) in order.enumerated() {
                node.runHooks()
                node.runBackward()
                if tracksLeaves { completes[index].forEach(complete) }
            }
        }
    }

    /// The interior nodes reachable from `root`, each after all of its inputs (iterative
    /// depth-first post-order). Leaves are left out: their gradients only receive.
    private func topologicalOrder(from root: AutogradNode<Scalar>) -> [AutogradNode<Scalar>] {
        // A spent node has dropped its inputs, so its part of the graph would silently contribute nothing.
        func checkUnspent(_ node: AutogradNode<Scalar>) {
            require(!node.isSpent, "Tensor.backward: the graph was already used by a backward pass; "
                         + "recompute the forward pass to differentiate again")
        }
        var order: [AutogradNode<Scalar>] = []
        guard !root.isLeaf else { return order }
        checkUnspent(root)
        var stack: [(node: AutogradNode<Scalar>, nextInput: Int)] = [(root, 0)]
        root.isVisited = true
        while let (node, nextInput) = stack.last {
            if nextInput < node.inputs.count {
                stack[stack.count - 1].nextInput += 1
                let input = node.inputs[nextInput]
                if input.isLeaf { continue }
                checkUnspent(input)
                if !input.isVisited {
                    input.isVisited = true
                    stack.append((input, 0))
                }
            } else {
                order.append(node)
                stack.removeLast()
            }
        }
        return order
    }

    /// Attaches a tape node to this op output when recording is on and any input needs gradients.
    ///
    /// `backward` receives ∂L/∂output and must accumulate into the input nodes it captured.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func recorded(
        _ op: String, inputs: [AutogradNode<Scalar>?], backward: @escaping (Tensor) -> Void
    ) -> Tensor {
        guard GradientMode.isEnabled else { return self }
        var live: [AutogradNode<Scalar>] = []
        live.reserveCapacity(inputs.count)
        for case let input? in inputs { live.append(input) }
        guard !live.isEmpty else { return self }
        var result = self
        result.node = AutogradNode(op: op, shape: shape, inputs: live, backward: backward)
        return result
    }

    /// The result of an op that leaves this tensor as it is (e.g. a reshape to its own shape): the
    /// tensor itself while recording, and detached inside ``withoutGradients(_:)``, like any op result.
    var unchangedResult: Tensor { GradientMode.isEnabled ? self : detached }

    /// Whether an op on these inputs would be recorded (to skip saving values for backward).
    static func needsRecording(_ tensors: Tensor...) -> Bool {
        GradientMode.isEnabled && tensors.contains { $0.node != nil }
    }
}
