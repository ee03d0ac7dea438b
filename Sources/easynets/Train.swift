import ArgumentParser
import EasyNets
import EasyNetsDistributed
import Foundation

/// `easynets train`: parses flags, builds the model, the data and the library's ``Trainer`` with
/// its observers, and runs it.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier (default: the 784-256-128-10 MLP on Fashion-MNIST) or a character-level language model (--dataset text).")

    enum ScheduleKind: String, ExpressibleByArgument, CaseIterable { case none, step, cosine, exponential, onecycle }

    @OptionGroup var data: DataOptions

    @Option(name: .customLong("model"),
            help: "The architecture: the preset mlp (shaped by --hidden, --activation, --dropout), the preset cnn, the language-model presets char-lstm and char-transformer (--dataset text), or a model description JSON file (default: mlp; char-lstm with --dataset text).")
    var modelOption: String?

    @Option(help: "Hidden layer widths of the mlp preset, comma-separated.")
    var hidden: String = "256,128"

    @Option(help: "Activation of the mlp preset: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var activation: String = "relu"

    @Option(help: "Dropout probability after each hidden activation of the mlp preset.")
    var dropout: Double = 0

    @Option(help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: OptimizerKind = .adam

    @Option(name: .customLong("learning-rate"), help: "Learning rate (the peak rate for onecycle; default: 0.001; 0.01 with --model char-lstm, 0.003 with char-transformer).")
    var learningRateOption: Double?

    @Option(help: "Learning-rate schedule: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var schedule: ScheduleKind = .cosine

    @Option(help: "Weight decay (L2 for sgd, adam and rmsprop; decoupled for adamw).")
    var weightDecay: Double = 0

    @Option(name: .customLong("epochs"), help: "Epochs (default: 15; 18 with --model cnn; 10 with --dataset text).")
    var epochsOption: Int?

    @Option(name: .customLong("batch-size"),
            help: "Mini-batch size (default: 128; 64 sequences with --dataset text; under mpirun: the global batch, split among the processes).")
    var batchSizeOption: Int?

    @Option(help: "Clip the gradients' global norm to this value before each step (default: none; 1 with --dataset text).")
    var clipNorm: Double?

    @Option(help: "Random seed for initialization, shuffling and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Threads for BLAS and for EasyNets' own elementwise kernels (default: all processors; under mpirun, this host's processors divided among its processes).")
    var threads: Int?

    @Option(name: .customLong("augment-shift"),
            help: "Shift each training image by up to N pixels (zero fill; image models only; default: 1 with --model cnn, else 0).")
    var augmentShiftOption: Int?

    @Flag(help: "Mirror each training image left to right with probability 1/2 (image models only).")
    var augmentFlip = false

    @Option(help: "Use only the first N training examples.")
    var limit: Int?

    @Option(help: "Checkpoint file, written atomically after every epoch and on Ctrl-C.")
    var checkpoint: String?

    @Option(help: "Also write the checkpoint every N optimizer steps.")
    var checkpointEvery: Int?

    @Option(help: "Metrics file: one JSON object per epoch.")
    var metrics: String?

    @Option(help: "Resume from a checkpoint written by this command.")
    var resume: String?

    /// The architecture: the flag, or the dataset's default preset.
    var model: String { modelOption ?? (data.dataset == .text ? "char-lstm" : "mlp") }

    /// The epochs to train: the flag, or the recipe (the `cnn` preset trains longer, language models shorter).
    var epochs: Int { epochsOption ?? (data.dataset == .text ? 10 : model == "cnn" ? 18 : 15) }

    /// The batch size: the flag, or the recipe (64 sequences for text).
    var batchSize: Int { batchSizeOption ?? (data.dataset == .text ? 64 : 128) }

    /// The learning rate: the flag, or the recipe (Adam at 0.01 for the LSTM language model and
    /// 0.003 for the Transformer, both with clipped gradients; 0.001 elsewhere).
    var learningRate: Double { learningRateOption ?? ["char-lstm": 0.01, "char-transformer": 0.003][model] ?? 1e-3 }

    /// The gradient norm limit: the flag, or the recipe (1 for language models).
    var gradientClipNorm: Double? { clipNorm ?? (data.dataset == .text ? 1 : nil) }

    /// The largest shift of training images: the flag, or the `cnn` preset's recipe (1 pixel).
    var augmentShift: Int { augmentShiftOption ?? (model == "cnn" ? 1 : 0) }

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
        guard (0...1024).contains(augmentShift) else { throw ValidationError("--augment-shift must be in 0...1024") }
        if checkpoint != nil, checkpoint == metrics { throw ValidationError("--checkpoint and --metrics must be different files") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) { throw ValidationError("--clip-norm must be a positive number") }
        if checkpointEvery != nil, checkpoint == nil { throw ValidationError("--checkpoint-every needs --checkpoint") }
    }

    func run() throws {
        // Started by mpirun: train data-parallel, one process per rank (see README, "Training on several processes").
        let group = MPIProcessGroup.isLaunchedByMPI ? try MPIProcessGroup() : nil
        defer { group?.finalize() }
        do {
            if (group?.rank ?? 0) == 0 {  // only rank 0 writes
                try checkOutput(checkpoint, flag: "--checkpoint")
                try checkOutput(metrics, flag: "--metrics")
            }
            try reportingErrors { try train(group: group) }
        } catch let error as DistributedError {
            if error.rank == 0 { printError("error: \(error.reason)") }  // every process throws it together
            throw ExitCode.failure
        } catch let exit as ExitCode where exit == .failure {
            // Printed by reportingErrors; the other processes may be waiting for this one: end the job.
            if let group, group.size > 1 { group.abort("stopped by the error above") }
            throw exit
        } catch where !(error is ExitCode) {
            if let group, group.size > 1 { group.abort(String(describing: error)) }
            throw error
        }
    }

    private func train(group: MPIProcessGroup?) throws {
        let isReporting = (group?.rank ?? 0) == 0
        func print(_ line: String) { if isReporting { Swift.print(line) } }
        if let threads {
            Parallelism.threadCount = threads
        } else if let processes = MPIProcessGroup.localProcessCount {
            Parallelism.threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount / processes)
        }
        let loaded = try data.load()
        var (trainData, testData, vocabulary) = (loaded.train, loaded.test, loaded.vocabulary)
        if let limit { trainData = trainData.prefix(limit) }
        let resumeFile = try resume.map { try SafeTensorsFile(contentsOfFile: $0) }
        let network: Sequential<Float>
        let source: String
        if let resumeFile, let resume {
            guard let loaded = try Sequential<Float>.loadModel(from: resumeFile, path: resume) else {
                throw CheckpointError(path: resume, reason: "not a checkpoint written by EasyNets (no model description)")
            }
            (network, source) = (loaded, resume)
            // A language model continues only on text of the same characters, in the same order.
            if let vocabulary { try checkVocabulary(vocabulary, of: resumeFile, path: resume, required: true) }
        } else {
            let classes = vocabulary?.count ?? max(trainData.classCount, testData.classCount)
            let description = try modelDescription(model, mlp: {
                MultilayerPerceptron.Configuration(inputSize: trainData.featureCount, hidden: try parseWidths(hidden), classes: classes,
                                                   activation: activation, dropout: dropout)
            }, imageShape: data.imageShape, classes: classes,
               text: vocabulary.map { TextShape(vocabularySize: $0.count, sequenceLength: data.sequenceLength) })
            (network, source) = (try Sequential<Float>(description, seed: seed), modelPresets.contains(model) ? "the \(model) preset" : model)
        }
        let description = try network.describe()
        trainData = try trainData.shaped(for: description, imageShape: data.imageShape, dataName: data.name(test: false))
        testData = try testData.shaped(for: description, imageShape: data.imageShape, dataName: data.name(test: true))
        let modelClasses = try network.checkClassCount(for: trainData, modelSource: source, dataName: data.name(test: false))
        if let vocabulary, modelClasses != vocabulary.count {  // generate draws one of its scores per character
            throw ModelDescriptionError(layer: source, reason: "the model gives \(modelClasses) scores per position, but a language "
                                        + "model of this text needs one per character: \(vocabulary.count)")
        }
        try network.checkClassCount(for: testData, modelSource: source, dataName: data.name(test: true))
        try description.checkMemory(batchSize: batchSize, exampleShape: trainData.exampleShape, training: true, source: source)
        var augmentation: ImageAugmentation?
        if augmentShift > 0 || augmentFlip {
            guard trainData.features.rank == 4 else {
                throw ValidationError("--augment-shift and --augment-flip need an image model (its first layer takes (N, C, H, W))")
            }
            augmentation = ImageAugmentation(maximumShift: augmentShift, horizontalFlip: augmentFlip)
        }

        let optimizer = makeOptimizer(network)
        let loader = DataLoader(trainData, batchSize: batchSize, shuffle: true, augmentation: augmentation, seed: seed &+ 1)
        let trainer = Trainer(model: network, optimizer: optimizer, scheduler: makeScheduler(optimizer, batchesPerEpoch: loader.batchCount),
                              scheduleStepping: schedule == .onecycle ? .perBatch : .perEpoch, loader: loader,
                              evaluationData: testData, cancellation: interruptFlag,
                              dataParallel: group.map { DataParallel(group: $0) })
        trainer.gradientClipNorm = gradientClipNorm
        if let resumeFile, let resume {
            let record = try trainer.resume(from: resumeFile, path: resume)
            print("Resumed from \(resume) after epoch \(record.epoch)"
                  + (record.batchesInEpoch > 0 ? ", batch \(record.batchesInEpoch) of epoch \(record.epoch + 1)" : ""))
        }
        trainer.observers = [DivergenceGuard(), ProgressBar(epochs: epochs, bitsPerLabel: vocabulary != nil)]
        if let metrics { trainer.observers.append(MetricsWriter(path: metrics, truncating: resume == nil)) }
        if let checkpoint {
            var extra = ["dataset": data.dataset.rawValue]
            if let vocabulary {  // what easynets generate needs
                extra.merge(TextSampler<Float>.checkpointExtra(vocabulary: vocabulary, contextLength: data.sequenceLength)) { $1 }
            }
            trainer.observers.append(CheckpointWriter(path: checkpoint, everySteps: checkpointEvery, extra: extra))
        }

        print("Training \(describe(network)) on \(data.dataset.rawValue): \(trainData.count) training, \(testData.count) test examples")
        if let vocabulary {
            print("Text: \(vocabulary.count) distinct characters, sequences of \(data.sequenceLength) characters, each labeled "
                  + "with the next; validation reported in bits per character")
        }
        print("optimizer \(self.optimizer.rawValue) lr \(learningRate), schedule \(schedule.rawValue), batch \(batchSize), "
              + (gradientClipNorm.map { "gradient norm ≤ \($0), " } ?? "")
              + "\(epochs) epochs, threads \(Parallelism.threadCount)"
              + (group.map { ", \($0.size) processes (data-parallel, batch \(batchSize) split among them)" } ?? "")
              + (augmentation.map { ", augmentation: shift ≤ \($0.maximumShift) px\($0.horizontalFlip ? ", flips" : "")" } ?? ""))
        if trainer.epoch >= epochs { print("Nothing to do: the checkpoint already finished epoch \(trainer.epoch) of \(epochs)") }
        installInterruptHandler()
        let outcome = try trainer.fit(epochs: epochs)
        if outcome == .cancelled {
            let position = trainer.batchesInEpoch > 0 ? "during epoch \(trainer.epoch + 1) after batch \(trainer.batchesInEpoch)"
                                                      : "after epoch \(trainer.epoch)"
            print("Interrupted \(position).")
            if let checkpoint {
                print("Saved \(checkpoint) (resume continues with batch \(trainer.batchesInEpoch + 1) of epoch \(trainer.epoch + 1)).")
            }
            throw ExitCode(130)
        }
        if let last = trainer.history.last {
            print(vocabulary == nil ? "Test accuracy: \(fmt(last.testAccuracy, 4))"
                  : "Validation bits per character: \(fmt(last.testLoss / log(2), 4)), accuracy \(fmt(last.testAccuracy, 4))")
        }
    }

    /// "MLP 784-256-128-10 (relu)" for a chain of Linear layers, else the parameter count.
    private func describe(_ network: Sequential<Float>) -> String {
        let widths = network.layers.compactMap { $0 as? Linear<Float> }
        if model != "mlp", modelPresets.contains(model), resume == nil {
            return "the \(model) preset (\(network.parameterCount) parameters)"
        }
        guard model == "mlp", resume == nil, let first = widths.first else { return "a model of \(network.parameterCount) parameters" }
        return "MLP " + ([first.inputSize] + widths.map(\.outputSize)).map(String.init).joined(separator: "-")
            + " (\(activation)\(dropout > 0 ? ", dropout \(dropout)" : ""))"
    }

    private func makeOptimizer(_ model: Sequential<Float>) -> any Optimizer<Float> {
        let parameters = model.trainableParameters
        switch optimizer {
        case .sgd: return SGD(parameters, learningRate: learningRate, momentum: 0.9, weightDecay: weightDecay, nesterov: true)
        case .adam: return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .adamw: return AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .rmsprop: return RMSProp(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case .adagrad: return Adagrad(parameters, learningRate: learningRate, weightDecay: weightDecay)
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

}

func fmt(_ value: Double, _ digits: Int = 4) -> String {
    String(format: "%.\(digits)f", value)
}
