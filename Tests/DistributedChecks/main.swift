// Multi-process checks of data-parallel training, run by scripts/test.sh as
// `mpirun -np 2 easynets-distributed-checks` (any N ≥ 2 works). Every process runs every check;
// each check compares against a reference that every process computes alone, in one process,
// with the same seeds. A failed check prints "FAIL" and the job exits nonzero.
import EasyNets
import EasyNetsDistributed
import Foundation

let group = try MPIProcessGroup()
var failures = 0

@MainActor func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        failures += 1
        print("FAIL rank \(group.rank): \(message())")
    }
}

/// A seeded classification problem: `count` examples of 12 features in 5 classes.
func problem(count: Int, seed: UInt64) -> Dataset<Double> {
    var generator = RandomGenerator(seed: seed)
    let features = Tensor<Double>.normal([count, 12], mean: 0, standardDeviation: 1, using: &generator)
    let labels = (0..<count).map { _ in Int(generator.next() % 5) }
    return Dataset(features: features, labels: labels)
}

let description = ModelDescription.sequential(layers: [
    .linear(inputSize: 12, outputSize: 16, bias: true), .tanh,
    .linear(inputSize: 16, outputSize: 16, bias: true), .relu,
    .linear(inputSize: 16, outputSize: 5, bias: true),
])
// 76 examples in batches of 8: 10 steps an epoch, the last on 4 examples (shares of 2 with 2
// processes, uneven with 3).
let data = problem(count: 76, seed: 7)

enum OptimizerKind: String, CaseIterable { case sgd, adam }

@MainActor func makeTrainer(_ kind: OptimizerKind, parallel: DataParallel<Double>?, modelSeed: UInt64 = 3,
                 description: ModelDescription = description, data: Dataset<Double> = data) throws -> Trainer<Double> {
    let model = try Sequential<Double>(description, seed: modelSeed)
    let optimizer: any Optimizer<Double> = kind == .sgd
        ? SGD(model.trainableParameters, learningRate: 0.05, momentum: 0.9, nesterov: true)
        : Adam(model.trainableParameters, learningRate: 0.01)
    return Trainer(model: model, optimizer: optimizer, loader: DataLoader(data, batchSize: 8, seed: 11), validationData: data,
                   dataParallel: parallel)
}

/// ‖a − b‖∞ / ‖b‖∞ over every parameter and buffer of the two models.
func largestRelativeDifference(_ a: any Layer<Double>, _ b: any Layer<Double>) -> Double {
    zip(a.stateEntries, b.stateEntries).map { x, y in
        let scale = max(y.parameter.value.scalars.map(abs).max() ?? 0, 1e-300)
        return zip(x.parameter.value.scalars, y.parameter.value.scalars).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }.max() ?? 0
}

/// Whether every process holds rank 0's parameters bit for bit.
@MainActor func identicalAcrossRanks(_ model: any Layer<Double>) throws -> Bool {
    var same = true
    for (_, parameter) in model.stateEntries {
        var root = parameter.value
        try group.broadcast(&root)
        same = same && root.scalars.elementsEqual(parameter.value.scalars) { $0.bitPattern == $1.bitPattern }
    }
    return try group.sum([same ? 0 : 1])[0] == 0
}

// 1. 20 steps (2 epochs) of SGD with Nesterov momentum and of Adam equal one process's to 1e-12,
//    with one bucket for all gradients, a bucket per gradient, and packed buckets of several.
for kind in OptimizerKind.allCases {
    let reference = try makeTrainer(kind, parallel: nil)
    try reference.fit(epochs: 2)
    for capacity in [25 << 20, 8, 600] {
        // Each process starts from a different initialization: the start must give all rank 0's.
        let trainer = try makeTrainer(kind, parallel: DataParallel(group: group, bucketCapacity: capacity),
                                      modelSeed: group.rank == 0 ? 3 : 1000 + UInt64(group.rank))
        try trainer.fit(epochs: 2)
        let difference = largestRelativeDifference(trainer.model, reference.model)
        check(trainer.step == 20, "\(kind): \(trainer.step) steps, expected 20")
        check(difference <= 1e-12, "\(kind), buckets of \(capacity) B: parameters differ from one process's by \(difference) (relative)")
        check(try identicalAcrossRanks(trainer.model), "\(kind), buckets of \(capacity) B: the processes' parameters differ")
        for (mine, theirs) in zip(trainer.history, reference.history) {
            check(abs(mine.trainLoss - theirs.trainLoss) <= 1e-12 * abs(theirs.trainLoss),
                  "\(kind): epoch \(mine.epoch) training loss \(mine.trainLoss), one process \(theirs.trainLoss)")
            let (accuracy, theirAccuracy) = (mine.value(.accuracy, on: .train)!, theirs.value(.accuracy, on: .train)!)
            let (validation, theirValidation) = (mine.value(.accuracy, on: .validation)!, theirs.value(.accuracy, on: .validation)!)
            check(accuracy == theirAccuracy && validation == theirValidation,
                  "\(kind): epoch \(mine.epoch) accuracies \(accuracy)/\(validation), one process \(theirAccuracy)/\(theirValidation)")
            let (loss, theirLoss) = (mine.validationLoss!, theirs.validationLoss!)
            check(abs(loss - theirLoss) <= 1e-12 * abs(theirLoss),
                  "\(kind): epoch \(mine.epoch) validation loss \(loss), one process \(theirLoss)")
        }
        if group.rank == 0 { print("ok: \(kind), buckets of \(capacity) B: 20 steps, relative difference \(difference)") }
    }
}

// 2. Checkpoints cross over: a distributed run's checkpoint resumes in one process, and one
//    process's resumes distributed, both ending where two epochs in one process end (epoch
//    boundary and mid-epoch, after 3 of its 10 batches).
let directory = try group.broadcast(group.rank == 0 ? FileManager.default.temporaryDirectory
    .appendingPathComponent("easynets-distributed-\(ProcessInfo.processInfo.processIdentifier)").path : "")
if group.rank == 0 { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
try group.barrier()

/// Stops a run after `steps` optimizer steps.
final class StopAfter: TrainingObserver {
    typealias Scalar = Double
    let steps: Int
    init(steps: Int) { self.steps = steps }
    func batchDidEnd(_ trainer: Trainer<Double>, _ batch: BatchReport) throws {
        if batch.step == steps { trainer.cancellation.cancel() }
    }
}

let reference = try makeTrainer(.adam, parallel: nil)
try reference.fit(epochs: 2)
for stopStep in [10, 13] {
    for writerIsDistributed in [true, false] {
        let path = directory + "/step\(stopStep)-\(writerIsDistributed ? "distributed" : "single").safetensors"
        // The writer: the group, or rank 0 alone.
        if writerIsDistributed || group.rank == 0 {
            let writer = try makeTrainer(.adam, parallel: writerIsDistributed ? DataParallel(group: group) : nil)
            writer.observers = [StopAfter(steps: stopStep)]
            try writer.fit(epochs: 2)
            if writer.isReporting { try writer.saveCheckpoint(toFile: path) }
        }
        try group.barrier()
        // The reader: the other kind.
        let reader = try makeTrainer(.adam, parallel: writerIsDistributed ? nil : DataParallel(group: group), modelSeed: 99)
        try reader.resume(fromFile: path)
        try reader.fit(epochs: 2)
        let difference = largestRelativeDifference(reader.model, reference.model)
        check(reader.step == 20 && difference <= 1e-12,
              "checkpoint after step \(stopStep) written \(writerIsDistributed ? "distributed" : "by one process"): "
              + "\(reader.step) steps, parameters differ by \(difference)")
        if group.rank == 0 {
            print("ok: checkpoint after step \(stopStep) written \(writerIsDistributed ? "distributed, resumed alone" : "alone, resumed distributed")")
        }
        try group.barrier()
    }
}
if group.rank == 0 { try? FileManager.default.removeItem(atPath: directory) }

// 3. Processes that disagree are stopped at the start, all with the same error.
@MainActor func expectMismatch(_ what: String, _ makeTrainer: () throws -> Trainer<Double>) throws {
    let trainer = try makeTrainer()
    do {
        try trainer.fit(epochs: 1)
        check(false, "\(what): the run started")
    } catch let error as DistributedError {
        check(error.reason.contains(what), "\(what): the error says \"\(error.reason)\"")
        if group.rank == 0 { print("ok: \(what) mismatch: \(error)") }
    }
}
let wider = ModelDescription.sequential(layers: [
    .linear(inputSize: 12, outputSize: group.rank == 1 ? 17 : 16, bias: true), .tanh,
    .linear(inputSize: group.rank == 1 ? 17 : 16, outputSize: 16, bias: true), .relu,
    .linear(inputSize: 16, outputSize: 5, bias: true),
])
try expectMismatch("the model") { try makeTrainer(.sgd, parallel: DataParallel(group: group), description: wider) }
try expectMismatch("the training data") {
    try makeTrainer(.sgd, parallel: DataParallel(group: group), data: problem(count: 76, seed: group.rank == 1 ? 8 : 7))
}

// 4. Gradient accumulation across processes: batches of 4 summed in pairs on the group give the
//    steps of batches of 8 in one process, and a regressor's metrics are reduced like the loss.
for kind in OptimizerKind.allCases {
    let reference = try makeTrainer(kind, parallel: nil)
    try reference.fit(epochs: 2)
    let model = try Sequential<Double>(description, seed: 3)
    let optimizer: any Optimizer<Double> = kind == .sgd
        ? SGD(model.trainableParameters, learningRate: 0.05, momentum: 0.9, nesterov: true)
        : Adam(model.trainableParameters, learningRate: 0.01)
    let accumulating = Trainer(model: model, optimizer: optimizer, loader: DataLoader(data, batchSize: 4, seed: 11),
                               validationData: data, accumulationSteps: 2, dataParallel: DataParallel(group: group))
    try accumulating.fit(epochs: 2)
    let difference = largestRelativeDifference(accumulating.model, reference.model)
    check(accumulating.step == 20 && difference <= 1e-12,
          "\(kind), accumulating 2 batches of 4: \(accumulating.step) steps, parameters differ by \(difference)")
    if group.rank == 0 { print("ok: \(kind), 2 accumulated batches of 4 on \(group.size) processes: relative difference \(difference)") }
}
do {
    var generator = RandomGenerator(seed: 21)
    let inputs = Tensor<Double>.normal([52, 12], mean: 0, standardDeviation: 1, using: &generator)
    let targets = Tensor<Double>.normal([52, 2], mean: 0, standardDeviation: 1, using: &generator)
    let values = Dataset(features: inputs, targets: targets)
    let regression = ModelDescription.sequential(layers: [.linear(inputSize: 12, outputSize: 2, bias: true)])
    func regressor(_ parallel: DataParallel<Double>?) throws -> Trainer<Double> {
        let model = try Sequential<Double>(regression, seed: 5)
        return Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.01),
                       loader: DataLoader(values, batchSize: 8, seed: 2), validationData: values, loss: .meanSquaredError,
                       dataParallel: parallel)
    }
    let alone = try regressor(nil), together = try regressor(DataParallel(group: group))
    try alone.fit(epochs: 2)
    try together.fit(epochs: 2)
    for (mine, theirs) in zip(together.history, alone.history) {
        for (name, value) in theirs.values.sorted(by: { $0.key < $1.key }) {
            let other = mine.values[name] ?? .nan
            check(abs(other - value) <= 1e-12 * max(abs(value), 1), "regression epoch \(mine.epoch) \(name): \(other), one process \(value)")
        }
    }
    if group.rank == 0 { print("ok: a regressor's MAE, RMSE and R² reduced across \(group.size) processes") }
}

// 5. L-BFGS re-evaluates the whole batch on every process: its line search decides from the
//    group's loss and summed gradients, so all processes take one process's steps and stay identical.
do {
    func lbfgsTrainer(_ parallel: DataParallel<Double>?) throws -> Trainer<Double> {
        let model = try Sequential<Double>(description, seed: 3)
        return Trainer(model: model, optimizer: LBFGS(model.trainableParameters, maxIterations: 4, lineSearch: .strongWolfe),
                       loader: DataLoader(data, batchSize: 8, seed: 11), validationData: data, dataParallel: parallel)
    }
    let alone = try lbfgsTrainer(nil), together = try lbfgsTrainer(DataParallel(group: group))
    try alone.fit(epochs: 1)
    try together.fit(epochs: 1)
    let difference = largestRelativeDifference(together.model, alone.model)
    let evaluations = (together.optimizer as? LBFGS<Double>)?.evaluationCount, aloneEvaluations = (alone.optimizer as? LBFGS<Double>)?.evaluationCount
    check(evaluations == aloneEvaluations && difference <= 1e-9,
          "L-BFGS: \(evaluations ?? -1) evaluations (one process \(aloneEvaluations ?? -1)), parameters differ by \(difference)")
    check(try identicalAcrossRanks(together.model), "L-BFGS: the processes' parameters differ")
    if group.rank == 0 { print("ok: L-BFGS with the strong Wolfe line search on \(group.size) processes: relative difference \(difference)") }
}

let total = try group.sum([Double(failures)])[0]
if group.rank == 0 { print(total == 0 ? "distributed checks passed on \(group.size) processes" : "distributed checks: \(Int(total)) failure(s)") }
group.finalize()
exit(total == 0 ? 0 : 1)
