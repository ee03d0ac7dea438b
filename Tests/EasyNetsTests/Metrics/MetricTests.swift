import Foundation
import Testing
@testable import EasyNets

// Every metric against a plain loop over the values it measures. The model is the identity, so
// the dataset's features are the scores (or outputs) the metrics see; `evaluate` runs in batches
// of 4, so each value is also summed across batches.

/// The metrics `evaluate` reports for `outputs` against `targets`, four examples at a time.
private func measured(_ outputs: Tensor<Double>, _ targets: Targets<Double>, _ metrics: [Metric],
                      loss: Loss<Double>) throws -> [String: Double] {
    try evaluate(Sequential<Double> { Identity() }, on: Dataset(features: outputs, targets: targets), loss: loss, metrics: metrics, batchSize: 4)
}

/// `count` class indices below `classes`, the same for the same `seed`.
private func randomLabels(_ count: Int, classes: Int, seed: UInt64) -> [Int] {
    var generator = RandomGenerator(seed: seed)
    return (0..<count).map { _ in Int(generator.next() % UInt64(classes)) }
}

/// Scores (N, C, L) and labels (N, L), read as `scores[n][c][l]` and `labels[n][l]`.
private struct PositionScores {
    let n: Int, c: Int, l: Int
    let scores: [Double], labels: [Int]
    func score(_ example: Int, _ cls: Int, _ position: Int) -> Double { scores[(example * c + cls) * l + position] }
    func label(_ example: Int, _ position: Int) -> Int { labels[example * l + position] }
    /// Every (example, position) pair.
    var pairs: [(Int, Int)] { (0..<n).flatMap { e in (0..<l).map { (e, $0) } } }
}

/// The two-pass R² of one output: 1 − Σ(y − ŷ)² / Σ(y − ȳ)²; for targets that do not vary, 1
/// when predicted exactly and 0 otherwise.
private func handR2(_ y: [Double], _ prediction: [Double]) -> Double {
    let mean = y.reduce(0, +) / Double(y.count)
    let spread = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    let residual = zip(y, prediction).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    if y.allSatisfy({ $0 == y[0] }) { return residual == 0 ? 1 : 0 }
    return 1 - residual / spread
}

@Suite struct MetricTests {
    @Test func accuracyPerExample() throws {
        let (n, c) = (11, 4)
        let scores = randomTensor([n, c], seed: 1), labels = randomLabels(n, classes: c, seed: 2)
        var correct = 0
        for i in 0..<n {
            let row = Array(scores.scalars[i * c ..< (i + 1) * c])
            if row.firstIndex(of: row.max()!) == labels[i] { correct += 1 }
        }
        #expect(correct > 0 && correct < n, "the case distinguishes right from wrong")
        let values = try measured(scores, .classes(IndexTensor(labels, shape: [n])), [.accuracy], loss: .crossEntropy)
        #expect(values["accuracy"] == Double(correct) / Double(n))
    }

    @Test func accuracyAndBitsPerCharacterPerPosition() throws {
        let (n, c, l) = (7, 5, 3)
        let scores = randomTensor([n, c, l], in: -3...3, seed: 3)
        let data = PositionScores(n: n, c: c, l: l, scores: scores.scalars, labels: randomLabels(n * l, classes: c, seed: 4))
        var correct = 0, nats = 0.0
        for (e, p) in data.pairs {
            let column = (0..<c).map { data.score(e, $0, p) }
            if column.firstIndex(of: column.max()!) == data.label(e, p) { correct += 1 }
            let top = column.max()!
            nats += top + Foundation.log(column.reduce(0) { $0 + Foundation.exp($1 - top) }) - data.score(e, data.label(e, p), p)
        }
        let count = Double(n * l)
        let values = try measured(scores, .classes(IndexTensor(data.labels, shape: [n, l])), [.accuracy, .bitsPerCharacter],
                                  loss: .crossEntropy)
        #expect(values["accuracy"] == Double(correct) / count, "labels are counted per position, not per example")
        expectClose(try #require(values["bits_per_character"]), nats / count / Foundation.log(2), tolerance: 1e-13)
        expectClose(try #require(values["loss"]), nats / count, tolerance: 1e-13)
    }

    @Test func topKCountsTiesAsDocumented() throws {
        // A label is correct when fewer than k classes score strictly higher than it: a tie with
        // the best counts for every tied class.
        let scores = Tensor<Double>([[1, 2, 2, 0], [3, 3, 3, 3], [0, 1, 2, 3], [5, 4, 4, 4], [0, 2, 1, 0]])
        let labels = [1, 3, 0, 2, 3]
        let expected: [Int: [Bool]] = [
            1: [true, true, false, false, false],
            2: [true, true, false, true, false],
            3: [true, true, false, true, true],
        ]
        for (k, correct) in expected.sorted(by: { $0.key < $1.key }) {
            // The documented rule as a plain loop agrees with the hand-written answers.
            let rule = labels.enumerated().map { i, label in
                (0..<4).filter { scores.scalars[i * 4 + $0] > scores.scalars[i * 4 + label] }.count < k
            }
            #expect(rule == correct, "k = \(k)")
            let values = try measured(scores, .classes(IndexTensor(labels)), [.topKAccuracy(k)], loss: .crossEntropy)
            #expect(values["top\(k)_accuracy"] == Double(correct.filter { $0 }.count) / 5, "k = \(k)")
        }
    }

    @Test func topKPerPosition() throws {
        let (n, c, l) = (6, 6, 4)
        // Scores rounded to halves, so some classes tie.
        let scores = Tensor(randomTensor([n, c, l], in: -2...2, seed: 5).scalars.map { ($0 * 2).rounded() / 2 }, shape: [n, c, l])
        let data = PositionScores(n: n, c: c, l: l, scores: scores.scalars, labels: randomLabels(n * l, classes: c, seed: 6))
        for k in [1, 2, 4] {
            let correct = data.pairs.filter { e, p in
                (0..<c).filter { data.score(e, $0, p) > data.score(e, data.label(e, p), p) }.count < k
            }.count
            let values = try measured(scores, .classes(IndexTensor(data.labels, shape: [n, l])), [.topKAccuracy(k)], loss: .crossEntropy)
            #expect(values["top\(k)_accuracy"] == Double(correct) / Double(n * l), "k = \(k)")
        }
    }

    @Test func meanAbsoluteAndRootMeanSquaredError() throws {
        let output = randomTensor([9, 3], in: -2...2, seed: 7), target = randomTensor([9, 3], in: -2...2, seed: 8)
        let differences = zip(output.scalars, target.scalars).map { $0 - $1 }
        let mae = differences.reduce(0) { $0 + abs($1) } / 27
        let rmse = (differences.reduce(0) { $0 + $1 * $1 } / 27).squareRoot()
        let values = try measured(output, .values(target), [.meanAbsoluteError, .rootMeanSquaredError], loss: .meanSquaredError)
        expectClose(try #require(values["mae"]), mae, tolerance: 1e-14)
        expectClose(try #require(values["rmse"]), rmse, tolerance: 1e-14)
        expectClose(try #require(values["loss"]), rmse * rmse, tolerance: 1e-14)
    }

    @Test func r2IsAveragedUniformlyOverOutputs() throws {
        // Three outputs of different spreads: the mean of per-output R², not one pooled R².
        let n = 10
        let (scales, offsets): ([Double], [Double]) = ([1, 10, 0.1], [0, 2, -1])
        let unit = randomTensor([n, 3], in: -1...1, seed: 9).scalars
        let target = Tensor<Double>(unit.indices.map { i in unit[i] * scales[i % 3] + offsets[i % 3] }, shape: [n, 3])
        let output = target + randomTensor([n, 3], in: -0.3...0.3, seed: 10)
        let columns = (0..<3).map { o in handR2(stride(from: o, to: 3 * n, by: 3).map { target.scalars[$0] },
                                                stride(from: o, to: 3 * n, by: 3).map { output.scalars[$0] }) }
        let values = try measured(output, .values(target), [.r2], loss: .meanSquaredError)
        expectClose(try #require(values["r2"]), columns.reduce(0, +) / 3, tolerance: 1e-12)
        // The pooled R² differs, so the test tells the two apart.
        let pooled = handR2(target.scalars, output.scalars)
        #expect(abs(pooled - columns.reduce(0, +) / 3) > 1e-3)
    }

    @Test func r2OfTargetsFarFromZeroThatVaryLittle() throws {
        // Targets near 10⁸ varying by about ±1: one-pass sums of y and y² would lose the spread
        // (10¹⁶ against 1), sums taken relative to the first example's target keep it.
        let n = 40
        let unit = randomTensor([n, 1], in: -1...1, seed: 12).scalars
        let target = Tensor<Double>(unit.map { 1e8 + $0 }, shape: [n, 1])
        let noise = randomTensor([n, 1], in: -0.2...0.2, seed: 13)
        let output = target + noise
        let expected = handR2(target.scalars, output.scalars)
        #expect(expected > 0.5 && expected < 0.99, "the case must have a real spread and a real error: \(expected)")
        let values = try measured(output, .values(target), [.r2], loss: .meanSquaredError)
        expectClose(try #require(values["r2"]), expected, tolerance: 1e-9)
    }

    @Test(arguments: [0.1, 0.7, 2.2, 1000.1])
    func r2OfAConstantTargetIsOneWhenExactAndZeroOtherwise(constant: Double) throws {
        // Two outputs: one that varies, and one whose targets are all `constant` (whose one-pass
        // spread Σy² − (Σy)²/n is rounding noise, not zero).
        let n = 7
        let varying = (0..<n).map { Double($0) * 0.5 - 1 }
        let target = Tensor((0..<n).flatMap { [varying[$0], constant] }, shape: [n, 2])
        let close = (0..<n).map { varying[$0] + 0.1 * Double($0 % 3 - 1) }
        for constantPrediction in [constant, constant + 0.01] {
            let output = Tensor((0..<n).flatMap { [close[$0], constantPrediction] }, shape: [n, 2])
            let expected = (handR2(varying, close) + handR2(Array(repeating: constant, count: n),
                                                            Array(repeating: constantPrediction, count: n))) / 2
            let values = try measured(output, .values(target), [.r2], loss: .meanSquaredError)
            expectClose(try #require(values["r2"]), expected, tolerance: 1e-12, "constant \(constant), predicted \(constantPrediction)")
        }
    }

    @Test func multiLabelAccuracyComparesPositiveLogitsWithTargetsAboveOneHalf() throws {
        // Logit 0 is not positive; a target of exactly ½ is not above ½.
        let logits = Tensor<Double>([[2, -1, 0, 0.3], [-0.5, 0.5, 1, -2], [0, 0, -3, 4]])
        let targets = Tensor<Double>([[1, 0, 0, 0.5], [0, 1, 0.7, 0.2], [1, 0.5, 0, 1]])
        var correct = 0
        for i in 0..<12 where (logits.scalars[i] > 0) == (targets.scalars[i] > 0.5) { correct += 1 }
        #expect(correct == 10)
        let values = try measured(logits, .values(targets), [.accuracy], loss: .binaryCrossEntropyWithLogits)
        #expect(values["accuracy"] == Double(correct) / 12)
    }

    @Test func namesRoundTrip() {
        let all: [Metric] = [.accuracy, .topKAccuracy(1), .topKAccuracy(5), .topKAccuracy(12), .bitsPerCharacter,
                             .meanAbsoluteError, .rootMeanSquaredError, .r2]
        #expect(all.map(\.name) == ["accuracy", "top1_accuracy", "top5_accuracy", "top12_accuracy", "bits_per_character",
                                    "mae", "rmse", "r2"])
        for metric in all { #expect(Metric(name: metric.name) == metric, "\(metric)") }
        let bad = ["", "top0_accuracy", "top-1_accuracy", "topx_accuracy", "top_accuracy", "top5accuracy", "top05_accuracy",
                   "top+5_accuracy", "top1000001_accuracy", "Accuracy", "loss", "r²"]
        for bad in bad {
            #expect(Metric(name: bad) == nil, "\(bad)")
        }
    }

    @Test func metricsApplyOnlyToTheirTargets() {
        let classes = TargetLayout.classes([]), sequence = TargetLayout.classes([8]), values = TargetLayout.values([2])
        for metric in [Metric.meanAbsoluteError, .rootMeanSquaredError, .r2] {
            #expect(metric.problem(for: values) == nil)
            for layout in [classes, sequence] {
                let problem = metric.problem(for: layout)
                #expect(problem?.contains(metric.name) == true && problem?.contains("\(layout)") == true, "\(metric) on \(layout)")
            }
        }
        for metric in [Metric.topKAccuracy(3), .bitsPerCharacter] {
            #expect(metric.problem(for: classes) == nil && metric.problem(for: sequence) == nil)
            #expect(metric.problem(for: values)?.contains("applies to class indices") == true, "\(metric)")
        }
        #expect([classes, sequence, values].allSatisfy { Metric.accuracy.problem(for: $0) == nil })
        #expect(Metric.topKAccuracy(0).problem(for: classes)?.contains("k ≥ 1") == true)
        #expect(Metric.defaults(for: classes) == [.accuracy] && Metric.defaults(for: sequence) == [.accuracy])
        #expect(Metric.defaults(for: values) == [.meanAbsoluteError, .rootMeanSquaredError, .r2])
    }
}
