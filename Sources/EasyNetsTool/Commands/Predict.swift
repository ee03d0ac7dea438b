import ArgumentParser
import EasyNets
import Foundation

/// `easynets predict`: class probabilities for test-set examples, CSV rows or a PGM image; a
/// regressor's values, or a multi-label classifier's probabilities per label.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print class probabilities (or a regressor's values) for inputs.")

    @OptionGroup var source: ModelSource
    @OptionGroup var data: DataOptions
    @OptionGroup var memory: MemoryOptions

    @Option(help: "Test-set indices, comma-separated.")
    var index: String?

    @Option(help: "A CSV file of feature rows (no label or target column).")
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
        memory.apply()
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
                names = indices.map { i in
                    switch test.targets {
                    case .classes: "test[\(i!)] (label \(data.classNames?[test.labels[i!]] ?? String(test.labels[i!])))"
                    case .values(let values): "test[\(i!)] (target \(values.rows(i!..<(i! + 1)).scalars.map { String(Double($0), style: .report) }.joined(separator: ", ")))"
                    }
                }
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
            let opened = try source.open(inputSize: inputs.shape[1], imageShape: image != nil ? FashionMNIST.imageShape : data.imageShape,
                                         classes: classes)
            let inputName = csv ?? image ?? data.name(test: true)
            if data.dataset == .csv, data.task != .classification {
                try predictValues(inputs, names: names, opened: opened, inputName: inputName)
                return
            }
            let examples = try Dataset(features: inputs, labels: [Int](repeating: 0, count: inputs.shape[0]))
                .shaped(for: opened.description, imageShape: image != nil ? FashionMNIST.imageShape : data.imageShape, dataName: inputName)
            inputs = examples.features
            let modelClasses = try opened.description.checkFits(examples, modelSource: source.checkpoint, dataName: inputName)
            try opened.description.checkMemory(batchSize: examples.count, exampleShape: examples.exampleShape, training: false,
                                               source: source.checkpoint)
            let model = try source.build(opened)
            model.eval()
            let probabilities = withoutGradients { softmax(model(inputs), along: 1) }
            for (row, name) in names.enumerated() {
                let p = (0..<modelClasses).map { probabilities[row, $0] }
                let best = p.indices.max { p[$0] < p[$1] }!
                let label = { (c: Int) in self.data.classNames?[c] ?? "class \(c)" }
                print("\(name): \(label(best)) (\(String(Double(p[best]), style: .fixed(3))))")
                print("  " + p.indices.map { "\(label($0)) \(String(Double(p[$0]), style: .fixed(3)))" }.joined(separator: ", "))
            }
        }
    }

    /// A regressor's values (or a multi-label classifier's probability of each label) for
    /// `inputs`, standardized as in training.
    private func predictValues(_ inputs: Tensor<Float>, names: [String], opened: (file: SafeTensorsFile, description: ModelDescription),
                               inputName: String) throws {
        try data.checkTask(of: opened.file, path: source.checkpoint)
        var examples = Dataset(features: inputs, targets: Tensor<Float>.zeros([inputs.shape[0]] + outputsPerExample(opened.description, inputs)))
        if let standardizer = try Standardizer<Float>(checkpoint: opened.file, features: examples.featureCount, path: source.checkpoint) {
            examples = standardizer.apply(examples)
        }
        try opened.description.checkFits(examples, modelSource: source.checkpoint, dataName: inputName)
        try opened.description.checkMemory(batchSize: examples.count, exampleShape: examples.exampleShape, training: false,
                                           source: source.checkpoint)
        let model = try source.build(opened)
        model.eval()
        var outputs = withoutGradients { model(examples.features) }
        if data.task == .multilabel { outputs = sigmoid(outputs) }
        let width = outputs.count / max(outputs.shape[0], 1)
        for (row, name) in names.enumerated() {
            let values = outputs.scalars[(row * width)..<((row + 1) * width)].map { String(Double($0), style: .report) }
            print("\(name): " + (data.task == .multilabel ? "probabilities " : "") + values.joined(separator: ", "))
        }
    }

    /// The shape of the model's output per example for these inputs, `[1]` when it cannot take
    /// them (``ModelDescription/checkFits(_:modelSource:dataName:)`` then says why).
    private func outputsPerExample(_ description: ModelDescription, _ inputs: Tensor<Float>) -> [Int] {
        (try? description.outputShape(for: [2] + Array(inputs.shape.dropFirst()))).map { Array($0.dropFirst()) } ?? [1]
    }
}
