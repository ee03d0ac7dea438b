import ArgumentParser
import EasyNets
import Foundation

/// `easynets train`: trains an MLP classifier with progress output, metrics and checkpoints.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a multilayer perceptron (default: 784-256-128-10 on Fashion-MNIST).")

    enum OptimizerKind: String, ExpressibleByArgument, CaseIterable { case sgd, adam, adamw, rmsprop }
    enum ScheduleKind: String, ExpressibleByArgument, CaseIterable { case none, step, cosine, exponential, onecycle }

    @OptionGroup var data: DataOptions

    @Option(help: "Hidden layer widths, comma-separated.")
    var hidden: String = "256,128"

    @Option(help: "Activation: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var activation: String = "relu"

    @Option(help: "Dropout probability after each hidden activation.")
    var dropout: Double = 0

    @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: OptimizerKind = .adam

    @Option(help: "Learning rate (the peak rate for onecycle).")
    var learningRate: Double = 1e-3

    @Option(help: "Learning-rate schedule: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var schedule: ScheduleKind = .cosine

    @Option(help: "Weight decay (L2 for sgd, adam and rmsprop; decoupled for adamw).")
    var weightDecay: Double = 0

    @Option(help: "Epochs.")
    var epochs: Int = 15

    @Option(help: "Mini-batch size.")
    var batchSize: Int = 128

    @Option(help: "Random seed for initialization, shuffling and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Threads for BLAS and for EasyNets' own elementwise kernels (default: all processors).")
    var threads: Int?

    @Option(help: "Use only the first N training examples.")
    var limit: Int?

    @Option(help: "Checkpoint file, written atomically after every epoch and on Ctrl-C.")
    var checkpoint: String?

    @Option(help: "Metrics file: one JSON object per epoch.")
    var metrics: String?

    @Option(help: "Resume from a checkpoint written by this command.")
    var resume: String?

    func validate() throws {
        _ = try parseWidths(hidden)
        guard ActivationKind(rawValue: activation) != nil else {
            throw ValidationError("--activation must be one of \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1)") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard weightDecay >= 0 else { throw ValidationError("--weight-decay must not be negative") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try reportingErrors { try train() }
    }

    private func train() throws {
        if let threads { BLASRuntime.threadCount = threads }
        Parallelism.threadCount = BLASRuntime.threadCount
        let clock = ContinuousClock()
        var (trainData, testData) = try data.load()
        if let limit { trainData = trainData.prefix(limit) }
        let classes = max(trainData.classCount, testData.classCount)
        var config = ModelConfig(inputSize: trainData.featureCount, hidden: try parseWidths(hidden), classes: classes,
                                 activation: activation, dropout: dropout)
        var firstEpoch = 1
        var loader = DataLoader(trainData, batchSize: batchSize, shuffle: true, seed: seed &+ 1)
        var model = try config.makeModel(seed: seed)
        var optimizer = makeOptimizer(model)
        var scheduler = makeScheduler(optimizer, batchesPerEpoch: loader.batchCount)

        if let resume {
            let file = try SafeTensorsFile(contentsOfFile: resume)
            guard let saved = file.metadata["extra.model"].flatMap({ try? JSONDecoder().decode(ModelConfig.self, from: Data($0.utf8)) }) else {
                throw CheckpointError(path: resume, reason: "not a checkpoint written by easynets train (no model description)")
            }
            config = saved
            model = try config.makeModel(seed: seed)
            optimizer = makeOptimizer(model)
            scheduler = makeScheduler(optimizer, batchesPerEpoch: loader.batchCount)
            let record = try TrainingCheckpoint<Float>.load(model: model, optimizer: optimizer, scheduler: scheduler, fromFile: resume)
            if let shuffle = record.generators["shuffle"] { loader.generator = shuffle }
            firstEpoch = record.epoch + 1
            print("Resumed from \(resume) after epoch \(record.epoch)")
        }

        print("Training \(describe(config)) on \(data.dataset.rawValue): \(trainData.count) training, \(testData.count) test examples")
        print("optimizer \(self.optimizer.rawValue) lr \(learningRate), schedule \(schedule.rawValue), batch \(batchSize), "
              + "\(epochs) epochs, BLAS threads \(BLASRuntime.threadCount)")
        installInterruptHandler()
        let progress = ProgressReporter(batches: loader.batchCount)
        var last: EpochMetrics?
        if firstEpoch > epochs { print("Nothing to do: the checkpoint already finished epoch \(firstEpoch - 1) of \(epochs)") }
        for epoch in stride(from: firstEpoch, through: epochs, by: 1) {
            let start = clock.now
            var lossSum = 0.0, correct = 0, seen = 0
            progress.start(epoch: epoch, of: epochs)
            for (b, batch) in loader.epoch().enumerated() {
                let labels = batch.labels
                optimizer.zeroGradients()
                let logits = model(batch.features)
                let loss = crossEntropy(logits: logits, labels: labels)
                loss.backward()
                optimizer.step()
                if schedule == .onecycle { scheduler?.step() }
                lossSum += Double(loss.scalar) * Double(batch.count)
                correct += zip(logits.detached.argmax(along: 1), labels).filter { $0 == $1 }.count
                seen += batch.count
                progress.update(batch: b + 1, loss: lossSum / Double(seen), samples: seen, elapsed: start.duration(to: clock.now))
                if interruptRequested.load(ordering: .relaxed) {
                    progress.finish()
                    print("\nInterrupted during epoch \(epoch) after batch \(b + 1).")
                    if let checkpoint {
                        try save(model, optimizer, scheduler, loader, config, epoch: epoch - 1, to: checkpoint)
                        print("Saved \(checkpoint) (resume repeats epoch \(epoch) from its start).")
                    }
                    throw ExitCode(130)
                }
            }
            progress.finish()
            if schedule != .onecycle { scheduler?.step() }
            let seconds = Double(start.duration(to: clock.now).components.attoseconds) * 1e-18
                + Double(start.duration(to: clock.now).components.seconds)
            let test = evaluate(model, on: testData)
            let metricsLine = EpochMetrics(epoch: epoch, trainLoss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
                                           testLoss: test.loss, testAccuracy: test.accuracy, seconds: seconds,
                                           samplesPerSecond: Double(seen) / seconds, learningRate: optimizer.learningRate)
            last = metricsLine
            print("epoch \(epoch)/\(epochs): train loss \(fmt(metricsLine.train_loss)) acc \(fmt(metricsLine.train_accuracy)) | "
                  + "test loss \(fmt(test.loss)) acc \(fmt(test.accuracy)) | \(fmt(seconds, 1)) s, \(Int(metricsLine.samples_per_second)) samples/s")
            if let metrics { try appendLine(metricsLine.jsonLine(), to: metrics, truncate: epoch == firstEpoch && resume == nil) }
            if let checkpoint { try save(model, optimizer, scheduler, loader, config, epoch: epoch, to: checkpoint) }
        }
        if let last { print("Test accuracy: \(fmt(last.test_accuracy, 4))") }
    }

    private func describe(_ c: ModelConfig) -> String {
        "MLP " + ([c.inputSize] + c.hidden + [c.classes]).map(String.init).joined(separator: "-")
            + " (\(c.activation)\(c.dropout > 0 ? ", dropout \(c.dropout)" : ""))"
    }

    private func makeOptimizer(_ model: Sequential<Float>) -> any Optimizer<Float> {
        let parameters = model.trainableParameters
        switch optimizer {
        case .sgd: return SGD(parameters, learningRate: learningRate, momentum: 0.9, weightDecay: weightDecay, nesterov: true)
        case .adam: return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .adamw: return AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .rmsprop: return RMSProp(parameters, learningRate: learningRate, weightDecay: weightDecay)
        }
    }

    private func makeScheduler(_ optimizer: any Optimizer<Float>, batchesPerEpoch: Int) -> LearningRateScheduler<Float>? {
        let schedule: any LearningRateSchedule
        switch self.schedule {
        case .none: return nil
        case .step: schedule = StepSchedule(stepSize: max(1, epochs / 3), gamma: 0.1)
        case .cosine: schedule = CosineAnnealingSchedule(period: epochs)
        case .exponential: schedule = ExponentialSchedule(gamma: 0.9)
        case .onecycle: schedule = OneCycleSchedule(maximum: learningRate, totalSteps: max(2, epochs * batchesPerEpoch))
        }
        return LearningRateScheduler(optimizer: optimizer, schedule: schedule)
    }

    private func save(_ model: Sequential<Float>, _ optimizer: any Optimizer<Float>, _ scheduler: LearningRateScheduler<Float>?,
                      _ loader: DataLoader<Float>, _ config: ModelConfig, epoch: Int, to path: String) throws {
        try TrainingCheckpoint<Float>(step: 0, epoch: epoch, generators: ["shuffle": loader.generator],
                                      extra: ["model": config.json, "dataset": data.dataset.rawValue])
            .save(model: model, optimizer: optimizer, scheduler: scheduler, toFile: path)
    }
}

/// Appends a line to a file (creating or truncating it first when asked).
func appendLine(_ line: String, to path: String, truncate: Bool) throws {
    if truncate || !FileManager.default.fileExists(atPath: path) {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw DataError(path: path, reason: "cannot create the metrics file")
        }
    }
    guard let handle = FileHandle(forWritingAtPath: path) else { throw DataError(path: path, reason: "cannot open the metrics file") }
    defer { try? handle.close() }
    handle.seekToEndOfFile()
    handle.write(Data((line + "\n").utf8))
}

func fmt(_ value: Double, _ digits: Int = 4) -> String {
    String(format: "%.\(digits)f", value)
}
