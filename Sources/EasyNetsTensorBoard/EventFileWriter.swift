import EasyNets
import Foundation
import SwiftProtobuf

/// Writes a TensorBoard event file: `events.out.tfevents.<seconds>.<hostname>` in a folder, a
/// ``TFRecordWriter`` file of serialized `Event` messages, the first of which holds the file
/// version `brain.Event:2`.
///
/// Scalars, histograms, texts and a run's hyperparameters are added as summaries at a step;
/// events are kept in memory until ``flush()`` (or until 1 MiB is pending) and then written with
/// one system call. TensorBoard reads a file while it grows, and merges every event file of a
/// run's folder. Every failure is a `DataError` naming the file.
public final class EventFileWriter {
    /// The event file.
    public var path: String { records.path }
    private let records: TFRecordWriter
    /// Pending bytes that trigger a write without waiting for ``flush()``.
    private static let flushThreshold = 1 << 20

    /// Creates a new event file in `directory` (which must exist), named for the current time
    /// and this host (with a `.1`, `.2`, … suffix if a file of that name exists), and writes its
    /// first event, the file version.
    public init(directory: String) throws {
        let seconds = Int(Date().timeIntervalSince1970)
        let base = (directory as NSString).appendingPathComponent("events.out.tfevents.\(seconds).\(Self.hostName)")
        var path = base, suffix = 0
        while FileManager.default.fileExists(atPath: path) {
            suffix += 1
            path = "\(base).\(suffix)"
        }
        records = try TFRecordWriter(path: path)
        var event = Tensorboard_Event()
        event.wallTime = Date().timeIntervalSince1970
        event.fileVersion = "brain.Event:2"
        try add(event)
        try flush()
    }

    /// This machine's name, with any `/` replaced (it becomes part of a file name).
    private static var hostName: String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "localhost" }
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        let host = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "/", with: "_")
        return host.isEmpty ? "localhost" : host
    }

    /// Adds scalars at `step`, each as a summary value with its tag (TensorBoard's scalar
    /// dashboard; values are stored as Float), stamped with `wallTime` (seconds since 1970; by
    /// default now).
    public func addScalars(_ scalars: [(tag: String, value: Double)], step: Int, wallTime: Double? = nil) throws {
        var summary = Tensorboard_Summary()
        summary.value = scalars.map { tag, value in
            var proto = Tensorboard_Summary.Value()
            proto.tag = tag
            proto.simpleValue = Float(value)
            return proto
        }
        try add(summary, step: step, wallTime: wallTime)
    }

    /// Adds one scalar at `step`.
    public func addScalar(_ value: Double, tag: String, step: Int) throws {
        try addScalars([(tag, value)], step: step)
    }

    /// Adds histograms at `step` (TensorBoard's histogram and distribution dashboards).
    public func addHistograms(_ histograms: [(tag: String, histogram: Histogram)], step: Int) throws {
        var summary = Tensorboard_Summary()
        summary.value = histograms.map { tag, histogram in
            var proto = Tensorboard_HistogramProto()
            (proto.min, proto.max, proto.num) = (histogram.minimum, histogram.maximum, histogram.count)
            (proto.sum, proto.sumSquares) = (histogram.sum, histogram.sumOfSquares)
            (proto.bucketLimit, proto.bucket) = (histogram.bucketLimits, histogram.bucketCounts)
            var value = Tensorboard_Summary.Value()
            value.tag = tag
            value.histo = proto
            return value
        }
        try add(summary, step: step)
    }

    /// Adds a text at `step` (TensorBoard's text dashboard, which renders it as Markdown): a
    /// string tensor with the text plugin's metadata.
    public func addText(_ text: String, tag: String, step: Int) throws {
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtString
        tensor.tensorShape = Tensorboard_TensorShapeProto()  // a scalar: no dimensions
        tensor.stringVal = [Data(text.utf8)]
        var value = Tensorboard_Summary.Value()
        value.tag = tag
        value.metadata.pluginData.pluginName = "text"
        value.tensor = tensor
        var summary = Tensorboard_Summary()
        summary.value = [value]
        try add(summary, step: step)
    }

    /// Adds a run's settings for TensorBoard's HParams dashboard: the hparams plugin's
    /// `session_start_info`, at step 0. TensorBoard lists the run's scalars beside them as metrics.
    public func addHyperparameters(_ hyperparameters: [String: Hyperparameter], startTime: Date = Date()) throws {
        var start = Tensorboard_Hparams_SessionStartInfo()
        start.hparams = hyperparameters.mapValues(\.protobufValue)
        start.startTimeSecs = startTime.timeIntervalSince1970
        var data = Tensorboard_Hparams_HParamsPluginData()
        data.sessionStartInfo = start
        try addHyperparameterSummary(data, tag: "_hparams_/session_start_info")
    }

    /// How a run described by ``addHyperparameters(_:startTime:)`` ended.
    public enum SessionStatus: Sendable {
        /// The run completed (or stopped early by design).
        case success
        /// The run failed.
        case failure
    }

    /// Adds the hparams plugin's `session_end_info`: how the run ended, and when.
    public func addSessionEnd(_ status: SessionStatus, endTime: Date = Date()) throws {
        var end = Tensorboard_Hparams_SessionEndInfo()
        end.status = switch status {
        case .success: .success
        case .failure: .failure
        }
        end.endTimeSecs = endTime.timeIntervalSince1970
        var data = Tensorboard_Hparams_HParamsPluginData()
        data.sessionEndInfo = end
        try addHyperparameterSummary(data, tag: "_hparams_/session_end_info")
    }

    /// A summary value with the hparams plugin's metadata (version 0) and, as TensorBoard's own
    /// writer stores, an empty float tensor.
    private func addHyperparameterSummary(_ data: Tensorboard_Hparams_HParamsPluginData, tag: String) throws {
        var data = data
        data.version = 0
        var value = Tensorboard_Summary.Value()
        value.tag = tag
        value.metadata.pluginData.pluginName = "hparams"
        value.metadata.pluginData.content = try serialized(data)
        var tensor = Tensorboard_TensorProto()
        tensor.dtype = .dtFloat
        var dimension = Tensorboard_TensorShapeProto.Dim()
        dimension.size = 0
        tensor.tensorShape.dim = [dimension]
        value.tensor = tensor
        var summary = Tensorboard_Summary()
        summary.value = [value]
        try add(summary, step: 0)
    }

    /// Writes the pending events to the file.
    public func flush() throws { try records.flush() }

    /// Writes the pending events and closes the file.
    public func close() throws { try records.close() }

    /// Adds `summary` as an event at `step`, stamped with the current time.
    private func add(_ summary: Tensorboard_Summary, step: Int, wallTime: Double? = nil) throws {
        var event = Tensorboard_Event()
        event.wallTime = wallTime ?? Date().timeIntervalSince1970
        event.step = Int64(step)
        event.summary = summary
        try add(event)
    }

    /// Adds one event, writing the pending ones when they pass the threshold.
    func add(_ event: Tensorboard_Event) throws {
        records.append(try serialized(event))
        if records.pendingByteCount >= Self.flushThreshold { try records.flush() }
    }

    /// The message's bytes; a failure (which proto3 messages do not have) names the file.
    private func serialized<Bytes: SwiftProtobufContiguousBytes>(_ message: some SwiftProtobuf.Message) throws -> Bytes {
        do { return try message.serializedBytes() } catch {
            throw DataError(path: path, reason: "cannot encode a \(type(of: message)) event (\(error))")
        }
    }
}
