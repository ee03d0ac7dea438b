import Foundation

/// A measure of a model's output against targets that the ``Trainer`` reports per epoch, on the
/// training batches and on the validation data, beside the loss.
///
/// Classification (class indices): ``accuracy``, ``topKAccuracy(_:)``, ``bitsPerCharacter``.
/// Regression (values): ``meanAbsoluteError``, ``rootMeanSquaredError``, ``r2``. Multi-label
/// (0/1 values, logits out): ``accuracy`` per value. A metric that does not apply to the
/// targets is refused before training starts (``problem(for:)``).
public enum Metric: Hashable, Sendable, CustomStringConvertible {
    /// Classes: the fraction of labels whose highest score is the label's class. Values: the
    /// fraction of values whose output is positive exactly when the target is above ½ (logits
    /// against 0/1 multi-label targets).
    case accuracy
    /// The fraction of labels whose class has fewer than k classes scoring strictly higher.
    case topKAccuracy(Int)
    /// The cross-entropy of the scores in bits per label (nats / ln 2): a language model's
    /// bits per character.
    case bitsPerCharacter
    /// The mean absolute difference between outputs and targets, over every value.
    case meanAbsoluteError
    /// The square root of the mean squared difference between outputs and targets.
    case rootMeanSquaredError
    /// The coefficient of determination, 1 − Σ(y − ŷ)² / Σ(y − ȳ)², computed per output (each
    /// position of an example's targets) and averaged over outputs with equal weights, as
    /// scikit-learn's `r2_score` and torchmetrics' `R2Score` by default. An output whose targets
    /// do not vary scores 1 when predicted exactly and 0 otherwise.
    case r2

    /// The name in metrics files and on the command line: `accuracy`, `top5_accuracy`,
    /// `bits_per_character`, `mae`, `rmse`, `r2`.
    public var name: String {
        switch self {
        case .accuracy: "accuracy"
        case .topKAccuracy(let k): "top\(k)_accuracy"
        case .bitsPerCharacter: "bits_per_character"
        case .meanAbsoluteError: "mae"
        case .rootMeanSquaredError: "rmse"
        case .r2: "r2"
        }
    }

    public var description: String { name }

    /// The metric of a ``name`` (`top3_accuracy` for any k ≥ 1), or `nil`.
    public init?(name: String) {
        switch name {
        case "accuracy": self = .accuracy
        case "bits_per_character": self = .bitsPerCharacter
        case "mae": self = .meanAbsoluteError
        case "rmse": self = .rootMeanSquaredError
        case "r2": self = .r2
        default:
            guard name.hasPrefix("top"), name.hasSuffix("_accuracy"),
                  let k = Int(name.dropFirst(3).dropLast("_accuracy".count)), k >= 1, k <= 1_000_000,
                  name == "top\(k)_accuracy" else { return nil }  // one spelling per metric: not top05 or top+5
            self = .topKAccuracy(k)
        }
    }

    /// The names every metric goes by, for messages.
    public static let knownNames = "accuracy, topK_accuracy (e.g. top5_accuracy), bits_per_character, mae, rmse, r2"

    /// Whether a higher value is better (accuracies, R²) or a lower one (errors, bits).
    public var higherIsBetter: Bool {
        switch self {
        case .accuracy, .topKAccuracy, .r2: true
        case .bitsPerCharacter, .meanAbsoluteError, .rootMeanSquaredError: false
        }
    }

    /// Why this metric does not apply to targets of `layout`, or `nil` when it does.
    public func problem(for layout: TargetLayout) -> String? {
        switch (self, layout) {
        case (.topKAccuracy(let k), _) where k < 1: "top-k accuracy needs k ≥ 1, got \(k)"
        case (.accuracy, _): nil
        case (.topKAccuracy, .values), (.bitsPerCharacter, .values):
            "the metric \(name) applies to class indices, but the targets are \(layout)"
        case (.meanAbsoluteError, .classes), (.rootMeanSquaredError, .classes), (.r2, .classes):
            "the metric \(name) applies to values (regression), but the targets are \(layout)"
        default: nil
        }
    }

    /// The metrics reported when none are asked for: accuracy for class indices; mean absolute
    /// error, root mean squared error and R² for values.
    public static func defaults(for layout: TargetLayout) -> [Metric] {
        layout.isClasses ? [.accuracy] : [.meanAbsoluteError, .rootMeanSquaredError, .r2]
    }
}

/// Running sums of a loss and metrics over batches, merged across processes as one vector.
struct MetricTotals {
    let metrics: [Metric]
    /// Σ batch mean loss × batch examples, and the examples.
    var lossSum = 0.0, examples = 0.0
    /// Labels or values counted, and per metric its sum (correct labels, nats, absolute or squared errors).
    var targetCount = 0.0
    var sums: [Double]
    /// For R²: per output, Σ(y − c), Σ(y − c)² and Σ(y − ŷ)², with c the output's ``offsets``.
    var columns: [Double]
    /// For R²: a value near each output's targets (the first example's), subtracted before the
    /// sums so that targets far from 0 that vary little keep their spread (R² does not depend on
    /// it); every total merged with another must have the same offsets. Empty: 0.
    var offsets: [Double] = []
    private let outputs: Int

    init(metrics: [Metric], layout: TargetLayout) {
        self.metrics = metrics
        sums = [Double](repeating: 0, count: metrics.count)
        outputs = layout.isClasses ? 0 : layout.exampleShape.reduce(1, *)
        columns = [Double](repeating: 0, count: metrics.contains(.r2) ? 3 * outputs : 0)
    }

    /// All sums as one vector (to sum across processes), and back.
    var vector: [Double] { [lossSum, examples, targetCount] + sums + columns }
    mutating func load(_ vector: [Double]) {
        (lossSum, examples, targetCount) = (vector[0], vector[1], vector[2])
        sums = Array(vector[3 ..< 3 + sums.count])
        columns = Array(vector[(3 + sums.count)...])
    }

    /// Adds the sums of `other` (of the same metrics and layout).
    mutating func merge(_ other: MetricTotals) {
        load(zip(vector, other.vector).map { $0 + $1 })
    }

    /// Adds a batch of `examples` with mean loss `loss`, its (detached) `output` and `targets`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    mutating func add<Scalar: TensorScalar>(loss: Double, examples count: Int, output: Tensor<Scalar>, targets: Targets<Scalar>) {
        lossSum += loss * Double(count)
        examples += Double(count)
        guard !metrics.isEmpty else {
            targetCount += Double(targets.count * targets.countPerExample)
            return
        }
        let output = output.detached
        output.withUnsafeBufferPointer { y in
            switch targets {
            case .classes(let labels): addClasses(y, shape: output.shape, labels: labels.values)
            case .values(let values):
                values.detached.withUnsafeBufferPointer { t in addValues(y, t) }
            }
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private mutating func addClasses<Scalar: TensorScalar>(_ scores: UnsafeBufferPointer<Scalar>, shape: [Int], labels: [Int]) {
        let classes = shape[1], positions = shape.dropFirst(2).reduce(1, *)
        targetCount += Double(labels.count)
        for (m, metric) in metrics.enumerated() {
            var total = 0.0
            for (i, label) in labels.enumerated() {
                let base = (i / positions) * classes * positions + i % positions
                let score = scores[base + label * positions]
                switch metric {
                case .accuracy:
                    var best = 0
                    for c in 1..<classes where scores[base + c * positions] > scores[base + best * positions] { best = c }
                    if best == label { total += 1 }
                case .topKAccuracy(let k):
                    var higher = 0
                    for c in 0..<classes where scores[base + c * positions] > score { higher += 1 }
                    if higher < k { total += 1 }
                case .bitsPerCharacter:
                    var maximum = -Double.infinity
                    for c in 0..<classes { maximum = Swift.max(maximum, Double(scores[base + c * positions])) }
                    var sum = 0.0
                    for c in 0..<classes { sum += Foundation.exp(Double(scores[base + c * positions]) - maximum) }
                    total += maximum + Foundation.log(sum) - Double(score)
                default: break
                }
            }
            sums[m] += total
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private mutating func addValues<Scalar: TensorScalar>(_ output: UnsafeBufferPointer<Scalar>, _ targets: UnsafeBufferPointer<Scalar>) {
        targetCount += Double(targets.count)
        for (m, metric) in metrics.enumerated() {
            var total = 0.0
            switch metric {
            case .accuracy:
                for i in 0..<targets.count where (output[i] > 0) == (targets[i] > Scalar(0.5)) { total += 1 }
            case .meanAbsoluteError:
                for i in 0..<targets.count { total += Swift.abs(Double(output[i]) - Double(targets[i])) }
            case .rootMeanSquaredError:
                for i in 0..<targets.count {
                    let d = Double(output[i]) - Double(targets[i])
                    total += d * d
                }
            case .r2:
                for i in 0..<targets.count {
                    let column = 3 * (i % outputs), d = Double(output[i]) - Double(targets[i])
                    let y = Double(targets[i]) - (offsets.isEmpty ? 0 : offsets[i % outputs])
                    columns[column] += y
                    columns[column + 1] += y * y
                    columns[column + 2] += d * d
                }
            default: break
            }
            sums[m] += total
        }
    }

    /// The mean loss and each metric, by name ("loss", "accuracy", "mae", …).
    var values: [(name: String, value: Double)] {
        let examples = Swift.max(self.examples, 1), count = Swift.max(targetCount, 1)
        var result = [(name: "loss", value: lossSum / examples)]
        for (metric, sum) in zip(metrics, sums) {
            switch metric {
            case .accuracy, .topKAccuracy, .meanAbsoluteError: result.append((metric.name, sum / count))
            case .bitsPerCharacter: result.append((metric.name, sum / count / Foundation.log(2)))
            case .rootMeanSquaredError: result.append((metric.name, (sum / count).squareRoot()))
            case .r2: result.append((metric.name, r2))
            }
        }
        return result
    }

    /// R² per output, averaged; an output whose targets do not vary scores 1 when predicted
    /// exactly and 0 otherwise, as scikit-learn's `r2_score` does.
    ///
    /// The spread Σ(y − ȳ)² comes from running sums, Σy² − (Σy)²/n, whose rounding leaves noise
    /// of up to about 3n·ε·Σy² where the targets do not vary (seven targets of 0.1 leave 1.4e-17,
    /// not 0): a spread within 4n·ε·Σy² counts as none.
    private var r2: Double {
        guard outputs > 0 else { return 0 }
        let n = Swift.max(targetCount / Double(outputs), 1)
        var total = 0.0
        for o in 0..<outputs {
            let (sum, squares, residual) = (columns[3 * o], columns[3 * o + 1], columns[3 * o + 2])
            let spread = squares - sum * sum / n
            let varies = spread > 4 * n * Double.ulpOfOne * squares
            total += varies ? 1 - residual / spread : (residual == 0 ? 1 : 0)
        }
        return total / Double(outputs)
    }
}

extension MetricTotals {
    /// The R² ``offsets`` for data of `source`: its first example's targets, when the metrics
    /// include R² and the targets are values; else none.
    static func offsets<Scalar: TensorScalar>(for metrics: [Metric], of source: some ExampleSource<Scalar>) throws -> [Double] {
        guard metrics.contains(.r2), !source.targetLayout.isClasses, source.count > 0 else { return [] }
        return try source.examples(at: [0]).targets.valueTensor.scalars.map { Double($0) }
    }
}
