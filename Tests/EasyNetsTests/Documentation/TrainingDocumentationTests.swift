import Foundation
import Testing
import EasyNets

@Suite("Training examples")
struct TrainingDocumentationTests {
    /// One step written out: label-smoothed cross-entropy, clipping, Nesterov SGD, a cosine schedule.
    @Test func oneStep() throws {
        // Documentation block: Training.md #1
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> { Linear(784, 256); ReLU(); Dropout(probability: 0.2, seed: 1); Linear(256, 10) }
        let optimizer = SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9, nesterov: true)
        let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 15))
        var generator = RandomGenerator(seed: 2)
        let x = Tensor<Float>.uniform([128, 784], using: &generator), labels = (0..<128).map { $0 % 10 }

        optimizer.zeroGradients()
        let loss = crossEntropy(logits: model(x), labels: labels, labelSmoothing: 0.1)
        loss.backward()
        clipGradientNorm(model.trainableParameters, maxNorm: 5)
        optimizer.step()
        scheduler.step()                              // the learning rate for the next epoch
        print(loss.scalar, optimizer.learningRate)

        #expect(loss.scalar.isFinite && loss.scalar > 0)
        // Cosine annealing after one of 15 steps: 0.1·(1 + cos(π/15))/2.
        expectClose(optimizer.learningRate, 0.1 * (1 + Foundation.cos(Double.pi / 15)) / 2, tolerance: 1e-15)
    }

    /// The same step again, checked against the update rules written out by hand.
    @Test func oneStepUpdateRules() throws {
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> { Linear(784, 256); ReLU(); Dropout(probability: 0.2, seed: 1); Linear(256, 10) }
        let optimizer = SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9, nesterov: true)
        var generator = RandomGenerator(seed: 2)
        let x = Tensor<Float>.uniform([128, 784], using: &generator), labels = (0..<128).map { $0 % 10 }
        optimizer.zeroGradients()
        let loss = crossEntropy(logits: model(x), labels: labels, labelSmoothing: 0.1)
        loss.backward()
        let raw = try model.trainableParameters.map { try #require($0.gradient).scalars.map(Double.init) }
        let returned = clipGradientNorm(model.trainableParameters, maxNorm: 5)
        let clipped = try model.trainableParameters.map { try #require($0.gradient).scalars.map(Double.init) }
        let before = model.trainableParameters.map { $0.value.scalars.map(Double.init) }
        optimizer.step()
        // clip_grad_norm_: the norm before clipping, and gradients scaled by 5/(norm + 1e-6) when above 5.
        let norm = raw.joined().reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        expectClose(returned, norm, tolerance: 1e-5)
        let factor = Swift.min(1, 5 / (norm + 1e-6))
        for (r, c) in zip(raw, clipped) { expectClose(c, r.map { $0 * factor }, tolerance: 1e-6) }
        // First Nesterov step, buffer = g: p ← p − lr·(g + μ·g).
        for (i, parameter) in model.trainableParameters.enumerated() {
            let expected = zip(before[i], clipped[i]).map { p, g in p - 0.1 * (g + 0.9 * g) }
            expectClose(parameter.value.scalars.map(Double.init), expected, tolerance: 1e-6, "parameter \(i)")
        }
    }

    /// A cosine schedule against its closed form.
    @Test func cosineSchedule() {
        // Documentation block: Training.md #2
        let cosine = CosineAnnealingSchedule(period: 10, minimum: 0.001)
        let rates = (0...10).map { cosine.learningRate(at: $0, base: 0.1) }
        print(rates.first!, rates[5], rates.last!)    // 0.1, halfway 0.0505, then 0.001

        // η_t = η_min + (η₀ − η_min)·(1 + cos(π·t/T))/2.
        let expected = (0...10).map { 0.001 + (0.1 - 0.001) * (1 + Foundation.cos(Double.pi * Double($0) / 10)) / 2 }
        expectClose(rates, expected, tolerance: 1e-15)
        expectClose(rates[5], 0.0505, tolerance: 1e-15)
    }

    /// Two parameter groups under a schedule, weight-decay groups, and a frozen backbone.
    @Test func parameterGroups() throws {
        // Documentation block: Training.md #3
        var generator = RandomGenerator(seed: 7)
        let backbone = Sequential<Double> { Linear(4, 8, using: &generator); LayerNorm([8]); ReLU() }
        let head = Linear<Double>(8, 3, using: &generator)
        let model = Sequential<Double> { backbone; head }

        // torch.optim.SGD([{'params': backbone}, {'params': head, 'lr': 0.1, 'nesterov': True}], lr=0.01, momentum=0.9)
        let sgd = SGD(groups: [ParameterGroup(backbone.trainableParameters),
                               ParameterGroup(head.trainableParameters, learningRate: 0.1) { $0.nesterov = true }],
                      learningRate: 0.01, momentum: 0.9)
        let scheduler = LearningRateScheduler(optimizer: sgd, schedule: StepSchedule(stepSize: 1, gamma: 0.5))
        scheduler.step()
        print(sgd.groups.map(\.learningRate))          // [0.005, 0.05]: each group from its own rate

        // No weight decay on biases and normalization parameters.
        let adamW = AdamW(groups: ParameterGroup.weightDecayGroups(of: model, weightDecay: 0.05), learningRate: 1e-3)
        print(adamW.groups.map(\.parameters.count))    // [2, 4]: two weights; two biases, LayerNorm's weight and bias

        // Train the head alone.
        backbone.freeze()
        print(model.trainableParameterCount, model.parameterCount)    // 27 83

        // StepLR halves each group's initial rate once.
        #expect(sgd.groups.map(\.learningRate) == [0.01 * 0.5, 0.1 * 0.5])
        #expect(sgd.groupOptions.map(\.nesterov) == [false, true] && sgd.groupOptions.allSatisfy { $0.momentum == 0.9 })
        // Decayed: the two Linear weights (4·8 and 8·3); not: both biases, LayerNorm's weight and bias.
        #expect(adamW.groups[0].parameters.map(\.shape) == [[8, 4], [3, 8]])
        #expect(adamW.groups[1].parameters.map(\.shape) == [[8], [8], [8], [3]])
        #expect(adamW.groupOptions.map(\.weightDecay) == [0.05, 0])
        // Parameters: Linear(4, 8) 4·8 + 8, LayerNorm 8 + 8, Linear(8, 3) 8·3 + 3; the head's are trainable.
        let (first, norm, last) = (4 * 8 + 8, 8 + 8, 8 * 3 + 3)
        #expect(model.parameterCount == first + norm + last && model.trainableParameterCount == last)
        // A step changes the head only: p ← p − lr·(g + μ·g) on the first Nesterov step, lr = 0.05.
        let before = model.namedParameters.map(\.parameter.value.scalars)
        let x = Tensor<Double>.normal([5, 4], using: &generator)
        sgd.zeroGradients()
        crossEntropy(logits: model(x), labels: [0, 1, 2, 0, 1]).backward()
        let gradients = try head.trainableParameters.map { try #require($0.gradient).scalars }
        sgd.step()
        let after = model.namedParameters.map(\.parameter.value.scalars)
        #expect(Array(after.prefix(4)) == Array(before.prefix(4)))
        for (i, gradient) in gradients.enumerated() {
            expectClose(after[4 + i], zip(before[4 + i], gradient).map { $0 - 0.05 * ($1 + 0.9 * $1) }, tolerance: 1e-15)
        }
    }

    /// The Trainer on two spirals with early stopping, a metrics file and a checkpoint.
    @Test func spirals() throws {
        try inScratchDirectory {
            // Documentation block: Training.md #4
            let (points, classes) = Spirals.make(pointsPerClass: 200, noise: 0.05, seed: 0, as: Double.self)
            let (train, validation) = Dataset(features: points, labels: classes).split(validationFraction: 0.2, seed: 0)
            var generator = RandomGenerator(seed: 0)
            let model = Sequential<Double> {
                Linear(2, 64, using: &generator); Tanh()
                Linear(64, 64, using: &generator); Tanh()
                Linear(64, 2, using: &generator)
            }
            let optimizer = Adam(model.trainableParameters, learningRate: 0.01)
            let trainer = Trainer(model: model, optimizer: optimizer,
                                  scheduler: LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 100)),
                                  loader: DataLoader(train, batchSize: 16, seed: 1), validationData: validation)
            trainer.observers = [DivergenceGuard(), EarlyStopping(monitor: "validation_accuracy", patience: 20),
                                 MetricsWriter(path: "spirals.jsonl"), CheckpointWriter(path: "spirals.safetensors")]
            let outcome = try trainer.fit(epochs: 100)
            print(outcome, trainer.epoch, evaluate(model, on: validation).accuracy)

            #expect(outcome == .completed || outcome == .stoppedEarly)
            #expect(train.count + validation.count == 400 && trainer.history.count == trainer.epoch)
            #expect(trainer.epoch == 100 || outcome == .stoppedEarly)
            // The metrics file holds one line per epoch, the history's.
            let written = try EpochMetrics.read(fromFile: "spirals.jsonl")
            #expect(written.map(\.epoch) == Array(1...trainer.epoch))
            #expect(written == trainer.history)
            // The evaluation is the model's argmax, by loops; the spirals are learned.
            let scores = withoutGradients { model(validation.features) }
            let plain = plainAccuracyAndLoss(scores: scores, labels: validation.labels)
            let result = evaluate(model, on: validation)
            #expect(result.accuracy == plain.accuracy)
            expectClose(result.loss, plain.loss, tolerance: 1e-12)
            #expect(result.accuracy > 0.9, "\(result.accuracy)")
            // Early stopping restored the weights of the best epoch.
            #expect(result.accuracy == trainer.history.compactMap { $0.value(.accuracy, on: .validation) }.max())
            // The checkpoint rebuilds the model without being told its architecture.
            let file = try SafeTensorsFile(contentsOfFile: "spirals.safetensors")
            let reloaded = try #require(try Sequential<Double>.loadModel(from: file, path: "spirals.safetensors"))
            #expect(try reloaded.describe() == model.describe())
        }
    }

    /// Resuming from a checkpoint ends where an uninterrupted run ends, bit for bit.
    @Test func resuming() throws {
        try inScratchDirectory {
            // Documentation block: Training.md #5
            func makeTrainer() -> Trainer<Double> {
                var generator = RandomGenerator(seed: 3)
                let data = Dataset(features: Tensor<Double>.normal([32, 2], using: &generator), labels: (0..<32).map { $0 % 2 })
                let model = Sequential<Double> { Linear(2, 2, using: &generator) }
                return Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9),
                               loader: DataLoader(data, batchSize: 8, seed: 5))
            }
            let first = makeTrainer()
            try first.fit(epochs: 1)
            try first.saveCheckpoint(toFile: "run.safetensors")
            let resumed = makeTrainer()                   // in a new process, say
            try resumed.resume(fromFile: "run.safetensors")
            try resumed.fit(epochs: 3)                    // epochs 2 and 3
            print(resumed.epoch, resumed.step)            // 3 12

            // 32 examples in batches of 8: 4 steps an epoch.
            #expect(resumed.epoch == 3 && resumed.step == 3 * (32 / 8))
            let straight = makeTrainer()
            try straight.fit(epochs: 3)
            #expect(resumed.model.namedParameters.map(\.parameter.value.scalars)
                    == straight.model.namedParameters.map(\.parameter.value.scalars))
            #expect(resumed.history.map(\.trainLoss) == Array(straight.history.map(\.trainLoss).dropFirst()))
        }
    }

    /// One L-BFGS step solves a two-parameter least-squares problem: the closed form is w = 2, b = −1.
    @Test func lbfgs() {
        // Documentation block: Training.md #6
        // Least squares for y = 2x − 1: one L-BFGS step of up to 20 iterations.
        let x = Tensor<Double>([0, 1, 2, 3], shape: [4, 1]), y = Tensor<Double>([-1, 1, 3, 5], shape: [4, 1])
        let line = Linear<Double>(1, 1)
        let lbfgs = LBFGS(line.trainableParameters, lineSearch: .strongWolfe)
        let firstLoss = lbfgs.step {
            lbfgs.zeroGradients()
            let loss = meanSquaredError(line(x), y)
            loss.backward()
            return Double(loss.scalar)
        }
        print(firstLoss, line.weight.value.scalars, line.bias!.value.scalars)    // the loss before the step; [2.0] [-1.0]

        #expect(lbfgs.iterationCount > 1 && lbfgs.evaluationCount <= 25)
        // The step stops once the loss changes by less than toleranceChange (1e-9), so the line
        // is within about √1e-9 of the least-squares solution.
        expectClose(line.weight.value.scalars, [2], tolerance: 1e-4)
        expectClose(line.bias!.value.scalars, [-1], tolerance: 1e-4)
        // The returned loss is the one before the step; the fitted line's is (nearly) zero.
        let final = meanSquaredError(line(x), y).scalar
        #expect(firstLoss > 0.01 && final < 1e-9, "\(firstLoss) → \(final)")
    }
}
