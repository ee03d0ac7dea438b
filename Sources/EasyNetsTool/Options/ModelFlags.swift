import ArgumentParser
import EasyNets
import Foundation

/// The largest width `--hidden` accepts for one layer.
let maximumWidth = 1 << 24

/// Parses "256,128" into widths, each in 1...maximumWidth.
func parseWidths(_ text: String) throws -> [Int] {
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
    let widths = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard widths.count <= 1000, widths.allSatisfy({ (1...maximumWidth).contains($0 ?? 0) }) else {
        throw ValidationError("--hidden takes up to 1000 widths in 1...\(maximumWidth) separated by commas, e.g. 256,128; got \"\(text)\"")
    }
    return widths.map { $0! }
}

/// Parses an `--activation` value.
func parseActivation(_ text: String) throws -> ActivationKind {
    guard let kind = ActivationKind(rawValue: text) else {
        throw ValidationError("--activation must be one of \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return kind
}

/// The model a `--model` value names: a library preset (``ModelPreset``) or a model description
/// file. The `mlp` preset takes `inputSize` features through the `hidden` widths; the `cnn` preset
/// images of `imageShape` (Fashion-MNIST's when `nil`); the language-model presets need text data,
/// sequences of `sequenceLength` characters, and take the vocabulary's characters as `classes`.
func modelDescription(_ model: String, classes: Int, inputSize: Int, imageShape: [Int]?, sequenceLength: Int? = nil,
                      hidden: [Int], activation: ActivationKind, dropout: Double = 0) throws -> ModelDescription {
    guard let preset = ModelPreset(rawValue: model) else {
        guard FileManager.default.fileExists(atPath: model) else {
            throw ValidationError("--model \(model): no preset or file of that name; the presets are "
                                  + ModelPreset.allCases.map(\.rawValue).joined(separator: ", ") + ", or give a model description file (.json)")
        }
        return try ModelDescription(contentsOfFile: model)
    }
    if preset.isLanguageModel && sequenceLength == nil {
        throw ValidationError("--model \(model) is a language model: it needs --dataset text")
    }
    do {
        return try preset.description(classes: classes, inputSize: inputSize, imageShape: imageShape ?? FashionMNIST.imageShape,
                                      contextLength: sequenceLength ?? 1, hidden: hidden, activation: activation, dropout: dropout)
    } catch let error as ModelDescriptionError {
        throw ValidationError(preset == .mlp ? "the model cannot be built: \(error.reason)" : "--model \(model) \(error.reason)")
    }
}
