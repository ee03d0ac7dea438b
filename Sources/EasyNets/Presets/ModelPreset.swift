/// The models EasyNets ships, each with the recipe it trains well with: the presets of
/// `easynets train --model`, named by their raw values.
///
/// ```swift
/// let preset = ModelPreset.charLSTM
/// let model = try Sequential<Float>(preset.description(classes: vocabulary.count), seed: 0)
/// let trainer = preset.recipe.makeTrainer(model: model, data: train, validationData: validation)
/// try trainer.fit(epochs: preset.recipe.epochs)
/// ```
public enum ModelPreset: String, CaseIterable, Sendable {
    /// A ``MultilayerPerceptron``, 784-256-128-10 with ReLU by default; the ``TrainingRecipe/standard`` recipe.
    case mlp
    /// The ``ConvolutionalNetwork``; the standard recipe for 18 epochs, images shifted by up to 1 pixel.
    case cnn
    /// The LSTM language model (``CharacterLanguageModel/lstm(vocabularySize:embedding:hidden:layers:dropout:)``);
    /// the ``TrainingRecipe/languageModel`` recipe at a learning rate of 0.01.
    case charLSTM = "char-lstm"
    /// The Transformer language model
    /// (``CharacterLanguageModel/transformer(vocabularySize:contextLength:size:heads:layers:dropout:)``);
    /// the language-model recipe at a learning rate of 0.003.
    case charTransformer = "char-transformer"

    /// Whether this is a character-level language model: token ids in, next-character scores out.
    public var isLanguageModel: Bool { self == .charLSTM || self == .charTransformer }

    /// How `easynets train` trains this preset when no flag says otherwise.
    public var recipe: TrainingRecipe {
        switch self {
        case .mlp: return .standard
        case .cnn:
            var recipe = TrainingRecipe.standard
            (recipe.epochs, recipe.maximumShift) = (18, 1)
            return recipe
        case .charLSTM:
            var recipe = TrainingRecipe.languageModel
            recipe.learningRate = 0.01
            return recipe
        case .charTransformer:
            var recipe = TrainingRecipe.languageModel
            recipe.learningRate = 0.003
            return recipe
        }
    }

    /// The preset's model for `classes` classes (for a language model, the vocabulary's characters).
    ///
    /// Each preset reads only the arguments that shape it: ``mlp`` takes `inputSize` features
    /// through the `hidden` widths, with `activation` and `dropout` after each; ``cnn`` takes
    /// images of `imageShape` (channels, height, width); ``charTransformer`` sees at most
    /// `contextLength` characters at once. Throws a ``ModelDescriptionError`` naming the preset
    /// when these sizes cannot make its model.
    public func description(classes: Int, inputSize: Int = 784, imageShape: [Int] = FashionMNIST.imageShape,
                            contextLength: Int = 128, hidden: [Int] = [256, 128], activation: ActivationKind = .relu,
                            dropout: Double = 0) throws -> ModelDescription {
        func failure(_ reason: String) -> ModelDescriptionError { ModelDescriptionError(layer: "the \(rawValue) preset", reason: reason) }
        switch self {
        case .mlp:
            let configuration = MultilayerPerceptron.Configuration(inputSize: inputSize, hidden: hidden, classes: classes,
                                                                   activation: activation.rawValue, dropout: dropout)
            if let problem = configuration.problem() { throw failure(problem) }
            return configuration.modelDescription
        case .cnn:
            guard imageShape.count == 3, imageShape[0] >= 1, imageShape[1] >= 4, imageShape[2] >= 4,
                  (1...1_000_000).contains(classes) else {
                throw failure("needs images of at least 4×4 pixels and 1 to 1000000 classes")
            }
            return ConvolutionalNetwork.description(imageShape: imageShape, classes: classes)
        case .charLSTM:
            guard classes >= 1 else { throw failure("needs a vocabulary of at least 1 character") }
            return CharacterLanguageModel.lstm(vocabularySize: classes)
        case .charTransformer:
            guard classes >= 1, contextLength >= 1 else {
                throw failure("needs a vocabulary of at least 1 character and a context of at least 1")
            }
            return CharacterLanguageModel.transformer(vocabularySize: classes, contextLength: contextLength)
        }
    }
}
