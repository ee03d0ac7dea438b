import ArgumentParser
import EasyNets
import EasyNetsONNX

/// `easynets export`: a checkpoint's model as an ONNX file.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a checkpoint's model to ONNX (opset 17, Float32, a symbolic batch axis, inference mode).")

    @Option(help: "A checkpoint or state dict EasyNets wrote (it describes its model).")
    var checkpoint: String

    @Option(help: "The ONNX file to write, e.g. model.onnx.")
    var output: String

    @Option(help: "The shape of one example, comma-separated (default: the model's first layer's input: 784 features, a 1×28×28 image, or 128 token ids).")
    var inputShape: String?

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        try reportingErrors {
            try checkOutput(output, flag: "--output")
            let file = try SafeTensorsFile(contentsOfFile: checkpoint)
            guard let description = try ModelDescription(checkpoint: file, path: checkpoint) else {
                throw CheckpointError(path: checkpoint, reason: "carries no model description (a plain state dict); "
                                      + "load it into a model in Swift and export that with ONNXModel(exporting:exampleShape:)")
            }
            let shape = try exampleShape(inputShape, for: description)
            do { _ = try description.outputShape(for: [1] + shape) } catch let error as ModelDescriptionError {
                throw ModelDescriptionError(layer: checkpoint, reason: "cannot take examples of shape \(shape): \(error)")
            }
            try description.checkMemory(batchSize: 1, exampleShape: shape, training: false, source: checkpoint)
            let network = try Sequential<Float>(description, loadingStateFrom: file, path: checkpoint)
            try ExponentialMovingAverage<Float>.loadAverages(into: network, from: file, path: checkpoint)
            try ONNXModel(exporting: network, exampleShape: shape).write(toFile: output)
            print("Wrote \(output): \(network.summaryName) for examples of shape \(shape), batch axis symbolic")
        }
    }
}
