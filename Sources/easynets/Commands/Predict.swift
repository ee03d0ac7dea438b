import ArgumentParser
import EasyNets
import Foundation

/// `easynets predict`: class probabilities for test-set examples, CSV rows or a PGM image.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print class probabilities for inputs.")

    @OptionGroup var source: ModelSource
    @OptionGroup var data: DataOptions
    @OptionGroup var memory: MemoryOptions

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
            let opened = try source.open(inputSize: inputs.shape[1], imageShape: image != nil ? FashionMNIST.imageShape : data.imageShape,
                                         classes: classes)
            let inputName = csv ?? image ?? data.name(test: true)
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
}
