import Testing
@testable import EasyNets

@Suite struct TrainingTests {
    /// Full-batch training of a classifier with cross-entropy through the Trainer; returns the
    /// training accuracy.
    func train(_ model: Sequential<Double>, _ x: Tensor<Double>, _ labels: [Int], optimizer: some Optimizer<Double>,
               epochs: Int) throws -> Double {
        let data = Dataset(features: x, labels: labels)
        let trainer = Trainer(model: model, optimizer: optimizer, loader: DataLoader(data, batchSize: labels.count, shuffle: false))
        try trainer.fit(epochs: epochs)
        #expect(trainer.step == epochs)
        return evaluate(model, on: data).accuracy
    }

    @Test func learnsXOR() throws {
        var generator = RandomGenerator(seed: 42)
        let model = Sequential<Double> {
            Linear(2, 8, using: &generator)
            Tanh()
            Linear(8, 2, using: &generator)
        }
        let x = Tensor<Double>([[0, 0], [0, 1], [1, 0], [1, 1]])
        let accuracy = try train(model, x, [0, 1, 1, 0], optimizer: Adam(model.trainableParameters, learningRate: 0.05), epochs: 300)
        #expect(accuracy == 1)
    }

    @Test func learnsTwoInterleavedSpirals() throws {
        let (x, labels) = Spirals.make(pointsPerClass: 100, noise: 0.01, seed: 7, as: Double.self)
        var generator = RandomGenerator(seed: 3)
        let model = Sequential<Double> {
            Linear(2, 64, using: &generator)
            ReLU()
            Linear(64, 64, using: &generator)
            ReLU()
            Linear(64, 2, using: &generator)
        }
        let accuracy = try train(model, x, labels, optimizer: Adam(model.trainableParameters, learningRate: 0.01), epochs: 600)
        #expect(accuracy == 1)
    }

    /// Trains `steps` mini-batch steps of a model with dropout, AdamW and a schedule.
    func run(model: Sequential<Float>, optimizer: AdamW<Float>, scheduler: LearningRateScheduler<Float>,
             shuffle: inout RandomGenerator, steps: Range<Int>, data: (Tensor<Float>, [Int])) {
        for _ in steps {
            let batch = (0..<16).map { _ in Int(shuffle.next() % UInt64(data.1.count)) }
            optimizer.zeroGradients()
            crossEntropy(logits: model(data.0.gatheringRows(batch)), labels: batch.map { data.1[$0] }).backward()
            optimizer.step()
            scheduler.step()
        }
    }

    func makeRun(seed: UInt64) -> (Sequential<Float>, AdamW<Float>, LearningRateScheduler<Float>) {
        var generator = RandomGenerator(seed: seed)
        let model = Sequential<Float> {
            Linear(2, 32, using: &generator)
            ReLU()
            Dropout(probability: 0.2, seed: 11)
            Linear(32, 2, using: &generator)
        }
        let optimizer = AdamW(model.trainableParameters, learningRate: 0.01)
        let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 40))
        return (model, optimizer, scheduler)
    }

    @Test func trainingCheckpointResumesBitIdentically() throws {
        let data = Spirals.make(pointsPerClass: 50, seed: 1, as: Float.self)
        let path = try temporaryDirectory() + "/run.safetensors"

        // Uninterrupted: 30 steps.
        let (model, optimizer, scheduler) = makeRun(seed: 8)
        var shuffle = RandomGenerator(seed: 12)
        run(model: model, optimizer: optimizer, scheduler: scheduler, shuffle: &shuffle, steps: 0..<30, data: data)

        // Interrupted after 12 steps, saved, resumed into fresh objects built from another seed.
        let (first, firstOptimizer, firstScheduler) = makeRun(seed: 8)
        var firstShuffle = RandomGenerator(seed: 12)
        run(model: first, optimizer: firstOptimizer, scheduler: firstScheduler, shuffle: &firstShuffle, steps: 0..<12, data: data)
        try TrainingCheckpoint<Float>(step: 12, epoch: 0, generators: ["shuffle": firstShuffle])
            .save(model: first, optimizer: firstOptimizer, scheduler: firstScheduler, toFile: path)

        let (resumed, resumedOptimizer, resumedScheduler) = makeRun(seed: 99)
        let record = try TrainingCheckpoint<Float>.load(model: resumed, optimizer: resumedOptimizer, scheduler: resumedScheduler,
                                                        fromFile: path)
        #expect(record.step == 12)
        var resumedShuffle = try #require(record.generators["shuffle"])
        run(model: resumed, optimizer: resumedOptimizer, scheduler: resumedScheduler, shuffle: &resumedShuffle, steps: 12..<30, data: data)

        for (a, b) in zip(model.namedParameters, resumed.namedParameters) {
            #expect(a.parameter.value.scalars == b.parameter.value.scalars, "\(a.name)")
        }
        #expect(optimizer.learningRate == resumedOptimizer.learningRate)
    }

    @Test func trainingCheckpointResumesReduceOnPlateau() throws {
        let path = try temporaryDirectory() + "/plateau.safetensors"
        let metrics: [Double] = [1, 0.9, 0.95, 0.97, 0.96, 0.99, 0.98, 0.97, 1.0, 0.99, 1.01, 1.02]
        func makePlateau() -> (SGD<Double>, ReduceOnPlateau<Double>) {
            let optimizer = SGD([Parameter(Tensor<Double>([0]))], learningRate: 0.1)
            return (optimizer, ReduceOnPlateau(optimizer: optimizer, factor: 0.5, patience: 1, cooldown: 1))
        }
        let model = Sequential<Double> { Identity() }

        // Uninterrupted.
        let (optimizer, plateau) = makePlateau()
        var rates: [Double] = []
        for metric in metrics {
            plateau.step(metric: metric)
            rates.append(optimizer.learningRate)
        }
        // Interrupted after 5 metrics (mid-cooldown, with a best and bad steps to carry over).
        let (first, firstPlateau) = makePlateau()
        for metric in metrics.prefix(5) { firstPlateau.step(metric: metric) }
        try TrainingCheckpoint<Double>(step: 5).save(model: model, optimizer: first, plateau: firstPlateau, toFile: path)
        let (resumed, resumedPlateau) = makePlateau()
        _ = try TrainingCheckpoint<Double>.load(model: model, optimizer: resumed, plateau: resumedPlateau, fromFile: path)
        #expect(resumedPlateau.best == firstPlateau.best)
        #expect(resumedPlateau.badSteps == firstPlateau.badSteps && resumedPlateau.cooldownLeft == firstPlateau.cooldownLeft)
        var resumedRates = Array(rates.prefix(5))
        for metric in metrics.dropFirst(5) {
            resumedPlateau.step(metric: metric)
            resumedRates.append(resumed.learningRate)
        }
        #expect(resumedRates == rates)
        #expect(Set(rates).count > 2)  // the rate was cut more than once
    }

    @Test func trainingCheckpointRejectsAForeignFile() throws {
        let (model, optimizer, _) = makeRun(seed: 1)
        #expect(throws: CheckpointError.self) {
            _ = try TrainingCheckpoint<Float>.load(model: model, optimizer: optimizer, fromFile: fixturePath("torch_model.safetensors"))
        }
    }
}
