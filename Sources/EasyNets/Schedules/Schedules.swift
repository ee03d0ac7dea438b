import RealModule

/// A learning rate as a function of the scheduler step (0 before the first `step()`), in closed
/// form. Each schedule below matches the PyTorch scheduler of the same name.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate after `step` scheduler steps, for an optimizer whose initial rate is `base`.
    func learningRate(at step: Int, base: Double) -> Double
    /// The learning rate of parameter group `group` (0-based) after `step` scheduler steps, for a
    /// group whose initial rate is `base`. By default the same function of `base` for every group;
    /// ``OneCycleSchedule`` with per-group maxima is the exception.
    func learningRate(at step: Int, base: Double, group: Int) -> Double
}

extension LearningRateSchedule {
    /// `learningRate(at: step, base: base)`: every group's rate follows from its own base rate.
    public func learningRate(at step: Int, base: Double, group: Int) -> Double { learningRate(at: step, base: base) }
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
/// to the peak rate over the first `warmupFraction` of `totalSteps`, then down to
/// maxRate/(divFactor·finalDivFactor). The base rate is ignored. Momentum is not cycled.
///
/// As PyTorch's `max_lr`, the peak is one rate for every parameter group (``init(maximum:totalSteps:warmupFraction:divFactor:finalDivFactor:)``)
/// or one per group (``init(maxima:totalSteps:warmupFraction:divFactor:finalDivFactor:)``).
public struct OneCycleSchedule: LearningRateSchedule {
    /// The peak rate of every group, or of each group in turn, the length of the run, the rising
    /// part, and the starting and final divisors.
    public var maxima: [Double], totalSteps: Int, warmupFraction: Double, divFactor: Double, finalDivFactor: Double
    /// The first group's peak rate (every group's with one peak).
    public var maximum: Double { maxima[0] }

    /// One cycle over `totalSteps` steps, every group peaking at `maximum` (PyTorch's defaults).
    public init(maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3, divFactor: Double = 25,
                finalDivFactor: Double = 1e4) {
        self.init(maxima: [maximum], totalSteps: totalSteps, warmupFraction: warmupFraction, divFactor: divFactor,
                  finalDivFactor: finalDivFactor)
    }

    /// One cycle over `totalSteps` steps, parameter group i peaking at `maxima[i]` (one rate: every
    /// group's), as `OneCycleLR(max_lr=[…])`.
    public init(maxima: [Double], totalSteps: Int, warmupFraction: Double = 0.3, divFactor: Double = 25,
                finalDivFactor: Double = 1e4) {
        require(totalSteps > 1 && warmupFraction > 0 && warmupFraction < 1 && !maxima.isEmpty,
                "OneCycleSchedule: invalid arguments (totalSteps \(totalSteps), warmupFraction \(warmupFraction), "
                + "\(maxima.count) maxima)")
        (self.maxima, self.totalSteps, self.warmupFraction, self.divFactor, self.finalDivFactor) =
            (maxima, totalSteps, warmupFraction, divFactor, finalDivFactor)
    }

    /// The first group's rate.
    public func learningRate(at step: Int, base: Double) -> Double { learningRate(at: step, base: base, group: 0) }

    /// Group `group`'s rate, peaking at its own maximum.
    public func learningRate(at step: Int, base: Double, group: Int) -> Double {
        require(maxima.count == 1 || maxima.indices.contains(group),
                "OneCycleSchedule: \(maxima.count) maxima, none for parameter group \(group)")
        let maximum = maxima.count == 1 ? maxima[0] : maxima[group]
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
    public func learningRate(at step: Int, base: Double) -> Double { learningRate(at: step, base: base, group: 0) }
    public func learningRate(at step: Int, base: Double, group: Int) -> Double {
        schedules.reduce(base) { $0 * $1.learningRate(at: step, base: 1, group: group) }
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
    public func learningRate(at step: Int, base: Double) -> Double { learningRate(at: step, base: base, group: 0) }
    public func learningRate(at step: Int, base: Double, group: Int) -> Double {
        let index = milestones.filter { $0 <= step }.count
        let start = index == 0 ? 0 : milestones[index - 1]
        return schedules[index].learningRate(at: step - start, base: base, group: group)
    }
}

/// Drives an optimizer's learning rates from a schedule: call ``step()`` once per epoch (or per
/// batch, as the schedule is designed for).
///
/// As PyTorch's schedulers, it sets every parameter group's rate from the schedule and that
/// group's own base rate, its ``OptimizerGroup/initialLearningRate`` (`initial_lr`): a schedule
/// scales groups of different rates alike.
public final class LearningRateScheduler<Scalar: TensorScalar> {
    /// The optimizer whose rates are set.
    public let optimizer: any Optimizer<Scalar>
    /// The rate as a function of the step.
    public let schedule: any LearningRateSchedule
    /// Each group's base rate: its initial rate (PyTorch's `base_lrs`).
    public var baseLearningRates: [Double] { optimizer.groups.map(\.initialLearningRate) }
    /// The first group's base rate.
    public var baseLearningRate: Double { optimizer.groups[0].initialLearningRate }
    /// Steps taken so far (saved in training checkpoints).
    public var stepCount: Int { didSet { apply() } }

    /// Sets every group's rate of `optimizer` from `schedule` at step 0.
    public init(optimizer: any Optimizer<Scalar>, schedule: any LearningRateSchedule) {
        self.optimizer = optimizer
        self.schedule = schedule
        stepCount = 0
        apply()
    }

    /// Advances one step and sets the optimizer's rates.
    public func step() { stepCount += 1 }

    private func apply() {
        var groups = optimizer.groups
        for index in groups.indices {
            groups[index].learningRate = schedule.learningRate(at: stepCount, base: groups[index].initialLearningRate, group: index)
        }
        optimizer.groups = groups
    }
}

/// Reduces the learning rates when a metric stops improving (`ReduceLROnPlateau`, relative
/// threshold): after more than `patience` steps without improvement, each parameter group's
/// rate ← max(rate·factor, its minimum), unless that changes it by 1e-8 or less (PyTorch's `eps`).
public final class ReduceOnPlateau<Scalar: TensorScalar> {
    /// Whether a lower (`min`) or higher (`max`) metric is better.
    public enum Mode: String, Sendable { case min, max }
    /// The optimizer whose rate is reduced.
    public let optimizer: any Optimizer<Scalar>
    /// Whether lower or higher metrics are better.
    public let mode: Mode
    /// Rate multiplier, tolerated steps without improvement, relative improvement threshold, and
    /// steps to wait after a cut.
    public let factor: Double, patience: Int, threshold: Double, cooldown: Int
    /// The lowest rate of each parameter group (PyTorch's `min_lr`).
    public let minima: [Double]
    /// The first group's lowest rate.
    public var minimum: Double { minima[0] }
    /// The best metric so far (saved in training checkpoints, with the two counters below).
    public var best: Double
    /// Steps without improvement so far.
    public var badSteps = 0
    /// Steps left before bad steps count again after a cut.
    public var cooldownLeft = 0

    /// Watches a metric for `optimizer` (PyTorch's defaults), no group's rate going below `minimum`.
    public convenience init(optimizer: any Optimizer<Scalar>, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                            threshold: Double = 1e-4, cooldown: Int = 0, minimum: Double = 0) {
        self.init(optimizer: optimizer, mode: mode, factor: factor, patience: patience, threshold: threshold,
                  cooldown: cooldown, minima: [minimum])
    }

    /// Watches a metric for `optimizer`, group i's rate going no lower than `minima[i]`, as
    /// `ReduceLROnPlateau(min_lr=[…])`; one minimum is every group's.
    public init(optimizer: any Optimizer<Scalar>, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, cooldown: Int = 0, minima: [Double]) {
        require(factor < 1, "ReduceOnPlateau: factor must be below 1, got \(factor)")
        require(minima.count == 1 || minima.count == optimizer.groups.count,
                "ReduceOnPlateau: \(minima.count) minima for \(optimizer.groups.count) parameter groups")
        (self.optimizer, self.mode, self.factor, self.patience, self.threshold, self.cooldown) =
            (optimizer, mode, factor, patience, threshold, cooldown)
        self.minima = minima.count == 1 ? Array(repeating: minima[0], count: optimizer.groups.count) : minima
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
            var groups = optimizer.groups
            for index in groups.indices {
                let reduced = Swift.max(groups[index].learningRate * factor, minima[index])
                if groups[index].learningRate - reduced > 1e-8 { groups[index].learningRate = reduced }
            }
            optimizer.groups = groups
            cooldownLeft = cooldown
            badSteps = 0
        }
    }
}
