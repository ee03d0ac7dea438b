import EasyNets
import Testing

// The presets of `easynets train --model`, with the recipes its help documents: a library user gets the same.

@Test func presetsAreNamedAsTheToolNamesThem() {
    #expect(ModelPreset.allCases.map(\.rawValue) == ["mlp", "cnn", "char-lstm", "char-transformer"])
    #expect(ModelPreset.allCases.filter(\.isLanguageModel) == [.charLSTM, .charTransformer])
}

@Test func presetRecipes() {
    #expect(ModelPreset.mlp.recipe == .standard)

    let cnn = ModelPreset.cnn.recipe
    #expect(cnn.epochs == 18 && cnn.maximumShift == 1 && !cnn.horizontalFlip)
    #expect(cnn.augmentation == ImageAugmentation(maximumShift: 1))
    #expect(cnn.optimizer == .adam && cnn.learningRate == 1e-3 && cnn.batchSize == 128 && cnn.gradientClipNorm == nil)

    let lstm = ModelPreset.charLSTM.recipe
    #expect(lstm.optimizer == .adam && lstm.learningRate == 0.01 && lstm.gradientClipNorm == 1)
    #expect(lstm.epochs == 10 && lstm.batchSize == 64 && lstm.augmentation == nil)

    let transformer = ModelPreset.charTransformer.recipe
    #expect(transformer.optimizer == .adam && transformer.learningRate == 0.003 && transformer.gradientClipNorm == 1)
    #expect(transformer.epochs == 10 && transformer.batchSize == 64)
}

@Test func presetDescriptionsAreTheBuilders() throws {
    #expect(try ModelPreset.mlp.description(classes: 10)
            == MultilayerPerceptron.Configuration(inputSize: 784, hidden: [256, 128], classes: 10).modelDescription)
    #expect(try ModelPreset.mlp.description(classes: 3, inputSize: 2, hidden: [8], activation: .tanh, dropout: 0.5)
            == MultilayerPerceptron.Configuration(inputSize: 2, hidden: [8], classes: 3, activation: "tanh", dropout: 0.5).modelDescription)
    #expect(try ModelPreset.cnn.description(classes: 10) == ConvolutionalNetwork.description())
    #expect(try ModelPreset.cnn.description(classes: 5, imageShape: [3, 32, 32])
            == ConvolutionalNetwork.description(imageShape: [3, 32, 32], classes: 5))
    #expect(try ModelPreset.charLSTM.description(classes: 40) == CharacterLanguageModel.lstm(vocabularySize: 40))
    #expect(try ModelPreset.charTransformer.description(classes: 40, contextLength: 16)
            == CharacterLanguageModel.transformer(vocabularySize: 40, contextLength: 16))
}

@Test func presetsRefuseSizesTheyCannotTake() {
    #expect(throws: ModelDescriptionError(layer: "the cnn preset", reason: "needs images of at least 4×4 pixels and 1 to 1000000 classes")) {
        try ModelPreset.cnn.description(classes: 10, imageShape: [1, 3, 28])
    }
    #expect(throws: ModelDescriptionError.self) { try ModelPreset.mlp.description(classes: 0) }
    #expect(throws: ModelDescriptionError.self) { try ModelPreset.mlp.description(classes: 10, hidden: [1 << 24, 1 << 24]) }
    #expect(throws: ModelDescriptionError.self) { try ModelPreset.charLSTM.description(classes: 0) }
    #expect(throws: ModelDescriptionError.self) { try ModelPreset.charTransformer.description(classes: 10, contextLength: 0) }
}
