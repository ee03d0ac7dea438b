import EasyNets
import Foundation
import SwiftProtobuf
import Testing
@testable import EasyNetsTensorBoard

/// The events of every event file in `folder`, in file-name order, each file read by the
/// independent TFRecord reader.
func readEvents(inFolder folder: String) throws -> [Tensorboard_Event] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
    return try names.flatMap { name in
        try readTFRecords(try readFileBytes(folder + "/" + name)).map { try Tensorboard_Event(serializedBytes: $0) }
    }
}

@Suite("TensorBoard event files")
struct EventFileTests {
    /// The file is named for the time and host, starts with the file version, and a scalar
    /// event decodes back to its tag, value, step and time.
    @Test func scalarRoundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = Date().timeIntervalSince1970
        let writer = try EventFileWriter(directory: folder)
        try writer.addScalar(0.125, tag: "epoch/train_loss", step: 3)
        try writer.addScalars([("a", -2.5), ("b", 1e-3)], step: 4)
        try writer.close()
        let after = Date().timeIntervalSince1970

        let name = (writer.path as NSString).lastPathComponent
        let parts = name.split(separator: ".", maxSplits: 4).map(String.init)
        #expect(parts.count == 5 && parts[0...2] == ["events", "out", "tfevents"], "\(name)")
        let seconds = try #require(Double(parts[3]))
        #expect(seconds >= before.rounded(.down) && seconds <= after)

        let events = try readEvents(inFolder: folder)
        try #require(events.count == 3)
        #expect(events[0].fileVersion == "brain.Event:2")
        #expect(events[1].step == 3 && events[1].wallTime >= before && events[1].wallTime <= after)
        let value = try #require(events[1].summary.value.first)
        #expect(value.tag == "epoch/train_loss" && value.simpleValue == 0.125)
        #expect(events[2].step == 4)
        #expect(events[2].summary.value.map(\.tag) == ["a", "b"])
        #expect(events[2].summary.value.map(\.simpleValue) == [-2.5, Float(1e-3)])
    }

    /// A second writer in the same folder and second gets a file of its own.
    @Test func secondFileInSameFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try EventFileWriter(directory: folder), second = try EventFileWriter(directory: folder)
        #expect(first.path != second.path)
        #expect(throws: DataError.self) { try EventFileWriter(directory: folder + "/missing") }
    }

    /// Text and hyperparameters carry their plugins' metadata; histograms their fields.
    @Test func textHistogramAndHyperparameters() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try EventFileWriter(directory: folder)
        try writer.addText("Layer  Output", tag: "model/summary", step: 0)
        try writer.addHistograms([("parameters/w", Histogram([0.0, 1, 2, 3], bucketCount: 2))], step: 1)
        try writer.addHyperparameters(["optimizer": "adam", "epochs": 3, "learning_rate": 0.01, "augment": false])
        try writer.addSessionEnd(.success)
        try writer.close()
        let events = try readEvents(inFolder: folder)
        try #require(events.count == 5)

        let text = try #require(events[1].summary.value.first)
        #expect(text.tag == "model/summary" && text.metadata.pluginData.pluginName == "text")
        #expect(text.tensor.dtype == .dtString && text.tensor.stringVal == [Data("Layer  Output".utf8)])

        let histogram = try #require(events[2].summary.value.first).histo
        #expect(histogram.min == 0 && histogram.max == 3 && histogram.num == 4 && histogram.sum == 6 && histogram.sumSquares == 14)
        #expect(histogram.bucketLimit == [1.5, 3] && histogram.bucket == [2, 2])

        let start = try #require(events[3].summary.value.first)
        #expect(start.tag == "_hparams_/session_start_info" && start.metadata.pluginData.pluginName == "hparams")
        let data = try Tensorboard_Hparams_HParamsPluginData(serializedBytes: start.metadata.pluginData.content)
        #expect(data.version == 0)
        let hparams = data.sessionStartInfo.hparams
        #expect(hparams["optimizer"]?.stringValue == "adam" && hparams["epochs"]?.numberValue == 3)
        #expect(hparams["learning_rate"]?.numberValue == 0.01 && hparams["augment"]?.boolValue == false)
        let end = try Tensorboard_Hparams_HParamsPluginData(serializedBytes: try #require(events[4].summary.value.first).metadata.pluginData.content)
        #expect(end.sessionEndInfo.status == .success)
    }
}

@Suite("Histograms")
struct HistogramTests {
    /// Ten values in 5 buckets of width 2 over [−3, 7], worked by hand; NaN and ∞ left out.
    @Test func bucketsByHand() {
        let values: [Float] = [-3, -2.5, -1, 0, 0.5, 2, 3.9, 4, 6.99, 7, .nan, .infinity]
        let histogram = Histogram(values, bucketCount: 5)
        #expect(histogram.minimum == -3 && histogram.maximum == 7 && histogram.count == 10)
        #expect(histogram.bucketLimits == [-1, 1, 3, 5, 7])
        // [−3, −1): −3, −2.5 · [−1, 1): −1, 0, 0.5 · [1, 3): 2 · [3, 5): 3.9, 4 · [5, 7]: 6.99, 7
        #expect(histogram.bucketCounts == [2, 3, 1, 2, 2])
        let finite = values.prefix(10).map(Double.init)
        #expect(abs(histogram.sum - finite.reduce(0, +)) < 1e-12)
        #expect(abs(histogram.sumOfSquares - finite.reduce(0) { $0 + $1 * $1 }) < 1e-9)
    }

    /// Equal values make one bucket; no finite value makes none.
    @Test func degenerateInputs() {
        let constant = Histogram([2.5, 2.5, 2.5] as [Double])
        #expect(constant.bucketLimits == [2.5] && constant.bucketCounts == [3] && constant.minimum == 2.5)
        let empty = Histogram([Double.nan])
        #expect(empty.count == 0 && empty.bucketLimits.isEmpty && empty.bucketCounts.isEmpty)
    }
}
