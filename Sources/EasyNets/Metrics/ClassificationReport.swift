import Foundation

/// Accuracy, per-class precision, recall and F1, and the confusion matrix of predictions.
public struct ClassificationReport: Sendable, Equatable {
    /// `confusion[actual][predicted]` counts.
    public var confusion: [[Int]]

    /// Counts predicted against actual classes, each 0-based and below `classCount`.
    public init(predictions: [Int], labels: [Int], classCount: Int) {
        require(predictions.count == labels.count,
                     "ClassificationReport: \(predictions.count) predictions for \(labels.count) labels")
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (p, y) in zip(predictions, labels) {
            require(p >= 0 && p < classCount && y >= 0 && y < classCount,
                         "ClassificationReport: class \(max(p, y)) outside 0..<\(classCount)")
            matrix[y][p] += 1
        }
        confusion = matrix
    }

    /// The number of classes.
    public var classCount: Int { confusion.count }
    /// The number of predictions.
    public var total: Int { confusion.joined().reduce(0, +) }
    /// Correct predictions over all predictions (0 for none).
    public var accuracy: Double {
        total == 0 ? 0 : Double((0..<classCount).map { confusion[$0][$0] }.reduce(0, +)) / Double(total)
    }
    /// Of the examples predicted as class c, the fraction that are c (0 when none are predicted).
    public func precision(_ c: Int) -> Double {
        let predicted = confusion.map { $0[c] }.reduce(0, +)
        return predicted == 0 ? 0 : Double(confusion[c][c]) / Double(predicted)
    }
    /// Of the examples of class c, the fraction predicted as c (0 when there are none).
    public func recall(_ c: Int) -> Double {
        let actual = confusion[c].reduce(0, +)
        return actual == 0 ? 0 : Double(confusion[c][c]) / Double(actual)
    }
    /// The harmonic mean of precision and recall (0 when both are 0).
    public func f1(_ c: Int) -> Double {
        let (p, r) = (precision(c), recall(c))
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// A plain-text report: accuracy, a per-class table and the confusion matrix.
    public func formatted(classNames: [String]? = nil) -> String {
        let names = (0..<classCount).map { classNames?[$0] ?? String($0) }
        let width = max(names.map(\.count).max() ?? 5, 5)
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        func percent(_ x: Double) -> String { pad(String(format3: x), 9) }
        var lines = ["accuracy: \(String(format3: accuracy)) (\(total) examples)", "",
                     pad("class", width) + pad("precision", 10) + pad("recall", 10) + pad("F1", 10) + pad("support", 9)]
        for c in 0..<classCount {
            lines.append(pad(names[c], width) + " " + percent(precision(c)) + " " + percent(recall(c)) + " "
                         + percent(f1(c)) + pad(String(confusion[c].reduce(0, +)), 9))
        }
        lines += ["", "confusion matrix (rows: actual, columns: predicted)"]
        let cell = max(String(confusion.joined().max() ?? 0).count, String(classCount - 1).count) + 1
        lines.append(pad("", width) + (0..<classCount).map { pad(String($0), cell) }.joined())
        for c in 0..<classCount {
            lines.append(pad(names[c], width) + confusion[c].map { pad(String($0), cell) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// `value` with three decimals.
    init(format3 value: Double) {
        // Fixed point while the scaled value fits an Int exactly; 4 significant digits beyond.
        guard value.isFinite, abs(value) < 1e12 else {
            self = value.isFinite ? String(format: "%.4g", value) : "\(value)"
            return
        }
        let scaled = Int((value * 1000).rounded())
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        let fraction = String(magnitude % 1000)
        self = "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
