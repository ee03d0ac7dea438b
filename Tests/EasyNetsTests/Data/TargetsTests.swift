import Foundation
import Testing
@testable import EasyNets

// Value targets travel with their rows through every way of taking examples; a dataset refuses
// targets for another number of examples (a programmer error: the process stops with a message).

/// Ten examples whose features and value targets both encode the example's index: features
/// (i, 100 + i) and targets (1000 + i, −i, i / 4), so any row taken can be checked against its index.
private func indexedRegression() -> Dataset<Double> {
    let indices = (0..<10).map(Double.init)
    let features = Tensor<Double>(indices.flatMap { i -> [Double] in [i, 100 + i] }, shape: [10, 2])
    let targets = Tensor<Double>(indices.flatMap { i -> [Double] in [1000 + i, -i, i / 4] }, shape: [10, 3])
    return Dataset(features: features, targets: targets)
}

/// Expects every example of `data` to hold the features and targets of the same original index,
/// and returns those indices in order.
private func originalIndices(_ data: Dataset<Double>, sourceLocation: SourceLocation = #_sourceLocation) -> [Int] {
    let features = data.features.scalars, targets = data.targets.valueTensor.scalars
    #expect(data.targets.valueTensor.shape == [data.count, 3], sourceLocation: sourceLocation)
    return (0..<data.count).map { row in
        let index = Int(features[2 * row])
        #expect(features[2 * row + 1] == 100 + Double(index), sourceLocation: sourceLocation)
        #expect(Array(targets[3 * row ..< 3 * row + 3]) == [1000 + Double(index), -Double(index), Double(index) / 4],
                "row \(row)", sourceLocation: sourceLocation)
        return index
    }
}

@Suite struct TargetsTests {
    @Test func subsetSliceAndPrefixCarryValueTargets() {
        let data = indexedRegression()
        #expect(data.targetLayout == .values([3]) && data.classCount == 0)
        #expect(originalIndices(data.subset([7, 2, 2, 9])) == [7, 2, 2, 9])
        #expect(originalIndices(data.slice(3..<8)) == [3, 4, 5, 6, 7])
        #expect(originalIndices(data.prefix(4)) == [0, 1, 2, 3])
        #expect(originalIndices(data.examples(at: [5, 0])) == [5, 0])
        #expect(originalIndices(data.scaled(dividingBy: 1)) == Array(0..<10))
    }

    @Test func splitCarriesValueTargetsAndCoversEveryExampleOnce() {
        let (training, validation) = indexedRegression().split(validationFraction: 0.3, seed: 4)
        let (a, b) = (originalIndices(training), originalIndices(validation))
        #expect(a.count == 7 && b.count == 3)
        #expect((a + b).sorted() == Array(0..<10))
        #expect(a != a.sorted() || b != b.sorted(), "the split is shuffled")
    }

    @Test func gatheringSlicingAndConcatenatingTargets() {
        let values = Targets.values(Tensor<Double>([[1, 2], [3, 4], [5, 6]]))
        #expect(values.count == 3 && values.exampleShape == [2] && values.countPerExample == 2 && !values.isClasses)
        #expect(values.gathering([2, 0]).valueTensor.scalars == [5, 6, 1, 2])
        #expect(values.slice(1..<3).valueTensor.scalars == [3, 4, 5, 6])
        let joined = Targets.concatenating([values.slice(2..<3), values.slice(0..<2)])
        #expect(joined.valueTensor.shape == [3, 2] && joined.valueTensor.scalars == [5, 6, 1, 2, 3, 4])

        // One class per position: (N, L) rows move whole.
        let classes = Targets<Double>.classes(IndexTensor([0, 1, 2, 3, 4, 5], shape: [3, 2]))
        #expect(classes.layout == .classes([2]) && classes.countPerExample == 2)
        #expect(classes.gathering([2, 0]).classIndices == [4, 5, 0, 1])
        #expect(classes.slice(1..<2).classIndices == [2, 3])
        #expect(Targets.concatenating([classes.slice(1..<3), classes.slice(0..<1)]).classIndices == [2, 3, 4, 5, 0, 1])
    }

    @Test func standardizingKeepsTheTargets() {
        let data = indexedRegression()
        let standardized = Standardizer(fitting: data.features).apply(data)
        #expect(standardized.targets.valueTensor.scalars == data.targets.valueTensor.scalars)
        #expect(standardized.features.scalars != data.features.scalars)
    }

    @Test func layoutsDescribeTheOutputTheyNeed() {
        #expect(TargetLayout.values([2]).expectedOutputShape(batch: 5) == [5, 2])
        #expect(TargetLayout.classes([]).expectedOutputShape(batch: 5) == [5, nil])
        #expect(TargetLayout.classes([7]).expectedOutputShape(batch: 5) == [5, nil, 7])
        #expect(TargetLayout.classes([]).mismatch(outputShape: [5, 1], batch: 5) == nil, "any number of classes ≥ 1")
        #expect(TargetLayout.classes([]).mismatch(outputShape: [5, 0], batch: 5) != nil)
        #expect(TargetLayout.values([2]).mismatch(outputShape: [4, 2], batch: 5) != nil, "the batch axis counts")
        #expect(TargetLayout.values([2]).mismatch(outputShape: [5, 2, 1], batch: 5) != nil)
    }

    // MARK: Value targets from CSV

    @Test func csvTargetColumnsInTheOrderGiven() throws {
        let path = try temporaryDirectory() + "/houses.csv"
        try "a,y1,b,y2\n1,10,2,-1.5\n3,20,4,2.5e-1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let table = try CSVReader.read(contentsOfFile: path, targetColumns: [.name("y2"), .index(-3)], as: Double.self)
        #expect(table.header == ["a", "y1", "b", "y2"])
        #expect(table.features.shape == [2, 2] && table.features.scalars == [1, 2, 3, 4])
        #expect(table.targets.shape == [2, 2] && table.targets.scalars == [-1.5, 10, 0.25, 20])
    }

    @Test func aBadTargetCellNamesTheFileLineAndColumn() throws {
        func parse(_ text: String, _ columns: [LabelColumn] = [.name("y")], hasHeader: Bool = true) throws {
            _ = try CSVReader.parse(Array(text.utf8), path: "r.csv", hasHeader: hasHeader, targetColumns: columns, as: Float.self)
        }
        #expect(throws: DataError(path: "r.csv", location: "line 3, column 2", reason: "expected a target value, found \"high\" in column \"y\"")) {
            try parse("x,y,z\n1,2,3\n4,high,6\n")
        }
        #expect(throws: DataError(path: "r.csv", location: "line 1, column 3", reason: "expected a target value, found \"\"")) {
            try parse("1,2,\n", [.index(2)], hasHeader: false)
        }
        #expect(throws: DataError(path: "r.csv", location: "line 2, column 2", reason: "target \"1e39\" is not a finite number")) {
            try parse("x,y\n1,1e39\n")
        }
        #expect(throws: DataError(path: "r.csv", location: "line 3, column 1", reason: "expected a number, found \"?\" in column \"x\"")) {
            try parse("x,y\n1,2\n?,3\n")
        }
        #expect(throws: DataError(path: "r.csv", location: "line 1", reason: "a target column is named twice")) {
            try parse("x,y\n1,2\n", [.name("y"), .index(1)])
        }
        #expect(throws: DataError(path: "r.csv", location: "line 1", reason: "every column is a target: no feature column is left")) {
            try parse("x,y\n1,2\n", [.name("y"), .name("x")])
        }
    }

    // MARK: Programmer errors

    @Test func aDatasetRefusesValueTargetsForAnotherNumberOfExamples() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dataset(features: Tensor<Double>.zeros([4, 2]), targets: Tensor<Double>.zeros([3, 1]))
        }
        expectMessage(result, names: ["Dataset: 4 examples (features [4, 2]) but targets for 3 (values of shape [1] per example)"])
    }

    @Test func aDatasetRefusesClassIndicesForAnotherNumberOfExamples() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dataset(features: Tensor<Double>.zeros([4, 2]), targets: IndexTensor([0, 1, 0, 1, 0], shape: [5]))
        }
        expectMessage(result, names: ["Dataset: 4 examples (features [4, 2]) but targets for 5"])
    }

    @Test func labelsOfValueTargetsStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dataset(features: Tensor<Double>.zeros([2, 2]), targets: Tensor<Double>.zeros([2, 1])).labels
        }
        expectMessage(result, names: ["not class indices"])
    }
}
