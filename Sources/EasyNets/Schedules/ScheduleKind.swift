/// The learning-rate schedules a ``TrainingRecipe`` names (the values of `easynets train --schedule`),
/// each fitted to the run's length.
public enum ScheduleKind: String, CaseIterable, Sendable {
    /// A constant rate.
    case none
    /// ``StepSchedule``: the rate divided by 10 after every third of the epochs.
    case step
    /// ``CosineAnnealingSchedule`` from the rate down to 0 over the epochs.
    case cosine
    /// ``ExponentialSchedule``: the rate multiplied by 0.9 after each epoch.
    case exponential
    /// ``OneCycleSchedule`` up to the rate and down again over every batch of the run.
    case onecycle
    /// ``ReduceOnPlateau``: the rate multiplied by 0.1 when the monitored value (the validation
    /// loss by default) has not improved for ``TrainingRecipe/plateauPatience`` epochs.
    case plateau

    /// When the schedule steps: after each batch for ``onecycle``, after each epoch for the others.
    public var stepping: ScheduleStepping { self == .onecycle ? .perBatch : .perEpoch }

    /// The schedule for a run of `epochs` epochs of `batchesPerEpoch` batches whose (peak) rate is
    /// `learningRate`; `nil` for ``none`` and ``plateau`` (which follows a metric, not the step).
    public func makeSchedule(epochs: Int, batchesPerEpoch: Int, learningRate: Double) -> (any LearningRateSchedule)? {
        switch self {
        case .none, .plateau: return nil
        case .step: return StepSchedule(stepSize: max(1, epochs / 3), gamma: 0.1)
        case .cosine: return CosineAnnealingSchedule(period: epochs)
        case .exponential: return ExponentialSchedule(gamma: 0.9)
        case .onecycle: return OneCycleSchedule(maximum: learningRate, totalSteps: max(2, epochs * batchesPerEpoch))
        }
    }
}
