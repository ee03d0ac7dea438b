import Testing
@testable import EasyNets

@Suite("Tensor creation and printing")
struct TensorCreationTests {
    @Test func zerosOnesAndFilled() {
        let zeros = Tensor<Double>.zeros([2, 3])
        #expect(zeros.shape == [2, 3])
        #expect(zeros.scalars == [Double](repeating: 0, count: 6))

        let ones = Tensor<Float>.ones([4])
        #expect(ones.shape == [4])
        #expect(ones.scalars == [1, 1, 1, 1])

        let filled = Tensor<Double>(filledWith: -2.5, shape: [3, 1, 2])
        #expect(filled.shape == [3, 1, 2])
        #expect(filled.rank == 3)
        #expect(filled.count == 6)
        #expect(filled.scalars.allSatisfy { $0 == -2.5 })

        let empty = Tensor<Double>.zeros([0, 3])
        #expect(empty.count == 0)
        #expect(empty.scalars.isEmpty)
    }

    @Test func fromArrays() {
        let vector = Tensor<Double>([1, 2, 3])
        #expect(vector.shape == [3])
        #expect(vector.scalars == [1, 2, 3])
        #expect(vector[2] == 3)
        #expect(vector[-1] == 3)

        let matrix = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        #expect(matrix.shape == [2, 3])
        #expect(matrix.scalars == [1, 2, 3, 4, 5, 6])
        #expect(matrix[1, 0] == 4)
        #expect(matrix[0, 2] == 3)
        #expect(matrix[-1, -2] == 5)

        let shaped = Tensor<Float>([1, 2, 3, 4, 5, 6], shape: [3, 2])
        #expect(shaped.shape == [3, 2])
        #expect(shaped[2, 1] == 6)
        #expect(shaped[1, 0] == 3)

        let scalar = Tensor<Double>(7)
        #expect(scalar.shape == [])
        #expect(scalar.rank == 0)
        #expect(scalar.count == 1)
        #expect(scalar.scalar == 7)
    }

    @Test func arangeMatchesHandValues() {
        #expect(Tensor<Double>.arange(to: 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor<Double>.arange(from: 2, to: 5).scalars == [2, 3, 4])
        // The end is excluded even when a step lands on it; a partial last step is included.
        #expect(Tensor<Double>.arange(from: 0, to: 1, by: 0.25).scalars == [0, 0.25, 0.5, 0.75])
        #expect(Tensor<Double>.arange(from: 0, to: 1.1, by: 0.5).scalars == [0, 0.5, 1])
        #expect(Tensor<Double>.arange(from: 3, to: 0, by: -1).scalars == [3, 2, 1])
        #expect(Tensor<Double>.arange(from: 5, to: 5).scalars == [])
        #expect(Tensor<Double>.arange(from: 5, to: 2).scalars == [])
        let tenths = Tensor<Double>.arange(from: 0, to: 1, by: 0.1)
        #expect(tenths.count == 10)
        expectClose(tenths.scalars, (0..<10).map { Double($0) / 10 }, tolerance: 1e-15)
    }

    @Test func linspaceIncludesBothEndpoints() {
        #expect(Tensor<Double>.linspace(from: 0, to: 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor<Double>.linspace(from: 2, to: -2, count: 3).scalars == [2, 0, -2])
        #expect(Tensor<Double>.linspace(from: 4, to: 9, count: 1).scalars == [4])
        #expect(Tensor<Double>.linspace(from: 4, to: 9, count: 0).scalars == [])
        // The last value is `end` itself, not start + (count − 1)·step rounded.
        let thirds = Tensor<Double>.linspace(from: 0.1, to: 0.7, count: 7)
        #expect(thirds.scalars.first == 0.1)
        #expect(thirds.scalars.last == 0.7)
        expectClose(thirds.scalars, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7], tolerance: 1e-15)
        let floats = Tensor<Float>.linspace(from: -1, to: 1, count: 9)
        #expect(floats.scalars == [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1])
    }

    @Test func identity() {
        let eye = Tensor<Double>.identity(3)
        #expect(eye.shape == [3, 3])
        #expect(eye.scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Tensor<Float>.identity(1).scalars == [1])
        #expect(Tensor<Double>.identity(0).shape == [0, 0])
    }

    // MARK: Printing

    @Test func descriptionShowsValuesAndShape() {
        let matrix = Tensor<Double>([[1, 2, 3], [4, 5, 6]])
        let text = matrix.description
        #expect(text.contains("shape: [2, 3]"))
        #expect(text.contains("[1.0, 2.0, 3.0]"))
        #expect(text.contains("[4.0, 5.0, 6.0]"))
        #expect(text.hasPrefix("Tensor<Double>("))
        #expect(!text.contains("..."))

        let scalar = Tensor<Float>(2.5).description
        #expect(scalar.contains("2.5"))
        #expect(scalar.contains("shape: []"))

        var leaf = Tensor<Double>([1])
        leaf.requiresGradient = true
        #expect(leaf.description.contains("requiresGradient: true"))
    }

    @Test func descriptionAbbreviatesLargeTensors() {
        let long = Tensor<Double>.arange(to: 2000)
        let text = long.description
        #expect(text.contains("..."))
        #expect(text.contains("[0.0, 1.0, 2.0, ..., 1997.0, 1998.0, 1999.0]"))
        #expect(!text.contains("1000.0"))
        #expect(text.contains("shape: [2000]"))
        #expect(text.count < 200)

        let wide = Tensor<Double>.arange(to: 2500).reshaped(to: [50, 50])
        let rows = wide.description
        #expect(rows.contains("shape: [50, 50]"))
        #expect(rows.contains("..."))
        #expect(rows.contains("2499.0"))
        #expect(!rows.contains("1250.0"))
        #expect(rows.count < 600)

        // At the 1000-element limit nothing is left out.
        let atLimit = Tensor<Double>.arange(to: 1000).description
        #expect(!atLimit.contains("..."))
        #expect(atLimit.contains("500.0"))
    }
}
