import Testing
@testable import EasyNets

// A regression run's epochs as a metrics file holds them: every value by `<split>_<metric>`, a
// negative R² included, read back as written.

@Suite struct EpochMetricsTests {
    @Test func aRegressionRunsMetricsFileReadsBackAsTheHistory() throws {
        let train = regressionData(count: 16, seed: 61), validation = regressionData(count: 6, seed: 62)
        let trainer = linearRegressionTrainer(train, validation: validation, seed: 63, batchSize: 8) { SGD($0, learningRate: 0.01) }
        let path = try temporaryDirectory() + "/run.jsonl"
        trainer.observers = [MetricsWriter(path: path)]
        try trainer.fit(epochs: 2)
        #expect(trainer.history[0].values["validation_r2"]! < 0, "an untrained regressor's R² is below 0, and a metrics file holds it")
        let read = try EpochMetrics.read(fromFile: path)
        #expect(read == trainer.history)
        let first = try #require(read.first)
        #expect(first.value(.rootMeanSquaredError, on: .validation) == first.values["validation_rmse"])
        #expect(first.value(nil, on: .train) == first.trainLoss && first.validationLoss == first.values["validation_loss"])
        #expect(first.value(.r2, on: .test) == nil)
    }
}
