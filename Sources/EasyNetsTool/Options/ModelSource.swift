import ArgumentParser
import EasyNets

/// Loads a model from a checkpoint or state dict that EasyNets wrote (it carries the model's
/// description), or from a plain safetensors state dict (e.g. a PyTorch `nn.Sequential` of
/// Linear/ReLU layers) given the hidden widths.
struct ModelSource: ParsableArguments {
    @Option(help: "Checkpoint of easynets train, or a safetensors state dict exported from PyTorch.")
    var checkpoint: String

    @Option(help: "The architecture of a plain state dict: mlp (shaped by --hidden, --activation), cnn, char-lstm, char-transformer, or a model description JSON file (files EasyNets writes describe their model).")
    var model: String = "mlp"

    @Option(help: "Hidden widths of a plain state dict of the mlp preset.")
    var hidden: String = "256,128"

    @Option(help: "Activation of a plain state dict.")
    var activation: String = "relu"

    func validate() throws {
        _ = try parseWidths(hidden)
        _ = try parseActivation(activation)
    }

    /// The file and its model's description, for data of `inputSize` features (images of
    /// `imageShape`, or text in sequences of `sequenceLength` characters) and `classes` classes
    /// (used only for a plain state dict); with a `vocabulary`, a language model's checkpoint must
    /// have been written for its characters. Nothing is built yet: check the description against
    /// the data and the memory limit, then ``build(_:)``.
    func open(inputSize: Int, imageShape: [Int]?, classes: Int, sequenceLength: Int? = nil,
              vocabulary: CharacterVocabulary? = nil) throws -> (file: SafeTensorsFile, description: ModelDescription) {
        let file = try SafeTensorsFile(contentsOfFile: checkpoint)
        if let vocabulary { try vocabulary.checkMatches(checkpoint: file, path: checkpoint) }
        if let description = try ModelDescription(checkpoint: file, path: checkpoint) { return (file, description) }
        let description = try modelDescription(model, classes: classes, inputSize: inputSize, imageShape: imageShape,
                                               sequenceLength: sequenceLength, hidden: parseWidths(hidden),
                                               activation: parseActivation(activation))
        return (file, description)
    }

    /// The model `opened` describes, with the file's weights: the averaged ones when a checkpoint
    /// of `easynets train --ema` holds them.
    func build(_ opened: (file: SafeTensorsFile, description: ModelDescription)) throws -> Sequential<Float> {
        let network = try Sequential<Float>(opened.description, loadingStateFrom: opened.file, path: checkpoint)
        try ExponentialMovingAverage<Float>.loadAverages(into: network, from: opened.file, path: checkpoint)
        return network
    }
}
