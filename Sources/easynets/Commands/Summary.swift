import ArgumentParser
import EasyNets
import Foundation

/// `easynets summary`: a model's layers, output shapes and parameter counts.
struct Summarize: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "summary", abstract: "Show a model's layers, output shapes and parameters.")

    @Option(help: "A checkpoint or state dict EasyNets wrote (it describes its model); without it, --model.")
    var checkpoint: String?

    @Option(help: "Without --checkpoint: the preset mlp (784-256-128-10), the preset cnn, or a model description JSON file.")
    var model: String = "mlp"

    @Option(help: "The shape of one example, comma-separated (default: 784 features, or a 1×28×28 image for image models).")
    var inputShape: String?

    func run() throws {
        try reportingErrors {
            let network: Sequential<Float>
            if let checkpoint {
                guard let loaded = try Sequential<Float>.loadModel(from: SafeTensorsFile(contentsOfFile: checkpoint), path: checkpoint) else {
                    throw CheckpointError(path: checkpoint, reason: "carries no model description (a plain state dict); use --model")
                }
                network = loaded
            } else {
                network = try Sequential<Float>(modelDescription(model, classes: 10, inputSize: 784, imageShape: nil,
                                                                 hidden: [256, 128], activation: .relu))
            }
            let description = try network.describe()
            var shape = description.takesImages ? FashionMNIST.imageShape : [784]
            if let first = network.layers.first as? Linear<Float> { shape = [first.inputSize] }
            if let inputShape {
                let values = inputShape.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !values.isEmpty, values.count <= 8, values.allSatisfy({ (1...(1 << 20)).contains($0 ?? 0) }),
                      InputLimits.elementCount(values.map { $0! }) != nil else {
                    throw ValidationError("--input-shape takes up to 8 sizes in 1...\(1 << 20), e.g. 1,28,28; got \"\(inputShape)\"")
                }
                shape = values.map { $0! }
            }
            do { _ = try description.outputShape(for: [1] + shape) } catch let error as ModelDescriptionError {
                throw ModelDescriptionError(layer: checkpoint ?? model, reason: "cannot take examples of shape \(shape): \(error)")
            }
            print(network.summary(inputShape: [1] + shape))
        }
    }
}
