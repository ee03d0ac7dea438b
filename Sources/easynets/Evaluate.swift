import ArgumentParser
import EasyNets
import Foundation

/// Loads a model from a checkpoint or state dict that EasyNets wrote (it carries the model's
/// description), or from a plain safetensors state dict (e.g. a PyTorch `nn.Sequential` of
/// Linear/ReLU layers) given the hidden widths.
struct ModelSource: ParsableArguments {
    @Option(help: "Checkpoint of easynets train, or a safetensors state dict exported from PyTorch.")
    var checkpoint: String

    @Option(help: "The architecture of a plain state dict: mlp (shaped by --hidden, --activation), cnn, char-lstm, char-transformer, or a model description JSON file (files EasyNets writes describe their model).")
    var model: String = "mlp"

    @Option(help: "Hidden widths of a plain state dict of the mlp preset.")
    var hidden: String = "256,128"

    @Option(help: "Activation of a plain state dict.")
    var activation: String = "relu"

    func validate() throws {
        _ = try parseWidths(hidden)
        guard ActivationKind(rawValue: activation) != nil else {
            throw ValidationError("--activation must be one of \(ActivationKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// The model, for data of `inputSize` features (images of `imageShape`, or `text`) and
    /// `classes` classes (used only for a plain state dict); with a `vocabulary`, a language model's
    /// checkpoint must have been written for its characters.
    func load(inputSize: Int, imageShape: [Int]?, classes: Int, text: TextShape? = nil,
              vocabulary: CharacterVocabulary? = nil) throws -> Sequential<Float> {
        let file = try SafeTensorsFile(contentsOfFile: checkpoint)
        if let vocabulary { try checkVocabulary(vocabulary, of: file, path: checkpoint) }
        if let model = try Sequential<Float>.loadModel(from: file, path: checkpoint) { return model }
        let description = try modelDescription(model, mlp: {
            MultilayerPerceptron.Configuration(inputSize: inputSize, hidden: try parseWidths(hidden), classes: classes, activation: activation)
        }, imageShape: imageShape, classes: classes, text: text)
        let network = try Sequential<Float>(description)
        try network.loadState(from: file, path: checkpoint)
        return network
    }
}

/// `easynets evaluate`: accuracy, per-class precision/recall/F1 and the confusion matrix.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a checkpoint on the test set.")

    @OptionGroup var source: ModelSource
    @OptionGroup var data: DataOptions

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let loaded = try data.load()
            var test = loaded.test
            let classes = loaded.vocabulary?.count ?? (data.dataset == .fashionMNIST ? 10 : test.classCount)
            let model = try source.load(inputSize: test.featureCount, imageShape: data.imageShape, classes: classes,
                                        text: loaded.vocabulary.map { TextShape(vocabularySize: $0.count, sequenceLength: data.sequenceLength) },
                                        vocabulary: loaded.vocabulary)
            test = try test.shaped(for: model.describe(), imageShape: data.imageShape, dataName: data.name(test: true))
            let modelClasses = try model.checkClassCount(for: test, modelSource: source.checkpoint, dataName: data.name(test: true))
            let result = evaluate(model, on: test, classCount: modelClasses)
            let report = result.report
            if loaded.vocabulary != nil {  // a language model: per character, without a report of every character
                let bits = result.loss / log(2)
                if json {
                    let object: [String: Any] = ["accuracy": report.accuracy, "loss": result.loss, "bits_per_character": bits,
                                                 "characters": report.total]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print("loss: \(fmt(result.loss)) nats per character, \(fmt(bits)) bits per character, "
                          + "accuracy \(fmt(report.accuracy)) over \(report.total) characters")
                }
                return
            }
            if json {
                let object: [String: Any] = [
                    "accuracy": report.accuracy, "loss": result.loss, "examples": report.total,
                    "precision": (0..<report.classCount).map(report.precision), "recall": (0..<report.classCount).map(report.recall),
                    "f1": (0..<report.classCount).map(report.f1), "confusion_matrix": report.confusion,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("loss: \(fmt(result.loss))")
                print(report.formatted(classNames: data.classNames))
            }
        }
    }
}

/// `easynets predict`: class probabilities for test-set examples, CSV rows or a PGM image.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print class probabilities for inputs.")

    @OptionGroup var source: ModelSource
    @OptionGroup var data: DataOptions

    @Option(help: "Test-set indices, comma-separated.")
    var index: String?

    @Option(help: "A CSV file of feature rows (no label column).")
    var csv: String?

    @Option(help: "A 28×28 grayscale PGM image (P2 or P5).")
    var image: String?

    func validate() throws {
        guard [index, csv, image].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --index, --csv or --image")
        }
        guard data.dataset != .text else {
            throw ValidationError("predict takes examples with one label each; sample a language model with easynets generate")
        }
    }

    func run() throws {
        try reportingErrors {
            var inputs: Tensor<Float>
            var names: [String]
            if let index {
                let test = try data.load().test
                let indices = index.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard indices.allSatisfy({ $0 != nil && $0! >= 0 && $0! < test.count }) else {
                    throw ValidationError("--index takes test-set indices in 0..<\(test.count), got \"\(index)\"")
                }
                inputs = test.features.gatheringRows(indices.map { $0! })
                names = indices.map { "test[\($0!)] (label \(data.classNames?[test.labels[$0!]] ?? String(test.labels[$0!])))" }
            } else if let csv {
                inputs = try CSVReader.read(contentsOfFile: csv, hasHeader: !data.noHeader, as: Float.self).features
                names = (0..<inputs.shape[0]).map { "\(csv) row \($0 + 1)" }
            } else {
                let picture = try PGMImage(contentsOfFile: image!)
                guard picture.width == 28, picture.height == 28 else {
                    throw DataError(path: image!, reason: "expected a 28×28 image, found \(picture.width)×\(picture.height)")
                }
                inputs = picture.pixels(dividingBy: Double(picture.maxValue)).reshaped(to: [1, 784])
                names = [image!]
            }
            let classes = data.dataset == .fashionMNIST ? 10 : 2
            let model = try source.load(inputSize: inputs.shape[1], imageShape: image != nil ? FashionMNIST.imageShape : data.imageShape,
                                        classes: classes)
            let inputName = csv ?? image ?? data.name(test: true)
            let examples = try Dataset(features: inputs, labels: [Int](repeating: 0, count: inputs.shape[0]))
                .shaped(for: model.describe(), imageShape: image != nil ? FashionMNIST.imageShape : data.imageShape, dataName: inputName)
            inputs = examples.features
            let modelClasses = try model.checkClassCount(for: examples, modelSource: source.checkpoint, dataName: inputName)
            model.eval()
            let probabilities = withoutGradients { softmax(model(inputs), along: 1) }
            for (row, name) in names.enumerated() {
                let p = (0..<modelClasses).map { probabilities[row, $0] }
                let best = p.indices.max { p[$0] < p[$1] }!
                let label = { (c: Int) in self.data.classNames?[c] ?? "class \(c)" }
                print("\(name): \(label(best)) (\(fmt(Double(p[best]), 3)))")
                print("  " + p.indices.map { "\(label($0)) \(fmt(Double(p[$0]), 3))" }.joined(separator: ", "))
            }
        }
    }
}

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
                network = try Sequential<Float>(modelDescription(model, mlp: {
                    MultilayerPerceptron.Configuration(inputSize: 784, hidden: [256, 128], classes: 10, activation: "relu")
                }, imageShape: nil, classes: 10))
            }
            let description = try network.describe()
            var shape = description.takesImages ? FashionMNIST.imageShape : [784]
            if case .sequential(let layers) = description, let inputSize = layers.first?.layer(as: LinearDescription.self)?.inputSize {
                shape = [inputSize]
            }
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

/// `easynets plot`: loss and accuracy curves from a metrics file, as SVG.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Draw loss and accuracy curves from a metrics file as SVG.")

    @Option(help: "Metrics file written by easynets train --metrics.")
    var metrics: String

    @Option(help: "Output SVG file.")
    var output: String = "curves.svg"

    func run() throws {
        try checkOutput(output, flag: "--output")
        try reportingErrors {
            let epochs = try EpochMetrics.read(fromFile: metrics)
            guard !epochs.isEmpty else { throw DataError(path: metrics, reason: "no epochs recorded") }
            let svg = try CurvesPlot.svg(epochs, title: "EasyNets: \(URL(fileURLWithPath: metrics).lastPathComponent)")
            try OutputFile.write(Array(svg.utf8), to: output)
            print("Wrote \(output) (\(epochs.count) epochs)")
        }
    }
}

/// `easynets generate`: text sampled from a language model trained with `--dataset text`.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample text from a character-level language model's checkpoint (easynets train --dataset text).")

    @Option(help: "Checkpoint of easynets train --dataset text (it carries the model and its characters).")
    var checkpoint: String

    @Option(help: "The text to continue (default: the start of a fortune).")
    var prompt: String = ""

    @Option(help: "Characters to generate.")
    var length: Int = 300

    @Option(help: "Sampling temperature: lower is more predictable, higher more varied; 0 takes the most likely character.")
    var temperature: Double = 0.8

    @Option(help: "Random seed of the sampling.")
    var seed: UInt64 = 0

    func validate() throws {
        guard (0...1_000_000).contains(length) else { throw ValidationError("--length must be in 0...1000000") }
        guard temperature >= 0 && temperature <= 1000 else { throw ValidationError("--temperature must be in 0...1000") }
    }

    func run() throws {
        try reportingErrors {
            let sampler = try TextSampler<Float>(checkpoint: SafeTensorsFile(contentsOfFile: checkpoint), path: checkpoint)
            var generator = RandomGenerator(seed: seed)
            let text: String
            do { text = try sampler.continuation(of: prompt, length: length, temperature: temperature, using: &generator) } catch let error as DataError {
                throw ValidationError("--prompt: \(error.location): \(error.reason) of \(checkpoint)")
            }
            print(prompt + text)
        }
    }
}
