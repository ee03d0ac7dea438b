import ArgumentParser
import EasyNets
import Foundation
import Synchronization

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body, turning data and checkpoint errors into a message and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as DataError {
        printError("error: \(error)")
        throw ExitCode.failure
    } catch let error as CheckpointError {
        printError("error: \(error)")
        throw ExitCode.failure
    } catch let error as LinearAlgebraError {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

/// The model architecture, saved in checkpoints so evaluation and prediction can rebuild it.
struct ModelConfig: Codable, Equatable {
    var inputSize: Int
    var hidden: [Int]
    var classes: Int
    var activation: String
    var dropout: Double

    func makeModel(seed: UInt64) throws -> Sequential<Float> {
        guard let kind = ActivationKind(rawValue: activation) else {
            throw ValidationError("unknown activation \"\(activation)\"")
        }
        var generator = RandomGenerator(seed: seed)
        return MultilayerPerceptron.make(inputSize: inputSize, hidden: hidden, classes: classes, activation: kind,
                                         dropout: dropout, using: &generator, dropoutSeed: seed &+ 1000, as: Float.self)
    }

    var json: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }
}

/// Parses "256,128" into widths.
func parseWidths(_ text: String) throws -> [Int] {
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
    let widths = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard widths.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw ValidationError("--hidden takes positive widths separated by commas, e.g. 256,128; got \"\(text)\"")
    }
    return widths.map { $0! }
}

enum DatasetKind: String, ExpressibleByArgument, CaseIterable {
    case fashionMNIST = "fashion-mnist", spirals, csv
}

/// Dataset selection shared by train, evaluate and predict.
struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: \(DatasetKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dataset: DatasetKind = .fashionMNIST

    @Option(help: "Folder with the Fashion-MNIST IDX files.")
    var dataDir: String = FashionMNIST.defaultDirectory

    @Option(help: "CSV training file (with --dataset csv).")
    var trainFile: String?

    @Option(help: "CSV test file (with --dataset csv).")
    var testFile: String?

    @Option(help: "CSV label column, by header name or 0-based index (with --dataset csv).")
    var labelColumn: String = "label"

    @Flag(help: "The CSV files have no header row.")
    var noHeader = false

    func validate() throws {
        if dataset == .csv {
            guard trainFile != nil, testFile != nil else {
                throw ValidationError("--dataset csv needs --train-file and --test-file")
            }
            if noHeader, Int(labelColumn) == nil {
                throw ValidationError("--no-header needs --label-column as a column index")
            }
        }
    }

    /// (training, test) data, features in [0, 1] for images.
    func load() throws -> (train: Dataset<Float>, test: Dataset<Float>) {
        switch dataset {
        case .fashionMNIST:
            return (try FashionMNIST.load(.train, directory: dataDir), try FashionMNIST.load(.test, directory: dataDir))
        case .spirals:
            let (x, y) = Spirals.make(pointsPerClass: 500, noise: 0.02, seed: 1, as: Float.self)
            let (xt, yt) = Spirals.make(pointsPerClass: 200, noise: 0.02, seed: 2, as: Float.self)
            return (Dataset(features: x, labels: y), Dataset(features: xt, labels: yt))
        case .csv:
            let column: LabelColumn = Int(labelColumn).map { .index($0) } ?? .name(labelColumn)
            let train = try CSVReader.read(contentsOfFile: trainFile!, hasHeader: !noHeader, labelColumn: column, as: Float.self)
            let test = try CSVReader.read(contentsOfFile: testFile!, hasHeader: !noHeader, labelColumn: column, as: Float.self)
            guard train.features.shape[1] == test.features.shape[1] else {
                throw DataError(path: testFile!, reason: "has \(test.features.shape[1]) feature columns, the training file \(train.features.shape[1])")
            }
            return (Dataset(features: train.features, labels: train.labels), Dataset(features: test.features, labels: test.labels))
        }
    }

    var classNames: [String]? { dataset == .fashionMNIST ? FashionMNIST.classNames : nil }
}

/// Loss and accuracy of `model` on `data` in evaluation mode, in chunks, without gradients.
func evaluate(_ model: Sequential<Float>, on data: Dataset<Float>) -> (loss: Double, accuracy: Double, predictions: [Int]) {
    model.eval()
    defer { model.train() }
    var totalLoss = 0.0
    var predictions: [Int] = []
    predictions.reserveCapacity(data.count)
    withoutGradients {
        var start = 0
        while start < data.count {
            let end = min(start + 1000, data.count)
            let logits = model(data.features.rows(start..<end))
            totalLoss += Double(crossEntropy(logits: logits, labels: Array(data.labels[start..<end]), reduction: .sum).scalar)
            predictions += logits.argmax(along: 1)
            start = end
        }
    }
    let correct = zip(predictions, data.labels).filter { $0 == $1 }.count
    return (totalLoss / Double(max(data.count, 1)), Double(correct) / Double(max(data.count, 1)), predictions)
}

/// Set by SIGINT; training stops after the current batch.
let interruptRequested = Atomic<Bool>(false)

func installInterruptHandler() {
    signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }
}
