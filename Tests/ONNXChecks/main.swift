// Writes the cases scripts/onnx/check_export.py checks against ONNX Runtime: for every preset and
// every model of Tests/ONNXChecks/Cases/*.json, the model exported to ONNX (NAME.onnx), a batch of
// inputs (NAME.input.npy) and EasyNets' own outputs for them in inference mode (NAME.output.npy).
// Buffers such as running statistics are set to random values first, so the export must carry
// them. A case marked mixesFirstAxis gets a NAME.mixes-first-axis file. Usage: easynets-onnx-cases CASES_DIR OUTPUT_DIR
import EasyNets
import EasyNetsONNX
import Foundation

/// One model to check: a description and the shape of one example (without the batch axis).
struct Case: Decodable {
    var name: String
    var exampleShape: [Int]
    var model: ModelDescription
    /// For models whose input is token ids: ids are drawn below this.
    var tokenCount: Int?
    /// Whether an output depends on other entries along axis 0 (batch normalization with the
    /// batch's own statistics; a sequence-first layer, whose axis 0 is time): the check then skips
    /// its comparison on the first entry alone.
    var mixesFirstAxis: Bool?
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: easynets-onnx-cases CASES_DIR OUTPUT_DIR\n".utf8))
    exit(2)
}
let (casesDirectory, outputDirectory) = (arguments[1], arguments[2])
try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)

var cases: [Case] = [
    Case(name: "preset-mlp", exampleShape: [784], model: try ModelPreset.mlp.description(classes: 10)),
    Case(name: "preset-mlp-gelu-dropout", exampleShape: [784],
         model: try ModelPreset.mlp.description(classes: 10, activation: .gelu, dropout: 0.2)),
    Case(name: "preset-cnn", exampleShape: FashionMNIST.imageShape, model: try ModelPreset.cnn.description(classes: 10)),
    Case(name: "preset-char-lstm", exampleShape: [32], model: try ModelPreset.charLSTM.description(classes: 40), tokenCount: 40),
    Case(name: "preset-char-transformer", exampleShape: [32],
         model: try ModelPreset.charTransformer.description(classes: 40, contextLength: 32), tokenCount: 40),
]
for file in try FileManager.default.contentsOfDirectory(atPath: casesDirectory).sorted() where file.hasSuffix(".json") {
    let data = try Data(contentsOf: URL(fileURLWithPath: casesDirectory + "/" + file))
    cases += try JSONDecoder().decode([Case].self, from: data)
}

var failures = 0
for (index, example) in cases.enumerated() {
    do {
        let model = try Sequential<Float>(example.model, seed: UInt64(index))
        var generator = RandomGenerator(seed: 1000 + UInt64(index))
        // Buffers get values a fresh model would not have: running means around 0, variances around 1.
        for (name, buffer) in model.namedBuffers where !buffer.isInteger {
            let values = Tensor<Float>.uniform(buffer.shape, low: 0.5, high: 1.5, using: &generator)
            buffer.assign(name.hasSuffix("running_var") ? values : values - 1)
        }
        model.eval()
        let shape = [3] + example.exampleShape
        let input: Tensor<Float>
        if let tokens = example.tokenCount {
            let count = shape.reduce(1, *)
            input = Tensor((0..<count).map { _ in Float(generator.next() % UInt64(tokens)) }, shape: shape)
        } else {
            input = Tensor<Float>.normal(shape, mean: 0, standardDeviation: 1, using: &generator)
        }
        let output = model(input)
        let onnx = try ONNXModel(exporting: model, exampleShape: example.exampleShape)
        let base = "\(outputDirectory)/\(example.name)"
        try onnx.write(toFile: base + ".onnx")
        if example.mixesFirstAxis == true { try OutputFile.write([], to: base + ".mixes-first-axis") }
        try NPYArray(descr: "<f4", shape: input.shape, values: input.scalars.map(Double.init)).write(toFile: base + ".input.npy")
        try NPYArray(descr: "<f4", shape: output.shape, values: output.scalars.map(Double.init)).write(toFile: base + ".output.npy")
        print("wrote \(example.name)")
    } catch {
        failures += 1
        print("FAIL \(example.name): \(error)")
    }
}
exit(failures == 0 ? 0 : 1)
