import Foundation

/// One epoch's results, one JSON object per line in a metrics file.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// The epoch number.
    public var epoch: Int
    /// The mean training loss.
    public var train_loss: Double
    /// The training accuracy, 0 to 1.
    public var train_accuracy: Double
    /// The mean test loss.
    public var test_loss: Double
    /// The test accuracy, 0 to 1.
    public var test_accuracy: Double
    /// The wall-clock duration of the epoch in seconds.
    public var seconds: Double
    /// Training throughput in examples per second.
    public var samples_per_second: Double
    /// The learning rate used in the epoch.
    public var learning_rate: Double

    /// An epoch's results from camel-case arguments.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double,
                seconds: Double, samplesPerSecond: Double, learningRate: Double) {
        (self.epoch, train_loss, train_accuracy, test_loss, test_accuracy, self.seconds, samples_per_second, learning_rate) =
            (epoch, trainLoss, trainAccuracy, testLoss, testAccuracy, seconds, samplesPerSecond, learningRate)
    }

    /// The object as one line of JSON (keys sorted).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Reads a metrics file: one JSON object per non-empty line.
    public static func read(fromFile path: String) throws -> [EpochMetrics] {
        let text = String(decoding: try readFileBytes(path), as: UTF8.self)
        var result: [EpochMetrics] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            do {
                result.append(try JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8)))
            } catch {
                throw DataError(path: path, location: "line \(i + 1)", reason: "not an epoch metrics JSON object")
            }
        }
        return result
    }
}
