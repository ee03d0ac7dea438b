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
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be a positive number") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw ValidationError("--weight-decay must be a number ≥ 0") }
        guard (1...1_000_000).contains(epochs) else { throw ValidationError("--epochs must be in 1...1000000") }
        guard (1...(1 << 24)).contains(batchSize) else { throw ValidationError("--batch-size must be in 1...\(1 << 24)") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if checkpoint != nil, checkpoint == metrics { throw ValidationError("--checkpoint and --metrics must be different files") }
    }

    func run() throws {
        try checkOutput(checkpoint, flag: "--checkpoint")
        try checkOutput(metrics, flag: "--metrics")
        try reportingErrors { try train() }
    }

    private func train() throws {
        if let threads { BLASRuntime.threadCount = threads }
        Parallelism.threadCount = BLASRuntime.threadCount
        let clock = ContinuousClock()
        var (trainData, testData) = try data.load()
        if let limit { trainData = trainData.prefix(limit) }
        let classes = max(trainData.classCount, testData.classCount)
        var config = try validated(MultilayerPerceptron.Configuration(
            inputSize: trainData.featureCount, hidden: try parseWidths(hidden), classes: classes, activation: activation, dropout: dropout))
        var firstEpoch = 1
        var loader = DataLoader(trainData, batchSize: batchSize, shuffle: true, seed: seed &+ 1)
        var model: Sequential<Float> = config.makeModel(seed: seed)
        var optimizer = makeOptimizer(model)
        var scheduler = makeScheduler(optimizer, batchesPerEpoch: loader.batchCount)

        if let resume {
            let file = try SafeTensorsFile(contentsOfFile: resume)
            guard let description = file.metadata["extra.model"] else {
                throw CheckpointError(path: resume, reason: "not a checkpoint written by easynets train (no model description)")
            }
            config = try MultilayerPerceptron.Configuration(json: description, path: resume)
            try checkFit(config, source: resume, trainData, dataName: data.name(test: false))
            try checkFit(config, source: resume, testData, dataName: data.name(test: true))
            model = config.makeModel(seed: seed)
            optimizer = makeOptimizer(model)
            scheduler = makeScheduler(optimizer, batchesPerEpoch: loader.batchCount)
            let record = try TrainingCheckpoint<Float>.load(model: model, optimizer: optimizer, scheduler: scheduler, from: file, path: resume)
            if let shuffle = record.generators["shuffle"] { loader.generator = shuffle }
            firstEpoch = min(record.epoch, epochs) + 1
            print("Resumed from \(resume) after epoch \(record.epoch)")
        }

        print("Training \(describe(config)) on \(data.dataset.rawValue): \(trainData.count) training, \(testData.count) test examples")
        print("optimizer \(self.optimizer.rawValue) lr \(learningRate), schedule \(schedule.rawValue), batch \(batchSize), "
              + "\(epochs) epochs, BLAS threads \(BLASRuntime.threadCount)")
        installInterruptHandler()
        let progress = ProgressReporter(batches: loader.batchCount)
        var last: EpochMetrics?
        if firstEpoch > epochs { print("Nothing to do: the checkpoint already finished epoch \(firstEpoch - 1) of \(epochs)") }
        var step = (firstEpoch - 1) * loader.batchCount
        for epoch in stride(from: firstEpoch, through: epochs, by: 1) {
            let start = clock.now
            var lossSum = 0.0, correct = 0, seen = 0
            progress.start(epoch: epoch, of: epochs)
            for (b, batch) in loader.epoch().enumerated() {
                step += 1
                let labels = batch.labels
                optimizer.zeroGradients()
                let logits = model(batch.features)
                let loss = crossEntropy(logits: logits, labels: labels)
                let lossValue = Double(loss.scalar)
                do { try DivergenceGuard.check(loss: lossValue, epoch: epoch, step: step) } catch { progress.finish(); throw error }
                loss.backward()
                optimizer.step()
                if schedule == .onecycle { scheduler?.step() }
                lossSum += lossValue * Double(batch.count)
                correct += zip(logits.detached.argmax(along: 1), labels).filter { $0 == $1 }.count
                seen += batch.count
                progress.update(batch: b + 1, loss: lossSum / Double(seen), samples: seen, elapsed: start.duration(to: clock.now))
                if interruptRequested.load(ordering: .relaxed) {
                    progress.finish()
                    print("\nInterrupted during epoch \(epoch) after batch \(b + 1).")
                    if let checkpoint {
                        try DivergenceGuard.check(parameters: model.namedParameters, epoch: epoch, step: step)
                        try save(model, optimizer, scheduler, loader, config, epoch: epoch - 1, to: checkpoint)
                        print("Saved \(checkpoint) (resume repeats epoch \(epoch) from its start).")
                    }
                    throw ExitCode(130)
                }
            }
            progress.finish()
            if schedule != .onecycle { scheduler?.step() }
            let seconds = max(start.duration(to: clock.now).inSeconds, 1e-9)
            let test = evaluate(model, on: testData)
            try DivergenceGuard.check(loss: test.loss, epoch: epoch, step: step)
            try DivergenceGuard.check(parameters: model.namedParameters, epoch: epoch, step: step)
            let metricsLine = EpochMetrics(epoch: epoch, trainLoss: lossSum / Double(seen), trainAccuracy: Double(correct) / Double(seen),
                                           testLoss: test.loss, testAccuracy: test.accuracy, seconds: seconds,
                                           samplesPerSecond: Double(seen) / seconds, learningRate: optimizer.learningRate)
            last = metricsLine
            print("epoch \(epoch)/\(epochs): train loss \(fmt(metricsLine.train_loss)) acc \(fmt(metricsLine.train_accuracy)) | "
                  + "test loss \(fmt(test.loss)) acc \(fmt(test.accuracy)) | \(fmt(seconds, 1)) s, \(Int(metricsLine.samples_per_second)) samples/s")
            if let metrics {
                try OutputFile.append(try metricsLine.jsonLine() + "\n", to: metrics, truncating: epoch == firstEpoch && resume == nil)
            }
            if let checkpoint { try save(model, optimizer, scheduler, loader, config, epoch: epoch, to: checkpoint) }
        }
        if let last { print("Test accuracy: \(fmt(last.test_accuracy, 4))") }
    }

    private func describe(_ c: MultilayerPerceptron.Configuration) -> String {
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
                      _ loader: DataLoader<Float>, _ config: MultilayerPerceptron.Configuration, epoch: Int, to path: String) throws {
        try TrainingCheckpoint<Float>(step: 0, epoch: epoch, generators: ["shuffle": loader.generator],
                                      extra: ["model": try config.jsonString(), "dataset": data.dataset.rawValue])
            .save(model: model, optimizer: optimizer, scheduler: scheduler, toFile: path)
    }
}

func fmt(_ value: Double, _ digits: Int = 4) -> String {
    String(format: "%.\(digits)f", value)
}
