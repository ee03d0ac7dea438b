import ArgumentParser
import EasyNets
import Foundation

/// `easynets evaluate`: accuracy, per-class precision/recall/F1 and the confusion matrix; for a
/// regressor or multi-label classifier, its loss and metrics.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a checkpoint on the test set.")

    @OptionGroup var source: ModelSource
    @OptionGroup var data: DataOptions
    @OptionGroup var memory: MemoryOptions

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: "Also draw the confusion matrix, with the class names, as an SVG file (a classifier of at most \(ClassificationReport.maximumPlottedClasses) classes).")
    var confusionMatrix: String?

    func validate() throws {
        if let confusionMatrix { try checkSVGName(confusionMatrix, flag: "--confusion-matrix") }
    }

    func run() throws {
        memory.apply()
        try checkOutput(confusionMatrix, flag: "--confusion-matrix")
        try reportingErrors {
            let loaded = try data.load()
            var test = loaded.test
            let classes = loaded.vocabulary?.count ?? (data.dataset == .fashionMNIST ? 10 : test.classCount)
            let opened = try source.open(inputSize: test.featureCount, imageShape: data.imageShape, classes: classes,
                                         sequenceLength: loaded.vocabulary.map { _ in data.sequenceLength }, vocabulary: loaded.vocabulary)
            try data.checkTask(of: opened.file, path: source.checkpoint)
            if let standardizer = try Standardizer<Float>(checkpoint: opened.file, features: test.featureCount, path: source.checkpoint) {
                test = standardizer.apply(test)
            }
            let modelClasses = try data.explainingMismatch(of: opened.file) {
                test = try test.shaped(for: opened.description, imageShape: data.imageShape, dataName: data.name(test: true))
                return try opened.description.checkFits(test, modelSource: source.checkpoint, dataName: data.name(test: true))
            }
            try opened.description.checkMemory(batchSize: min(defaultEvaluationBatchSize, test.count), exampleShape: test.exampleShape,
                                               training: false, source: source.checkpoint)
            let isClassifier = !(data.dataset == .csv && data.task != .classification) && loaded.vocabulary == nil
            if confusionMatrix != nil && !isClassifier {
                throw ValidationError("--confusion-matrix applies to classifiers; this checkpoint is "
                                      + (loaded.vocabulary != nil ? "a language model" : "a \(data.task.rawValue) model"))
            }
            if confusionMatrix != nil && modelClasses > ClassificationReport.maximumPlottedClasses {
                throw ValidationError("--confusion-matrix draws at most \(ClassificationReport.maximumPlottedClasses) classes; "
                                      + "the model has \(modelClasses) (--json prints the whole matrix)")
            }
            let model = try source.build(opened)
            if data.dataset == .csv, data.task != .classification {
                let metrics: [Metric] = data.task == .regression ? [.meanAbsoluteError, .rootMeanSquaredError, .r2] : [.accuracy]
                let values = try evaluate(model, on: test, loss: data.loss(of: opened.file).makeLoss(), metrics: metrics)
                let names = ["loss"] + metrics.map(\.name)
                if json {
                    var object: [String: Any] = ["examples": test.count]
                    for name in names { object[name] = values[name] }
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print(names.map { "\($0): \(String(values[$0]!, style: .fixed(4)))" }.joined(separator: ", ") + " over \(test.count) examples")
                }
                return
            }
            if loaded.vocabulary != nil {  // a language model: per character, without a report of every character
                let values = try evaluate(model, on: test, loss: .crossEntropy, metrics: [.accuracy, .bitsPerCharacter])
                let (loss, bits, accuracy) = (values["loss"]!, values["bits_per_character"]!, values["accuracy"]!)
                let characters = test.count * test.labelsPerExample
                if json {
                    let object: [String: Any] = ["accuracy": accuracy, "loss": loss, "bits_per_character": bits, "characters": characters]
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print("loss: \(String(loss, style: .fixed(4))) nats per character, "
                          + "\(String(bits, style: .fixed(4))) bits per character, "
                          + "accuracy \(String(accuracy, style: .fixed(4))) over \(characters) characters")
                }
                return
            }
            let result = evaluate(model, on: test, classCount: modelClasses)
            let report = result.report
            if json {
                let object: [String: Any] = [
                    "accuracy": report.accuracy, "loss": result.loss, "examples": report.total,
                    "precision": (0..<report.classCount).map(report.precision), "recall": (0..<report.classCount).map(report.recall),
                    "f1": (0..<report.classCount).map(report.f1), "confusion_matrix": report.confusion,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("loss: \(String(result.loss, style: .fixed(4)))")
                print(report.formatted(classNames: data.classNames))
            }
            if let confusionMatrix {
                let title = "EasyNets: \(URL(fileURLWithPath: source.checkpoint).lastPathComponent) on \(data.name(test: true))"
                try OutputFile.write(Array(report.confusionMatrixSVG(classNames: data.classNames, title: title).utf8), to: confusionMatrix)
                if !json { print("Wrote \(confusionMatrix)") }
            }
        }
    }
}
