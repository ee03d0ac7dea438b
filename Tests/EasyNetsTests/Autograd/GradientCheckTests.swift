import Testing
@testable import EasyNets

// Every differentiable op against central finite differences (Double, maximum absolute and
// relative error ≤ 1e-6), one line per case. Inputs avoid kinks (0 for relu/abs, bounds for
// clamped, ties for max/min/maximum/minimum) and keep log/sqrt/pow bases positive.

/// Uniform values in -1...1.
private func r(_ shape: [Int], _ seed: UInt64) -> Tensor<Double> { randomTensor(shape, seed: seed) }
/// Uniform values in 0.5...2 (positive bases and denominators).
private func p(_ shape: [Int], _ seed: UInt64) -> Tensor<Double> { randomTensor(shape, in: 0.5...2, seed: seed) }
/// Magnitudes 0.2...1.5 with random signs (away from 0).
private func s(_ shape: [Int], _ seed: UInt64) -> Tensor<Double> { randomSignedTensor(shape, seed: seed) }

@Suite("Gradient checks")
struct GradientCheckTests {
    // MARK: Binary arithmetic with broadcasting

    @Test func add() {
        expectGradientsMatch([r([3, 1], 1), r([1, 4], 2)]) { $0[0] + $0[1] }
        expectGradientsMatch([r([2, 3], 3), r([3], 4)]) { $0[0] + $0[1] }
        expectGradientsMatch([r([3], 3), r([2, 3], 4)]) { $0[0] + $0[1] }
        expectGradientsMatch([r([2, 3], 5), r([], 6)]) { $0[0] + $0[1] }
        expectGradientsMatch([r([2, 3], 7)]) { $0[0] + 2.5 }
        expectGradientsMatch([r([2, 3], 8)]) { 2.5 + $0[0] }
    }

    @Test func subtract() {
        expectGradientsMatch([r([3, 1], 11), r([1, 4], 12)]) { $0[0] - $0[1] }
        expectGradientsMatch([r([2, 3], 13), r([3], 14)]) { $0[0] - $0[1] }
        expectGradientsMatch([r([3], 13), r([2, 3], 14)]) { $0[0] - $0[1] }
        expectGradientsMatch([r([2, 3], 15)]) { $0[0] - 1.5 }
        expectGradientsMatch([r([2, 3], 16)]) { 1.5 - $0[0] }
        expectGradientsMatch([r([2, 3], 17)]) { -$0[0] }
    }

    @Test func multiply() {
        expectGradientsMatch([r([3, 1], 21), r([1, 4], 22)]) { $0[0] * $0[1] }
        expectGradientsMatch([r([2, 3], 23), r([3], 24)]) { $0[0] * $0[1] }
        expectGradientsMatch([r([3], 23), r([2, 3], 24)]) { $0[0] * $0[1] }
        expectGradientsMatch([r([2, 3], 25), r([], 26)]) { $0[0] * $0[1] }
        expectGradientsMatch([r([2, 3], 27)]) { $0[0] * -3 }
        expectGradientsMatch([r([2, 3], 28)]) { -3 * $0[0] }
    }

    @Test func divide() {
        expectGradientsMatch([r([3, 1], 31), p([1, 4], 32)]) { $0[0] / $0[1] }
        expectGradientsMatch([r([2, 3], 33), p([3], 34)]) { $0[0] / $0[1] }
        expectGradientsMatch([r([3], 33), p([2, 3], 34)]) { $0[0] / $0[1] }
        expectGradientsMatch([r([2, 3], 35)]) { $0[0] / 4 }
        expectGradientsMatch([p([2, 3], 36)]) { 2 / $0[0] }
    }

    @Test func power() {
        expectGradientsMatch([p([2, 3], 41)]) { pow($0[0], 3) }
        expectGradientsMatch([p([2, 3], 42)]) { pow($0[0], 2) }
        expectGradientsMatch([p([2, 3], 43)]) { pow($0[0], 0.5) }
        expectGradientsMatch([p([2, 3], 44)]) { pow($0[0], -1.5) }
        expectGradientsMatch([s([2, 3], 45)]) { pow($0[0], 3) }  // negative base, integer exponent
        expectGradientsMatch([p([2, 3], 46), r([2, 3], 47)]) { pow($0[0], $0[1]) }
        expectGradientsMatch([p([3, 1], 48), r([1, 4], 49)]) { pow($0[0], $0[1]) }
        expectGradientsMatch([p([2, 3], 50), r([3], 51)]) { pow($0[0], $0[1]) }
    }

    @Test func maximumAndMinimum() {
        // Fixed values: no ties within the finite-difference step.
        let a = Tensor<Double>([[0.3, -1.2, 0.9], [1.4, 0.1, -0.6]])
        let b = Tensor<Double>([[-0.4, 0.7, 1.1], [0.2, -0.9, -0.5]])
        expectGradientsMatch([a, b]) { maximum($0[0], $0[1]) }
        expectGradientsMatch([a, b]) { minimum($0[0], $0[1]) }
        expectGradientsMatch([a, Tensor([0.5, -0.3, 1.0])]) { maximum($0[0], $0[1]) }
        expectGradientsMatch([a, Tensor([0.5, -0.3, 1.0])]) { minimum($0[0], $0[1]) }
        expectGradientsMatch([Tensor([[0.5], [-0.35]]), a]) { maximum($0[0], $0[1]) }
    }

    // MARK: Unary math

    @Test func unary() {
        expectGradientsMatch([r([2, 3], 61)]) { exp($0[0]) }
        expectGradientsMatch([p([2, 3], 62)]) { log($0[0]) }
        expectGradientsMatch([p([2, 3], 63)]) { sqrt($0[0]) }
        expectGradientsMatch([s([2, 3], 64)]) { abs($0[0]) }
        expectGradientsMatch([r([2, 3], 65)]) { square($0[0]) }
        expectGradientsMatch([r([2, 3], 66)]) { tanh($0[0]) }
        expectGradientsMatch([randomTensor([2, 3], in: -3...3, seed: 67)]) { sigmoid($0[0]) }
        expectGradientsMatch([s([2, 3], 68)]) { relu($0[0]) }
        expectGradientsMatch([Tensor([-1.5, -0.5, 0.2, 0.7, 1.3])]) { $0[0].clamped(min: -1, max: 1) }
        expectGradientsMatch([Tensor([-1.5, -0.5, 0.2])]) { $0[0].clamped(min: 0) }
        expectGradientsMatch([randomTensor([2, 3], in: -3...3, seed: 69)]) { softplus($0[0]) }
        expectGradientsMatch([randomTensor([2, 3], in: -3...3, seed: 70)]) { logSigmoid($0[0]) }
        expectGradientsMatch([s([2, 3], 71)]) { sign($0[0]) }  // zero gradient away from 0
    }

    // MARK: Reductions

    @Test func sumAndMean() {
        expectGradientsMatch([r([2, 3, 4], 71)]) { $0[0].sum() }
        expectGradientsMatch([r([2, 3, 4], 72)]) { $0[0].sum(along: 1) }
        expectGradientsMatch([r([2, 3, 4], 73)]) { $0[0].sum(alongAxes: [0, -1], keepingDims: true) }
        expectGradientsMatch([r([2, 3, 4], 74)]) { $0[0].mean() }
        expectGradientsMatch([r([2, 3, 4], 75)]) { $0[0].mean(along: -1, keepingDims: true) }
        expectGradientsMatch([r([2, 3, 4], 76)]) { $0[0].mean(alongAxes: [0, 2]) }
    }

    @Test func maxAndMin() {
        // Random values in -1...1 are far apart compared with the 1e-5 step.
        expectGradientsMatch([r([2, 3, 4], 81)]) { $0[0].max() }
        expectGradientsMatch([r([2, 3, 4], 82)]) { $0[0].max(along: 1) }
        expectGradientsMatch([r([2, 3, 4], 83)]) { $0[0].max(alongAxes: [0, 2], keepingDims: true) }
        expectGradientsMatch([r([2, 3, 4], 84)]) { $0[0].min() }
        expectGradientsMatch([r([2, 3, 4], 85)]) { $0[0].min(along: -1) }
        expectGradientsMatch([r([2, 3, 4], 86)]) { $0[0].min(alongAxes: [1, 2]) }
    }

    @Test func variance() {
        expectGradientsMatch([r([3, 4], 91)]) { $0[0].variance() }
        expectGradientsMatch([r([3, 4], 92)]) { $0[0].variance(correction: 0) }
        expectGradientsMatch([r([3, 4], 93)]) { $0[0].variance(along: 0) }
        expectGradientsMatch([r([3, 4], 94)]) { $0[0].variance(along: 1, correction: 0, keepingDims: true) }
        expectGradientsMatch([r([2, 3, 4], 95)]) { $0[0].variance(alongAxes: [0, 2]) }
    }

    @Test func logSumExp() {
        expectGradientsMatch([r([3, 4], 101)]) { $0[0].logSumExp() }
        expectGradientsMatch([r([3, 4], 102)]) { $0[0].logSumExp(along: 1) }
        expectGradientsMatch([r([3, 4], 103)]) { $0[0].logSumExp(along: 0, keepingDims: true) }
        expectGradientsMatch([r([2, 3, 4], 104)]) { $0[0].logSumExp(alongAxes: [0, 2]) }
    }

    // MARK: Shape ops

    @Test func shapeOps() {
        expectGradientsMatch([r([2, 6], 111)]) { $0[0].reshaped(to: [3, -1]) * Tensor([1, 2, 3, 4]) }
        expectGradientsMatch([r([2, 3, 4], 112)]) { $0[0].permuted([2, 0, 1]) * Tensor([1, 2, 3]) }
        expectGradientsMatch([r([3, 5], 113)]) { $0[0].transposed() * Tensor([1, 2, 3]) }
        expectGradientsMatch([r([1, 3, 1], 114)]) { $0[0].squeezed() * Tensor([1, 2, 3]) }
        expectGradientsMatch([r([3, 1, 2], 127)]) { $0[0].squeezed(axis: 1) * Tensor([1, 2]) }
        expectGradientsMatch([r([2, 3, 1], 128)]) { $0[0].squeezed(axis: -1) * Tensor([1, 2, 3]) }
        expectGradientsMatch([r([2, 3, 2], 129)]) { $0[0].flattened() * Tensor.arange(from: 1, to: 13) }
        expectGradientsMatch([r([3], 115)]) { $0[0].unsqueezed(axis: 1) * Tensor([[1, 2]]) }
        expectGradientsMatch([r([2, 3], 116), r([1, 3], 117), r([3, 3], 118)]) { Tensor.concatenated($0, along: 0) }
        expectGradientsMatch([r([2, 3], 119), r([2, 1], 120)]) { Tensor.concatenated($0, along: 1) }
        // Three inputs along a middle axis (outer and inner blocks both > 1) and along the last axis.
        expectGradientsMatch([r([2, 1, 3], 130), r([2, 2, 3], 131), r([2, 3, 3], 132)]) { Tensor.concatenated($0, along: 1) }
        expectGradientsMatch([r([2, 1], 133), r([2, 3], 134), r([2, 2], 135)]) { Tensor.concatenated($0, along: -1) }
        expectGradientsMatch([r([5, 3], 121)]) { $0[0].rows(1..<4) }
        expectGradientsMatch([r([4, 3], 122)]) { $0[0].gatheringRows([3, 0, 3, 3, 1]) }
        expectGradientsMatch([r([3, 1], 123)]) { $0[0].broadcasted(to: [2, 3, 4]) }
        expectGradientsMatch([r([4], 124)]) { $0[0].broadcasted(to: [3, 4]) }
        expectGradientsMatch([r([2, 3, 4], 136)]) { $0[0].summed(toShape: [3, 1]) }
        expectGradientsMatch([r([2, 3, 4], 137)]) { $0[0].summed(toShape: [1, 3, 4]) }
        expectGradientsMatch([r([2, 3], 125), r([2, 3], 126)]) {
            Tensor.select(where: Tensor([[1, 0, 1], [0, 0, 1]]), $0[0], else: $0[1])
        }
    }

    // MARK: Matrix products

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulTransposes(transposeA: Bool, transposeB: Bool) {
        let (ta, tb) = (transposeA, transposeB)
        func m(_ rows: Int, _ columns: Int, _ t: Bool, _ seed: UInt64) -> Tensor<Double> {
            r(t ? [columns, rows] : [rows, columns], seed)
        }
        expectGradientsMatch([m(3, 4, ta, 131), m(4, 5, tb, 132)]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        expectGradientsMatch([m(1, 4, ta, 133), m(4, 5, tb, 134)]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        expectGradientsMatch([m(3, 4, ta, 135), m(4, 1, tb, 136)]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        expectGradientsMatch([m(3, 1, ta, 137), m(1, 5, tb, 138)]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        expectGradientsMatch([r([2] + (ta ? [4, 3] : [3, 4]), 139), r([2] + (tb ? [5, 4] : [4, 5]), 140)]) {
            matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
        }
        expectGradientsMatch([r([2] + (ta ? [4, 3] : [3, 4]), 141), m(4, 5, tb, 142)]) {
            matmul($0[0], $0[1], transposeA: ta, transposeB: tb)
        }
    }

    @Test func matmulWithVectors() {
        expectGradientsMatch([r([3, 4], 151), r([4], 152)]) { matmul($0[0], $0[1]) }
        expectGradientsMatch([r([4, 3], 153), r([4], 154)]) { matmul($0[0], $0[1], transposeA: true) }
        expectGradientsMatch([r([4], 155), r([4, 3], 156)]) { matmul($0[0], $0[1]) }
        expectGradientsMatch([r([4], 157), r([3, 4], 158)]) { matmul($0[0], $0[1], transposeB: true) }
        expectGradientsMatch([r([5], 159), r([5], 160)]) { matmul($0[0], $0[1]) }
        expectGradientsMatch([r([2, 1, 3], 161), r([2, 3, 1], 162)]) { matmul($0[0], $0[1]) }  // gemv per entry
    }

    // MARK: The same input used more than once

    @Test func fanOut() {
        expectGradientsMatch([r([2, 3], 171)]) { $0[0] * $0[0] + $0[0] }
        expectGradientsMatch([r([2, 3], 172)]) { $0[0] - $0[0] * 2 }
        expectGradientsMatch([p([2, 3], 173)]) { $0[0] / ($0[0] + 1) }
        expectGradientsMatch([p([2, 3], 174)]) { pow($0[0], $0[0]) }
        expectGradientsMatch([r([3, 3], 175)]) { matmul($0[0], $0[0]) }
        expectGradientsMatch([r([3, 4], 176)]) { matmul($0[0], $0[0], transposeB: true) }
        expectGradientsMatch([r([2, 3, 3], 177)]) { matmul($0[0], $0[0], transposeA: true) }
        expectGradientsMatch([r([2, 3], 178)]) { Tensor.concatenated([$0[0], exp($0[0])], along: 1) }
        expectGradientsMatch([r([3, 4], 179)]) { $0[0] - $0[0].logSumExp(along: 1, keepingDims: true) }
        expectGradientsMatch([r([3, 4], 180)]) { ($0[0] - $0[0].mean(along: 0)) / sqrt($0[0].variance(along: 0) + 1) }
        expectGradientsMatch([r([2, 3], 181), r([3], 182)]) { tanh(matmul($0[0], $0[1]) + $0[0].sum(along: 1)) * $0[1].sum() }
    }
}
