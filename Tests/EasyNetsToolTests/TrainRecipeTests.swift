import EasyNets
@testable import EasyNetsTool
import Testing

// `easynets train` trains with the library's recipes, and its help documents their values.

@Test func trainUsesThePresetsRecipes() throws {
    #expect(try Train.parse([]).recipe == ModelPreset.mlp.recipe)
    #expect(try Train.parse(["--model", "cnn"]).recipe == ModelPreset.cnn.recipe)
    #expect(try Train.parse(["--dataset", "text"]).recipe == ModelPreset.charLSTM.recipe)
    #expect(try Train.parse(["--dataset", "text", "--model", "char-lstm"]).recipe == ModelPreset.charLSTM.recipe)
    #expect(try Train.parse(["--dataset", "text", "--model", "char-transformer"]).recipe == ModelPreset.charTransformer.recipe)
}

@Test func trainUsesTheStandardRecipesForModelFiles() throws {
    #expect(try Train.parse(["--model", "model.json"]).recipe == .standard)
    #expect(try Train.parse(["--dataset", "text", "--model", "model.json"]).recipe == .languageModel)
}

@Test func trainFlagsChangeTheRecipe() throws {
    let recipe = try Train.parse([
        "--model", "cnn", "--optimizer", "sgd", "--learning-rate", "0.5", "--schedule", "onecycle", "--weight-decay", "0.01",
        "--epochs", "3", "--batch-size", "7", "--clip-norm", "2", "--augment-shift", "2", "--augment-flip",
    ]).recipe
    #expect(recipe == TrainingRecipe(optimizer: .sgd, learningRate: 0.5, weightDecay: 0.01, schedule: .onecycle, epochs: 3,
                                     batchSize: 7, gradientClipNorm: 2, maximumShift: 2, horizontalFlip: true))
    #expect(try Train.parse(["--model", "cnn", "--augment-shift", "0"]).recipe.augmentation == nil)
}

@Test func trainHelpDocumentsTheRecipes() {
    let help = Train.helpMessage(columns: 10_000)
    #expect(help.contains("default: 0.001; 0.01 with --model char-lstm, 0.003 with char-transformer"))
    #expect(help.contains("Epochs (default: 15; 18 with --model cnn; 10 with --dataset text; with --resume, the checkpoint's)"))
    #expect(help.contains("Mini-batch size (default: 128; 64 sequences with --dataset text;"))
    #expect(help.contains("(default: none; 1 with --dataset text)"))
    #expect(help.contains("default: 1 with --model cnn, else 0"))
    #expect(help.contains("default: adam; with --resume, the checkpoint's)") && help.contains("default: cosine; with --resume, the checkpoint's)"))
    #expect(TrainingRecipe.languageModel.gradientClipNorm == 1)
}

@Test func noDecayBiasNormExemptsBiasesAndNormalization() throws {
    #expect(try Train.parse([]).recipe.decaysBiasesAndNormalization)
    let recipe = try Train.parse(["--weight-decay", "0.1", "--no-decay-bias-norm"]).recipe
    #expect(!recipe.decaysBiasesAndNormalization && recipe.weightDecay == 0.1)
    #expect(Train.helpMessage(columns: 10_000).contains("--no-decay-bias-norm"))
}

@Test func emaTakesADecayBetweenZeroAndOne() throws {
    #expect(try Train.parse(["--ema", "0.999"]).ema == 0.999)
    #expect(try Train.parse([]).ema == nil)
    for decay in ["0", "1", "1.5", "-0.1", "nan"] {
        #expect(throws: (any Error).self, "--ema \(decay)") { try Train.parse(["--ema", decay]) }
    }
    #expect(throws: (any Error).self) { try Train.parse(["--ema", "0.9", "--patience", "2", "--restore-best-weights"]) }
    #expect(Train.helpMessage(columns: 10_000).contains("--ema <ema>"))
}

@Test func negativeNumbersAreValuesThatTheRangeChecksRefuse() {
    for (arguments, message) in [(["--epochs", "-1"], "--epochs must be in 1...1000000"),
                                 (["--learning-rate", "-0.1"], "--learning-rate must be a positive number"),
                                 (["--dropout", "-0.5"], "--dropout must be in [0, 1)"),
                                 (["--threads", "-2"], "--threads must be in 1...1024"),
                                 (["--limit", "-3"], "--limit must be at least 1")] {
        expectRefusal(arguments, message)
    }
}

@Test func lrIsTheLearningRate() throws {
    #expect(try Train.parse(["--lr", "0.25"]).recipe.learningRate == 0.25)
    #expect(Train.helpMessage(columns: 10_000).contains("--learning-rate, --lr <learning-rate>"))
}

@Test func flagsOfAnotherDatasetAreRefusedNamingWhatTheyApplyTo() {
    for (arguments, message) in [(["--dataset", "spirals", "--sequence-length", "32"], "--sequence-length applies to --dataset text, not to --dataset spirals"),
                                 (["--dataset", "spirals", "--text", "/tmp"], "--text applies to --dataset text, not to --dataset spirals"),
                                 (["--dataset", "spirals", "--text-dir", "/tmp"], "--text applies to --dataset text, not to --dataset spirals"),
                                 (["--dataset", "text", "--data-dir", "/tmp"], "--data-dir applies to --dataset fashion-mnist (the default), not to --dataset text"),
                                 (["--train-file", "a.csv"], "--train-file applies to --dataset csv, not to --dataset fashion-mnist")] {
        expectRefusal(arguments, message)
    }
    // The dataset's own flags, and a flag given its default value, pass.
    #expect((try? Train.parse(["--dataset", "text", "--sequence-length", "32"])) != nil)
    #expect((try? Train.parse(["--dataset", "spirals", "--sequence-length", "128"])) != nil)
}

@Test func unknownCommandsGetTheNearestSuggested() {
    #expect(EasyNetsCommand.unknownCommandMessage(["trian"])?.contains("Did you mean 'train'?") == true)
    #expect(EasyNetsCommand.unknownCommandMessage(["zzzzzzzz"])?.contains("Did you mean") == false)
    #expect(EasyNetsCommand.unknownCommandMessage(["train", "--epochs", "1"]) == nil)
    #expect(EasyNetsCommand.unknownCommandMessage(["--help"]) == nil)
    #expect(editDistance("evaluate", "evalute") == 1 && editDistance("", "abc") == 3 && editDistance("kitten", "sitting") == 3)
}

/// `train` with `arguments` is refused while parsing, with exactly `message`.
private func expectRefusal(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try Train.parse(arguments)
        Issue.record("\(arguments) parsed", sourceLocation: sourceLocation)
    } catch {
        #expect(Train.message(for: error) == message, "\(arguments)", sourceLocation: sourceLocation)
    }
}

/// A resumed run takes the optimizer, learning rate, schedule and epochs of its checkpoint unless
/// a flag gives them; the other flags still apply.
@Test func resumingTakesTheCheckpointsScheduleUnlessFlagsSayOtherwise() throws {
    var started = ModelPreset.mlp.recipe
    (started.optimizer, started.learningRate, started.schedule, started.epochs) = (.sgd, 0.05, .onecycle, 4)
    let extra = started.checkpointExtra
    let resumed = try Train.parse(["--batch-size", "32"]).recipe(resuming: extra)
    #expect(resumed.optimizer == .sgd && resumed.learningRate == 0.05 && resumed.schedule == .onecycle && resumed.epochs == 4)
    #expect(resumed.batchSize == 32)
    try resumed.checkContinues(checkpointExtra: extra, path: "run.safetensors")
    let longer = try Train.parse(["--epochs", "8"]).recipe(resuming: extra)
    #expect(longer.epochs == 8)
    #expect(throws: CheckpointError.self) { try longer.checkContinues(checkpointExtra: extra, path: "run.safetensors") }
}
