import EasyNets
import Testing

// The schedules `easynets train --schedule` names, fitted to the run as a TrainingRecipe fits them.

@Test func scheduleKinds() {
    #expect(ScheduleKind.none.makeSchedule(epochs: 9, batchesPerEpoch: 4, learningRate: 0.1) == nil)
    #expect((ScheduleKind.step.makeSchedule(epochs: 9, batchesPerEpoch: 4, learningRate: 0.1) as? StepSchedule)?.stepSize == 3)
    #expect((ScheduleKind.cosine.makeSchedule(epochs: 9, batchesPerEpoch: 4, learningRate: 0.1) as? CosineAnnealingSchedule)?.period == 9)
    #expect((ScheduleKind.exponential.makeSchedule(epochs: 9, batchesPerEpoch: 4, learningRate: 0.1) as? ExponentialSchedule)?.gamma == 0.9)
    let cycle = ScheduleKind.onecycle.makeSchedule(epochs: 9, batchesPerEpoch: 4, learningRate: 0.1) as? OneCycleSchedule
    #expect(cycle?.totalSteps == 36 && cycle?.maximum == 0.1)
    #expect(ScheduleKind.plateau.makeSchedule(epochs: 9, batchesPerEpoch: 4, learningRate: 0.1) == nil)
    #expect(ScheduleKind.allCases.map(\.stepping) == [.perEpoch, .perEpoch, .perEpoch, .perEpoch, .perBatch, .perEpoch])
}
