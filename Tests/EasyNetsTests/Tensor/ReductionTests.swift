import Foundation
import Testing
@testable import EasyNets

/// The plain-loop reference for a reduction: groups the elements that share their non-reduced
/// indices and combines each group (`axes` empty means all axes; negative axes count from the end).
private func naiveReduce(
    _ x: Tensor<Double>, axes: [Int], keepingDims: Bool, _ combine: ([Double]) -> Double
) -> Tensor<Double> {
    let reduced = Set((axes.isEmpty ? Array(0..<x.rank) : axes).map { $0 < 0 ? $0 + x.rank : $0 })
    let keptShape = x.shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
    var groups = [[Double]](repeating: [], count: keptShape.reduce(1, *))
    for index in allIndices(of: x.shape) {
        let kept = index.enumerated().map { reduced.contains($0.offset) ? 0 : $0.element }
        groups[flatOffset(kept, in: keptShape)].append(x.scalars[flatOffset(index, in: x.shape)])
    }
    let shape = keepingDims ? keptShape
        : x.shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
    return Tensor(groups.map(combine), shape: shape)
}

private func naiveSum(_ v: [Double]) -> Double { v.reduce(0, +) }
private func naiveMean(_ v: [Double]) -> Double { naiveSum(v) / Double(v.count) }
private func naiveVariance(correction: Int) -> ([Double]) -> Double {
    { v in
        let m = naiveMean(v)
        return v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - correction)
    }
}
private func naiveLogSumExp(_ v: [Double]) -> Double { Foundation.log(v.map { Foundation.exp($0) }.reduce(0, +)) }

/// The first index of the best element along `axis`, for every position of the other axes.
private func naiveArgExtreme(_ x: Tensor<Double>, axis: Int, better: (Double, Double) -> Bool) -> [Int] {
    let axis = axis < 0 ? axis + x.rank : axis
    var outShape = x.shape
    outShape.remove(at: axis)
    return allIndices(of: outShape).map { outer in
        var bestIndex = 0
        for k in 0..<x.shape[axis] {
            var index = outer
            index.insert(k, at: axis)
            var bestAt = outer
            bestAt.insert(bestIndex, at: axis)
            if better(x.scalars[flatOffset(index, in: x.shape)], x.scalars[flatOffset(bestAt, in: x.shape)]) {
                bestIndex = k
            }
        }
        return bestIndex
    }
}

@Suite("Reductions")
struct ReductionTests {
    static let axisCases: [[Int]] = [[0], [1], [2], [-1], [-3], [0, 2], [-1, 0], [1, 2], [0, 1, 2], []]

    @Test(arguments: axisCases, [false, true])
    func reductionsMatchNaiveLoops(axes: [Int], keepingDims: Bool) {
        let x = randomTensor([2, 3, 4], seed: 31)
        let cases: [(String, Tensor<Double>, ([Double]) -> Double)] = [
            ("sum", x.sum(alongAxes: axes, keepingDims: keepingDims), naiveSum),
            ("mean", x.mean(alongAxes: axes, keepingDims: keepingDims), naiveMean),
            ("max", x.max(alongAxes: axes, keepingDims: keepingDims), { $0.max()! }),
            ("min", x.min(alongAxes: axes, keepingDims: keepingDims), { $0.min()! }),
            ("variance0", x.variance(alongAxes: axes, correction: 0, keepingDims: keepingDims),
             naiveVariance(correction: 0)),
            ("variance1", x.variance(alongAxes: axes, correction: 1, keepingDims: keepingDims),
             naiveVariance(correction: 1)),
            ("variance(default)", x.variance(alongAxes: axes, keepingDims: keepingDims),
             naiveVariance(correction: 1)),
            ("logSumExp", x.logSumExp(alongAxes: axes, keepingDims: keepingDims), naiveLogSumExp),
        ]
        for (name, actual, combine) in cases {
            expectClose(actual, naiveReduce(x, axes: axes, keepingDims: keepingDims, combine),
                        tolerance: 1e-14, "\(name) over \(axes), keepingDims \(keepingDims)")
        }
    }

    @Test(arguments: [0, 1, -1], [false, true])
    func singleAxisFormsMatchNaiveLoops(axis: Int, keepingDims: Bool) {
        let x = randomTensor([3, 5], seed: 32)
        let k = keepingDims
        expectClose(x.sum(along: axis, keepingDims: k), naiveReduce(x, axes: [axis], keepingDims: k, naiveSum), tolerance: 1e-15)
        expectClose(x.mean(along: axis, keepingDims: k), naiveReduce(x, axes: [axis], keepingDims: k, naiveMean), tolerance: 1e-15)
        expectClose(x.max(along: axis, keepingDims: k), naiveReduce(x, axes: [axis], keepingDims: k) { $0.max()! }, tolerance: 0)
        expectClose(x.min(along: axis, keepingDims: k), naiveReduce(x, axes: [axis], keepingDims: k) { $0.min()! }, tolerance: 0)
        expectClose(x.variance(along: axis, correction: 0, keepingDims: k),
                    naiveReduce(x, axes: [axis], keepingDims: k, naiveVariance(correction: 0)), tolerance: 1e-15)
        expectClose(x.variance(along: axis, keepingDims: k),
                    naiveReduce(x, axes: [axis], keepingDims: k, naiveVariance(correction: 1)), tolerance: 1e-15)
        expectClose(x.logSumExp(along: axis, keepingDims: k),
                    naiveReduce(x, axes: [axis], keepingDims: k, naiveLogSumExp), tolerance: 1e-15)
    }

    @Test func handValues() {
        let x = Tensor<Double>([[1, 2], [3, 4]])
        #expect(x.sum().scalar == 10)
        #expect(x.sum().shape == [])
        #expect(x.sum(keepingDims: true).shape == [1, 1])
        #expect(x.sum(along: 0).scalars == [4, 6])
        #expect(x.sum(along: 1, keepingDims: true).shape == [2, 1])
        #expect(x.mean().scalar == 2.5)
        #expect(x.max().scalar == 4)
        #expect(x.min(along: 1).scalars == [1, 3])
        // Σ(x − 2.5)² = 5: population variance 5/4, unbiased 5/3.
        #expect(x.variance(correction: 0).scalar == 1.25)
        expectClose(x.variance().scalar, 5.0 / 3, tolerance: 1e-15)
        expectClose(Tensor<Double>([0, 0]).logSumExp().scalar, Foundation.log(2), tolerance: 1e-15)
        #expect(Tensor<Double>(3).sum().scalar == 3)
        #expect(Tensor<Double>.zeros([0, 3]).sum(along: 0).scalars == [0, 0, 0])
    }

    @Test(arguments: [1, 7, 8, 9, 37, 1000])
    func longSumsAreAccurate(length: Int) {
        // Contiguous sums (the reduced axis is the last) in Float against a Double loop: the error
        // of a length-n sum of values in [0, 1] is at most n·u·Σ|x| (u = 2⁻²⁴), well under that here.
        let x: Tensor<Float> = randomTensor([3, length], in: 0...1, seed: UInt64(length))
        let reference = (0..<3).map { i in (0..<length).map { Double(x[i, $0]) }.reduce(0, +) }
        let sums = x.sum(along: 1).scalars.map(Double.init)
        for i in 0..<3 {
            #expect(Swift.abs(sums[i] - reference[i]) <= Double(length) * 0x1p-24 * reference[i],
                    "row \(i): \(sums[i]) vs \(reference[i])")
        }
        // The same rows reduced along the non-contiguous first axis of the transpose.
        expectClose(asDouble(x.transposed().sum(along: 0)), asDouble(x.sum(along: 1)),
                    tolerance: Double(length) * 0x1p-24)
    }

    @Test func maxAndMinPropagateNaN() {
        let row = Tensor<Double>([[1, .nan, 3, 0]])
        #expect(row.max(along: 1).scalar.isNaN)
        #expect(row.min(along: 1).scalar.isNaN)
        #expect(row.transposed().max(along: 0).scalar.isNaN)
        #expect(row.transposed().min(along: 0).scalar.isNaN)
        let column = Tensor<Double>([[.nan, 1], [2, 5], [-1, .nan]])
        let maxima = column.max(along: 0).scalars
        #expect(maxima[0].isNaN && maxima[1].isNaN)
    }

    // MARK: argmax and argmin

    @Test(arguments: [0, 1, 2, -1])
    func argExtremaMatchNaiveLoops(axis: Int) {
        // Values from a small set, so ties are common: the first index must win.
        let x = Tensor<Double>(randomTensor([3, 4, 5], in: 0...3, seed: 33).scalars.map { $0.rounded(.down) },
                               shape: [3, 4, 5])
        #expect(x.argmax(along: axis) == naiveArgExtreme(x, axis: axis, better: >))
        #expect(x.argmin(along: axis) == naiveArgExtreme(x, axis: axis, better: <))
    }

    @Test func argExtremaTiesGoToTheFirstIndex() {
        let x = Tensor<Double>([[3, 1, 3, 1], [0, 0, 0, 0], [-1, 2, 2, -1]])
        #expect(x.argmax(along: 1) == [0, 0, 1])
        #expect(x.argmin(along: 1) == [1, 0, 0])
        #expect(x.argmax(along: 0) == [0, 2, 0, 0])
        #expect(x.argmin(along: 0) == [2, 1, 1, 2])
        #expect(Tensor<Float>([5, 9, 9, 2]).argmax(along: 0) == [1])
    }
}
