import Testing
@testable import EasyNets

/// torch.optim.lr_scheduler sequences (scripts/fixtures/make_schedule_fixture.py).
struct ScheduleFixture: Decodable {
    var base: Double
    var steps: Int
    var cases: [String: [Double]]
    var plateau_metrics: [Double]
}

@Suite struct ScheduleTests {
    let f: ScheduleFixture
    init() throws { f = try loadFixture("schedules.json", as: ScheduleFixture.self) }

    func check(_ name: String, _ schedule: any LearningRateSchedule, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try #require(f.cases[name], sourceLocation: sourceLocation)
        let optimizer = SGD([Parameter(Tensor<Double>([0]))], learningRate: f.base)
        let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: schedule)
        var rates = [optimizer.learningRate]
        for _ in 0..<f.steps {
            scheduler.step()
            rates.append(optimizer.learningRate)
        }
        expectClose(rates, expected, tolerance: 1e-12, "\(name)", sourceLocation: sourceLocation)
    }

    @Test func schedulesMatchPyTorch() throws {
        try check("step", StepSchedule(stepSize: 7, gamma: 0.5))
        try check("multistep", MultiStepSchedule(milestones: [5, 12, 30], gamma: 0.3))
        try check("exponential", ExponentialSchedule(gamma: 0.93))
        try check("cosine", CosineAnnealingSchedule(period: 25, minimum: 0.001))
        try check("cosine_restarts", CosineWarmRestartsSchedule(firstPeriod: 5, periodMultiplier: 2, minimum: 0.002))
        try check("cosine_restarts_constant", CosineWarmRestartsSchedule(firstPeriod: 7))
        try check("linear_warmup", LinearWarmupSchedule(startFactor: 0.1, endFactor: 1, steps: 8))
        try check("one_cycle", OneCycleSchedule(maximum: 0.5, totalSteps: f.steps + 1, warmupFraction: 0.25))
        try check("chained", ChainedSchedule([LinearWarmupSchedule(startFactor: 0.2, steps: 5), ExponentialSchedule(gamma: 0.95)]))
        try check("sequential", SequentialSchedule([LinearWarmupSchedule(startFactor: 0.25, steps: 4),
                                                    CosineAnnealingSchedule(period: 30)], milestones: [6]))
    }

    @Test func reduceOnPlateauMatchesPyTorch() throws {
        let optimizer = SGD([Parameter(Tensor<Double>([0]))], learningRate: f.base)
        let plateau = ReduceOnPlateau(optimizer: optimizer, factor: 0.5, patience: 2, threshold: 1e-2, cooldown: 1, minimum: 0.004)
        var rates = [optimizer.learningRate]
        for metric in f.plateau_metrics.prefix(f.steps) {
            plateau.step(metric: metric)
            rates.append(optimizer.learningRate)
        }
        expectClose(rates, try #require(f.cases["plateau"]), tolerance: 1e-12)
    }
}
