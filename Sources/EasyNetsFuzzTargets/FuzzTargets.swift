import EasyNets
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
    /// CSV text with a header and the label in the last column.
    case csv
    /// PGM bytes (P2 or P5), then the pixels as a tensor.
    case pgm
    /// safetensors bytes, every tensor converted, then loaded into a small model (not strictly).
    case safetensors
    /// An EasyNets training checkpoint as `easynets train --resume` and `evaluate` read it: its
    /// model description, the model built from it, and the model, optimizer and schedule state.
    case checkpoint
    /// A metrics file as `easynets plot` reads it, then drawn as SVG.
    case metrics

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
                let table = try CSVReader.parse(bytes, labelColumn: .index(-1), classCount: 1000, as: Float.self)
                _ = Dataset(features: table.features, labels: table.labels)
            case .pgm:
                let image = try PGMImage(bytes: bytes)
                _ = image.pixels(dividingBy: Double(image.maxValue), as: Float.self)
            case .safetensors:
                let file = try SafeTensorsFile(bytes: bytes)
                for entry in file.entries.values { _ = entry.tensor(as: Double.self) }
                let model = Sequential<Float> { Linear(4, 3); ReLU(); Linear(3, 2) }
                try model.loadState(from: file, strict: false)
            case .checkpoint: try readCheckpoint(bytes)
            case .metrics: _ = try CurvesPlot.svg(EpochMetrics.parse(bytes))
            }
        } catch {}
    }

    private func readIDX(_ bytes: [UInt8]) throws {
        let file = try IDXFile(bytes: bytes)
        _ = try file.integers()
        _ = file.tensor(dividingBy: 255, as: Float.self)
    }

    private func readCheckpoint(_ bytes: [UInt8]) throws {
        let file = try SafeTensorsFile(bytes: bytes)
        guard let description = file.metadata["extra.model"] else { throw CheckpointError(path: "", reason: "no model") }
        let configuration = try MultilayerPerceptron.Configuration(json: description, path: "<fuzz>")
        let model: Sequential<Float> = configuration.makeModel(seed: 0)
        let optimizer = Adam(model.trainableParameters, learningRate: 1e-3)
        let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 10))
        _ = try TrainingCheckpoint<Float>.load(model: model, optimizer: optimizer, scheduler: scheduler, from: file)
        // One step from the restored state, as a resumed run takes.
        let input = Tensor<Float>.zeros([2, configuration.inputSize])
        crossEntropy(logits: model(input), labels: [0, configuration.classes - 1]).backward()
        optimizer.step()
        scheduler.step()
    }
}
