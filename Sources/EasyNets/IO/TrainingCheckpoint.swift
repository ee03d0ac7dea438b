/// Everything needed to resume training bit-identically (at the same ``Parallelism/threadCount``):
/// model state, optimizer state and each parameter group's size, learning rate and initial rate,
/// the schedule's step (or a ``ReduceOnPlateau``'s best metric and counters), the training step,
/// epoch and batch within the epoch, and random-generator states.
/// Stored as one safetensors file (`model.*` and `optimizer.*` tensors, the rest in
/// `__metadata__`, with the model's ``ModelDescription`` under `model` when it has one).
public struct TrainingCheckpoint<Scalar: TensorScalar> {
    /// Completed optimizer steps.
    public var step: Int
    /// Completed epochs.
    public var epoch: Int
    /// Completed batches of the epoch in progress (0 at an epoch boundary).
    public var batchesInEpoch: Int
    /// Random generators to restore, by name (e.g. "shared", "shuffle", "dropout.2").
    public var generators: [String: RandomGenerator]
    /// Free-form values (e.g. the learning rate, the command line).
    public var extra: [String: String]

    /// A record of the run's position and the generators to restore with it.
    public init(step: Int = 0, epoch: Int = 0, batchesInEpoch: Int = 0, generators: [String: RandomGenerator] = [:],
                extra: [String: String] = [:]) {
        (self.step, self.epoch, self.batchesInEpoch, self.generators, self.extra) = (step, epoch, batchesInEpoch, generators, extra)
    }

    /// Saves `model`, `optimizer`, the schedule's position and this record atomically to `path`.
    public func save(model: some Layer<Scalar>, optimizer: (any Optimizer<Scalar>)?,
                     scheduler: LearningRateScheduler<Scalar>? = nil, plateau: ReduceOnPlateau<Scalar>? = nil,
                     toFile path: String) throws {
        try file(model: model, optimizer: optimizer, scheduler: scheduler, plateau: plateau).write(toFile: path)
    }

    /// The file ``save(model:optimizer:scheduler:plateau:toFile:)`` writes, for callers that add entries first.
    func file(model: some Layer<Scalar>, optimizer: (any Optimizer<Scalar>)?, scheduler: LearningRateScheduler<Scalar>?,
              plateau: ReduceOnPlateau<Scalar>?) throws -> SafeTensorsFile {
        var entries = model.stateEntries(prefix: "model.")
        let floatType = Scalar._safeTensorsDType
        if let optimizer {
            for (key, tensor) in optimizer.state { entries["optimizer." + key] = SafeTensorsEntry(tensor, as: floatType) }
        }
        var metadata = extra.reduce(into: [String: String]()) { $0["extra." + $1.key] = $1.value }
        metadata["format"] = "easynets-training-checkpoint"
        metadata["step"] = String(step)
        metadata["epoch"] = String(epoch)
        if batchesInEpoch > 0 { metadata["batches_in_epoch"] = String(batchesInEpoch) }
        if let description = try? model.describe() { metadata["model"] = try description.jsonString() }
        if let optimizer {
            let groups = optimizer.groups
            metadata["learning_rate"] = String(groups[0].learningRate)  // as checkpoints of one group had it
            metadata["group_sizes"] = groups.map { String($0.parameters.count) }.joined(separator: ",")
            metadata["group_learning_rates"] = groups.map { String($0.learningRate) }.joined(separator: ",")
            metadata["group_initial_learning_rates"] = groups.map { String($0.initialLearningRate) }.joined(separator: ",")
        }
        if let scheduler { metadata["scheduler_step"] = String(scheduler.stepCount) }
        if let plateau {
            metadata["plateau_best"] = String(plateau.best)  // shortest form that reads back exactly
            metadata["plateau_bad_steps"] = String(plateau.badSteps)
            metadata["plateau_cooldown_left"] = String(plateau.cooldownLeft)
        }
        for (name, generator) in generators {
            metadata["generator." + name] = generator.state.map { String($0) }.joined(separator: ",")
        }
        for (name, layer) in model.namedLayers {
            if let stochastic = layer as? any StochasticLayer {
                metadata["layer_generator." + name] = stochastic.generator.state.map { String($0) }.joined(separator: ",")
            }
        }
        return SafeTensorsFile(entries: entries, metadata: metadata)
    }

    /// Loads a checkpoint saved by ``save(model:optimizer:scheduler:plateau:toFile:)`` into `model`,
    /// `optimizer`, `scheduler` and `plateau`, and returns its record. Every check runs before
    /// anything is changed, so a bad file leaves the model untouched.
    public static func load(model: some Layer<Scalar>, optimizer: (any Optimizer<Scalar>)?,
                            scheduler: LearningRateScheduler<Scalar>? = nil, plateau: ReduceOnPlateau<Scalar>? = nil,
                            fromFile path: String) throws -> TrainingCheckpoint {
        try load(model: model, optimizer: optimizer, scheduler: scheduler, plateau: plateau,
                 from: SafeTensorsFile(contentsOfFile: path), path: path)
    }

    /// Loads a checkpoint already read into `file` (see ``load(model:optimizer:scheduler:plateau:fromFile:)``);
    /// `path` names it in errors. Every metadata value is validated before anything is changed.
    public static func load(model: some Layer<Scalar>, optimizer: (any Optimizer<Scalar>)?,
                            scheduler: LearningRateScheduler<Scalar>? = nil, plateau: ReduceOnPlateau<Scalar>? = nil,
                            from file: SafeTensorsFile, path: String = "<memory>") throws -> TrainingCheckpoint {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        let record = try record(in: file, path: path)
        let schedulerStep = try count("scheduler_step", in: file, path: path)
        let learningRate = try file.metadata["learning_rate"].map { text in
            guard let rate = Double(text), rate.isFinite, rate >= 0 else {
                throw fail("metadata \"learning_rate\" is \"\(text)\", not a finite number ≥ 0")
            }
            return rate
        }
        var groupRates: [(Double, Double)]?
        if let optimizer { groupRates = try self.groupRates(in: file, for: optimizer, learningRate: learningRate, path: path) }
        var layerGenerators: [(any StochasticLayer, RandomGenerator)] = []
        let layers = Dictionary(model.namedLayers.map { ($0.name, $0.layer) }, uniquingKeysWith: { a, _ in a })
        for (key, value) in file.metadata where key.hasPrefix("layer_generator.") {
            let name = String(key.dropFirst("layer_generator.".count))
            guard let layer = layers[name] as? any StochasticLayer else {
                throw fail("metadata \"\(key)\" names no random layer of the model")
            }
            layerGenerators.append((layer, try generator(key, value, path: path)))
        }
        var optimizerState: [String: Tensor<Scalar>] = [:]
        for (key, entry) in file.entries where key.hasPrefix("optimizer.") {
            optimizerState[String(key.dropFirst("optimizer.".count))] = entry.tensor(as: Scalar.self)
        }
        var plateauState: (best: Double, badSteps: Int, cooldownLeft: Int)?
        if plateau != nil, let best = file.metadata["plateau_best"] {
            guard let best = Double(best), !best.isNaN, let bad = try count("plateau_bad_steps", in: file, path: path),
                  let cooldown = try count("plateau_cooldown_left", in: file, path: path) else {
                throw fail("metadata \"plateau_best\", \"plateau_bad_steps\" or \"plateau_cooldown_left\" is missing or malformed")
            }
            plateauState = (best, bad, cooldown)
        }
        // Validate the model part before touching anything.
        let mismatch = model.stateMismatch(with: file, prefix: "model.")
        guard mismatch.isEmpty else { throw fail("model state does not match: \(mismatch)") }
        if let optimizer {
            do { try optimizer.loadState(optimizerState) } catch { throw fail("\(error)") }
            if let groupRates {
                var groups = optimizer.groups
                for (index, rates) in groupRates.enumerated() {
                    (groups[index].learningRate, groups[index].initialLearningRate) = rates
                }
                optimizer.groups = groups
            } else if let learningRate {
                optimizer.learningRate = learningRate
            }
        }
        try model.loadState(from: file, prefix: "model.", path: path, strict: true)
        for (layer, generator) in layerGenerators { layer.generator = generator }
        if let scheduler, let schedulerStep {
            scheduler.stepCount = schedulerStep
        }
        if let plateau, let plateauState {
            (plateau.best, plateau.badSteps, plateau.cooldownLeft) = plateauState
        }
        return record
    }

    /// The record of a checkpoint (its position, generators and extra values), validated, without
    /// loading anything: to decide how to rebuild the run before ``load(model:optimizer:scheduler:plateau:from:path:)``.
    public static func record(in file: SafeTensorsFile, path: String = "<memory>") throws -> TrainingCheckpoint {
        guard file.metadata["format"] == "easynets-training-checkpoint" else {
            throw CheckpointError(path: path, reason: "not an EasyNets training checkpoint (metadata \"format\" is "
                                  + "\(file.metadata["format"].map { "\"\($0)\"" } ?? "absent"))")
        }
        guard let step = try count("step", in: file, path: path), let epoch = try count("epoch", in: file, path: path) else {
            throw CheckpointError(path: path, reason: "metadata \"step\" or \"epoch\" is missing")
        }
        var generators: [String: RandomGenerator] = [:]
        var extra: [String: String] = [:]
        for (key, value) in file.metadata {
            if key.hasPrefix("generator.") {
                generators[String(key.dropFirst("generator.".count))] = try generator(key, value, path: path)
            } else if key.hasPrefix("extra.") {
                extra[String(key.dropFirst("extra.".count))] = value
            }
        }
        return TrainingCheckpoint(step: step, epoch: epoch, batchesInEpoch: try count("batches_in_epoch", in: file, path: path) ?? 0,
                                  generators: generators, extra: extra)
    }

    /// Each parameter group's learning rate and initial rate from the metadata, checked against
    /// `optimizer`'s groups: their number and sizes must match. `nil` for a checkpoint of one group
    /// written before groups were saved (only `learning_rate`), which must then fit an optimizer of
    /// one group.
    private static func groupRates(in file: SafeTensorsFile, for optimizer: any Optimizer<Scalar>, learningRate: Double?,
                                   path: String) throws -> [(Double, Double)]? {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        let sizes = optimizer.groups.map(\.parameters.count)
        func describe(_ sizes: [Int]) -> String {
            "\(sizes.count) parameter group\(sizes.count == 1 ? "" : "s") of \(sizes.map(String.init).joined(separator: ", ")) parameters"
        }
        let keys = ["group_sizes", "group_learning_rates", "group_initial_learning_rates"]
        let texts = keys.map { file.metadata[$0] }
        if texts.allSatisfy({ $0 == nil }) {
            if learningRate != nil, sizes.count != 1 {
                throw fail("it holds one parameter group (metadata \"learning_rate\" only); the optimizer has \(describe(sizes))")
            }
            return nil
        }
        func values<T>(_ index: Int, _ what: String, _ parse: (Substring) -> T?) throws -> [T] {
            guard let text = texts[index] else { throw fail("metadata \"\(keys[index])\" is missing") }
            let parsed = text.split(separator: ",", omittingEmptySubsequences: false).map(parse)
            guard parsed.allSatisfy({ $0 != nil }) else {
                throw fail("metadata \"\(keys[index])\" is not a list of \(what)")
            }
            return parsed.map { $0! }
        }
        let savedSizes = try values(0, "whole numbers in 0...2^53") { Int($0).flatMap { (0...(1 << 53)).contains($0) ? $0 : nil } }
        let rate = { (text: Substring) in Double(text).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } }
        let rates = try values(1, "finite numbers ≥ 0", rate), initialRates = try values(2, "finite numbers ≥ 0", rate)
        guard rates.count == savedSizes.count, initialRates.count == savedSizes.count else {
            throw fail("metadata \"group_sizes\", \"group_learning_rates\" and \"group_initial_learning_rates\" "
                       + "list \(savedSizes.count), \(rates.count) and \(initialRates.count) groups")
        }
        guard savedSizes == sizes else {
            throw fail("it holds \(describe(savedSizes)); the optimizer has \(describe(sizes))")
        }
        return Array(zip(rates, initialRates))
    }

    /// A count from the metadata: a whole number in 0...2^53 (exact in a `Double`; no run counts
    /// further), `nil` when absent, or an error naming the key.
    private static func count(_ key: String, in file: SafeTensorsFile, path: String) throws -> Int? {
        guard let text = file.metadata[key] else { return nil }
        guard let value = Int(text), value >= 0, value <= 1 << 53 else {
            throw CheckpointError(path: path, reason: "metadata \"\(key)\" is \"\(text)\", not a whole number in 0...2^53")
        }
        return value
    }

    /// A generator from its metadata form, four comma-separated 64-bit words.
    private static func generator(_ key: String, _ value: String, path: String) throws -> RandomGenerator {
        let words = value.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0) }
        guard words.count == 4, words.allSatisfy({ $0 != nil }) else {
            throw CheckpointError(path: path, reason: "metadata \"\(key)\" is not four 64-bit words")
        }
        guard words.contains(where: { $0 != 0 }) else {  // xoshiro's one fixed point: it would draw 0 forever
            throw CheckpointError(path: path, reason: "metadata \"\(key)\" is the all-zero generator state, which never changes")
        }
        var generator = RandomGenerator(seed: 0)
        generator.state = words.map { $0! }
        return generator
    }
}
