import Testing
@testable import EasyNets

/// Tests/Fixtures/regression_training.json, written by scripts/fixtures/make_regression_fixture.py:
/// a float64 PyTorch MLP regressor trained 3 epochs with the mean squared error, in batches in
/// order, by Adam and by SGD with momentum from the same initial weights.
private struct RegressionFixture: Decodable {
    struct Run: Decodable {
        var final: [String: EncodedTensor]
        var epochs: [[String: Double]]
    }

    var batchSize: Int
    var epochs: Int
    var trainX: EncodedTensor, trainY: EncodedTensor
    var validationX: EncodedTensor, validationY: EncodedTensor
    var initial: [String: EncodedTensor]
    var runs: [String: Run]

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", epochs, trainX = "train_x", trainY = "train_y"
        case validationX = "validation_x", validationY = "validation_y", initial, runs
    }
}

@Suite struct RegressionFixtureTests {
    /// |actual − expected| ≤ 1e-10 · max(1, |expected|).
    let tolerance = 1e-10

    /// Trains the fixture's model from its initial weights as the generator did, with the
    /// optimizer `makeOptimizer` builds, and compares the parameters and every epoch's values.
    private func expectRunMatches(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
                                  _ makeOptimizer: ([Parameter<Double>]) -> any Optimizer<Double>) throws {
        let f = try loadFixture("regression_training.json", as: RegressionFixture.self)
        let run = try #require(f.runs[name], sourceLocation: sourceLocation)
        let standardizer = Standardizer(fitting: f.trainX.tensor)
        let train = standardizer.apply(Dataset(features: f.trainX.tensor, targets: f.trainY.tensor))
        let validation = standardizer.apply(Dataset(features: f.validationX.tensor, targets: f.validationY.tensor))

        let model = Sequential<Double> { Linear(3, 8); Tanh(); Linear(8, 2) }
        try model.loadState(from: SafeTensorsFile(entries: f.initial.mapValues { SafeTensorsEntry($0.tensor, as: .float64) }))
        let trainer = Trainer(model: model, optimizer: makeOptimizer(model.trainableParameters),
                              loader: DataLoader(train, batchSize: f.batchSize, shuffle: false), validationData: validation,
                              loss: .meanSquaredError)
        #expect(trainer.metrics == [.meanAbsoluteError, .rootMeanSquaredError, .r2], sourceLocation: sourceLocation)
        try trainer.fit(epochs: f.epochs)

        for (entry, parameter) in model.namedParameters.map({ ($0.name, $0.parameter) }) {
            let expected = try #require(run.final[entry], "no \(entry) in the fixture", sourceLocation: sourceLocation)
            expectClose(parameter.value, expected.tensor, tolerance: tolerance, "\(name): \(entry)", sourceLocation: sourceLocation)
        }
        #expect(trainer.history.count == run.epochs.count, sourceLocation: sourceLocation)
        for (record, expected) in zip(trainer.history, run.epochs) {
            #expect(Set(record.values.keys) == Set(expected.keys), "epoch \(record.epoch)", sourceLocation: sourceLocation)
            for (key, value) in expected.sorted(by: { $0.key < $1.key }) {
                expectClose(record.values[key] ?? .nan, value, tolerance: tolerance, "\(name): epoch \(record.epoch) \(key)",
                            sourceLocation: sourceLocation)
            }
        }
    }

    @Test func adamMatchesPyTorch() throws {
        try expectRunMatches("adam") { Adam($0, learningRate: 0.01) }
    }

    @Test func sgdWithMomentumMatchesPyTorch() throws {
        try expectRunMatches("sgd") { SGD($0, learningRate: 0.05, momentum: 0.9) }
    }
}
