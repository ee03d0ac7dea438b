import Foundation

/// The data a value was measured on: the training batches, the validation data evaluated after
/// each epoch, or test data held out to the end.
public enum DataSplit: String, Sendable, CaseIterable {
    /// The training batches of the epoch (the model in training mode, as it stepped).
    case train
    /// Data evaluated after each epoch to choose when to stop or which weights to keep.
    case validation
    /// Data held out until training ends.
    case test
}

/// One epoch's results, one JSON object per line in a metrics file: the loss and each metric on
/// the training batches and on the validation data, named `<split>_<metric>` (`train_loss`,
/// `validation_accuracy`, `validation_rmse`, …), with the epoch's duration, throughput and
/// learning rate.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// The epoch number.
    public var epoch: Int
    /// The losses and metrics by name: `train_loss`, `validation_loss`, `train_accuracy`,
    /// `validation_mae`, … (files written before validation was named have `test_loss` and
    /// `test_accuracy`).
    public var values: [String: Double]
    /// The wall-clock duration of the epoch in seconds.
    public var seconds: Double
    /// Training throughput in examples per second.
    public var samplesPerSecond: Double
    /// The learning rate used in the epoch (the first parameter group's).
    public var learningRate: Double

    /// An epoch's results.
    public init(epoch: Int, values: [String: Double], seconds: Double, samplesPerSecond: Double, learningRate: Double) {
        (self.epoch, self.values, self.seconds, self.samplesPerSecond, self.learningRate) = (epoch, values, seconds, samplesPerSecond, learningRate)
    }

    /// The value of `metric` (`nil`: the loss) on `split`, if the epoch has it.
    public func value(_ metric: Metric?, on split: DataSplit) -> Double? {
        values["\(split.rawValue)_\(metric?.name ?? "loss")"]
    }

    /// The mean training loss (per target).
    public var trainLoss: Double { values["train_loss"] ?? .nan }
    /// The mean validation loss, if the epoch was validated.
    public var validationLoss: Double? { values["validation_loss"] }

    /// The value a monitor watches: `name` such as `validation_loss` or `train_accuracy`.
    public subscript(name: String) -> Double? { values[name] }

    private typealias Key = StringCodingKey
    private static let fixedKeys = ["epoch", "seconds", "samples_per_second", "learning_rate"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        epoch = try container.decode(Int.self, forKey: Key("epoch"))
        seconds = try container.decode(Double.self, forKey: Key("seconds"))
        samplesPerSecond = try container.decode(Double.self, forKey: Key("samples_per_second"))
        learningRate = try container.decode(Double.self, forKey: Key("learning_rate"))
        values = [:]
        for key in container.allKeys where !Self.fixedKeys.contains(key.stringValue) {
            values[key.stringValue] = try container.decode(Double.self, forKey: key)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(epoch, forKey: Key("epoch"))
        try container.encode(seconds, forKey: Key("seconds"))
        try container.encode(samplesPerSecond, forKey: Key("samples_per_second"))
        try container.encode(learningRate, forKey: Key("learning_rate"))
        for (name, value) in values { try container.encode(value, forKey: Key(name)) }
    }

    /// The object as one line of JSON (keys sorted). Throws for a non-finite value, which JSON
    /// cannot hold.
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Why these values cannot be the record of an epoch, or `nil` when they can: no `train_loss`,
    /// a name other than `<split>_<metric>` in lowercase letters, digits and underscores, a value
    /// that is not finite or beyond 1e100 in size, an epoch outside 0...1 000 000 000, an
    /// accuracy outside [0, 1], or a negative duration, throughput, learning rate or error.
    public var problem: String? {
        guard values["train_loss"] != nil else { return "it has no train_loss" }
        for name in values.keys.sorted() {
            let parts = name.split(separator: "_", maxSplits: 1)
            guard name.count <= 64, parts.count == 2, DataSplit(rawValue: String(parts[0])) != nil,
                  name.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
                return "\"\(name)\" is not a value name of the form <train|validation|test>_<metric>"
            }
        }
        let named = [("seconds", seconds), ("samples_per_second", samplesPerSecond), ("learning_rate", learningRate)]
        let all = values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + named
        if let (name, value) = all.first(where: { !$0.1.isFinite || abs($0.1) > 1e100 }) {
            return "\(name) is \(value), not a finite number of sensible size"
        }
        if !(0...1_000_000_000).contains(epoch) { return "epoch \(epoch) is outside 0...1000000000" }
        if let (name, value) = all.first(where: { $0.0.hasSuffix("accuracy") && !(0...1).contains($0.1) }) {
            return "\(name) \(value) is outside [0, 1]"
        }
        let nonNegative = ["_mae", "_rmse", "_bits_per_character", "seconds", "samples_per_second", "learning_rate"]
        if let (name, value) = all.first(where: { entry in entry.1 < 0 && nonNegative.contains { entry.0.hasSuffix($0) } }) {
            return "\(name) \(value) is negative"
        }
        return nil
    }

    /// Reads a metrics file: one JSON object per non-empty line, each checked (``problem``).
    public static func read(fromFile path: String) throws -> [EpochMetrics] {
        try parse(readFileBytes(path), path: path)
    }

    /// Parses the bytes of a metrics file; `path` names the source in errors.
    public static func parse(_ bytes: [UInt8], path: String = "<memory>") throws -> [EpochMetrics] {
        let text = String(decoding: bytes, as: UTF8.self)
        var result: [EpochMetrics] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            let metrics: EpochMetrics
            do {
                metrics = try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8))
            } catch {
                throw DataError(path: path, location: "line \(i + 1)", reason: "not an epoch metrics JSON object")
            }
            if let problem = metrics.problem { throw DataError(path: path, location: "line \(i + 1)", reason: problem) }
            result.append(metrics)
        }
        return result
    }
}
