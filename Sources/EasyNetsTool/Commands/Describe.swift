import ArgumentParser
import EasyNets

/// `easynets describe`: a model's description as JSON, to start a model file from.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a model's description as JSON: a model file to start from (edit it, then train --model FILE).",
        discussion: "A model file's layers may leave out fields that have a default (PyTorch's); every layer kind "
            + "with its fields, defaults and an example is in the documentation's \"Model files\" article "
            + "(Sources/EasyNets/EasyNets.docc/ModelFiles.md).")

    @Option(help: "A checkpoint or state dict EasyNets wrote (it describes its model); without it, --model.")
    var checkpoint: String?

    @Option(help: "Without --checkpoint: the preset mlp (784 features, --hidden widths, 10 classes), the preset cnn (1×28×28 images, 10 classes), the language-model presets char-lstm and char-transformer (\(Summarize.vocabularySize) characters in sequences of \(Summarize.sequenceLength)), or a model description JSON file (checked, then printed in full).")
    var model: String = "mlp"

    @Option(help: "Hidden layer widths of the mlp preset, comma-separated.")
    var hidden: String = "256,128"

    @Option(help: "Activation of the mlp preset: \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var activation: String = "relu"

    func validate() throws {
        let widthsGiven = hidden != "256,128" || activation != "relu"
        if widthsGiven && (checkpoint != nil || model != ModelPreset.mlp.rawValue) {
            throw ValidationError("--hidden and --activation apply to --model mlp (the default), not to "
                                  + (checkpoint != nil ? "--checkpoint" : "--model \(model)"))
        }
        _ = try parseWidths(hidden)
        _ = try parseActivation(activation)
    }

    func run() throws {
        try reportingErrors {
            let file = try checkpoint.map { try SafeTensorsFile(contentsOfFile: $0) }
            let description = try describedModel(file: file, checkpoint: checkpoint, model: model,
                                                 hidden: parseWidths(hidden), activation: parseActivation(activation))
            print(try description.jsonString(pretty: true))
        }
    }
}
