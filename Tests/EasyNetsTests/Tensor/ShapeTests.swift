import Testing
@testable import EasyNets

@Suite("Shape manipulation and value semantics")
struct ShapeTests {
    // MARK: Reshape, transpose, permute

    @Test func reshapeKeepsRowMajorOrder() {
        let x = Tensor<Double>.arange(to: 12)
        let m = x.reshaped(to: [3, 4])
        #expect(m.shape == [3, 4])
        #expect(m.scalars == x.scalars)
        #expect(m[2, 1] == 9)
        #expect(x.reshaped(to: [2, -1, 3]).shape == [2, 2, 3])
        #expect(x.reshaped(to: [-1]).shape == [12])
        #expect(x.reshaped(to: [-1, 6]).shape == [2, 6])
        #expect(x.reshaped(to: [1, 12, 1]).shape == [1, 12, 1])
        #expect(Tensor<Double>(5).reshaped(to: [1, 1]).shape == [1, 1])
        #expect(Tensor<Double>([5]).reshaped(to: []).shape == [])
        #expect(m.flattened().shape == [12])
        #expect(m.flattened().scalars == x.scalars)
    }

    @Test func transposedSwapsIndices() {
        let a = randomTensor([3, 5], seed: 11)
        let t = a.transposed()
        #expect(t.shape == [5, 3])
        for i in 0..<3 { for j in 0..<5 { #expect(t[j, i] == a[i, j]) } }
        #expect(t.transposed().scalars == a.scalars)
    }

    @Test(arguments: [[0, 1, 2], [2, 0, 1], [1, 2, 0], [2, 1, 0], [0, 2, 1], [-1, 0, 1]])
    func permutedMatchesNaiveIndexLoop(axes: [Int]) {
        let shape = [2, 3, 4]
        let x = randomTensor(shape, seed: 12)
        let p = x.permuted(axes)
        let axes = axes.map { $0 < 0 ? $0 + 3 : $0 }
        let outShape = axes.map { shape[$0] }
        #expect(p.shape == outShape)
        // Output element at index i is the input element whose axis axes[d] has index i[d].
        var expected = [Double](repeating: .nan, count: x.count)
        for index in allIndices(of: outShape) {
            var source = [0, 0, 0]
            for (d, axis) in axes.enumerated() { source[axis] = index[d] }
            expected[flatOffset(index, in: outShape)] = x.scalars[flatOffset(source, in: shape)]
        }
        #expect(p.scalars == expected)
    }

    @Test func squeezedAndUnsqueezed() {
        let x = Tensor<Double>.arange(to: 6).reshaped(to: [1, 3, 1, 2])
        #expect(x.squeezed().shape == [3, 2])
        #expect(x.squeezed(axis: 0).shape == [3, 1, 2])
        #expect(x.squeezed(axis: 2).shape == [1, 3, 2])
        #expect(x.squeezed(axis: -2).shape == [1, 3, 2])
        #expect(x.squeezed().scalars == x.scalars)
        let v = Tensor<Double>([1, 2, 3])
        #expect(v.unsqueezed(axis: 0).shape == [1, 3])
        #expect(v.unsqueezed(axis: 1).shape == [3, 1])
        #expect(v.unsqueezed(axis: -1).shape == [3, 1])
        #expect(v.unsqueezed(axis: 0).unsqueezed(axis: 0).shape == [1, 1, 3])
        #expect(v.unsqueezed(axis: 1).scalars == [1, 2, 3])
        #expect(Tensor<Double>([[4]]).squeezed().shape == [])
    }

    // MARK: Concatenation, rows, gathering

    @Test func concatenatedAlongAxis0And1() {
        let a = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        let b = Tensor<Double>([[7, 8, 9]])
        let rows = Tensor.concatenated([a, b], along: 0)
        #expect(rows.shape == [3, 3])
        #expect(rows.scalars == [1, 2, 3, 4, 5, 6, 7, 8, 9])

        let c = Tensor<Double>([[10], [20]])
        let d = Tensor<Double>([[-1, -2], [-3, -4]])
        let columns = Tensor.concatenated([a, c, d], along: 1)
        #expect(columns.shape == [2, 6])
        #expect(columns.scalars == [1, 2, 3, 10, -1, -2, 4, 5, 6, 20, -3, -4])
        #expect(Tensor.concatenated([a, c], along: -1).shape == [2, 4])
    }

    @Test func concatenatedMatchesNaiveLoopIn3D() {
        let a = randomTensor([2, 1, 3], seed: 21), b = randomTensor([2, 2, 3], seed: 22)
        let joined = Tensor.concatenated([a, b], along: 1)
        #expect(joined.shape == [2, 3, 3])
        for index in allIndices(of: joined.shape) {
            let (i, j, k) = (index[0], index[1], index[2])
            let expected = j < 1 ? a[i, j, k] : b[i, j - 1, k]
            #expect(joined[i, j, k] == expected)
        }
    }

    @Test func rowsSliceTheFirstAxis() {
        let x = Tensor<Double>.arange(to: 12).reshaped(to: [4, 3])
        let middle = x.rows(1..<3)
        #expect(middle.shape == [2, 3])
        #expect(middle.scalars == [3, 4, 5, 6, 7, 8])
        #expect(x.rows(0..<4).scalars == x.scalars)
        #expect(x.rows(2..<2).shape == [0, 3])
        let cube = Tensor<Double>.arange(to: 8).reshaped(to: [2, 2, 2])
        #expect(cube.rows(1..<2).scalars == [4, 5, 6, 7])
    }

    @Test func gatheringRowsWithRepeats() {
        let x = Tensor<Double>([[0, 1], [10, 11], [20, 21]])
        let gathered = x.gatheringRows([2, 0, 2, 2, 1])
        #expect(gathered.shape == [5, 2])
        #expect(gathered.scalars == [20, 21, 0, 1, 20, 21, 20, 21, 10, 11])
        #expect(x.gatheringRows([]).shape == [0, 2])
        let v = Tensor<Double>([5, 6, 7])
        #expect(v.gatheringRows([1, 1]).scalars == [6, 6])
    }

    @Test func broadcastedCopiesAlongStretchedAxes() {
        let column = Tensor<Double>([[1], [2]])
        let stretched = column.broadcasted(to: [3, 2, 4])
        #expect(stretched.shape == [3, 2, 4])
        for index in allIndices(of: [3, 2, 4]) {
            #expect(stretched[index[0], index[1], index[2]] == column[index[1], 0])
        }
        #expect(Tensor<Double>(7).broadcasted(to: [2]).scalars == [7, 7])
    }

    @Test func summedToShapeUndoesBroadcasting() {
        let x = Tensor<Double>.arange(to: 6).reshaped(to: [2, 3])
        #expect(x.summed(toShape: [3]).scalars == [3, 5, 7])
        #expect(x.summed(toShape: [2, 1]).scalars == [3, 12])
        #expect(x.summed(toShape: [1, 3]).scalars == [3, 5, 7])
        #expect(x.summed(toShape: []).scalars == [15])
    }

    // MARK: Value semantics (copy-on-write)

    @Test func subscriptWriteDoesNotChangeACopy() {
        let original = Tensor<Double>([[1, 2], [3, 4]])
        var copy = original
        copy[0, 1] = 99
        #expect(copy.scalars == [1, 99, 3, 4])
        #expect(original.scalars == [1, 2, 3, 4])
    }

    @Test func mutableBufferWriteDoesNotChangeACopy() {
        let original = Tensor<Double>([1, 2, 3])
        var copy = original
        copy.withUnsafeMutableBufferPointer { $0[2] = -1 }
        #expect(copy.scalars == [1, 2, -1])
        #expect(original.scalars == [1, 2, 3])
    }

    @Test func writesThroughAReshapeDoNotLeak() {
        // reshaped(to:) shares storage; a write to either side must copy first.
        let original = Tensor<Double>.arange(to: 6)
        var view = original.reshaped(to: [2, 3])
        view[1, 2] = 100
        #expect(view.scalars == [0, 1, 2, 3, 4, 100])
        #expect(original.scalars == [0, 1, 2, 3, 4, 5])

        var base = Tensor<Double>.arange(to: 6)
        let reshaped = base.reshaped(to: [3, 2])
        base.withUnsafeMutableBufferPointer { $0[0] = -7 }
        base[1] = -8
        #expect(base.scalars == [-7, -8, 2, 3, 4, 5])
        #expect(reshaped.scalars == [0, 1, 2, 3, 4, 5])
    }

    @Test func uniqueTensorIsWrittenInPlace() {
        var x = Tensor<Double>.zeros([3])
        x[1] = 5
        x.withUnsafeMutableBufferPointer { $0[2] = 6 }
        #expect(x.scalars == [0, 5, 6])
    }

    @Test func opsReturnNewValues() {
        // A derived tensor is independent of later writes to its source.
        var x = Tensor<Double>([1, 2, 3, 4])
        let doubled = x * 2, gathered = x.gatheringRows([0]), t = x.reshaped(to: [2, 2]).transposed()
        x[0] = 50
        #expect(doubled.scalars == [2, 4, 6, 8])
        #expect(gathered.scalars == [1])
        #expect(t.scalars == [1, 3, 2, 4])
    }
}
