import EasyNets
import EasyNetsONNX
import Foundation

/// One reader of untrusted input, driven with arbitrary bytes through the public API the way the
/// `easynets` tool uses it. A target returns normally for every input: valid input is read, invalid
/// input is a thrown error. A crash (trap, abort, sanitizer report) is a bug.
///
/// The same targets run under libFuzzer (`scripts/fuzz.sh`), replay the committed corpus and
/// regression inputs in the test suite, and replay files given to `easynets-fuzz` in a plain build.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// IDX bytes (raw), then labels as integers and values as a tensor.
    case idx
    /// gzip bytes, decompressed, then read as IDX.
    case gzip
    /// `.npy` bytes, then the values as a tensor.
    case npy
    /// CSV text with a header and the label in the last column (then the same text with value
    /// targets in the last and first columns).
    case csv
    /// PGM bytes (P2 or P5), then the pixels as a tensor.
    case pgm
    /// safetensors bytes, every tensor converted, then loaded into a small model (not strictly).
    case safetensors
    /// An EasyNets training checkpoint as `easynets train --resume`, `evaluate` and `generate` read
    /// it: its model description, the model built from it, the optimizer, schedule and run
    /// position, and the rest of the run; for a language model, its vocabulary and a short sample.
    case checkpoint
    /// A metrics file as `easynets plot` reads it, then drawn as SVG.
    case metrics
    /// A model description file as `easynets train --model` reads it: the model built, checked
    /// against a small dataset, and trained for an epoch.
    case model
    /// Text as `easynets train --dataset text --text` reads it: the bytes as one file, then split
    /// at each NUL into the files of a folder (one whose bytes start with "." is named as an
    /// index, which the reader skips); their fortunes or lines split out, decoded as UTF-8, split
    /// into training and validation, checked for sequences, indexed, encoded and decoded back,
    /// and cut into next-character sequences.
    case text
    /// A `.npy` file as ``NPYSource`` maps it, the same bytes as its targets file (integer:
    /// class indices, float: values), read in batches in two orders; then truncated under it.
    case npyMapped = "npy-mapped"
    /// A folder of PGM images as ``PGMFolderSource`` reads it: the bytes split at each NUL into a
    /// labels file and images `1.pgm`, `2.pgm`, …, opened with class labels and with values, read
    /// in batches; then each image replaced by the next one's bytes and read again.
    case pgmFolder = "pgm-folder"
    /// An ONNX model as `easynets import` reads it: checked, imported as a model description and
    /// state, built and run in inference on zeros, and exported back to ONNX.
    case onnx

    /// Feeds `bytes` to the reader. Errors are the expected outcome for bad input and are ignored.
    public func run(_ bytes: [UInt8]) {
        do {
            switch self {
            case .idx: try readIDX(bytes)
            case .gzip: try readIDX(Gzip.decompress(bytes))
            case .npy:
                let array = try NPYArray(bytes: bytes)
                _ = array.tensor(as: Float.self)
            case .csv:
                if let table = try? CSVReader.parse(bytes, labelColumn: .index(-1), classCount: 1000, as: Float.self) {
                    _ = Dataset(features: table.features, labels: table.labels)
                }
                // The same bytes with value targets: the last column and the first.
                let values = try CSVReader.parse(bytes, targetColumns: [.index(-1), .index(0)], as: Float.self)
                _ = Dataset(features: values.features, targets: values.targets)
            case .pgm:
                let image = try PGMImage(bytes: bytes)
                _ = image.pixels(dividingBy: Double(image.maxValue), as: Float.self)
            case .safetensors:
                let file = try SafeTensorsFile(bytes: bytes)
                for entry in file.entries.values { _ = entry.tensor(as: Double.self) }
                let model = Sequential<Float> { Linear(4, 3); ReLU(); Linear(3, 2) }
                try model.loadState(from: file, strict: false)
            case .checkpoint: try readCheckpoint(bytes)
            case .metrics: _ = try CurvesPlot.svg([CurvesPlot.Run(name: "metrics", epochs: EpochMetrics.parse(bytes))])
            case .model: try trainDescribedModel(bytes)
            case .text:
                let file = try Self.scratchFolder("text-file") + "/text"
                _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
                for path in [file, try Self.textFolder(bytes)] {
                    let corpus = try TextCorpus(contentsOf: path, seed: 1, validationFraction: 0.5)
                    try? corpus.checkHoldsSequences(of: 4, path: path)
                    let text = corpus.vocabulary.decode(corpus.training)
                    if try corpus.vocabulary.encode(text) != corpus.training { fatalError("text: encode(decode(ids)) changed the ids") }
                    _ = TextCorpus.nextCharacterData(corpus.training, sequenceLength: 4, as: Float.self)
                }
            case .npyMapped: try readMappedNPY(bytes)
            case .pgmFolder: try readPGMFolder(bytes)
            case .onnx: try importONNX(bytes)
            }
        } catch {
            if Self.verbose { print("\(rawValue): \(error)") }
        }
    }

    /// Whether `EASYNETS_FUZZ_VERBOSE` is set: each input's error is printed (to check seeds).
    private static let verbose = ProcessInfo.processInfo.environment["EASYNETS_FUZZ_VERBOSE"] != nil

    private func importONNX(_ bytes: [UInt8]) throws {
        let onnx = try ONNXModel(serializedBytes: bytes, source: "<fuzz>")
        let (description, _) = try onnx.importedModel()
        // The harness's budget, as for the model target: a valid import of a huge model would only measure the machine's memory.
        guard let stateCount = description.stateCount, stateCount <= Self.maximumFuzzedStateCount else { return }
        let shape = [2] + onnx.inputShape.dropFirst().map { $0 ?? 1 }
        guard try description.largestBuffer(for: shape) <= Self.maximumFuzzedStateCount else { return }
        let model = try onnx.importedSequential(as: Float.self)
        model.eval()
        let output = model(Tensor<Float>.zeros(shape))
        if output.shape != (try description.outputShape(for: shape)) { fatalError("onnx: the model's output shape differs from its description's") }
        _ = try ONNXModel(exporting: model, exampleShape: Array(shape.dropFirst())).serializedBytes()
    }

    private func readIDX(_ bytes: [UInt8]) throws {
        let file = try IDXFile(bytes: bytes)
        _ = try file.integers()
        _ = file.tensor(dividingBy: 255, as: Float.self)
    }

    private func trainDescribedModel(_ bytes: [UInt8]) throws {
        let description = try ModelDescription(json: bytes, source: "<fuzz>")
        // The harness's budget, not the library's limit (InputLimits): a valid description of a model
        // with hundreds of millions of parameters would only measure the machine's memory.
        guard let stateCount = description.stateCount, stateCount <= Self.maximumFuzzedStateCount else { return }
        let example = Self.exampleShape(for: description, side: 8)
        // The same budget for buffers, checked before anything is built: a valid 8×8 convolution
        // padded by a thousand pixels is gigabytes of columns, which would only measure the machine's memory.
        guard try description.largestBuffer(for: [6] + example) <= Self.maximumFuzzedStateCount else { return }
        let data = Dataset(features: Tensor<Float>.zeros([6] + example), labels: [Int](repeating: 0, count: 6))
        try description.checkFits(data, modelSource: "<fuzz>", dataName: "<data>")
        let model = try Sequential<Float>(description)
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 1e-3),
                              loader: DataLoader(data, batchSize: 2, seed: 1), validationData: data)
        try trainer.fit(epochs: 1)
    }

    /// The largest model (parameters and buffers) the `model` target trains, and its largest
    /// activation or im2col buffer: 8 M values, 32 MB in Float.
    private static let maximumFuzzedStateCount = 8_000_000

    private func readCheckpoint(_ bytes: [UInt8]) throws {
        let file = try SafeTensorsFile(bytes: bytes)
        // A language model's checkpoint as `easynets generate` reads it, sampled briefly.
        if let sampler = try? TextSampler<Float>(checkpoint: file), let stateCount = try? sampler.model.describe().stateCount,
           stateCount <= Self.maximumFuzzedStateCount, let first = sampler.vocabulary.scalars.first {
            var generator = RandomGenerator(seed: 1)
            _ = try sampler.continuation(of: String(Character(first)), length: 3, temperature: 1, using: &generator)
        }
        guard let description = try ModelDescription(checkpoint: file) else { return }
        // A resumed run of a few batches on zeros, as `easynets train --resume` takes one: flat
        // features, or 28×28 images for an image model (a CNN checkpoint), checked as the tool
        // checks them, before the model is built.
        let example = Self.exampleShape(for: description, side: 28)
        guard let stateCount = description.stateCount, stateCount <= Self.maximumFuzzedStateCount,
              try description.largestBuffer(for: [8] + example) <= Self.maximumFuzzedStateCount else { return }
        let data = Dataset(features: Tensor<Float>.zeros([8] + example), labels: [Int](repeating: 0, count: 8))
        try description.checkFits(data, modelSource: "<fuzz>", dataName: "<data>")
        let model = try Sequential<Float>(description, loadingStateFrom: file)
        let optimizer = Adam(model.trainableParameters, learningRate: 1e-3)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              scheduler: LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 10)),
                              loader: DataLoader(data, batchSize: 2, seed: 1), validationData: data)
        try trainer.resume(from: file)
        if trainer.epoch < Int.max { try trainer.fit(epochs: trainer.epoch + 1) }
    }

    /// One example a model's first layer takes: its input width, or `side`×`side` images with its
    /// channels (within the harness's budget; three features otherwise).
    private static func exampleShape(for description: ModelDescription, side: Int) -> [Int] {
        var example = description.takesImages ? [1, side, side] : [3]
        if case .sequential(let layers) = description, let first = layers.first {
            if let linear = first.layer(as: LinearDescription.self), linear.inputSize <= 4096 { example = [linear.inputSize] }
            if let conv = first.layer(as: Conv2dDescription.self), conv.inChannels <= 64 { example = [conv.inChannels, side, side] }
            if let conv = first.layer(as: Conv1dDescription.self), conv.inChannels <= 64 { example = [conv.inChannels, 2 * side] }
            if let norm = first.layer(as: BatchNorm2dDescription.self), norm.featureCount <= 64 { example = [norm.featureCount, side, side] }
        }
        return example
    }

    /// A fresh folder (one per process, emptied each time) holding `bytes` split at each NUL into
    /// files `fortunes0`, `fortunes1`, …, or `fortunesK.dat` for a part that starts with ".".
    private static func textFolder(_ bytes: [UInt8]) throws -> String {
        let folder = try scratchFolder("text")
        for (index, part) in bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(16).enumerated() {
            let name = "fortunes\(index)" + (part.first == UInt8(ascii: ".") ? ".dat" : "")
            _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(part))
        }
        return folder
    }

    /// A fresh, empty folder for `target`'s files (one per process).
    private static func scratchFolder(_ target: String) throws -> String {
        let folder = NSTemporaryDirectory() + "easynets-fuzz-\(target)-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Every example of `source` in batches of 3, forwards and backwards.
    private func readAll(_ source: some ExampleSource<Float>) throws {
        let indices = Array(0..<min(source.count, 64)) + Array(max(source.count - 4, 0)..<source.count).reversed()
        for start in stride(from: 0, to: indices.count, by: 3) {
            _ = try source.examples(at: Array(indices[start..<min(start + 3, indices.count)]))
        }
    }

    private func readMappedNPY(_ bytes: [UInt8]) throws {
        let path = try Self.scratchFolder("npy-mapped") + "/array.npy"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        let source = try NPYSource<Float>(features: path, targets: path, dividingBy: 255)
        try readAll(source)
        guard truncate(path, off_t(bytes.count / 2)) == 0 else { return }
        try readAll(source)
    }

    private func readPGMFolder(_ bytes: [UInt8]) throws {
        let folder = try Self.scratchFolder("pgm-folder")
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(9).map { Data($0) }
        func writeImages(_ parts: ArraySlice<Data>) {
            for (index, part) in parts.enumerated() { _ = FileManager.default.createFile(atPath: folder + "/\(index + 1).pgm", contents: part) }
        }
        _ = FileManager.default.createFile(atPath: folder + "/labels.csv", contents: parts[0])
        for labels in [PGMFolderSource<Float>.Labels.classes, .values] {
            writeImages(parts.dropFirst())
            guard let source = try? PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv", labels: labels) else { continue }
            try? readAll(source)
            writeImages(parts.dropFirst(2))  // each image now holds the next one's bytes
            try? readAll(source)
        }
    }
}
