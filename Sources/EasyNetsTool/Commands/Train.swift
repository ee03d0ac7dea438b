import ArgumentParser
import EasyNets
import EasyNetsTensorBoard
import Foundation

/// `easynets train`: parses flags, builds the model, the data and the library's ``Trainer`` with
/// its observers, and runs it.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a classifier (default: the 784-256-128-10 MLP on Fashion-MNIST), a regressor or multi-label classifier (--dataset csv --task regression|multilabel), or a character-level language model (--dataset text).")

    @OptionGroup var data: DataOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var tensorBoard: TensorBoardOptions

    @Option(name: .customLong("model"),
            help: "The architecture: the preset mlp (shaped by --hidden, --activation, --dropout), the preset cnn, the language-model presets char-lstm and char-transformer (--dataset text), or a model description JSON file (default: mlp; char-lstm with --dataset text).")
    var modelOption: String?

    @Option(help: "Hidden layer widths of the mlp preset, comma-separated.")
    var hidden: String = "256,128"

    @Option(help: "Activation of the mlp preset: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var activation: String = "relu"

    @Option(parsing: .unconditional, help: "Dropout probability after each hidden activation of the mlp preset.")
    var dropout: Double = 0

    // The defaults below and in the help texts are the library's recipes (ModelPreset.recipe), which
    // all train with the same optimizer, schedule and weight decay.
    @Option(name: .customLong("optimizer"),
            help: "Optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: \(TrainingRecipe.standard.optimizer.rawValue); with --resume, the checkpoint's).")
    var optimizerOption: OptimizerKind?

    @Option(name: [.customLong("learning-rate"), .customLong("lr")], parsing: .unconditional,
            help: ArgumentHelp("Learning rate (the peak rate for onecycle; default: \(TrainingRecipe.standard.learningRate); "
                + "\(ModelPreset.charLSTM.recipe.learningRate) with --model char-lstm, "
                + "\(ModelPreset.charTransformer.recipe.learningRate) with char-transformer; with --resume, the checkpoint's)."))
    var learningRateOption: Double?

    @Option(name: .customLong("schedule"),
            help: "Learning-rate schedule: \(ScheduleKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: \(TrainingRecipe.standard.schedule.rawValue); with --resume, the checkpoint's).")
    var scheduleOption: ScheduleKind?

    @Option(parsing: .unconditional, help: "Weight decay (L2 for sgd, adam and rmsprop; decoupled for adamw).")
    var weightDecay: Double = TrainingRecipe.standard.weightDecay

    @Flag(help: "Exempt biases and normalization layers' weights and biases from --weight-decay (a second parameter group without decay).")
    var noDecayBiasNorm = false

    @Flag(help: "Under mpirun (easynets-mpi): batch normalization with the statistics of the whole global batch, as PyTorch's SyncBatchNorm, rather than each process's share.")
    var syncBatchNorm = false

    @Option(help: "Under mpirun (easynets-mpi): the format gradients are summed in across the processes: \(GradientPrecision.allCases.map(\.rawValue).joined(separator: ", ")) (16-bit formats send half the bytes of Float).")
    var gradientPrecision: GradientPrecision = .full

    @Option(name: .customLong("epochs"), parsing: .unconditional,
            help: ArgumentHelp("Epochs (default: \(TrainingRecipe.standard.epochs); \(ModelPreset.cnn.recipe.epochs) with --model cnn; "
                + "\(TrainingRecipe.languageModel.epochs) with --dataset text; with --resume, the checkpoint's)."))
    var epochsOption: Int?

    @Option(name: .customLong("batch-size"), parsing: .unconditional,
            help: ArgumentHelp("Mini-batch size (default: \(TrainingRecipe.standard.batchSize); \(TrainingRecipe.languageModel.batchSize) sequences "
                + "with --dataset text; under mpirun: the global batch, split among the processes)."))
    var batchSizeOption: Int?

    @Option(parsing: .unconditional, help: "Clip the gradients' global norm to this value before each step (default: none; 1 with --dataset text).")
    var clipNorm: Double?

    @Option(parsing: .unconditional, help: "Random seed for initialization, shuffling and dropout.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Threads for BLAS and for EasyNets' own elementwise kernels (default: all processors; under mpirun, this host's processors divided among its processes).")
    var threads: Int?

    @Option(name: .customLong("augment-shift"), parsing: .unconditional,
            help: ArgumentHelp("Shift each training image by up to N pixels (zero fill; image models only; default: "
                + "\(ModelPreset.cnn.recipe.maximumShift) with --model cnn, else 0)."))
    var augmentShiftOption: Int?

    @Flag(help: "Mirror each training image left to right with probability 1/2 (image models only).")
    var augmentFlip = false

    @Option(parsing: .unconditional, help: "Use only the first N training examples.")
    var limit: Int?

    @Option(parsing: .unconditional, help: "Hold out this fraction of the training examples (drawn by --seed) as validation data, evaluated after each epoch; the test data is then evaluated once, after training (default: 0: the test data is evaluated after each epoch).")
    var validationSplit: Double = 0

    @Option(help: "The loss: cross-entropy (classification), mse, l1 or huber (regression), bce (multi-label) (default: the task's first).")
    var loss: LossKind?

    @Option(name: .customLong("report"),
            help: "Metrics reported each epoch, comma-separated: \(Metric.knownNames) (default: accuracy for classes; mae, rmse and r2 for regression; accuracy and bits_per_character for text).")
    var reportOption: String?

    @Option(parsing: .unconditional, help: "Stop after N epochs without improvement of --monitor (early stopping).")
    var patience: Int?

    @Option(help: "The value early stopping and --schedule plateau watch: <train|validation>_<loss|metric> (default: validation_loss).")
    var monitor: String = "validation_loss"

    @Flag(help: "With --patience: put back the weights of the best epoch when training ends.")
    var restoreBestWeights = false

    @Option(parsing: .unconditional, help: "With --schedule plateau: epochs without improvement of --monitor before the rate is divided by 10 (default: \(TrainingRecipe.standard.plateauPatience)).")
    var plateauPatience: Int?

    @Option(name: .customLong("accumulate"), parsing: .unconditional,
            help: "Accumulate the gradients of N batches into each optimizer step: the step of a batch N times larger.")
    var accumulate: Int = 1

    @Option(parsing: .unconditional, help: "Keep an exponential moving average of the weights with this decay in (0, 1), e.g. 0.999: validation, the test evaluation, and evaluate, predict and generate with the checkpoint use the averaged weights; the checkpoint keeps them beside the raw weights, from which --resume continues training.")
    var ema: Double?

    @Option(help: "Checkpoint file, written atomically after every epoch and on Ctrl-C.")
    var checkpoint: String?

    @Option(parsing: .unconditional, help: "Also write the checkpoint every N optimizer steps.")
    var checkpointEvery: Int?

    @Option(help: "Metrics file: one JSON object per epoch.")
    var metrics: String?

    @Option(help: "Resume from a checkpoint written by this command (under mpirun, rank 0 reads it and sends it to the others).")
    var resume: String?

    /// The architecture: the flag, or the dataset's default preset.
    var model: String { modelOption ?? (data.dataset == .text ? "char-lstm" : "mlp") }

    /// The preset `--model` names, if it names one.
    var preset: ModelPreset? { ModelPreset(rawValue: model) }

    /// The recipe the flags change: the preset's, when it suits the data (a language model for
    /// text, a classifier otherwise); else the library's recipe for that kind of data.
    var defaultRecipe: TrainingRecipe {
        if let preset, preset.isLanguageModel == (data.dataset == .text) { return preset.recipe }
        return data.dataset == .text ? .languageModel : .standard
    }

    /// The recipe trained with: the default recipe, with the values of the flags given.
    var recipe: TrainingRecipe { recipe(resuming: [:]) }

    /// The recipe trained with: the default recipe, with the optimizer, learning rate, schedule
    /// and epochs of the checkpoint `extra` resumes from, and the values of the flags given.
    func recipe(resuming extra: [String: String]) -> TrainingRecipe {
        var recipe = defaultRecipe.resuming(checkpointExtra: extra)
        if let optimizerOption { recipe.optimizer = optimizerOption }
        if let scheduleOption { recipe.schedule = scheduleOption }
        recipe.weightDecay = weightDecay
        recipe.decaysBiasesAndNormalization = !noDecayBiasNorm
        if let learningRateOption { recipe.learningRate = learningRateOption }
        if let epochsOption { recipe.epochs = epochsOption }
        if let batchSizeOption { recipe.batchSize = batchSizeOption }
        if let clipNorm { recipe.gradientClipNorm = clipNorm }
        if let augmentShiftOption { recipe.maximumShift = augmentShiftOption }
        recipe.horizontalFlip = recipe.horizontalFlip || augmentFlip
        recipe.accumulationSteps = accumulate
        if let plateauPatience { recipe.plateauPatience = plateauPatience }
        return recipe
    }

    func validate() throws {
        let recipe = recipe
        _ = try parseWidths(hidden)
        _ = try parseActivation(activation)
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1)") }
        guard recipe.learningRate > 0 && recipe.learningRate.isFinite else { throw ValidationError("--learning-rate must be a positive number") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw ValidationError("--weight-decay must be a number ≥ 0") }
        guard (1...1_000_000).contains(recipe.epochs) else { throw ValidationError("--epochs must be in 1...1000000") }
        guard (1...(1 << 24)).contains(recipe.batchSize) else { throw ValidationError("--batch-size must be in 1...\(1 << 24)") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard (0...1024).contains(recipe.maximumShift) else { throw ValidationError("--augment-shift must be in 0...1024") }
        if checkpoint != nil, checkpoint == metrics { throw ValidationError("--checkpoint and --metrics must be different files") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1") }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) { throw ValidationError("--clip-norm must be a positive number") }
        if checkpointEvery != nil, checkpoint == nil { throw ValidationError("--checkpoint-every needs --checkpoint") }
        guard validationSplit >= 0 && validationSplit < 1 else { throw ValidationError("--validation-split must be in [0, 1)") }
        guard (1...1_000_000).contains(accumulate) else { throw ValidationError("--accumulate must be in 1...1000000") }
        if let patience, !(0...1_000_000).contains(patience) { throw ValidationError("--patience must be in 0...1000000") }
        if let plateauPatience, !(0...1_000_000).contains(plateauPatience) { throw ValidationError("--plateau-patience must be in 0...1000000") }
        if restoreBestWeights, patience == nil { throw ValidationError("--restore-best-weights needs --patience") }
        if let ema {
            guard ema > 0 && ema < 1 else { throw ValidationError("--ema must be a decay in (0, 1), got \(ema)") }
            if restoreBestWeights {
                throw ValidationError("--restore-best-weights puts back raw weights, while --ema evaluates averaged ones; use one of them")
            }
        }
        if let loss, !loss.tasks.contains(task) {
            throw ValidationError("--loss \(loss.rawValue) does not apply to \(data.dataset == .text ? "a language model" : "--task \(task.rawValue)"); "
                                  + "use \(LossKind.allCases.filter { $0.tasks.contains(task) }.map(\.rawValue).joined(separator: " or "))")
        }
        let layout: TargetLayout = task == .classification ? .classes([]) : .values([1])
        for metric in try reportedMetrics {
            if let problem = metric.problem(for: layout) { throw ValidationError("--report: \(problem)") }
            if task == .regression, metric == .accuracy {
                throw ValidationError("--report: accuracy applies to classes and multi-label targets, not to --task regression; "
                                      + "use mae, rmse or r2")
            }
        }
        let monitorParts = monitor.split(separator: "_", maxSplits: 1).map(String.init)
        let monitored = ["loss"] + (try reportedMetrics).map(\.name)
        guard monitorParts.count == 2, ["train", "validation"].contains(monitorParts[0]), monitored.contains(monitorParts[1]) else {
            throw ValidationError("--monitor must be train_ or validation_ followed by one of \(monitored.joined(separator: ", ")), got \"\(monitor)\"")
        }
    }

    /// The task: the CSV's, or classification (every dataset but csv is classified).
    var task: TaskKind { data.dataset == .csv ? data.task : .classification }

    /// The metrics `--report` asks for, or the task's.
    var reportedMetrics: [Metric] {
        get throws {
            guard let reportOption else {
                switch task {
                case .classification: return data.dataset == .text ? [.accuracy, .bitsPerCharacter] : [.accuracy]
                case .regression: return [.meanAbsoluteError, .rootMeanSquaredError, .r2]
                case .multilabel: return [.accuracy]
                }
            }
            return try reportOption.split(separator: ",").map { name in
                guard let metric = Metric(name: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--report: unknown metric \"\(name)\"; the metrics are \(Metric.knownNames)")
                }
                return metric
            }
        }
    }

    func run() throws {
        memory.apply()
        // Started by mpirun: easynets-mpi trains data-parallel, one process per rank (DistributedTraining.md).
        let group = try joinLaunchedJob()
        defer { group?.finalize() }
        do {
            if (group?.rank ?? 0) == 0 {  // only rank 0 writes
                try checkOutput(checkpoint, flag: "--checkpoint")
                try checkOutput(metrics, flag: "--metrics")
                try tensorBoard.check()
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

    private func train(group: (any JoinedProcessGroup)?) throws {
        let isReporting = (group?.rank ?? 0) == 0
        if syncBatchNorm && group == nil {
            throw ValidationError("--sync-batch-norm applies to data-parallel training, started by mpirun with easynets-mpi")
        }
        if gradientPrecision != .full && group == nil {
            throw ValidationError("--gradient-precision applies to data-parallel training, started by mpirun with easynets-mpi")
        }
        func print(_ line: String) { if isReporting { Swift.print(line) } }
        if let threads {
            Parallelism.threadCount = threads
        } else if let processes = LaunchEnvironment.localProcessCount {
            Parallelism.threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount / processes)
        }
        let loaded = try data.load()
        var (trainData, testData, vocabulary) = (loaded.train, loaded.test, loaded.vocabulary)
        if let limit { trainData = trainData.prefix(limit) }
        // Validation: a seeded part of the training data (the test data then waits for the end), or the test data.
        var validationData = testData
        if validationSplit > 0 {
            guard Int((Double(trainData.count) * validationSplit).rounded()) >= 1, trainData.count >= 2 else {
                throw ValidationError("--validation-split \(validationSplit) of \(trainData.count) training examples leaves no validation example")
            }
            (trainData, validationData) = trainData.split(validationFraction: validationSplit, seed: seed &+ 2)
        }
        // A regressor's inputs are standardized with the training part's statistics, kept in the checkpoint.
        var standardizer: Standardizer<Float>?
        // Under mpirun, rank 0 reads the checkpoint (on its own host) and sends it to the others.
        let resumeFile = try resume.map { path in
            try group.map { try SafeTensorsFile(bytes: $0.broadcastFile(path), path: path) } ?? SafeTensorsFile(contentsOfFile: path)
        }
        if task == .regression {
            standardizer = try resumeFile.flatMap { try Standardizer(checkpoint: $0, features: trainData.featureCount, path: resume!) }
                ?? Standardizer(fitting: trainData.features)
            (trainData, validationData, testData) = (standardizer!.apply(trainData), standardizer!.apply(validationData), standardizer!.apply(testData))
        }
        let validationName = validationSplit > 0 ? "the validation part of \(data.name(test: false))" : data.name(test: true)
        // A resumed run keeps the schedule it was started with: the checkpoint's unless a flag says otherwise, then refused.
        let resumedExtra = try resumeFile.map { try TrainingCheckpoint<Float>.record(in: $0, path: resume!).extra }
        let recipe = recipe(resuming: resumedExtra ?? [:])
        // The model's description first: it is checked against the data and the memory limit
        // before any layer is allocated.
        let description: ModelDescription
        let source: String
        if let resumeFile, let resume {
            guard let described = try ModelDescription(checkpoint: resumeFile, path: resume) else {
                throw CheckpointError(path: resume, reason: "not a checkpoint written by EasyNets (no model description)")
            }
            (description, source) = (described, resume)
            // A language model continues only on text of the same characters, in the same order.
            if let vocabulary { try vocabulary.checkMatches(checkpoint: resumeFile, path: resume, required: true) }
        } else {
            let outputs = vocabulary?.count ?? (task == .classification ? max(trainData.classCount, testData.classCount)
                                                                         : trainData.labelShape.reduce(1, *))
            description = try modelDescription(model, classes: outputs, inputSize: trainData.featureCount, imageShape: data.imageShape,
                                               sequenceLength: vocabulary.map { _ in data.sequenceLength },
                                               hidden: parseWidths(hidden), activation: parseActivation(activation), dropout: dropout)
            source = preset != nil ? "the \(model) preset" : model
        }
        trainData = try trainData.shaped(for: description, imageShape: data.imageShape, dataName: data.name(test: false))
        validationData = try validationData.shaped(for: description, imageShape: data.imageShape, dataName: validationName)
        testData = try testData.shaped(for: description, imageShape: data.imageShape, dataName: data.name(test: true))
        let modelClasses = try description.checkFits(trainData, modelSource: source, dataName: data.name(test: false))
        if let vocabulary, modelClasses != vocabulary.count {  // generate draws one of its scores per character
            throw ModelDescriptionError(layer: source, reason: "the model gives \(modelClasses) scores per position, but a language "
                                        + "model of this text needs one per character: \(vocabulary.count)")
        }
        try description.checkFits(validationData, modelSource: source, dataName: validationName)
        try description.checkFits(testData, modelSource: source, dataName: data.name(test: true))
        try description.checkMemory(batchSize: recipe.batchSize, exampleShape: trainData.exampleShape, training: true, source: source)
        try description.checkMemory(batchSize: min(defaultEvaluationBatchSize, max(validationData.count, testData.count)),
                                    exampleShape: testData.exampleShape, training: false, source: source)
        let network = try resumeFile.map { try Sequential<Float>(description, loadingStateFrom: $0, path: source) }
            ?? Sequential<Float>(description, seed: seed)
        if recipe.augmentation != nil, trainData.features.rank != 4 {
            throw ValidationError("--augment-shift and --augment-flip need an image model (its first layer takes (N, C, H, W))")
        }

        if let resumedExtra { try recipe.checkContinues(checkpointExtra: resumedExtra, path: resume!) }
        let architecture = resumedExtra?["architecture"] ?? describe(network)
        let lossKind = loss ?? task.defaultLoss
        let metrics = try reportedMetrics
        let trainer = recipe.makeTrainer(model: network, data: trainData, validationData: validationData, loss: lossKind.makeLoss(),
                                         metrics: metrics, monitor: monitor, shuffleSeed: seed &+ 1, cancellation: interruptFlag,
                                         dataParallel: group.map { DataParallel(group: $0, synchronizesBatchNorm: syncBatchNorm,
                                                                                gradientPrecision: gradientPrecision) })
        if let ema { trainer.movingAverage = ExponentialMovingAverage(of: network, decay: ema) }
        if let resumeFile, let resume {
            let record = try trainer.resume(from: resumeFile, path: resume)
            print("Resumed from \(resume) after epoch \(record.epoch)"
                  + (record.batchesInEpoch > 0 ? ", batch \(record.batchesInEpoch) of epoch \(record.epoch + 1)" : ""))
        }
        trainer.observers = [DivergenceGuard(), ProgressBar(epochs: recipe.epochs)]
        if let patience {
            trainer.observers.append(EarlyStopping(monitor: monitor, patience: patience, restoresBestWeights: restoreBestWeights))
        }
        if let metrics = self.metrics { trainer.observers.append(MetricsWriter(path: metrics, truncating: resume == nil)) }
        let tensorBoardWriter = isReporting ? tensorBoard.writer(settings: settings(recipe: recipe)) : nil
        if let tensorBoardWriter { trainer.observers.append(tensorBoardWriter) }
        if let checkpoint {
            var extra = ["dataset": data.dataset.rawValue, "task": task.rawValue, "loss": lossKind.rawValue, "architecture": architecture]
            extra.merge(recipe.checkpointExtra) { $1 }
            if let vocabulary {  // what easynets generate needs
                extra.merge(TextSampler<Float>.checkpointExtra(vocabulary: vocabulary, contextLength: data.sequenceLength)) { $1 }
            }
            if let standardizer { extra.merge(standardizer.checkpointExtra) { $1 } }
            trainer.observers.append(CheckpointWriter(path: checkpoint, everySteps: checkpointEvery, extra: extra))
        }

        print("Training \(architecture)\(resume.map { " (resumed from \($0))" } ?? "") on \(data.dataset.rawValue): \(trainData.count) training, "
              + (validationSplit > 0 ? "\(validationData.count) validation (held out), \(testData.count) test examples"
                                     : "\(testData.count) test examples (the validation data of each epoch)"))
        if task != .classification {
            print("Task \(task.rawValue): \(trainData.labelShape.reduce(1, *)) target value(s) per example, loss \(lossKind.rawValue)"
                  + (standardizer != nil ? ", inputs standardized with the training statistics" : ""))
        }
        if let vocabulary {
            print("Text: \(vocabulary.count) distinct characters, sequences of \(data.sequenceLength) characters, each labeled "
                  + "with the next; validation reported in bits per character")
        }
        print("optimizer \(recipe.optimizer.rawValue) lr \(recipe.learningRate), schedule \(recipe.schedule.rawValue), "
              + "batch \(recipe.batchSize), " + (recipe.gradientClipNorm.map { "gradient norm ≤ \($0), " } ?? "")
              + "\(epochCount(recipe.epochs)), threads \(Parallelism.threadCount)"
              + (group.map { ", \($0.size) processes (data-parallel, batch \(recipe.batchSize) split among them"
                  + (syncBatchNorm ? ", batch normalization over the whole batch" : "")
                  + (gradientPrecision != .full ? ", gradients summed in \(gradientPrecision.rawValue))" : ")") } ?? "")
              + (recipe.augmentation.map { ", augmentation: shift ≤ \($0.maximumShift) px\($0.horizontalFlip ? ", flips" : "")" } ?? "")
              + (recipe.accumulationSteps > 1 ? ", \(recipe.accumulationSteps) batches per step" : "")
              + (ema.map { ", moving average of the weights (decay \($0)) evaluated" } ?? ""))
        if trainer.epoch >= recipe.epochs {
            print("Nothing to do: the checkpoint already finished epoch \(trainer.epoch) of \(recipe.epochs)")
        }
        installInterruptHandler()
        let outcome = try trainer.fit(epochs: recipe.epochs)
        if let tensorBoardWriter { print(tensorBoard.report(tensorBoardWriter, trainer: trainer)) }
        if outcome == .cancelled {
            let position = trainer.batchesInEpoch > 0 ? "during epoch \(trainer.epoch + 1) after batch \(trainer.batchesInEpoch)"
                                                      : "after epoch \(trainer.epoch)"
            print("Interrupted \(position).")
            if let checkpoint {
                print("Saved \(checkpoint) (resume continues with batch \(trainer.batchesInEpoch + 1) of epoch \(trainer.epoch + 1)).")
            }
            throw ExitCode(130)
        }
        if outcome == .stoppedEarly {
            print("Stopped early after epoch \(trainer.epoch): \(monitor) did not improve for \(patience ?? 0) epochs"
                  + (restoreBestWeights ? "; the weights of the best epoch are kept" : ""))
        }
        if vocabulary != nil {
            if let last = trainer.history.last, let bits = last.value(.bitsPerCharacter, on: .validation) {
                let accuracy = last.value(.accuracy, on: .validation).map { ", accuracy \(String($0, style: .fixed(4)))" } ?? ""
                print("Validation bits per character: \(String(bits, style: .fixed(4)))\(accuracy)")
            }
            return
        }
        // The test data with the final weights: the last epoch's validation, when that was the test
        // data and the weights are still that epoch's; else evaluated once more.
        let values: [String: Double]
        if validationSplit == 0, !restoreBestWeights, let last = trainer.history.last {
            values = Dictionary(uniqueKeysWithValues: (["loss"] + metrics.map(\.name)).compactMap { name in
                last.values["validation_" + name].map { (name, $0) }
            })
        } else {
            trainer.movingAverage?.swap()  // the averaged weights, as validation saw them
            defer { trainer.movingAverage?.swap() }
            values = try evaluate(network, on: testData, loss: lossKind.makeLoss(), metrics: metrics)
        }
        if task == .classification, let accuracy = values["accuracy"] {
            print("Test accuracy: \(String(accuracy, style: .fixed(4)))")
        } else {
            print("Test " + (["loss"] + metrics.map(\.name)).compactMap { name in values[name].map { "\(name) \(String($0, style: .fixed(4)))" } }
                .joined(separator: ", "))
        }
    }

    /// The architecture as the header names it (and the checkpoint keeps it for a resumed run):
    /// "MLP 784-256-128-10 (relu)" for the mlp preset, "the cnn preset (…)" for another, the file
    /// of a model description with its parameter count, or, for a checkpoint written before
    /// it kept the name, its parameter count.
    private func describe(_ network: Sequential<Float>) -> String {
        let widths = network.layers.compactMap { $0 as? Linear<Float> }
        if resume != nil { return "a model of \(network.parameterCount) parameters" }
        if let preset, preset != .mlp {
            return "the \(model) preset (\(network.parameterCount) parameters)"
        }
        guard preset == .mlp, let first = widths.first else { return "the model of \(model) (\(network.parameterCount) parameters)" }
        return "MLP " + ([first.inputSize] + widths.map(\.outputSize)).map(String.init).joined(separator: "-")
            + " (\(activation)\(dropout > 0 ? ", dropout \(dropout)" : ""))"
    }
}
