import Foundation

/// One epoch's results, one JSON object per line in a metrics file.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// The epoch number.
    public var epoch: Int
    /// The mean training loss (per label).
    public var trainLoss: Double
    /// The training accuracy, 0 to 1: the fraction of labels predicted.
    public var trainAccuracy: Double
    /// The mean test loss (per label).
    public var testLoss: Double
    /// The test accuracy, 0 to 1.
    public var testAccuracy: Double
    /// The wall-clock duration of the epoch in seconds.
    public var seconds: Double
    /// Training throughput in examples per second.
    public var samplesPerSecond: Double
    /// The learning rate used in the epoch.
    public var learningRate: Double

    /// The JSON keys: snake case, as `easynets train --metrics` has always written them.
    enum CodingKeys: String, CodingKey {
        case epoch, seconds
        case trainLoss = "train_loss", trainAccuracy = "train_accuracy", testLoss = "test_loss", testAccuracy = "test_accuracy"
        case samplesPerSecond = "samples_per_second", learningRate = "learning_rate"
    }

    /// An epoch's results.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double,
                seconds: Double, samplesPerSecond: Double, learningRate: Double) {
        (self.epoch, self.trainLoss, self.trainAccuracy, self.testLoss, self.testAccuracy, self.seconds, self.samplesPerSecond, self.learningRate) =
            (epoch, trainLoss, trainAccuracy, testLoss, testAccuracy, seconds, samplesPerSecond, learningRate)
    }

    /// The object as one line of JSON (keys sorted). Throws for a non-finite value, which JSON
    /// cannot hold.
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Why these values cannot be the record of an epoch, or `nil` when they can: a value that is
    /// not finite or beyond 1e100 in size, an epoch outside 0...1 000 000 000, an accuracy outside
    /// [0, 1], or a negative duration, throughput or learning rate.
    public var problem: String? {
        let values = [("train_loss", trainLoss), ("train_accuracy", trainAccuracy), ("test_loss", testLoss),
                      ("test_accuracy", testAccuracy), ("seconds", seconds), ("samples_per_second", samplesPerSecond),
                      ("learning_rate", learningRate)]
        if let (name, value) = values.first(where: { !$0.1.isFinite || abs($0.1) > 1e100 }) {
            return "\(name) is \(value), not a finite number of sensible size"
        }
        if !(0...1_000_000_000).contains(epoch) { return "epoch \(epoch) is outside 0...1000000000" }
        if let (name, value) = values.first(where: { $0.0.hasSuffix("accuracy") && !(0...1).contains($0.1) }) {
            return "\(name) \(value) is outside [0, 1]"
        }
        if let (name, value) = values.dropFirst(4).first(where: { $0.1 < 0 }) { return "\(name) \(value) is negative" }
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
