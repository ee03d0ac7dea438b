/// An optimizer whose step evaluates the objective itself, as often as it needs (PyTorch's
/// `optimizer.step(closure)`): ``LBFGS``.
///
/// The closure clears the gradients, runs the forward pass, the loss and the backward pass at the
/// parameters' current values, and returns the loss:
///
/// ```text
/// optimizer.step { model.zeroGradients(); let loss = mse(model(x), y); loss.backward(); return Double(loss.scalar) }
/// ```
///
/// A ``Trainer`` given such an optimizer passes a closure that does this on the current batch.
/// Its plain ``Optimizer/step()`` stops with a programmer error: the step needs the closure.
public protocol ReevaluatingOptimizer<Scalar>: Optimizer {
    /// Takes one step, calling `evaluate` (clear the gradients, forward, loss, backward; return the
    /// loss) as often as the step needs, and returns the loss of the first call, at the parameters
    /// before the step (PyTorch's `orig_loss`). An error thrown by `evaluate` ends the step at once.
    @discardableResult
    func step<Failure: Error>(evaluating evaluate: () throws(Failure) -> Double) throws(Failure) -> Double
}

/// Limited-memory BFGS (Nocedal 1980, after minFunc), as `torch.optim.LBFGS`.
///
/// Over the parameters flattened into one vector x with gradient g, each ``step(evaluating:)``
/// runs up to ``maxIterations`` iterations. The first iteration of the run goes down the gradient,
/// d = −g, with step t = min(1, 1/‖g‖₁)·lr; later ones take d = −H·g, the two-loop recursion over
/// the last ``historySize`` pairs s = t·d, y = g′ − g (kept when yᵀs > 10⁻¹⁰) with the initial
/// Hessian scale yᵀs/yᵀy, and step t = lr. Without a line search x moves by t·d and the closure is
/// called again (except after the last iteration); with ``LineSearch/strongWolfe`` t is chosen by
/// PyTorch's `_strong_wolfe`: bracketing and cubic-interpolation zoom to the strong Wolfe
/// conditions with c₁ = 10⁻⁴, c₂ = 0.9, a bracket tolerance of 10⁻⁹ and at most
/// ``maxEvaluations`` − (evaluations so far in the step) evaluations.
///
/// A step ends after ``maxIterations`` iterations or ``maxEvaluations`` evaluations, when
/// max|g| ≤ ``toleranceGradient``, when gᵀd > −``toleranceChange``, or when max|t·d| or the change
/// of the loss falls below ``toleranceChange``. The direction, step size, history, Hessian scale,
/// last gradient and loss, and the iteration and evaluation counts carry over to the next step and
/// into checkpoints (``state``), so a resumed run continues identically.
///
/// One parameter group, as in PyTorch; parameters without a gradient count as zero gradient. The
/// scalars PyTorch keeps as Python floats (the loss, t) are `Double` here; the vectors, dot products,
/// 1/yᵀs and the Hessian scale are of the parameters' type.
///
/// Memory: (2·``historySize`` + 3) copies of the parameters (4 more during a line search); time per
/// iteration: O(``historySize``·n) in BLAS level-1 routines.
public final class LBFGS<Scalar: TensorScalar>: ReevaluatingOptimizer {
    /// How each iteration chooses its step size.
    public enum LineSearch: String, Sendable, CaseIterable {
        /// A fixed step: t = lr (PyTorch's `line_search_fn=None`).
        case none
        /// A line search to the strong Wolfe conditions (PyTorch's `line_search_fn="strong_wolfe"`).
        case strongWolfe
    }

    public let parameters: [Parameter<Scalar>]
    /// The single group: its learning rate, and the initial rate schedules scale.
    private var group: OptimizerGroup<Scalar>
    public var groups: [OptimizerGroup<Scalar>] {
        get { [group] }
        set {
            require(newValue.count == 1 && newValue[0].parameters.count == parameters.count
                    && zip(newValue[0].parameters, parameters).allSatisfy { $0 === $1 },
                    "LBFGS.groups: the group and its parameters are fixed when the optimizer is made; set its learning rate only")
            (group.learningRate, group.initialLearningRate) = (newValue[0].learningRate, newValue[0].initialLearningRate)
        }
    }
    /// The most iterations per step (PyTorch's `max_iter`).
    public let maxIterations: Int
    /// The most evaluations of the closure per step (PyTorch's `max_eval`).
    public let maxEvaluations: Int
    /// A step ends when the largest gradient magnitude is at most this (`tolerance_grad`).
    public let toleranceGradient: Double
    /// A step ends when the loss, the parameters' change or the directional derivative change
    /// less than this (`tolerance_change`).
    public let toleranceChange: Double
    /// The most (s, y) pairs kept (`history_size`).
    public let historySize: Int
    /// How the step size is chosen (`line_search_fn`).
    public let lineSearch: LineSearch

    /// The number of values of all parameters: the length of the flattened vectors.
    private let count: Int
    /// Iterations over the whole run (`n_iter`).
    public private(set) var iterationCount = 0
    /// Evaluations of the closure over the whole run (`func_evals`).
    public private(set) var evaluationCount = 0
    /// The last direction d (`d`), `count` values; empty before the first iteration.
    private var direction: [Scalar] = []
    /// The last step size t (`t`).
    private var stepSize = 0.0
    /// The history, oldest first: gradient changes y (`old_dirs`), steps s = t·d (`old_stps`) and 1/yᵀs (`ro`).
    private var gradientChanges: [[Scalar]] = [], parameterSteps: [[Scalar]] = [], inverseCurvatures: [Scalar] = []
    /// The scale of the initial inverse Hessian, yᵀs/yᵀy of the newest pair (`H_diag`).
    private var hessianScale: Scalar = 1
    /// The gradient at the start of the last iteration (`prev_flat_grad`).
    private var previousGradient: [Scalar] = []
    /// The loss at the start of the last iteration (`prev_loss`).
    private var previousLoss = 0.0

    /// L-BFGS over `parameters`, with PyTorch's defaults; `maxEvaluations` defaults to
    /// `maxIterations·5/4` (rounded down).
    public init(_ parameters: [Parameter<Scalar>], learningRate: Double = 1, maxIterations: Int = 20,
                maxEvaluations: Int? = nil, toleranceGradient: Double = 1e-7, toleranceChange: Double = 1e-9,
                historySize: Int = 100, lineSearch: LineSearch = .none) {
        let maxEvaluations = maxEvaluations ?? maxIterations * 5 / 4
        require(learningRate >= 0, "LBFGS: learningRate must be ≥ 0, got \(learningRate)")
        require(maxIterations >= 1, "LBFGS: maxIterations must be at least 1, got \(maxIterations)")
        require(maxEvaluations >= 1, "LBFGS: maxEvaluations must be at least 1, got \(maxEvaluations)")
        require(historySize >= 1, "LBFGS: historySize must be at least 1, got \(historySize)")
        require(Set(parameters.map(ObjectIdentifier.init)).count == parameters.count,
                "LBFGS: a parameter appears more than once in the parameter list")
        self.parameters = parameters
        group = OptimizerGroup(parameters: parameters, learningRate: learningRate, initialLearningRate: learningRate)
        (self.maxIterations, self.maxEvaluations, self.historySize, self.lineSearch) = (maxIterations, maxEvaluations, historySize, lineSearch)
        (self.toleranceGradient, self.toleranceChange) = (toleranceGradient, toleranceChange)
        count = parameters.reduce(0) { $0 + $1.value.count }
        require(count > 0, "LBFGS: got no parameter values to optimize (as PyTorch's optimizers refuse an empty parameter list)")
    }

    /// Stops with a programmer error: L-BFGS evaluates the loss several times per step; call
    /// ``step(evaluating:)``.
    public func step() {
        programmerError("LBFGS.step(): L-BFGS evaluates the loss several times per step; call step(evaluating:) with a closure "
                        + "that clears the gradients, computes the loss and its gradients, and returns the loss")
    }

    @discardableResult
    public func step<Failure: Error>(evaluating evaluate: () throws(Failure) -> Double) throws(Failure) -> Double {
        let learningRate = group.learningRate
        // Evaluate the loss and gradient at the start.
        let originalLoss = try evaluate()
        var loss = originalLoss
        var evaluations = 1
        evaluationCount += 1
        var gradient = gatherGradient()
        if Double(maximumMagnitude(gradient)) <= toleranceGradient { return originalLoss }

        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            iterationCount += 1

            // The descent direction.
            if iterationCount == 1 {
                direction = gradient
                scale(&direction, by: -1)
                (gradientChanges, parameterSteps, inverseCurvatures, hessianScale) = ([], [], [], 1)
            } else {
                updateHistory(gradient: gradient)
                direction = inverseHessianTimesNegative(gradient)
            }
            previousGradient = gradient
            previousLoss = loss

            // The step size's first guess.
            if iterationCount == 1 {
                // min(1, 1/‖g‖₁)·lr, where PyTorch's 1/‖g‖₁ is a tensor of the parameters' type.
                let inverse = 1 / gradient.withUnsafeBufferPointer { VectorRoutines.absoluteSum($0.baseAddress!, count: count) }
                stepSize = inverse < 1 ? Double(inverse * Scalar(learningRate)) : learningRate
            } else {
                stepSize = learningRate
            }
            // The directional derivative: no descent left along d.
            let slope = Double(dot(gradient, direction))
            if slope > -toleranceChange { break }

            var lineEvaluations = 0
            switch lineSearch {
            case .strongWolfe:
                let start = parameters.map { $0.value.scalars }
                let found = try strongWolfe(start: start, step: stepSize, loss: loss, gradient: gradient, slope: slope,
                                            maxEvaluations: maxEvaluations - evaluations, evaluate: evaluate)
                (loss, gradient, stepSize, lineEvaluations) = (found.loss, found.gradient, found.step, found.evaluations)
                addToParameters(direction, scaledBy: stepSize)
            case .none:
                addToParameters(direction, scaledBy: stepSize)
                if iterations != maxIterations {
                    // Re-evaluated only before another iteration: after the last, the new loss would go unused.
                    loss = try evaluate()
                    gradient = gatherGradient()
                    lineEvaluations = 1
                }
            }
            evaluations += lineEvaluations
            evaluationCount += lineEvaluations

            // When to stop.
            if iterations == maxIterations || evaluations >= maxEvaluations { break }
            if Double(maximumMagnitude(gradient)) <= toleranceGradient { break }
            if Double(abs(Scalar(stepSize)) * maximumMagnitude(direction)) <= toleranceChange { break }
            if abs(loss - previousLoss) < toleranceChange { break }
        }
        return originalLoss
    }

    // MARK: - The direction

    /// Adds the pair s = t·d, y = g − g_prev to the history when yᵀs > 10⁻¹⁰ (dropping the oldest
    /// when full), and rescales the initial inverse Hessian to yᵀs/yᵀy.
    private func updateHistory(gradient: [Scalar]) {
        var y = gradient
        add(previousGradient, scaledBy: -1, into: &y)
        var s = direction
        scale(&s, by: Scalar(stepSize))
        let ys = dot(y, s)
        guard ys > 1e-10 else { return }
        if gradientChanges.count == historySize {
            gradientChanges.removeFirst()
            parameterSteps.removeFirst()
            inverseCurvatures.removeFirst()
        }
        gradientChanges.append(y)
        parameterSteps.append(s)
        inverseCurvatures.append(1 / ys)
        hessianScale = ys / dot(y, y)
    }

    /// −H·g by the two-loop recursion over the history, with H₀ = ``hessianScale``·I.
    private func inverseHessianTimesNegative(_ gradient: [Scalar]) -> [Scalar] {
        var q = gradient
        scale(&q, by: -1)
        var alphas = [Scalar](repeating: 0, count: gradientChanges.count)
        for i in gradientChanges.indices.reversed() {
            alphas[i] = dot(parameterSteps[i], q) * inverseCurvatures[i]
            add(gradientChanges[i], scaledBy: -alphas[i], into: &q)
        }
        scale(&q, by: hessianScale)
        for i in gradientChanges.indices {
            let beta = dot(gradientChanges[i], q) * inverseCurvatures[i]
            add(parameterSteps[i], scaledBy: alphas[i] - beta, into: &q)
        }
        return q
    }

    // MARK: - The strong Wolfe line search

    /// PyTorch's `_strong_wolfe` from `start` along ``direction``: bracket a step satisfying the
    /// strong Wolfe conditions, then zoom by cubic interpolation. Leaves the parameters at `start`;
    /// returns the chosen step with its loss and gradient, and the evaluations it took.
    private func strongWolfe<Failure: Error>(start: [[Scalar]], step initialStep: Double, loss f: Double, gradient g: [Scalar], slope gtd: Double,
                             maxEvaluations maxSearches: Int, evaluate: () throws(Failure) -> Double)
        throws(Failure) -> (loss: Double, gradient: [Scalar], step: Double, evaluations: Int) {
        let (c1, c2, tolerance) = (1e-4, 0.9, 1e-9)
        let directionSize = Double(maximumMagnitude(direction))
        var t = initialStep
        // The loss and gradient at start + t·d; the parameters go back to start.
        func evaluateAt(_ t: Double) throws(Failure) -> (Double, [Scalar], Double) {
            addToParameters(direction, scaledBy: t)
            let loss = try evaluate()
            let gradient = gatherGradient()
            for (parameter, values) in zip(parameters, start) {
                parameter.value.withUnsafeMutableBufferPointer { p in
                    values.withUnsafeBufferPointer { copyScalars(to: p.baseAddress!, from: $0.baseAddress!, count: p.count) }
                }
            }
            return (loss, gradient, Double(dot(gradient, direction)))
        }
        var (fNew, gNew, gtdNew) = try evaluateAt(t)
        var evaluations = 1

        // Bracket an interval containing a point satisfying the conditions.
        var (tPrevious, fPrevious, gPrevious, gtdPrevious) = (0.0, f, g, gtd)
        var done = false
        var iteration = 0
        var bracket: [Double] = [], bracketLoss: [Double] = [], bracketGradient: [[Scalar]] = [], bracketSlope: [Double] = []
        while iteration < maxSearches {
            if fNew > f + c1 * t * gtd || (iteration > 1 && fNew >= fPrevious) {
                (bracket, bracketLoss, bracketGradient, bracketSlope) = ([tPrevious, t], [fPrevious, fNew], [gPrevious, gNew], [gtdPrevious, gtdNew])
                break
            }
            if abs(gtdNew) <= -c2 * gtd {
                (bracket, bracketLoss, bracketGradient) = ([t], [fNew], [gNew])
                done = true
                break
            }
            if gtdNew >= 0 {
                (bracket, bracketLoss, bracketGradient, bracketSlope) = ([tPrevious, t], [fPrevious, fNew], [gPrevious, gNew], [gtdPrevious, gtdNew])
                break
            }
            // Extrapolate by cubic interpolation within [t + 0.01(t − t_prev), 10t].
            let minimumStep = t + 0.01 * (t - tPrevious), maximumStep = t * 10
            let current = t
            t = cubicInterpolate(tPrevious, fPrevious, gtdPrevious, t, fNew, gtdNew, bounds: (minimumStep, maximumStep))
            (tPrevious, fPrevious, gPrevious, gtdPrevious) = (current, fNew, gNew, gtdNew)
            (fNew, gNew, gtdNew) = try evaluateAt(t)
            evaluations += 1
            iteration += 1
        }
        if iteration == maxSearches {  // out of evaluations: bracket [0, t]
            (bracket, bracketLoss, bracketGradient) = ([0, t], [f, fNew], [g, gNew])
        }

        // Zoom: shrink the bracket until a point satisfies the conditions.
        var insufficientProgress = false
        var (low, high) = bracketLoss[0] <= bracketLoss[bracketLoss.count - 1] ? (0, 1) : (1, 0)
        while !done && iteration < maxSearches {
            if abs(bracket[1] - bracket[0]) * directionSize < tolerance { break }
            t = cubicInterpolate(bracket[0], bracketLoss[0], bracketSlope[0], bracket[1], bracketLoss[1], bracketSlope[1], bounds: nil)
            // A trial too close to an end of the bracket (twice running, or beyond it) moves 0.1 of
            // the bracket's width inside.
            let upper = pyMax(bracket[0], bracket[1]), lower = pyMin(bracket[0], bracket[1])
            let margin = 0.1 * (upper - lower)
            if pyMin(upper - t, t - lower) < margin {
                if insufficientProgress || t >= upper || t <= lower {
                    t = abs(t - upper) < abs(t - lower) ? upper - margin : lower + margin
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            (fNew, gNew, gtdNew) = try evaluateAt(t)
            evaluations += 1
            iteration += 1

            if fNew > f + c1 * t * gtd || fNew >= bracketLoss[low] {
                // Not a sufficient decrease, or not below the low end: the new high end.
                (bracket[high], bracketLoss[high], bracketGradient[high], bracketSlope[high]) = (t, fNew, gNew, gtdNew)
                (low, high) = bracketLoss[0] <= bracketLoss[1] ? (0, 1) : (1, 0)
            } else {
                if abs(gtdNew) <= -c2 * gtd {
                    done = true
                } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                    // The old low end becomes the high end.
                    (bracket[high], bracketLoss[high], bracketGradient[high], bracketSlope[high])
                        = (bracket[low], bracketLoss[low], bracketGradient[low], bracketSlope[low])
                }
                (bracket[low], bracketLoss[low], bracketGradient[low], bracketSlope[low]) = (t, fNew, gNew, gtdNew)
            }
        }
        return (bracketLoss[low], bracketGradient[low], bracket[low], evaluations)
    }

    // MARK: - Flattened vectors

    /// Every parameter's gradient, one after the other (zeros for a parameter without one).
    private func gatherGradient() -> [Scalar] {
        var flat = [Scalar](repeating: 0, count: count)
        flat.withUnsafeMutableBufferPointer { flat in
            var offset = 0
            for parameter in parameters {
                let n = parameter.value.count
                if let node = parameter.value.node {
                    node.materializeGradient()
                    if let gradient = node.gradient {
                        withExtendedLifetime(gradient) { copyScalars(to: flat.baseAddress! + offset, from: gradient.base, count: n) }
                    }
                }
                offset += n
            }
        }
        return flat
    }

    /// Adds `t·update` to the parameters (their values in order, as the flattened vector).
    private func addToParameters(_ update: [Scalar], scaledBy t: Double) {
        update.withUnsafeBufferPointer { update in
            var offset = 0
            for parameter in parameters {
                parameter.value.withUnsafeMutableBufferPointer { p in
                    VectorRoutines.add(update.baseAddress! + offset, scaledBy: Scalar(t), into: p.baseAddress!, count: p.count)
                    offset += p.count
                }
            }
        }
    }

    private func dot(_ x: [Scalar], _ y: [Scalar]) -> Scalar {
        x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { VectorRoutines.dot(x.baseAddress!, $0.baseAddress!, count: count) } }
    }

    private func scale(_ x: inout [Scalar], by alpha: Scalar) {
        x.withUnsafeMutableBufferPointer { VectorRoutines.scale($0.baseAddress!, count: count, by: alpha) }
    }

    private func add(_ x: [Scalar], scaledBy alpha: Scalar, into y: inout [Scalar]) {
        x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { VectorRoutines.add(x.baseAddress!, scaledBy: alpha, into: $0.baseAddress!, count: count) }
        }
    }

    private func maximumMagnitude(_ x: [Scalar]) -> Scalar {
        x.withUnsafeBufferPointer { VectorRoutines.maximumMagnitude($0.baseAddress!, count: count) }
    }

    // MARK: - Checkpoints

    /// The state under PyTorch's names, as `state[0]` of its `state_dict`: `0.n_iter` and
    /// `0.func_evals`, and after the first iteration `0.d`, `0.prev_flat_grad` (n values each),
    /// `0.H_diag`, `0.old_dirs`, `0.old_stps` ((history, n), absent while the history is empty),
    /// `0.ro` (history), and `0.t` and `0.prev_loss`, which are `Double`: stored as three values of
    /// the parameters' type whose sum is exactly the `Double`.
    public var state: [String: Tensor<Scalar>] {
        var result = ["0.n_iter": Tensor(Scalar(iterationCount)), "0.func_evals": Tensor(Scalar(evaluationCount))]
        guard iterationCount > 0 else { return result }
        result["0.d"] = Tensor(direction, shape: [count])
        result["0.prev_flat_grad"] = Tensor(previousGradient, shape: [count])
        result["0.H_diag"] = Tensor(hessianScale)
        result["0.t"] = Tensor(exactParts(of: stepSize), shape: [3])
        result["0.prev_loss"] = Tensor(exactParts(of: previousLoss), shape: [3])
        if !gradientChanges.isEmpty {
            result["0.old_dirs"] = Tensor(gradientChanges.flatMap { $0 }, shape: [gradientChanges.count, count])
            result["0.old_stps"] = Tensor(parameterSteps.flatMap { $0 }, shape: [parameterSteps.count, count])
            result["0.ro"] = Tensor(inverseCurvatures, shape: [inverseCurvatures.count])
        }
        return result
    }

    /// Restores state saved by ``state``; every key is checked against these parameters before
    /// anything changes.
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        func fail(_ reason: String) -> OptimizerStateError { OptimizerStateError(description: "LBFGS state: " + reason) }
        func counter(_ key: String) throws -> Int {
            guard let tensor = state[key] else { return 0 }
            guard tensor.count == 1, let value = Int(exactly: tensor.scalars[0]), value >= 0 else {
                throw fail("\"\(key)\" is not one whole number ≥ 0")
            }
            return value
        }
        func tensor(_ key: String, shape: [Int]) throws -> [Scalar] {
            guard let tensor = state[key], tensor.shape == shape else {
                throw fail("\"\(key)\" is missing or not of shape \(shape) (\(count) parameter values)")
            }
            return tensor.scalars
        }
        let known: Set<String> = ["0.n_iter", "0.func_evals", "0.d", "0.prev_flat_grad", "0.H_diag", "0.t", "0.prev_loss",
                                  "0.old_dirs", "0.old_stps", "0.ro"]
        if let unknown = state.keys.sorted().first(where: { !known.contains($0) }) { throw fail("unexpected key \"\(unknown)\"") }
        let iterations = try counter("0.n_iter"), evaluations = try counter("0.func_evals")
        guard iterations > 0 else {
            guard state.keys.allSatisfy({ $0 == "0.n_iter" || $0 == "0.func_evals" }) else {
                throw fail("holds a direction or history but no iterations (\"0.n_iter\")")
            }
            (iterationCount, evaluationCount, direction, previousGradient) = (0, evaluations, [], [])
            (gradientChanges, parameterSteps, inverseCurvatures, hessianScale, stepSize, previousLoss) = ([], [], [], 1, 0, 0)
            return
        }
        let newDirection = try tensor("0.d", shape: [count]), newGradient = try tensor("0.prev_flat_grad", shape: [count])
        let scale = try tensor("0.H_diag", shape: [])[0]
        let t = try tensor("0.t", shape: [3]).reduce(0.0) { $0 + Double($1) }
        let loss = try tensor("0.prev_loss", shape: [3]).reduce(0.0) { $0 + Double($1) }
        let pairs = state["0.ro"]?.count ?? 0
        guard pairs <= historySize else { throw fail("holds \(pairs) pairs; this optimizer keeps at most \(historySize)") }
        var changes: [[Scalar]] = [], steps: [[Scalar]] = [], curvatures: [Scalar] = []
        if pairs > 0 || state["0.old_dirs"] != nil || state["0.old_stps"] != nil {
            curvatures = try tensor("0.ro", shape: [pairs])
            let y = try tensor("0.old_dirs", shape: [pairs, count]), s = try tensor("0.old_stps", shape: [pairs, count])
            changes = (0..<pairs).map { Array(y[$0 * count ..< ($0 + 1) * count]) }
            steps = (0..<pairs).map { Array(s[$0 * count ..< ($0 + 1) * count]) }
        }
        (iterationCount, evaluationCount, direction, previousGradient) = (iterations, evaluations, newDirection, newGradient)
        (gradientChanges, parameterSteps, inverseCurvatures, hessianScale, stepSize, previousLoss) = (changes, steps, curvatures, scale, t, loss)
    }
}

/// `x` as three values of `Scalar` whose sum, in `Double`, is `x` exactly (for `Double` the
/// second and third are 0): how a `Float` checkpoint keeps a `Double`.
func exactParts<Scalar: TensorScalar>(of x: Double) -> [Scalar] {
    var rest = x
    return (0..<3).map { _ in
        let part = Scalar(rest)
        if rest.isFinite { rest -= Double(part) }
        return part
    }
}

/// Python's `min(a, b)` and `max(a, b)`: the first argument unless the second is smaller (larger).
private func pyMin(_ a: Double, _ b: Double) -> Double { b < a ? b : a }
private func pyMax(_ a: Double, _ b: Double) -> Double { b > a ? b : a }

/// The minimizer of the cubic through (x₁, f₁) and (x₂, f₂) with slopes g₁ and g₂, clamped to
/// `bounds` (default: between x₁ and x₂), or the middle of the bounds when the cubic has none
/// (PyTorch's `_cubic_interpolate`, from minFunc's `polyinterp`).
func cubicInterpolate(_ x1: Double, _ f1: Double, _ g1: Double, _ x2: Double, _ f2: Double, _ g2: Double,
                      bounds: (Double, Double)?) -> Double {
    let (lower, upper) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    guard d2Square >= 0 else { return (lower + upper) / 2 }
    let d2 = d2Square.squareRoot()
    let minimum = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                           : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return pyMin(pyMax(minimum, lower), upper)
}
