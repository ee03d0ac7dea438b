import RealModule

/// A learning rate as a function of the scheduler step (0 before the first `step()`), in closed
/// form. Each schedule below matches the PyTorch scheduler of the same name.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate after `step` scheduler steps, for an optimizer whose initial rate is `base`.
    func learningRate(at step: Int, base: Double) -> Double
}

/// Multiplies the rate by `gamma` every `stepSize` steps (`StepLR`).
public struct StepSchedule: LearningRateSchedule {
    /// Steps between decays, and the factor applied at each.
    public var stepSize: Int, gamma: Double
    /// Decays by `gamma` every `stepSize` steps.
    public init(stepSize: Int, gamma: Double = 0.1) {
        require(stepSize > 0, "StepSchedule: stepSize must be positive")
        (self.stepSize, self.gamma) = (stepSize, gamma)
    }
    public func learningRate(at step: Int, base: Double) -> Double {
        base * Double.pow(gamma, Double(step / stepSize))
    }
}

/// Multiplies the rate by `gamma` at each milestone (`MultiStepLR`).
public struct MultiStepSchedule: LearningRateSchedule {
    /// The steps at which the rate decays (sorted), and the factor applied at each.
    public var milestones: [Int], gamma: Double
    /// Decays by `gamma` at each of `milestones`.
    public init(milestones: [Int], gamma: Double = 0.1) { (self.milestones, self.gamma) = (milestones.sorted(), gamma) }
    public func learningRate(at step: Int, base: Double) -> Double {
        base * Double.pow(gamma, Double(milestones.filter { $0 <= step }.count))
    }
}

/// Multiplies the rate by `gamma` every step (`ExponentialLR`).
public struct ExponentialSchedule: LearningRateSchedule {
    /// The factor applied every step.
    public var gamma: Double
    /// Decays by `gamma` every step.
    public init(gamma: Double) { self.gamma = gamma }
    public func learningRate(at step: Int, base: Double) -> Double { base * Double.pow(gamma, Double(step)) }
}

/// Cosine annealing from the base rate to `minimum` over `period` steps (`CosineAnnealingLR`,
/// closed form): η = ηmin + (η₀ − ηmin)(1 + cos(π·t/T))/2.
public struct CosineAnnealingSchedule: LearningRateSchedule {
    /// Steps T to anneal over, and the final rate ηmin.
    public var period: Int, minimum: Double
    /// Anneals to `minimum` over `period` steps.
    public init(period: Int, minimum: Double = 0) {
        require(period > 0, "CosineAnnealingSchedule: period must be positive")
        (self.period, self.minimum) = (period, minimum)
    }
    public func learningRate(at step: Int, base: Double) -> Double {
        minimum + (base - minimum) * (1 + Double.cos(Double.pi * Double(step) / Double(period))) / 2
    }
}

/// Cosine annealing with warm restarts (`CosineAnnealingWarmRestarts`): the first cycle lasts
/// `firstPeriod` steps and each next one `periodMultiplier` times longer.
public struct CosineWarmRestartsSchedule: LearningRateSchedule {
    /// Length of the first cycle, growth of each next one, and the lowest rate.
    public var firstPeriod: Int, periodMultiplier: Int, minimum: Double
    /// Cycles starting `firstPeriod` steps long, each `periodMultiplier` times longer.
    public init(firstPeriod: Int, periodMultiplier: Int = 1, minimum: Double = 0) {
        require(firstPeriod > 0 && periodMultiplier >= 1, "CosineWarmRestartsSchedule: invalid periods")
        (self.firstPeriod, self.periodMultiplier, self.minimum) = (firstPeriod, periodMultiplier, minimum)
    }
    public func learningRate(at step: Int, base: Double) -> Double {
        var position = step, period = firstPeriod
        while position >= period {
            position -= period
            period *= periodMultiplier
        }
        return minimum + (base - minimum) * (1 + Double.cos(Double.pi * Double(position) / Double(period))) / 2
    }
}

/// Linear warm-up: the factor goes from `startFactor` to `endFactor` over `steps` steps, then
/// stays (`LinearLR`).
public struct LinearWarmupSchedule: LearningRateSchedule {
    /// Factors of the base rate at step 0 and from `steps` on.
    public var startFactor: Double, endFactor: Double, steps: Int
    /// Ramps the factor linearly (PyTorch's defaults: from 1/3 to 1 over 5 steps).
    public init(startFactor: Double = 1.0 / 3, endFactor: Double = 1, steps: Int = 5) {
        require(steps > 0, "LinearWarmupSchedule: steps must be positive")
        (self.startFactor, self.endFactor, self.steps) = (startFactor, endFactor, steps)
    }
    public func learningRate(at step: Int, base: Double) -> Double {
        base * (startFactor + (endFactor - startFactor) * Double(Swift.min(step, steps)) / Double(steps))
    }
}

/// The one-cycle policy (`OneCycleLR`, cosine annealing, two phases): from maxRate/divFactor up
/// to `maximum` over the first `warmupFraction` of `totalSteps`, then down to
/// maxRate/(divFactor·finalDivFactor). The base rate is ignored. Momentum is not cycled.
public struct OneCycleSchedule: LearningRateSchedule {
    /// The peak rate, the length of the run, the rising part, and the starting and final divisors.
    public var maximum: Double, totalSteps: Int, warmupFraction: Double, divFactor: Double, finalDivFactor: Double
    /// One cycle over `totalSteps` steps peaking at `maximum` (PyTorch's defaults).
    public init(maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3, divFactor: Double = 25,
                finalDivFactor: Double = 1e4) {
        require(totalSteps > 1 && warmupFraction > 0 && warmupFraction < 1, "OneCycleSchedule: invalid arguments")
        (self.maximum, self.totalSteps, self.warmupFraction, self.divFactor, self.finalDivFactor) =
            (maximum, totalSteps, warmupFraction, divFactor, finalDivFactor)
    }
    public func learningRate(at step: Int, base: Double) -> Double {
        let initial = maximum / divFactor
        let final = initial / finalDivFactor
        let warmupEnd = warmupFraction * Double(totalSteps) - 1
        let end = Double(totalSteps - 1)
        func anneal(_ start: Double, _ stop: Double, _ fraction: Double) -> Double {
            stop + (start - stop) / 2 * (1 + Double.cos(Double.pi * fraction))
        }
        let t = Double(step)
        if t <= warmupEnd { return anneal(initial, maximum, t / warmupEnd) }
        return anneal(maximum, final, (t - warmupEnd) / (end - warmupEnd))
    }
}

/// Several schedules at once, their factors multiplied (`ChainedScheduler` for multiplicative
/// schedules): η = η₀ · Π sᵢ(t, base: 1).
public struct ChainedSchedule: LearningRateSchedule {
    /// The schedules whose factors multiply.
    public var schedules: [any LearningRateSchedule]
    /// Multiplies the factors of `schedules`.
    public init(_ schedules: [any LearningRateSchedule]) { self.schedules = schedules }
    public func learningRate(at step: Int, base: Double) -> Double {
        schedules.reduce(base) { $0 * $1.learningRate(at: step, base: 1) }
    }
}

/// Schedules one after another (`SequentialLR`): schedule i runs from milestone i − 1 on, with
/// its own step count starting at 0.
public struct SequentialSchedule: LearningRateSchedule {
    /// The schedules in turn, and the steps at which each next one starts.
    public var schedules: [any LearningRateSchedule], milestones: [Int]
    /// Runs `schedules` in turn, switching at `milestones` (one fewer than schedules).
    public init(_ schedules: [any LearningRateSchedule], milestones: [Int]) {
        require(milestones.count == schedules.count - 1, "SequentialSchedule: needs one milestone between each two schedules")
        (self.schedules, self.milestones) = (schedules, milestones)
    }
    public func learningRate(at step: Int, base: Double) -> Double {
        let index = milestones.filter { $0 <= step }.count
        let start = index == 0 ? 0 : milestones[index - 1]
        return schedules[index].learningRate(at: step - start, base: base)
    }
}

/// Drives an optimizer's learning rate from a schedule: call ``step()`` once per epoch (or per
/// batch, as the schedule is designed for).
public final class LearningRateScheduler<Scalar: TensorScalar> {
    /// The optimizer whose rate is set.
    public let optimizer: any Optimizer<Scalar>
    /// The rate as a function of the step.
    public let schedule: any LearningRateSchedule
    /// The optimizer's rate when the scheduler was made.
    public let baseLearningRate: Double
    /// Steps taken so far (saved in training checkpoints).
    public var stepCount: Int { didSet { apply() } }

    /// Sets `optimizer`'s rate from `schedule` at step 0, taking its current rate as the base.
    public init(optimizer: any Optimizer<Scalar>, schedule: any LearningRateSchedule) {
        self.optimizer = optimizer
        self.schedule = schedule
        baseLearningRate = optimizer.learningRate
        stepCount = 0
        apply()
    }

    /// Advances one step and sets the optimizer's rate.
    public func step() { stepCount += 1 }

    private func apply() { optimizer.learningRate = schedule.learningRate(at: stepCount, base: baseLearningRate) }
}

/// Reduces the learning rate when a metric stops improving (`ReduceLROnPlateau`, relative
/// threshold): after more than `patience` steps without improvement, rate ← max(rate·factor, minimum).
public final class ReduceOnPlateau<Scalar: TensorScalar> {
    /// Whether a lower (`min`) or higher (`max`) metric is better.
    public enum Mode: String, Sendable { case min, max }
    /// The optimizer whose rate is reduced.
    public let optimizer: any Optimizer<Scalar>
    /// Whether lower or higher metrics are better.
    public let mode: Mode
    /// Rate multiplier, tolerated steps without improvement, relative improvement threshold,
    /// steps to wait after a cut, and the lowest rate.
    public let factor: Double, patience: Int, threshold: Double, cooldown: Int, minimum: Double
    /// The best metric so far (saved in training checkpoints, with the two counters below).
    public var best: Double
    /// Steps without improvement so far.
    public var badSteps = 0
    /// Steps left before bad steps count again after a cut.
    public var cooldownLeft = 0

    /// Watches a metric for `optimizer` (PyTorch's defaults).
    public init(optimizer: any Optimizer<Scalar>, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, cooldown: Int = 0, minimum: Double = 0) {
        require(factor < 1, "ReduceOnPlateau: factor must be below 1")
        (self.optimizer, self.mode, self.factor, self.patience, self.threshold, self.cooldown, self.minimum) =
            (optimizer, mode, factor, patience, threshold, cooldown, minimum)
        best = mode == .min ? .infinity : -.infinity
    }

    /// Records the epoch's metric and lowers the rate if it has plateaued.
    public func step(metric: Double) {
        let improved = mode == .min ? metric < best * (1 - threshold) : metric > best * (1 + threshold)
        if improved {
            best = metric
            badSteps = 0
        } else {
            badSteps += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badSteps = 0
        }
        if badSteps > patience {
            let reduced = Swift.max(optimizer.learningRate * factor, minimum)
            if optimizer.learningRate - reduced > 1e-8 { optimizer.learningRate = reduced }
            cooldownLeft = cooldown
            badSteps = 0
        }
    }
}
