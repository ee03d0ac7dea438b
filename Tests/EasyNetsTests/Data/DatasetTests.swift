import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import EasyNets

@Suite struct DatasetTests {
    func dataset(_ n: Int) -> Dataset<Double> {
        Dataset(features: Tensor((0..<(n * 2)).map(Double.init), shape: [n, 2]), labels: (0..<n).map { $0 % 3 })
    }

    @Test func loaderCoversEveryExampleOncePerEpoch() throws {
        var loader = DataLoader(dataset(10), batchSize: 4, shuffle: true, seed: 5)
        #expect(loader.batchCount == 3)
        let batches = loader.epoch()
        #expect(batches.map(\.count) == [4, 4, 2])
        let seen = batches.flatMap(\.indices)
        #expect(seen.sorted() == Array(0..<10))
        #expect(seen != Array(0..<10))  // shuffled
        for batch in batches {
            let examples = try batch.examples()
            #expect(examples.features.shape == [batch.count, 2])
            #expect(examples.features.scalars == batch.indices.flatMap { [Double(2 * $0), Double(2 * $0 + 1)] })
            #expect(examples.labels == batch.indices.map { $0 % 3 })
        }
        #expect(loader.epoch().flatMap(\.indices) != seen)  // a new order each epoch
    }

    @Test func seededShuffleRepeatsAndDropLastDrops() {
        var a = DataLoader(dataset(10), batchSize: 3, seed: 9), b = DataLoader(dataset(10), batchSize: 3, seed: 9)
        #expect(a.epoch().flatMap(\.indices) == b.epoch().flatMap(\.indices))
        var dropping = DataLoader(dataset(10), batchSize: 3, dropLast: true, seed: 1)
        #expect(dropping.batchCount == 3 && dropping.epoch().map(\.count) == [3, 3, 3])
        var ordered = DataLoader(dataset(5), batchSize: 2, shuffle: false)
        #expect(ordered.epoch().flatMap(\.indices) == [0, 1, 2, 3, 4])
    }

    @Test func splitPrefixSubsetAndScaling() {
        let data = dataset(20)
        let (train, validation) = data.split(validationFraction: 0.25, seed: 3)
        #expect(train.count == 15 && validation.count == 5)
        let firsts = (train.features.scalars + validation.features.scalars).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        #expect(firsts.sorted() == (0..<20).map { Double(2 * $0) })
        #expect(data.split(validationFraction: 0.25, seed: 3).validation.labels == validation.labels)
        #expect(data.prefix(3).labels == [0, 1, 2] && data.prefix(99).count == 20)
        #expect(data.subset([4, 1]).features.scalars == [8, 9, 2, 3])
        #expect(data.scaled(dividingBy: 2).features.scalars == data.features.scalars.map { $0 / 2 })
        #expect(data.classCount == 3)
    }

    @Test func standardizerUsesTrainingStatistics() {
        let train = Tensor<Double>([[1, 10, 5], [3, 30, 5]])
        let standardizer = Standardizer(fitting: train)
        #expect(standardizer.apply(train).scalars == [-1, -1, 0, 1, 1, 0])  // constant column only centered
        #expect(standardizer.apply(Tensor<Double>([[2, 40, 6]])).scalars == [0, 2, 1])
    }

    @Test func standardizerStatisticsRoundTripThroughACheckpoint() throws {
        let standardizer = Standardizer(fitting: randomTensor([7, 3], in: -5...5, seed: 71))
        let model = Sequential<Double> { Linear(3, 1) }
        let path = try temporaryDirectory() + "/run.safetensors"
        try TrainingCheckpoint<Double>(extra: standardizer.checkpointExtra).save(model: model, optimizer: nil, toFile: path)
        let file = try SafeTensorsFile(contentsOfFile: path)
        let restored = try #require(try Standardizer<Double>(checkpoint: file, features: 3, path: path))
        #expect(restored.mean.scalars == standardizer.mean.scalars, "the shortest exact decimals read back exactly")
        #expect(restored.standardDeviation.scalars == standardizer.standardDeviation.scalars)
        #expect(restored.mean.shape == [1, 3] && restored.standardDeviation.shape == [1, 3])
        #expect(throws: CheckpointError(path: path, reason: "metadata \"extra.standardizer.mean\" is not 4 finite numbers (one per feature)")) {
            _ = try Standardizer<Double>(checkpoint: file, features: 4, path: path)
        }
        var zeroSpread = file
        zeroSpread.metadata["extra.standardizer.std"] = "1,0,2"
        #expect(throws: CheckpointError(path: path, reason: "metadata \"extra.standardizer.std\" is not 3 finite numbers > 0 (one per feature)")) {
            _ = try Standardizer<Double>(checkpoint: zeroSpread, features: 3, path: path)
        }
        #expect(try Standardizer<Double>(checkpoint: SafeTensorsFile(), features: 3, path: path) == nil)
    }
}

@Suite struct MetricsTests {
    @Test func classificationReportByHand() {
        // labels 0 0 0 1 1 2, predictions 0 1 0 1 2 2
        let report = ClassificationReport(predictions: [0, 1, 0, 1, 2, 2], labels: [0, 0, 0, 1, 1, 2], classCount: 3)
        #expect(report.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        #expect(report.accuracy == 4.0 / 6)
        #expect(report.precision(1) == 0.5 && report.recall(1) == 0.5 && report.f1(1) == 0.5)
        #expect(report.precision(0) == 1 && report.recall(0) == 2.0 / 3)
        expectClose(report.f1(0), 0.8, tolerance: 1e-15)
        #expect(report.precision(2) == 0.5 && report.recall(2) == 1)
        let text = report.formatted(classNames: ["a", "b", "c"])
        #expect(text.contains("accuracy: 0.667 (6 examples)"))
        #expect(text.contains("confusion matrix"))
        #expect(report.support == [3, 2, 1] && report.predictedCounts == [2, 2, 2] && report.correctCounts == [2, 1, 1])
        for actual in 0..<3 {
            for predicted in 0..<3 { #expect(report.count(actual: actual, predicted: predicted) == report.confusion[actual][predicted]) }
        }
        // Fewer names than classes: the rest are shown by number.
        #expect(report.formatted(classNames: ["a"]).contains("\n    2 "))
    }

    @Test func classificationReportOverAVocabularyIsSparse() {
        // 200,000 classes: a dense matrix would be 4·10^10 cells; the report holds only what occurred.
        let classes = 200_000
        let labels = [7, 199_999, 7, 3, 150_000], predictions = [7, 7, 199_999, 3, 150_000]
        let report = ClassificationReport(predictions: predictions, labels: labels, classCount: classes)
        #expect(report.total == 5 && report.accuracy == 3.0 / 5)
        #expect(report.count(actual: 199_999, predicted: 7) == 1 && report.count(actual: 7, predicted: 199_999) == 1)
        #expect(report.count(actual: 7, predicted: 7) == 1 && report.count(actual: 0, predicted: 0) == 0)
        #expect(report.precision(7) == 0.5 && report.recall(199_999) == 0 && report.recall(150_000) == 1)
    }

    @Test func metricsLinesRoundTripAndPlotIsReadableSVG() throws {
        let epochs = (1...3).map { (epoch: Int) -> EpochMetrics in
            let e = Double(epoch)
            let values: [String: Double] = ["train_loss": 1 / e, "train_accuracy": 0.5 + 0.1 * e, "validation_loss": 1.2 / e,
                                            "validation_accuracy": 0.45 + 0.1 * e, "test_rmse": 2 / e]
            return EpochMetrics(epoch: epoch, values: values, seconds: 2, samplesPerSecond: 1000, learningRate: 0.01)
        }
        let path = try temporaryDirectory() + "/m.jsonl"
        try Data(try epochs.map { try $0.jsonLine() + "\n" }.joined().utf8).write(to: URL(fileURLWithPath: path))
        #expect(try EpochMetrics.read(fromFile: path) == epochs)
        let line = try epochs[0].jsonLine()
        for key in ["epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy", "test_rmse", "seconds", "samples_per_second"] {
            #expect(line.contains("\"\(key)\""))
        }
        try Data("{\"epoch\": 1}\n".utf8).write(to: URL(fileURLWithPath: path))
        expectDataError(path, "line 1", "not an epoch metrics JSON object") { _ = try EpochMetrics.read(fromFile: path) }

        let svg = try CurvesPlot.svg([CurvesPlot.Run(name: "run", epochs: epochs)], title: "run <1>")
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        for text in ["Loss", "Accuracy", "RMSE", "epoch", ">train<", ">validation<", ">test<", "run &lt;1&gt;", "<polyline"] {
            #expect(svg.contains(text), "\(text)")
        }
        // Loss: train and validation; accuracy: train and validation; RMSE: test; the learning rate.
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 6)
    }
}

@Suite struct FashionMNISTTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz")))
    func loadsTheDebianPackage() throws {
        let test = try FashionMNIST.load(.test, as: Float.self)
        #expect(test.count == 10_000 && test.featureCount == 784)
        #expect(test.features.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(test.features.max().scalar == 1)
        #expect(Set(test.labels) == Set(0..<10))
        #expect((0..<10).allSatisfy { c in test.labels.filter { $0 == c }.count == 1000 })
    }

    @Test func missingDataSaysHowToInstallIt() throws {
        let empty = try temporaryDirectory()
        expectDataError(empty + "/train-images-idx3-ubyte.gz", "not found", "apt-get install dataset-fashion-mnist") {
            _ = try FashionMNIST.load(.train, directory: empty, as: Float.self)
        }
    }

    @Test func readsAFolderOfSmallIDXFiles() throws {
        let directory = try temporaryDirectory()
        let pixels = (0..<(3 * 784)).map { UInt8($0 % 256) }
        try Data(try gzipped(IDXFile.unsignedBytes(shape: [3, 28, 28], values: pixels)))
            .write(to: URL(fileURLWithPath: directory + "/t10k-images-idx3-ubyte.gz"))
        try Data(IDXFile.unsignedBytes(shape: [3], values: [9, 0, 4])).write(to: URL(fileURLWithPath: directory + "/t10k-labels-idx1-ubyte"))
        let data = try FashionMNIST.load(.test, directory: directory, as: Float.self)
        #expect(data.labels == [9, 0, 4] && data.features.shape == [3, 784])
        #expect(data.features.scalars == pixels.map { Float($0) / 255 })
        try Data(IDXFile.unsignedBytes(shape: [3], values: [9, 0, 12])).write(to: URL(fileURLWithPath: directory + "/t10k-labels-idx1-ubyte"))
        expectDataError(directory + "/t10k-labels-idx1-ubyte", "label 12 is outside 0–9") { _ = try FashionMNIST.load(.test, directory: directory, as: Float.self) }
    }
}
