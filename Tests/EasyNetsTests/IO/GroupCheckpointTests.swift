import Foundation
import Testing
@testable import EasyNets

/// Training checkpoints of optimizers with several parameter groups.
@Suite struct GroupCheckpointTests {
    /// A model, AdamW over two groups of different rates and weight decays, and a step schedule.
    func makeRun(seed: UInt64, rates: (Double, Double) = (0.01, 0.003))
        -> (Sequential<Float>, AdamW<Float>, LearningRateScheduler<Float>) {
        var generator = RandomGenerator(seed: seed)
        let first = Linear<Float>(2, 16, using: &generator), second = Linear<Float>(16, 2, using: &generator)
        let model = Sequential<Float> { first; ReLU(); second }
        let optimizer = AdamW(groups: [ParameterGroup(first.trainableParameters, learningRate: rates.0),
                                       ParameterGroup(second.trainableParameters, learningRate: rates.1, weightDecay: 0)])
        return (model, optimizer, LearningRateScheduler(optimizer: optimizer, schedule: StepSchedule(stepSize: 3, gamma: 0.5)))
    }

    func train(_ run: (Sequential<Float>, AdamW<Float>, LearningRateScheduler<Float>), steps: Range<Int>) {
        let (points, classes) = Spirals.make(pointsPerClass: 16, seed: 1, as: Float.self)
        for step in steps {
            let rows = Array((step * 4 % 32)..<(step * 4 % 32 + 4))
            run.1.zeroGradients()
            crossEntropy(logits: run.0(points.rows(rows.first!..<rows.last! + 1)), labels: rows.map { classes[$0] }).backward()
            run.1.step()
            run.2.step()
        }
    }

    /// Two groups and a schedule: a run saved after 5 steps and resumed into fresh objects, made
    /// with other weights and other rates, ends bit for bit where the uninterrupted run ends.
    @Test func resumingTwoGroupsWithAScheduleIsBitIdentical() throws {
        let path = try temporaryDirectory() + "/groups.safetensors"
        let straight = makeRun(seed: 8)
        train(straight, steps: 0..<12)

        let first = makeRun(seed: 8)
        train(first, steps: 0..<5)
        try TrainingCheckpoint<Float>(step: 5).save(model: first.0, optimizer: first.1, scheduler: first.2, toFile: path)
        let resumed = makeRun(seed: 99, rates: (0.5, 0.25))
        _ = try TrainingCheckpoint<Float>.load(model: resumed.0, optimizer: resumed.1, scheduler: resumed.2, fromFile: path)
        #expect(resumed.1.groups.map(\.initialLearningRate) == [0.01, 0.003])
        #expect(resumed.1.groups.map(\.learningRate) == first.1.groups.map(\.learningRate))
        train(resumed, steps: 5..<12)

        #expect(resumed.0.namedParameters.map(\.parameter.value.scalars) == straight.0.namedParameters.map(\.parameter.value.scalars))
        #expect(resumed.1.groups.map(\.learningRate) == straight.1.groups.map(\.learningRate))
        // The schedule halved both groups' rates after steps 3, 6, 9 and 12.
        let halvedFourTimes: [Double] = [0.01 / 16, 0.003 / 16]
        #expect(straight.1.groups.map(\.learningRate) == halvedFourTimes)
    }

    /// A checkpoint of other groups is refused before anything changes, naming what differs.
    @Test func aCheckpointOfOtherGroupsIsRefused() throws {
        let path = try temporaryDirectory() + "/groups.safetensors"
        let run = makeRun(seed: 1)
        train(run, steps: 0..<2)
        try TrainingCheckpoint<Float>(step: 2).save(model: run.0, optimizer: run.1, scheduler: run.2, toFile: path)

        let model = makeRun(seed: 2).0
        let parameters = model.trainableParameters
        let oneGroup = AdamW(parameters, learningRate: 0.2)
        let before = model.namedParameters.map(\.parameter.value.scalars)
        #expect(throws: CheckpointError(path: path, reason: "it holds 2 parameter groups of 2, 2 parameters; "
                                        + "the optimizer has 1 parameter group of 4 parameters")) {
            _ = try TrainingCheckpoint<Float>.load(model: model, optimizer: oneGroup, fromFile: path)
        }
        let otherSplit = AdamW(groups: [ParameterGroup(Array(parameters.prefix(3))), ParameterGroup(Array(parameters.suffix(1)))])
        #expect(throws: CheckpointError(path: path, reason: "it holds 2 parameter groups of 2, 2 parameters; "
                                        + "the optimizer has 2 parameter groups of 3, 1 parameters")) {
            _ = try TrainingCheckpoint<Float>.load(model: model, optimizer: otherSplit, fromFile: path)
        }
        #expect(model.namedParameters.map(\.parameter.value.scalars) == before)
        #expect(oneGroup.learningRate == 0.2 && oneGroup.state.isEmpty)
    }

    /// Group metadata that does not parse is an error naming the key; nothing changes.
    @Test func malformedGroupMetadataIsAnError() throws {
        let run = makeRun(seed: 1)
        let saved = try temporaryDirectory() + "/groups.safetensors"
        try TrainingCheckpoint<Float>(step: 0).save(model: run.0, optimizer: run.1, toFile: saved)
        let file = try SafeTensorsFile(contentsOfFile: saved)
        let cases: [(String, String?, String)] = [
            ("group_learning_rates", "0.01,nan", "metadata \"group_learning_rates\" is not a list of finite numbers ≥ 0"),
            ("group_initial_learning_rates", "0.01,-1", "metadata \"group_initial_learning_rates\" is not a list of finite numbers ≥ 0"),
            ("group_sizes", "2,x", "metadata \"group_sizes\" is not a list of whole numbers in 0...2^53"),
            ("group_learning_rates", nil, "metadata \"group_learning_rates\" is missing"),
            ("group_learning_rates", "0.1", "metadata \"group_sizes\", \"group_learning_rates\" and \"group_initial_learning_rates\" "
                + "list 2, 1 and 2 groups"),
        ]
        for (key, value, reason) in cases {
            var broken = file
            broken.metadata[key] = value
            let target = makeRun(seed: 3)
            #expect(throws: CheckpointError(path: "<memory>", reason: reason), "\(key)") {
                _ = try TrainingCheckpoint<Float>.load(model: target.0, optimizer: target.1, from: broken)
            }
            #expect(target.1.groups.map(\.learningRate) == [0.01, 0.003] && target.1.state.isEmpty)
        }
    }

    /// A checkpoint written before groups were saved (one `learning_rate`) still loads into an
    /// optimizer of one group, and is refused by one of two.
    @Test func checkpointsOfOneLearningRateStillLoad() throws {
        let path = try temporaryDirectory() + "/single.safetensors"
        let model = Sequential<Double> { Linear(2, 2) }
        try TrainingCheckpoint<Double>(step: 1).save(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.07),
                                                     toFile: path)
        var legacy = try SafeTensorsFile(contentsOfFile: path)
        #expect(legacy.metadata["learning_rate"] == "0.07" && legacy.metadata["group_sizes"] == "2")
        for key in ["group_sizes", "group_learning_rates", "group_initial_learning_rates"] { legacy.metadata[key] = nil }
        let single = SGD(model.trainableParameters, learningRate: 1)
        _ = try TrainingCheckpoint<Double>.load(model: model, optimizer: single, from: legacy)
        #expect(single.learningRate == 0.07 && single.groups[0].initialLearningRate == 1)
        let two = SGD(groups: [ParameterGroup([model.trainableParameters[0]]), ParameterGroup([model.trainableParameters[1]])],
                      learningRate: 1)
        #expect(throws: CheckpointError(path: "<memory>", reason: "it holds one parameter group (metadata \"learning_rate\" only); "
                                        + "the optimizer has 2 parameter groups of 1, 1 parameters")) {
            _ = try TrainingCheckpoint<Double>.load(model: model, optimizer: two, from: legacy)
        }
    }
}
