/// An exponential moving average of a model's weights, as `torch.optim.swa_utils.AveragedModel`
/// with `get_ema_multi_avg_fn(decay)` (or timm's `ModelEmaV2`), for evaluating with smoothed weights.
///
/// ``update()`` after each optimizer step: the first copies the parameters, each later one moves
/// every average toward its parameter, a ← a + (1 − d)(p − a). With `warmup`, update k (from 1)
/// uses d = min(decay, (1 + k)/(10 + k)), so early averages forget the initial weights fast.
/// Every parameter is averaged, frozen ones and normalization statistics kept as parameters
/// among them; 64-bit integer counters are not. As a ``TrainingObserver`` given to a
/// ``Trainer``, it updates after each step; as the trainer's ``Trainer/movingAverage`` it also
/// evaluates the validation data and is saved in the trainer's checkpoints.
///
/// To evaluate with the averages, ``swap()`` them into the model and ``swap()`` back, or ``copy()``
/// them in for good. ``save(toCheckpoint:)`` and ``load(fromCheckpoint:)`` keep the averages in a
/// ``TrainingCheckpoint`` file as tensors `ema.<parameter name>` with the update count.
///
/// Memory: one copy of the parameters; time: one pass over them per update.
public final class ExponentialMovingAverage<Scalar: TensorScalar>: TrainingObserver {
    /// The decay d of each update after the first (the warm-up caps it lower early on).
    public let decay: Double
    /// Whether the decay warms up as min(decay, (1 + k)/(10 + k)).
    public let warmup: Bool
    /// The updates so far (the first copies the parameters).
    public private(set) var updateCount = 0
    /// The averaged parameters, with the model's names.
    public let namedParameters: [(name: String, parameter: Parameter<Scalar>)]
    /// One average per parameter, in ``namedParameters`` order.
    private var averages: [Tensor<Scalar>]

    /// An average of `model`'s parameters, starting as a copy of their current values.
    public init(of model: some Layer<Scalar>, decay: Double = 0.999, warmup: Bool = false) {
        require(decay >= 0 && decay <= 1, "ExponentialMovingAverage: decay \(decay) is not in 0...1")
        self.decay = decay
        self.warmup = warmup
        namedParameters = model.namedParameters.filter { !$0.parameter.isInteger }
        averages = namedParameters.map { $0.parameter.value.ownCopy }
    }

    /// The decay the next update uses (after the first, which copies).
    public var nextDecay: Double {
        let k = Double(updateCount + 1)
        return warmup ? Swift.min(decay, (1 + k) / (10 + k)) : decay
    }

    /// The current averages, in ``namedParameters`` order.
    public var averagedValues: [Tensor<Scalar>] { averages }

    /// Moves every average toward its parameter's current value (the first update copies it).
    public func update() {
        let weight = Scalar(1 - nextDecay)
        let first = updateCount == 0
        updateCount += 1
        for (index, (_, parameter)) in namedParameters.enumerated() {
            parameter.value.withUnsafeBufferPointer { p in
                averages[index].withUnsafeMutableBufferPointer { a in
                    for i in 0..<a.count {
                        // As torch.lerp: from the nearer end, so a weight of 1 lands exactly on p.
                        a[i] = first ? p[i] : (weight < 0.5 ? a[i] + weight * (p[i] - a[i])
                                                             : p[i] - (p[i] - a[i]) * (1 - weight))
                    }
                }
            }
        }
    }

    /// Exchanges the averages and the parameters' values; a second call restores both.
    public func swap() {
        for (index, (_, parameter)) in namedParameters.enumerated() {
            let current = parameter.value.ownCopy
            parameter.assign(averages[index])
            averages[index] = current
        }
    }

    /// Overwrites the parameters with the averages (the averages stay).
    public func copy() {
        for (index, (_, parameter)) in namedParameters.enumerated() { parameter.assign(averages[index]) }
    }

    /// Updates after each optimizer step of a ``Trainer``.
    public func batchDidEnd(_ trainer: Trainer<Scalar>, _ batch: BatchReport) throws { update() }

    /// The averages as named tensors, `ema.<parameter name>`, and the update count as `ema.updates`.
    public var state: [String: Tensor<Scalar>] {
        var result = ["ema.updates": Tensor(Scalar(updateCount))]
        for (index, (name, _)) in namedParameters.enumerated() { result["ema." + name] = averages[index] }
        return result
    }

    /// Restores averages saved by ``state``: every average and the count must be present with the
    /// right shapes; nothing changes when one is not.
    public func loadState(_ state: [String: Tensor<Scalar>]) throws {
        guard let count = state["ema.updates"], count.count == 1, let updates = Int(exactly: count.scalars[0]),
              updates >= 0 else {
            throw OptimizerStateError(description: "moving average: \"ema.updates\" is missing or not one whole number ≥ 0")
        }
        var loaded: [Tensor<Scalar>] = []
        for (name, parameter) in namedParameters {
            guard let tensor = state["ema." + name], tensor.shape == parameter.shape else {
                throw OptimizerStateError(description: "moving average: \"ema.\(name)\" is missing or not of shape \(parameter.shape)")
            }
            loaded.append(tensor.ownCopy)
        }
        let known = Set(namedParameters.map { "ema." + $0.name } + ["ema.updates"])
        if let unknown = state.keys.filter({ $0.hasPrefix("ema.") && !known.contains($0) }).sorted().first {
            throw OptimizerStateError(description: "moving average: \"\(unknown)\" names no averaged parameter")
        }
        (averages, updateCount) = (loaded, updates)
    }

    /// Adds the averages (``state``) to the checkpoint file at `path`, written by
    /// ``TrainingCheckpoint/save(model:optimizer:scheduler:plateau:toFile:)``; rewrites it atomically.
    public func save(toCheckpoint path: String) throws {
        var file = try SafeTensorsFile(contentsOfFile: path)
        for (key, tensor) in state { file.entries[key] = SafeTensorsEntry(tensor, as: Scalar._safeTensorsDType) }
        try file.write(toFile: path)
    }

    /// Restores the averages from the checkpoint file at `path` (see ``save(toCheckpoint:)``).
    public func load(fromCheckpoint path: String) throws {
        try load(from: SafeTensorsFile(contentsOfFile: path), path: path)
    }

    /// Restores the averages from a checkpoint already read (see ``load(fromCheckpoint:)``);
    /// `path` names it in errors.
    public func load(from file: SafeTensorsFile, path: String = "<memory>") throws {
        var state: [String: Tensor<Scalar>] = [:]
        for (key, entry) in file.entries where key.hasPrefix("ema.") { state[key] = entry.tensor(as: Scalar.self) }
        do { try loadState(state) } catch { throw CheckpointError(path: path, reason: "\(error)") }
    }

    /// Overwrites `model`'s parameters with the averages `file` holds, when it holds some (a
    /// checkpoint of a ``Trainer`` with a ``Trainer/movingAverage``), and returns whether it did:
    /// how a model is evaluated or used with its averaged weights.
    @discardableResult
    public static func loadAverages(into model: some Layer<Scalar>, from file: SafeTensorsFile, path: String = "<memory>") throws -> Bool {
        guard isStored(in: file) else { return false }
        let average = ExponentialMovingAverage(of: model)
        try average.load(from: file, path: path)
        average.copy()
        return true
    }

    /// Whether `file` holds averages (an `ema.updates` entry), as ``save(toCheckpoint:)`` and a
    /// ``Trainer`` with a ``Trainer/movingAverage`` write them.
    public static func isStored(in file: SafeTensorsFile) -> Bool { file.entries["ema.updates"] != nil }
}

extension Tensor {
    /// The same values in storage of their own, off the tape.
    fileprivate var ownCopy: Tensor { Tensor(storage: storage.copy(), shape: shape) }
}
