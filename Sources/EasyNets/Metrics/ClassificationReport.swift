import Foundation

/// Accuracy, per-class precision, recall and F1, and the confusion matrix of predictions.
///
/// Memory and time are linear in the examples and the classes: the matrix is kept sparse, so a
/// report over tens of thousands of classes (a language model's vocabulary) stays cheap.
public struct ClassificationReport: Sendable, Equatable {
    /// The number of classes.
    public let classCount: Int
    /// The number of predictions.
    public let total: Int
    /// Per class, the examples whose label is that class.
    public let support: [Int]
    /// Per class, the examples predicted as that class.
    public let predictedCounts: [Int]
    /// Per class, the examples of that class predicted correctly (the matrix's diagonal).
    public let correctCounts: [Int]
    /// The non-zero cells, keyed by `actual * classCount + predicted`.
    private let cells: [Int: Int]

    /// Counts predicted against actual classes, each 0-based and below `classCount`.
    public init(predictions: [Int], labels: [Int], classCount: Int) {
        require(predictions.count == labels.count,
                "ClassificationReport: \(predictions.count) predictions for \(labels.count) labels")
        require(classCount >= 0, "ClassificationReport: classCount must not be negative, got \(classCount)")
        var support = [Int](repeating: 0, count: classCount)
        var predicted = support, correct = support
        var cells: [Int: Int] = [:]
        for (p, y) in zip(predictions, labels) {
            require(p >= 0 && p < classCount && y >= 0 && y < classCount,
                    "ClassificationReport: class \(p < 0 || p >= classCount ? p : y) outside 0..<\(classCount)")
            support[y] += 1
            predicted[p] += 1
            if p == y { correct[y] += 1 }
            cells[y * classCount + p, default: 0] += 1
        }
        self.classCount = classCount
        self.total = predictions.count
        self.support = support
        self.predictedCounts = predicted
        self.correctCounts = correct
        self.cells = cells
    }

    /// The examples of class `actual` predicted as `predicted`.
    public func count(actual: Int, predicted: Int) -> Int {
        require((0..<classCount).contains(actual) && (0..<classCount).contains(predicted),
                "ClassificationReport.count: class (\(actual), \(predicted)) outside 0..<\(classCount)")
        return cells[actual * classCount + predicted] ?? 0
    }

    /// The dense matrix, `confusion[actual][predicted]`: `classCount`² counts.
    public var confusion: [[Int]] {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classCount), count: classCount)
        for (key, count) in cells { matrix[key / classCount][key % classCount] = count }
        return matrix
    }

    /// Correct predictions over all predictions (0 for none).
    public var accuracy: Double {
        total == 0 ? 0 : Double(correctCounts.reduce(0, +)) / Double(total)
    }
    /// Of the examples predicted as class c, the fraction that are c (0 when none are predicted).
    public func precision(_ c: Int) -> Double {
        predictedCounts[c] == 0 ? 0 : Double(correctCounts[c]) / Double(predictedCounts[c])
    }
    /// Of the examples of class c, the fraction predicted as c (0 when there are none).
    public func recall(_ c: Int) -> Double {
        support[c] == 0 ? 0 : Double(correctCounts[c]) / Double(support[c])
    }
    /// The harmonic mean of precision and recall (0 when both are 0).
    public func f1(_ c: Int) -> Double {
        let (p, r) = (precision(c), recall(c))
        return p + r == 0 ? 0 : 2 * p * r / (p + r)
    }

    /// A plain-text report: accuracy, a per-class table and the confusion matrix. Classes without a
    /// name in `classNames` are shown by number.
    public func formatted(classNames: [String]? = nil) -> String {
        let names = (0..<classCount).map { c in classNames.flatMap { $0.indices.contains(c) ? $0[c] : nil } ?? String(c) }
        let width = max(names.map(\.count).max() ?? 5, 5)
        func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        func percent(_ x: Double) -> String { pad(String(x, style: .report), 9) }
        var lines = ["accuracy: \(String(accuracy, style: .report)) (\(total) examples)", "",
                     pad("class", width) + pad("precision", 10) + pad("recall", 10) + pad("F1", 10) + pad("support", 9)]
        for c in 0..<classCount {
            lines.append(pad(names[c], width) + " " + percent(precision(c)) + " " + percent(recall(c)) + " "
                         + percent(f1(c)) + pad(String(support[c]), 9))
        }
        lines += ["", "confusion matrix (rows: actual, columns: predicted)"]
        let cell = max(String(cells.values.max() ?? 0).count, String(classCount - 1).count) + 1
        lines.append(pad("", width) + (0..<classCount).map { pad(String($0), cell) }.joined())
        for c in 0..<classCount {
            lines.append(pad(names[c], width) + (0..<classCount).map { pad(String(count(actual: c, predicted: $0)), cell) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
