import ArgumentParser
import EasyNets
import Foundation

/// `easynets summary`: a model's layers, output shapes and parameter counts.
struct Summarize: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summary", abstract: "Show a model's layers, output shapes and parameters.")

    @Option(help: "A checkpoint or state dict EasyNets wrote (it describes its model); without it, --model.")
    var checkpoint: String?

    @Option(help: "Without --checkpoint: the preset mlp (784-256-128-10), the preset cnn, the language-model presets char-lstm and char-transformer (shown for \(Summarize.vocabularySize) characters in sequences of \(Summarize.sequenceLength)), or a model description JSON file.")
    var model: String = "mlp"

    /// The vocabulary and sequence length a language-model preset is shown with (a trained one's
    /// come from its text: summarize its checkpoint).
    static let vocabularySize = 96, sequenceLength = 128

    @Option(help: "The shape of one example, comma-separated (default: the model's first layer's input: 784 features, a 1×28×28 image, or 128 token ids).")
    var inputShape: String?

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        try reportingErrors {
            let file = try checkpoint.map { try SafeTensorsFile(contentsOfFile: $0) }
            let description = try describedModel(file: file, checkpoint: checkpoint, model: model)
            let shape = try exampleShape(inputShape, for: description)
            // The summary runs one example through the model: its shapes and memory are checked first.
            do { _ = try description.outputShape(for: [1] + shape) } catch let error as ModelDescriptionError {
                throw ModelDescriptionError(layer: checkpoint ?? model, reason: "cannot take examples of shape \(shape): \(error)")
            }
            try description.checkMemory(batchSize: 1, exampleShape: shape, training: false, source: checkpoint ?? model)
            let network = try file.map { try Sequential<Float>(description, loadingStateFrom: $0, path: checkpoint!) }
                ?? Sequential<Float>(description)
            print(network.summary(inputShape: [1] + shape))
        }
    }
}

/// The model a checkpoint describes, or else the one `--model` names: a preset as the default
/// data shapes it (Fashion-MNIST's 784 features or 1×28×28 images and 10 classes; for a language
/// model, ``Summarize/vocabularySize`` characters in sequences of ``Summarize/sequenceLength``),
/// the mlp preset through `hidden` widths and `activation`, or a description file.
func describedModel(file: SafeTensorsFile?, checkpoint: String?, model: String, hidden: [Int] = [256, 128],
                    activation: ActivationKind = .relu) throws -> ModelDescription {
    if let file, let checkpoint {
        guard let described = try ModelDescription(checkpoint: file, path: checkpoint) else {
            throw CheckpointError(path: checkpoint, reason: "carries no model description (a plain state dict); use --model")
        }
        return described
    }
    let text = ModelPreset(rawValue: model)?.isLanguageModel == true
    return try modelDescription(model, classes: text ? Summarize.vocabularySize : 10, inputSize: 784, imageShape: nil,
                                sequenceLength: text ? Summarize.sequenceLength : nil, hidden: hidden, activation: activation)
}
