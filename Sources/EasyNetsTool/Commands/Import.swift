import ArgumentParser
import EasyNets
import EasyNetsONNX

/// `easynets import`: an ONNX model as an EasyNets state dict that describes its model.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an ONNX model (a chain of supported operators, e.g. a PyTorch nn.Sequential, LSTM or GRU) as a state dict "
            + "with its model description, for evaluate, predict, summary and export.")

    @Argument(help: "The ONNX file to read, e.g. model.onnx.")
    var model: String

    @Option(help: "The safetensors file to write, e.g. model.safetensors.")
    var output: String

    @OptionGroup var memory: MemoryOptions

    func run() throws {
        memory.apply()
        try reportingErrors {
            try checkOutput(output, flag: "--output")
            let onnx = try ONNXModel(contentsOfFile: model)
            let network = try onnx.importedSequential(as: Float.self)
            try network.saveState(toFile: output)
            print("Wrote \(output): \(network.summaryName), \(network.parameterCount) parameters, from \(model)")
        }
    }
}
