import ArgumentParser
import Foundation
import EasyNets

/// The datasets `--dataset` names.
enum DatasetKind: String, ExpressibleByArgument, CaseIterable {
    case fashionMNIST = "fashion-mnist", spirals, csv, text
}

/// What the targets of `--dataset csv` are.
enum TaskKind: String, ExpressibleByArgument, CaseIterable {
    /// One class label per row (`--label-column`).
    case classification
    /// One or several values per row (`--target-column`), predicted by a regressor.
    case regression
    /// Several 0/1 labels per row (`--target-column`), each predicted on its own.
    case multilabel
}

extension LossKind {
    /// The tasks the loss trains.
    var tasks: [TaskKind] {
        switch self {
        case .crossEntropy: [.classification]
        case .mse, .l1, .huber: [.regression]
        case .bce: [.multilabel]
        }
    }
}

extension TaskKind {
    /// The task's loss when `--loss` names none.
    var defaultLoss: LossKind { LossKind.allCases.first { $0.tasks.contains(self) }! }
}

/// Data loaded for a command: training and test (validation) examples, and for text the
/// characters of the language model.
struct LoadedData {
    var train: Dataset<Float>
    var test: Dataset<Float>
    var vocabulary: CharacterVocabulary?
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

    @Option(help: "CSV label column, by header name or 0-based index (with --dataset csv and --task classification).")
    var labelColumn: String = DataOptions.defaultLabelColumn

    @Option(help: "What the CSV rows are labeled with: \(TaskKind.allCases.map(\.rawValue).joined(separator: ", ")) (with --dataset csv).")
    var task: TaskKind = .classification

    @Option(help: "CSV target columns of --task regression or multilabel, comma-separated, by header name or 0-based index.")
    var targetColumn: String?

    @Flag(help: "The CSV files have no header row.")
    var noHeader = false

    @Option(name: [.customLong("text"), .customLong("text-dir")],
            help: ArgumentHelp("A text file or a folder of them (with --dataset text; default: Debian's fortunes): a file with lines of a single % "
                               + "holds fortunes between them, any other one document per line; documents are drawn 90/10 into training and "
                               + "validation text by --text-seed.", valueName: "path"))
    var textPath: String = DataOptions.defaultTextDirectory

    @Option(parsing: .unconditional, help: "Characters per training sequence (with --dataset text); each is labeled with the next character.")
    var sequenceLength: Int = DataOptions.defaultSequenceLength

    @Option(parsing: .unconditional, help: "Seed of the text's split into training and validation fortunes (with --dataset text).")
    var textSeed: UInt64 = 0

    static let defaultLabelColumn = "label", defaultTextDirectory = "/usr/share/games/fortunes", defaultSequenceLength = 128

    func validate() throws {
        if dataset == .csv {
            guard trainFile != nil, testFile != nil else {
                throw ValidationError("--dataset csv needs --train-file and --test-file")
            }
            if noHeader, task == .classification, Int(labelColumn) == nil {
                throw ValidationError("--no-header needs --label-column as a column index")
            }
            if task != .classification {
                guard let targetColumn, !targetColumns.isEmpty else {
                    throw ValidationError("--task \(task.rawValue) needs --target-column NAME (one or several, comma-separated)")
                }
                if noHeader, targetColumns.contains(where: { if case .name = $0 { true } else { false } }) {
                    throw ValidationError("--no-header needs --target-column as column indices, got \"\(targetColumn)\"")
                }
            }
        } else if task != .classification || targetColumn != nil {
            throw ValidationError("--task and --target-column apply to --dataset csv")
        }
        // Flags of another dataset are refused rather than ignored (a flag given its default value passes).
        let given: [(flag: String, applies: Bool, differs: Bool)] = [
            ("--data-dir", dataset == .fashionMNIST, dataDir != FashionMNIST.defaultDirectory),
            ("--train-file", dataset == .csv, trainFile != nil), ("--test-file", dataset == .csv, testFile != nil),
            ("--label-column", dataset == .csv, labelColumn != Self.defaultLabelColumn), ("--no-header", dataset == .csv, noHeader),
            ("--text", dataset == .text, textPath != Self.defaultTextDirectory),
            ("--sequence-length", dataset == .text, sequenceLength != Self.defaultSequenceLength), ("--text-seed", dataset == .text, textSeed != 0),
        ]
        if let flag = given.first(where: { !$0.applies && $0.differs })?.flag {
            let owner = ["--data-dir": "--dataset fashion-mnist (the default)", "--text": "--dataset text", "--sequence-length": "--dataset text",
                         "--text-seed": "--dataset text"][flag] ?? "--dataset csv"
            throw ValidationError("\(flag) applies to \(owner), not to --dataset \(dataset.rawValue)")
        }
        guard (1...65536).contains(sequenceLength) else { throw ValidationError("--sequence-length must be in 1...65536") }
    }

    /// The columns `--target-column` names.
    var targetColumns: [LabelColumn] {
        (targetColumn ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { Int($0).map { .index($0) } ?? .name($0) }
    }

    /// Training and test data, features in [0, 1] for images; for text, sequences of token ids
    /// labeled with the next character, and the vocabulary.
    func load() throws -> LoadedData {
        switch dataset {
        case .fashionMNIST:
            return LoadedData(train: try FashionMNIST.load(.train, directory: dataDir), test: try FashionMNIST.load(.test, directory: dataDir))
        case .spirals:
            let (x, y) = Spirals.make(pointsPerClass: 500, noise: 0.02, seed: 1, as: Float.self)
            let (xt, yt) = Spirals.make(pointsPerClass: 200, noise: 0.02, seed: 2, as: Float.self)
            return LoadedData(train: Dataset(features: x, labels: y), test: Dataset(features: xt, labels: yt))
        case .text:
            let corpus = try TextCorpus(contentsOf: textPath, seed: textSeed, validationFraction: 0.1)
            try corpus.checkHoldsSequences(of: sequenceLength, path: textPath)
            let (train, test) = (TextCorpus.nextCharacterData(corpus.training, sequenceLength: sequenceLength, as: Float.self),
                                 TextCorpus.nextCharacterData(corpus.validation, sequenceLength: sequenceLength, as: Float.self))
            return LoadedData(train: train, test: test, vocabulary: corpus.vocabulary)
        case .csv where task != .classification:
            let train = try CSVReader.read(contentsOfFile: trainFile!, hasHeader: !noHeader, targetColumns: targetColumns, as: Float.self)
            let test = try CSVReader.read(contentsOfFile: testFile!, hasHeader: !noHeader, targetColumns: targetColumns, as: Float.self)
            guard train.features.shape[1] == test.features.shape[1] else {
                throw DataError(path: testFile!, reason: "has \(test.features.shape[1]) feature columns, the training file \(train.features.shape[1])")
            }
            if task == .multilabel {
                for (file, targets) in [(trainFile!, train.targets), (testFile!, test.targets)] {
                    if let row = (0..<targets.shape[0]).first(where: { r in (0..<targets.shape[1]).contains { !(0...1).contains(targets[r, $0]) } }) {
                        throw DataError(path: file, location: "data row \(row + 1)", reason: "a multi-label target is outside [0, 1]")
                    }
                }
            }
            return LoadedData(train: Dataset(features: train.features, targets: train.targets),
                              test: Dataset(features: test.features, targets: test.targets))
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
            return LoadedData(train: Dataset(features: train.features, labels: train.labels),
                              test: Dataset(features: test.features, labels: test.labels))
        }
    }

    var classNames: [String]? { dataset == .fashionMNIST ? FashionMNIST.classNames : nil }

    /// The task of a checkpoint, checked against `--task`: a regressor evaluated as a classifier
    /// (or the reverse) is an error that names the flags to give.
    func checkTask(of file: SafeTensorsFile, path: String) throws {
        let trained = file.metadata["extra.task"].flatMap(TaskKind.init(rawValue:)) ?? .classification
        let asked = dataset == .csv ? task : .classification
        guard trained == asked else {
            throw CheckpointError(path: path, reason: "it holds a model trained for --task \(trained.rawValue)"
                                  + (trained == .classification ? "" : " (give --dataset csv --task \(trained.rawValue) --target-column …)")
                                  + ", not \(asked.rawValue)")
        }
    }

    /// Runs `body`, the checks that a checkpoint's model fits this data; when one fails and the
    /// checkpoint was trained on another dataset, the error says which flag gives that one.
    func explainingMismatch<T>(of file: SafeTensorsFile, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ModelDescriptionError {
            guard let trained = file.metadata["extra.dataset"], trained != dataset.rawValue else { throw error }
            throw ModelDescriptionError(layer: error.layer, reason: error.reason + "; the checkpoint was trained on --dataset \(trained): "
                                        + "give --dataset \(trained)" + (trained == DatasetKind.csv.rawValue ? " with its files" : ""))
        }
    }

    /// The loss a checkpoint was trained with (its task's default for older checkpoints).
    func loss(of file: SafeTensorsFile) -> LossKind {
        file.metadata["extra.loss"].flatMap(LossKind.init(rawValue:)) ?? (dataset == .csv ? task : .classification).defaultLoss
    }

    /// The shape of one example as an image, for image models (Fashion-MNIST's 1×28×28); `nil` for
    /// data that has none.
    var imageShape: [Int]? { dataset == .fashionMNIST ? FashionMNIST.imageShape : nil }

    /// The training or test data as error messages name it.
    func name(test: Bool) -> String {
        switch dataset {
        case .fashionMNIST: return "the Fashion-MNIST \(test ? "test" : "training") set in \(dataDir)"
        case .spirals: return "the spirals \(test ? "test" : "training") data"
        case .csv: return (test ? testFile : trainFile) ?? "the CSV file"
        case .text: return "the \(test ? "validation" : "training") text of \(textPath)"
        }
    }
}
