import Foundation
import EasyNets

// Plain-loop computations the documentation tests compare the examples' results with: no tensor
// op of the library, only the tensors' values.

/// The predicted class (first largest score) and the cross-entropy of each example of (N, C)
/// scores, computed in Double with a max-shifted log-sum-exp.
func plainPredictionsAndLosses<Scalar: TensorScalar>(scores: Tensor<Scalar>, labels: [Int]) -> (predictions: [Int], losses: [Double]) {
    precondition(scores.shape.count == 2 && scores.shape[0] == labels.count)
    let (n, c) = (scores.shape[0], scores.shape[1])
    let values = scores.scalars.map { Double($0) }
    var predictions: [Int] = [], losses: [Double] = []
    for i in 0..<n {
        let row = Array(values[(i * c)..<((i + 1) * c)])
        var best = 0
        for j in 1..<c where row[j] > row[best] { best = j }
        let top = row[best]
        let logSumExp = top + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp($1 - top) })
        predictions.append(best)
        losses.append(logSumExp - row[labels[i]])
    }
    return (predictions, losses)
}

/// The accuracy and mean cross-entropy of (N, C) scores against labels, by plain loops.
func plainAccuracyAndLoss<Scalar: TensorScalar>(scores: Tensor<Scalar>, labels: [Int]) -> (accuracy: Double, loss: Double) {
    let (predictions, losses) = plainPredictionsAndLosses(scores: scores, labels: labels)
    let correct = zip(predictions, labels).filter { $0 == $1 }.count
    return (Double(correct) / Double(labels.count), losses.reduce(0, +) / Double(losses.count))
}

/// Scores (N, C, L) with the class axis second, rearranged to (N·L, C) rows in the order of the
/// labels of a dataset with label shape [L] (example by example, position by position).
func rowsPerPosition<Scalar: TensorScalar>(_ scores: Tensor<Scalar>) -> Tensor<Scalar> {
    let (n, c, l) = (scores.shape[0], scores.shape[1], scores.shape[2])
    let values = scores.scalars
    var rows: [Scalar] = []
    for example in 0..<n {
        for position in 0..<l {
            for k in 0..<c { rows.append(values[(example * c + k) * l + position]) }
        }
    }
    return Tensor(rows, shape: [n * l, c])
}

/// y = x·Wᵀ + b for one row x, W of shape (out, in), by plain loops in Double.
func plainAffine<Scalar: TensorScalar>(_ x: [Double], weight: Tensor<Scalar>, bias: Tensor<Scalar>?) -> [Double] {
    let (out, inputs) = (weight.shape[0], weight.shape[1])
    let w = weight.scalars.map { Double($0) }, b = bias?.scalars.map { Double($0) }
    var y = [Double](repeating: 0, count: out)
    for o in 0..<out {
        var sum: Double = b?[o] ?? 0
        for i in 0..<inputs { sum += w[o * inputs + i] * x[i] }
        y[o] = sum
    }
    return y
}

/// The logistic function in Double.
func plainSigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
