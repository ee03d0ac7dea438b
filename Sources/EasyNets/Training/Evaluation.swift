/// A model's loss, accuracy and per-class report on a labeled dataset.
public struct Evaluation: Sendable, Equatable {
    /// The mean loss per label: per example, or per position for labels of a
    /// ``Dataset/labelShape`` (for a language model, nats per character).
    public var loss: Double
    /// The fraction of labels whose highest-scoring class is the label.
    public var accuracy: Double { report.accuracy }
    /// The predicted class of each label, in the order of the dataset's labels.
    public var predictions: [Int]
    /// Per-class precision, recall and F1, and the confusion matrix.
    public var report: ClassificationReport
}

/// The examples ``evaluate(_:on:batchSize:classCount:loss:)`` (and so the ``Trainer``'s evaluation)
/// runs at a time by default: what a command checks against the memory limit for evaluation.
public let defaultEvaluationBatchSize = 1000

/// Evaluates a classifier on `dataset` in evaluation mode (dropout off, running statistics),
/// `batchSize` examples at a time, without recording a tape; the model's mode is restored after.
///
/// - Parameters:
///   - model: the classifier, in training or evaluation mode.
///   - dataset: the labeled examples.
///   - batchSize: examples per forward pass.
///   - classCount: the classes of the report (default: the model's class scores, axis 1 of its output).
///   - loss: the per-batch summed loss of logits against labels (default: cross-entropy); divided
///     by the number of labels for ``Evaluation/loss``.
public func evaluate<Scalar: TensorScalar>(
    _ model: some Layer<Scalar>, on dataset: Dataset<Scalar>, batchSize: Int = defaultEvaluationBatchSize, classCount: Int? = nil,
    loss: (_ logits: Tensor<Scalar>, _ labels: [Int]) -> Tensor<Scalar> = { crossEntropy(logits: $0, labels: $1, reduction: .sum) }
) -> Evaluation {
    require(batchSize > 0, "evaluate: batchSize must be positive, got \(batchSize)")
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    var totalLoss = 0.0
    var predictions: [Int] = []
    predictions.reserveCapacity(dataset.labels.count)
    var outputWidth = 0
    withoutGradients {
        var start = 0
        while start < dataset.count {
            let end = start + Swift.min(batchSize, dataset.count - start)
            let logits = model(dataset.features.rows(start..<end))
            outputWidth = logits.rank >= 2 ? logits.shape[1] : 0
            totalLoss += Double(loss(logits, dataset.labels(of: start..<end)).scalar)
            predictions += logits.argmax(along: 1)
            start = end
        }
    }
    let classes = classCount ?? Swift.max(outputWidth, dataset.classCount)
    return Evaluation(loss: totalLoss / Double(Swift.max(dataset.labels.count, 1)), predictions: predictions,
                      report: ClassificationReport(predictions: predictions, labels: dataset.labels, classCount: classes))
}

/// Evaluates any model on `data` in evaluation mode (dropout off, running statistics),
/// `batchSize` examples at a time, without recording a tape; the model's mode is restored after.
/// Returns the mean `loss` (per example, each batch's mean weighted by its examples) under
/// `"loss"` and each metric under its ``Metric/name``.
///
/// ```swift
/// let values = try evaluate(model, on: test, loss: .meanSquaredError, metrics: [.rootMeanSquaredError, .r2])
/// print(values["rmse"]!, values["r2"]!)
/// ```
public func evaluate<Scalar: TensorScalar>(
    _ model: some Layer<Scalar>, on data: some ExampleSource<Scalar>, loss: Loss<Scalar>, metrics: [Metric],
    batchSize: Int = defaultEvaluationBatchSize
) throws -> [String: Double] {
    if let problem = loss.problem(for: data.targetLayout) ?? metrics.lazy.compactMap({ $0.problem(for: data.targetLayout) }).first {
        throw EvaluationError(reason: problem)
    }
    let totals = try evaluationTotals(model, on: data, range: 0..<data.count, loss: loss, metrics: metrics, batchSize: batchSize)
    return Dictionary(totals.values.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
}

/// The model's output does not fit the data's targets, or a loss or metric does not apply to them.
public struct EvaluationError: Error, CustomStringConvertible, Equatable {
    /// What does not fit.
    public var reason: String
    public var description: String { "cannot evaluate: \(reason)" }
}

/// The loss and metric sums of `model` over examples `range` of `data`, in evaluation mode.
func evaluationTotals<Scalar: TensorScalar>(
    _ model: some Layer<Scalar>, on data: some ExampleSource<Scalar>, range: Range<Int>, loss: Loss<Scalar>, metrics: [Metric],
    batchSize: Int = defaultEvaluationBatchSize
) throws -> MetricTotals {
    require(batchSize > 0, "evaluate: batchSize must be positive, got \(batchSize)")
    let wasTraining = model.isTraining
    model.setTraining(false)
    defer { model.setTraining(wasTraining) }
    var totals = MetricTotals(metrics: metrics, layout: data.targetLayout)
    totals.offsets = try MetricTotals.offsets(for: metrics, of: data)
    try withoutGradients {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = start + Swift.min(batchSize, range.upperBound - start)
            let examples = try data.examples(at: Array(start..<end))
            let output = model(examples.features)
            if let problem = loss.problem(outputShape: output.shape, batch: examples.count, layout: examples.targetLayout) {
                throw EvaluationError(reason: problem)
            }
            totals.add(loss: Double(loss(output, examples.targets).scalar), examples: examples.count, output: output, targets: examples.targets)
            start = end
        }
    }
    return totals
}
