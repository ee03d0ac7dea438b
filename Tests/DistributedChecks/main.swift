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
//    boundary and mid-epoch, after 3 of its 10 batches). Rank 0 writes the file in its own
//    folder; processes on other hosts, which may not share it, are sent a copy.
let directory = try group.broadcast(group.rank == 0 ? FileManager.default.temporaryDirectory
    .appendingPathComponent("easynets-distributed-\(ProcessInfo.processInfo.processIdentifier)").path : "")
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
try group.barrier()

/// Puts rank 0's file at `path` on every process's host: a process that does not see it (a host
/// of its own) writes the bytes rank 0 sends.
@MainActor func shareFromRankZero(_ path: String) throws {
    var bytes = group.rank == 0 ? [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) : []
    var count = [Double(bytes.count)]
    try count.withUnsafeMutableBytes { try group.broadcast($0, root: 0) }
    if group.rank != 0 { bytes = [UInt8](repeating: 0, count: Int(count[0])) }
    try bytes.withUnsafeMutableBytes { try group.broadcast($0, root: 0) }
    try group.barrier()
    if group.rank != 0 && !FileManager.default.fileExists(atPath: path) {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        print("rank \(group.rank): received \(path) from rank 0 (\(bytes.count) bytes)")
    }
    try group.barrier()
}

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
        try shareFromRankZero(path)
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
try group.barrier()
try? FileManager.default.removeItem(atPath: directory)

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
try expectMismatch("the gradient precision") {
    try makeTrainer(.sgd, parallel: DataParallel(group: group, gradientPrecision: group.rank == 1 ? .bfloat16 : .full))
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

// 6. Synchronized batch normalization (PyTorch's SyncBatchNorm): a CNN whose processes each take
//    a share of a batch gives, in outputs, input and parameter gradients and running statistics,
//    what one process gives on the whole batch; and trained that way, one process's steps.
do {
    let cnn = ModelDescription.sequential(layers: [
        .layer(Conv2dDescription(inChannels: 1, outChannels: 3, kernelSize: [3, 3], padding: .same)),
        .batchNorm2d(featureCount: 3), .relu, .flatten(),
        .linear(inputSize: 3 * 5 * 5, outputSize: 6, bias: true), .batchNorm1d(featureCount: 6, momentum: nil), .tanh,
        .linear(inputSize: 6, outputSize: 4, bias: true),
    ])
    var generator = RandomGenerator(seed: 31)
    let batch = 13
    let images = Tensor<Double>.normal([batch, 1, 5, 5], mean: 0.5, standardDeviation: 2, using: &generator)
    let labels = (0..<batch).map { _ in Int(generator.next() % 4) }
    /// One training-mode pass and backward of the mean loss over `rows`, scaled by their share of the batch.
    func pass(_ model: Sequential<Double>, rows: Range<Int>) -> (output: Tensor<Double>, inputGradient: Tensor<Double>) {
        model.train()
        var x = images.rows(rows)
        x.requiresGradient = true
        let output = model(x)
        let loss = crossEntropy(logits: output, labels: Array(labels[rows])) * Double(rows.count) / Double(batch)
        loss.backward()
        return (output.detached, x.gradient!)
    }
    let alone = try Sequential<Double>(cnn, seed: 8)
    let reference = pass(alone, rows: 0..<batch)
    let together = try Sequential<Double>(cnn, seed: 8)
    let parallel = DataParallel<Double>(group: group, synchronizesBatchNorm: true)
    try parallel.start(model: together, data: Dataset(features: images, labels: labels), settings: "")
    let rows = parallel.share(of: batch)
    let mine = pass(together, rows: rows)
    func relative(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }
    let outputDifference = relative(mine.output.scalars, reference.output.rows(rows).scalars)
    let inputDifference = relative(mine.inputGradient.scalars, reference.inputGradient.rows(rows).scalars)
    // Gradients against the model's largest: a bias before a normalization has a gradient of
    // zero up to rounding, which no relative measure of its own can compare.
    var gradientDifference = 0.0
    let largestGradient = alone.namedParameters.flatMap { $0.parameter.gradient!.scalars.map(abs) }.max() ?? 0
    for ((name, parameter), (_, theirs)) in zip(together.namedParameters, alone.namedParameters) {
        let summed = try group.sum(parameter.gradient!.scalars)
        let difference = (zip(summed, theirs.gradient!.scalars).map { abs($0 - $1) }.max() ?? 0) / max(largestGradient, 1e-300)
        check(difference <= 1e-12, "synchronized batch normalization: the gradient of \(name) differs by \(difference)")
        gradientDifference = max(gradientDifference, difference)
    }
    let buffers = relative(together.namedBuffers.flatMap(\.parameter.value.scalars), alone.namedBuffers.flatMap(\.parameter.value.scalars))
    check(outputDifference <= 1e-12 && inputDifference <= 1e-12 && buffers <= 1e-12,
          "synchronized batch normalization: outputs differ by \(outputDifference), input gradients by \(inputDifference), "
          + "running statistics by \(buffers)")
    if group.rank == 0 {
        print("ok: synchronized batch normalization on \(group.size) processes: outputs \(outputDifference), input gradients "
              + "\(inputDifference), running statistics \(buffers) (relative), parameter gradients \(gradientDifference) "
              + "(of the largest)")
    }

    // Trained with the Trainer: 2 epochs of SGD on 27 examples in batches of 7 (the last of 6)
    // equal one process's; without synchronization they do not (the check can fail).
    let data = Dataset(features: Tensor.concatenated([images, images * 0.5 + 0.25, images.rows(0..<1) * -1], along: 0),
                       labels: labels + labels + [labels[0]])
    func trainer(_ parallel: DataParallel<Double>?) throws -> Trainer<Double> {
        let model = try Sequential<Double>(cnn, seed: 9)
        return Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9),
                       loader: DataLoader(data, batchSize: 7, seed: 4), dataParallel: parallel)
    }
    let one = try trainer(nil), synchronized = try trainer(DataParallel(group: group, synchronizesBatchNorm: true))
    let separate = try trainer(DataParallel(group: group))
    for run in [one, synchronized, separate] { try run.fit(epochs: 2) }
    // The run over, the model normalizes alone again (it may go on training in one process).
    let norms = synchronized.model.namedLayers.map(\.layer)
    check(norms.contains { $0 is BatchNorm2d<Double> } && norms.allSatisfy { layer in
        (layer as? BatchNorm2d<Double>)?.statisticsGroup == nil && (layer as? BatchNorm1d<Double>)?.statisticsGroup == nil
    }, "synchronized batch normalization: the layers still name the group after the run")
    let trained = largestRelativeDifference(synchronized.model, one.model)
    let unsynchronized = largestRelativeDifference(separate.model, one.model)
    check(trained <= 1e-12 && unsynchronized > 1e-6,
          "synchronized batch normalization in training: parameters differ by \(trained) (without it by \(unsynchronized))")
    if group.rank == 0 {
        print("ok: 2 epochs with synchronized batch normalization: relative difference \(trained) (without it \(unsynchronized))")
    }

    // A batch that leaves a process without an example is refused on every process.
    let tiny = Dataset(features: images.rows(0..<(group.size + 1)), labels: Array(labels[0..<(group.size + 1)]))
    // (Without the BatchNorm1d, which refuses a batch of one example in any case.)
    let refused = try Sequential<Double>(.sequential(layers: [
        .layer(Conv2dDescription(inChannels: 1, outChannels: 3, kernelSize: [3, 3])), .batchNorm2d(featureCount: 3), .flatten(),
        .linear(inputSize: 27, outputSize: 4, bias: true),
    ]), seed: 9)
    let short = Trainer(model: refused, optimizer: SGD(refused.trainableParameters, learningRate: 0.1),
                        loader: DataLoader(tiny, batchSize: group.size, seed: 4),
                        dataParallel: DataParallel(group: group, synchronizesBatchNorm: true))
    do {
        try short.fit(epochs: 1)
        check(false, "synchronized batch normalization with a last batch of 1 example started")
    } catch let error as DistributedError {
        check(error.reason.contains("needs an example of every batch"), "synchronized batch normalization: \(error.reason)")
        if group.rank == 0 { print("ok: a batch too small for synchronized batch normalization: \(error.reason)") }
    }
}

// Gradients summed in 16 bits: each process's weighted gradient is rounded to the format and the
// processes' terms summed in pairs, each sum rounded. Every process computes every share's term
// alone; with 2 processes the result is their exact sum correctly rounded, with more it lies
// within one rounding of each partial sum, and it is the same on every process.
do {
    let batch = 23
    var generator = RandomGenerator(seed: 21)
    let features = Tensor<Double>.normal([batch, 12], mean: 0, standardDeviation: 1, using: &generator)
    let labels = (0..<batch).map { _ in Int(generator.next() % 5) }
    func weightedGradient(_ rows: Range<Int>) throws -> [Double] {
        let model = try Sequential<Double>(description, seed: 5)
        let loss = crossEntropy(logits: model(features.rows(rows)), labels: Array(labels[rows]))
        loss.backward(seed: Tensor(filledWith: Double(rows.count) / Double(batch), shape: loss.shape))
        return model.trainableParameters.flatMap { $0.gradient!.scalars }
    }
    let terms = try (0..<group.size).map { rank in try weightedGradient(batch * rank / group.size ..< batch * (rank + 1) / group.size) }
    for precision in [GradientPrecision.bfloat16, .float16] {
        let format = precision.sixteenBitFormat!
        let parallel = DataParallel<Double>(group: group, bucketCapacity: 1024, gradientPrecision: precision)
        let model = try Sequential<Double>(description, seed: 5)
        let rows = parallel.share(of: batch)
        let loss = crossEntropy(logits: model(features.rows(rows)), labels: Array(labels[rows]))
        try parallel.backward(loss, weight: Double(rows.count) / Double(batch), parameters: model.trainableParameters)
        let summed = model.trainableParameters.flatMap { $0.gradient!.scalars }
        var fromRankZero = Tensor(summed, shape: [summed.count])
        try group.broadcast(&fromRankZero)
        check(fromRankZero.scalars == summed, "\(precision) sums: the processes' gradients differ")
        // The terms as sent, and their exact sum (Double holds a sum of a few 16-bit values exactly here).
        let sent = terms.map { $0.map { Double(format.decode(format.encode($0))) } }
        let unit = precision == .bfloat16 ? 0x1p-8 : 0x1p-11
        var exact = 0, rounded = 0
        for index in summed.indices {
            let sum = sent.reduce(0) { $0 + $1[index] }
            let reference = Double(format.decode(format.encode(sum)))
            if group.size == 2 {
                check(summed[index] == reference, "\(precision) sums: element \(index) is \(summed[index]), expected \(reference)")
            } else {
                let bound = unit * Double(group.size) * sent.reduce(0) { $0 + abs($1[index]) } + 0x1p-24
                check(abs(summed[index] - sum) <= bound, "\(precision) sums: element \(index) is \(summed[index]), exact \(sum)")
            }
            exact += summed[index] == terms.reduce(0) { $0 + $1[index] } ? 1 : 0
            rounded += summed[index] == reference ? 1 : 0
        }
        check(exact < summed.count / 2, "\(precision) sums: \(exact) of \(summed.count) elements equal the Double sum: not rounded")
        if group.rank == 0 {
            print("ok: gradients summed in \(precision) on \(group.size) processes: \(rounded) of \(summed.count) elements are the "
                  + "correctly rounded sum of the terms sent, identical on every process")
        }
    }
}

// Sums in a window the processes share (one host): every element of a summed range is the sum of
// the processes' values in rank order, the same bits on every process, elements outside the range
// untouched; a larger buffer later replaces the window. Across hosts there is no such window.
@MainActor func checkWindowSums<Scalar: TensorScalar>(_: Scalar.Type, count: Int, range: Range<Int>) throws -> Bool {
    guard let buffer = try group.reductionBuffer(count: count, of: Scalar.self) else { return false }
    func values(_ rank: Int) -> [Scalar] {
        var generator = RandomGenerator(seed: 41 + UInt64(rank))
        return (0..<count).map { _ in Scalar(Double(generator.next() % 2_000_001) / 1000 - 1000) }
    }
    let own = values(group.rank)
    for index in 0..<count { buffer[index] = own[index] }
    try group.allReduceSum(UnsafeMutableBufferPointer(rebasing: buffer[range]))
    let all = (0..<group.size).map(values)
    var wrong = 0
    for index in 0..<count {
        let expected = range.contains(index) ? (1..<group.size).reduce(all[0][index]) { $0 + all[$1][index] } : own[index]
        if buffer[index] != expected { wrong += 1 }
    }
    check(wrong == 0, "sums in the shared window, \(Scalar.self), \(count) values, range \(range): \(wrong) elements wrong")
    return true
}
do {
    var shared = try checkWindowSums(Double.self, count: 100_003, range: 0..<100_003)
    shared = try checkWindowSums(Float.self, count: 100_003, range: 7..<50_008) && shared
    shared = try checkWindowSums(Double.self, count: 1_000_037, range: 13..<1_000_000) && shared
    // A window of more than /dev/shm can hold is declined on every process, and the window in use stays.
    var status = statvfs()
    if shared, statvfs("/dev/shm", &status) == 0 {
        let free = Int(try group.broadcast(String(Int(status.f_bavail) * Int(status.f_frsize))))!
        check(try group.reductionBuffer(count: free / 8, of: Double.self) == nil, "a window of all \(free) bytes of /dev/shm was made")
        shared = try checkWindowSums(Float.self, count: 1_000, range: 0..<1_000)
    }
    if group.rank == 0 {
        print(shared ? "ok: sums in a window shared by the \(group.size) processes of this host, in rank order, up to 1 000 037 values; "
                       + "a window larger than half of /dev/shm declined"
                     : "ok: the \(group.size) processes are not all on one host: no shared window, sums by MPI_Allreduce")
    }
}

// A file on rank 0's disk alone reaches every process (as a checkpoint to resume does), and one that
// rank 0 cannot read fails on every process with its reason.
do {
    let directory = try group.broadcast(NSTemporaryDirectory() + "easynets-broadcast-\(ProcessInfo.processInfo.processIdentifier)")
    let path = directory + "/file", missing = directory + "/missing"
    var generator = RandomGenerator(seed: 31)
    let bytes = (0..<3_000_017).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    if group.rank == 0 {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    let received = try group.broadcastFile(path)
    check(received == bytes, "a broadcast file: \(received.count) bytes received, not the \(bytes.count) written")
    do {
        _ = try group.broadcastFile(missing)
        check(false, "a missing file was broadcast")
    } catch {
        check("\(error)".contains("no such file"), "a missing file: \(error)")
    }
    try group.barrier()
    if group.rank == 0 {
        try FileManager.default.removeItem(atPath: directory)
        print("ok: a file of \(bytes.count) bytes read by rank 0 alone reached \(group.size) processes; a missing one failed on all")
    }
}

let total = try group.sum([Double(failures)])[0]
if group.rank == 0 { print(total == 0 ? "distributed checks passed on \(group.size) processes" : "distributed checks: \(Int(total)) failure(s)") }
group.finalize()
exit(total == 0 ? 0 : 1)
