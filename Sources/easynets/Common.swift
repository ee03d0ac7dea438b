import ArgumentParser
import EasyNets
import Foundation
import Synchronization

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body, turning data, checkpoint, training and numerical errors into a message and
/// exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error where error is DataError || error is CheckpointError || error is TrainingError
                || error is ModelDescriptionError || error is LinearAlgebraError {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

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

/// The model a `--model` value names: the `mlp` preset shaped by `mlp`, the `cnn` preset for
/// images of `imageShape` (Fashion-MNIST's when `nil`), or a model description file.
func modelDescription(_ model: String, mlp: () throws -> MultilayerPerceptron.Configuration, imageShape: [Int]?,
                      classes: Int) throws -> ModelDescription {
    switch model {
    case "mlp": return try validated(mlp()).modelDescription
    case "cnn":
        let shape = imageShape ?? FashionMNIST.imageShape
        guard shape.count == 3, shape[1] >= 4, shape[2] >= 4, (1...1_000_000).contains(classes) else {
            throw ValidationError("--model cnn needs images of at least 4×4 pixels and 1 to 1000000 classes")
        }
        return ConvolutionalNetwork.description(imageShape: shape, classes: classes)
    default: return try ModelDescription(contentsOfFile: model)
    }
}

/// A model configuration from flags, or a usage error saying why it cannot be built.
func validated(_ config: MultilayerPerceptron.Configuration) throws -> MultilayerPerceptron.Configuration {
    if let problem = config.problem() { throw ValidationError("the model cannot be built: \(problem)") }
    return config
}

/// Throws when `path` cannot be written, before any long work starts.
func checkOutput(_ path: String?, flag: String) throws {
    guard let path else { return }
    do { try OutputFile.checkWritable(path) } catch let error as DataError {
        throw ValidationError("\(flag) \(path): \(error.reason)")
    }
}

/// The optimizers `train --optimizer` and `bench --optimizer` offer.
enum OptimizerKind: String, ExpressibleByArgument, CaseIterable { case sgd, adam, adamw, rmsprop, adagrad }

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
            // Test labels must be classes the training file has.
            let classes = (train.labels.max() ?? 0) + 1
            let test = try CSVReader.read(contentsOfFile: testFile!, hasHeader: !noHeader, labelColumn: column,
                                          classCount: classes, as: Float.self)
            guard train.features.shape[1] == test.features.shape[1] else {
                throw DataError(path: testFile!, reason: "has \(test.features.shape[1]) feature columns, the training file \(train.features.shape[1])")
            }
            return (Dataset(features: train.features, labels: train.labels), Dataset(features: test.features, labels: test.labels))
        }
    }

    var classNames: [String]? { dataset == .fashionMNIST ? FashionMNIST.classNames : nil }

    /// The shape of one example as an image, for image models (Fashion-MNIST's 1×28×28); `nil` for
    /// data that has none.
    var imageShape: [Int]? { dataset == .fashionMNIST ? FashionMNIST.imageShape : nil }

    /// The training or test data as error messages name it.
    func name(test: Bool) -> String {
        switch dataset {
        case .fashionMNIST: return "the Fashion-MNIST \(test ? "test" : "training") set in \(dataDir)"
        case .spirals: return "the spirals \(test ? "test" : "training") data"
        case .csv: return (test ? testFile : trainFile) ?? "the CSV file"
        }
    }
}

/// Set by SIGINT: the trainer stops after the current batch.
let interruptFlag = CancellationFlag()

func installInterruptHandler() {
    signal(SIGINT) { _ in interruptFlag.cancel() }
}
