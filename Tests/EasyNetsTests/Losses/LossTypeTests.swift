import Foundation
import Testing
@testable import EasyNets

// The `Loss` values the Trainer minimizes: each against a plain loop over the values, the
// targets and output shapes each refuses, and a closure's loss.

@Suite struct LossTypeTests {
    let output = randomTensor([5, 3], in: -3...3, seed: 21)
    let target = randomTensor([5, 3], in: -3...3, seed: 22)
    var differences: [Double] { zip(output.scalars, target.scalars).map { $0 - $1 } }

    /// The mean over the 15 values of `f` of each difference.
    func meanOfDifferences(_ f: (Double) -> Double) -> Double { differences.reduce(0) { $0 + f($1) } / 15 }

    @Test func regressionLossesAreMeansOverEveryValue() {
        let targets = Targets.values(target)
        expectClose(Loss.meanSquaredError(output, targets).scalar, meanOfDifferences { $0 * $0 }, tolerance: 1e-14)
        expectClose(Loss.l1(output, targets).scalar, meanOfDifferences { abs($0) }, tolerance: 1e-14)
        for delta in [0.5, 1, 2.5] {
            let huber = meanOfDifferences { abs($0) < delta ? 0.5 * $0 * $0 : delta * (abs($0) - 0.5 * delta) }
            expectClose(Loss.huber(delta: delta)(output, targets).scalar, huber, tolerance: 1e-14, "delta \(delta)")
            let smooth = meanOfDifferences { abs($0) < delta ? 0.5 * $0 * $0 / delta : abs($0) - 0.5 * delta }
            expectClose(Loss.smoothL1(beta: delta)(output, targets).scalar, smooth, tolerance: 1e-14, "beta \(delta)")
        }
        // Some differences fall on each side of the thresholds.
        #expect(differences.contains { abs($0) < 0.5 } && differences.contains { abs($0) > 2.5 })
    }

    @Test func binaryCrossEntropyWithLogitsAgainstSoftTargets() {
        let soft = randomTensor([5, 3], in: 0...1, seed: 23)
        let expected = zip(output.scalars, soft.scalars).reduce(0.0) { total, pair in
            let (x, y) = pair, p = 1 / (1 + Foundation.exp(-x))
            return total - (y * Foundation.log(p) + (1 - y) * Foundation.log(1 - p))
        } / 15
        expectClose(Loss.binaryCrossEntropyWithLogits(output, .values(soft)).scalar, expected, tolerance: 1e-14)
    }

    @Test func crossEntropyWithAndWithoutLabelSmoothing() {
        let labels = [2, 0, 1, 1, 2]
        let targets = Targets<Double>.classes(IndexTensor(labels))
        func handLoss(smoothing: Double) -> Double {
            (0..<5).reduce(0.0) { total, i in
                let row = Array(output.scalars[i * 3 ..< i * 3 + 3]), top = row.max()!
                let logSum = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
                let logP = row.map { $0 - logSum }
                return total - (1 - smoothing) * logP[labels[i]] - smoothing * logP.reduce(0, +) / 3
            } / 5
        }
        expectClose(Loss.crossEntropy(output, targets).scalar, handLoss(smoothing: 0), tolerance: 1e-14)
        expectClose(Loss.crossEntropy(labelSmoothing: 0.2)(output, targets).scalar, handLoss(smoothing: 0.2), tolerance: 1e-14)
    }

    @Test func eachLossTakesItsKindOfTargets() {
        let classes = TargetLayout.classes([]), values = TargetLayout.values([3])
        #expect(Loss<Double>.crossEntropy.problem(for: classes) == nil)
        #expect(Loss<Double>.crossEntropy.problem(for: values) == "the cross-entropy loss takes class indices, but the targets are values of shape [3] per example")
        let regression: [Loss<Double>] = [.meanSquaredError, .l1, .huber(), .smoothL1(), .binaryCrossEntropyWithLogits]
        for loss in regression {
            #expect(loss.problem(for: values) == nil, "\(loss.name)")
            #expect(loss.problem(for: classes) == "the \(loss.name) loss takes values, but the targets are class indices of shape [] per example")
        }
        let closure = Loss<Double>(name: "any") { output, _ in output.sum() }
        #expect(closure.problem(for: classes) == nil && closure.problem(for: values) == nil && closure.targets == nil)
    }

    @Test func lossesNameTheShapesThatDoNotFit() {
        let values = TargetLayout.values([2])
        #expect(Loss<Double>.meanSquaredError.problem(outputShape: [4, 2], batch: 4, layout: values) == nil)
        #expect(Loss<Double>.meanSquaredError.problem(outputShape: [4, 1], batch: 4, layout: values)
                == "the model's output has shape [4, 1] for a batch of 4, but targets of values of shape [2] per example need an output of shape (4, 2)")
        let sequence = TargetLayout.classes([6])
        #expect(Loss<Double>.crossEntropy.problem(outputShape: [3, 10, 6], batch: 3, layout: sequence) == nil)
        #expect(Loss<Double>.crossEntropy.problem(outputShape: [3, 6, 10], batch: 3, layout: sequence)?
            .contains("need an output of shape (3, classes, 6)") == true)
        #expect(Loss<Double>.crossEntropy.problem(outputShape: [3, 10], batch: 3, layout: sequence) != nil)
        // A closure checks its own shapes.
        let closure = Loss<Double>(name: "any") { output, _ in output.sum() }
        #expect(closure.problem(outputShape: [4, 1], batch: 4, layout: values) == nil)
    }

    @Test func theToolsLossKindsAreTheLibrarysLosses() {
        let names = LossKind.allCases.map { ($0.rawValue, ($0.makeLoss() as Loss<Double>).name) }
        #expect(names.map(\.0) == ["cross-entropy", "mse", "l1", "huber", "bce"])
        #expect(names.map(\.1) == ["cross-entropy", "mse", "l1", "huber", "bce-with-logits"])
    }

    @Test func aClosureLossMustReturnOneValue() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let loss = Loss<Double>(name: "per value") { output, _ in output }
            _ = loss(Tensor<Double>.zeros([2, 2]), .values(Tensor<Double>.zeros([2, 2])))
        }
        expectMessage(result, names: ["Loss per value: the loss must be one value, it has shape [2, 2]"])
    }
}
