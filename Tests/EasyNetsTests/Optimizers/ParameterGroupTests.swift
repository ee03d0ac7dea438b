import Testing
@testable import EasyNets

/// Trajectories of torch.optim with two parameter groups (scripts/fixtures/make_parameter_groups_fixture.py).
struct ParameterGroupFixture: Decodable {
    struct Named: Decodable {
        var name: String
        var shape: [Int]
        var values: [Double]
    }
    struct Schedule: Decodable {
        var kind: String
        var step_size: Int?
        var gamma: Double?
        var period: Int?
        var minimum: Double?
        var maxima: [Double]?
        var total_steps: Int?
    }
    struct Plateau: Decodable {
        var factor: Double
        var patience: Int
        var threshold: Double
        var minima: [Double]
        var metrics: [Double]
    }
    struct Step: Decodable {
        var parameters: [[Double]]
        var learning_rates: [Double]
    }
    struct Case: Decodable {
        var name: String
        var optimizer: String
        var defaults: [String: Double]
        var groups: [[String: Double]]
        var schedule: Schedule?
        var plateau: Plateau?
        var frozen_layers: [Int]?
        var initial_learning_rates: [Double]
        var steps: [Step]
    }
    var inputs: EncodedTensor
    var targets: EncodedTensor
    var initial: [Named]
    var cases: [Case]
    /// The same cases run in float32 by PyTorch (optimizers_extra.json only).
    var float_cases: [Case]?
}

/// One fixture case rebuilt in EasyNets: the model, its optimizer over two groups, and the schedule.
struct GroupRun<S: TensorScalar> {
    let model: Sequential<S>
    let optimizer: any Optimizer<S>
    let scheduler: LearningRateScheduler<S>?
    let plateau: ReduceOnPlateau<S>?

    init(_ c: ParameterGroupFixture.Case, _ f: ParameterGroupFixture) throws {
        let model = Sequential<S> { Linear(3, 4); ReLU(); Linear(4, 2) }
        let optimizer: any Optimizer<S>
        for (named, (name, parameter)) in zip(f.initial, model.namedParameters) {
            #expect(named.name == name)
            parameter.assign(Tensor(named.values.map { S($0) }, shape: named.shape))
        }
        for index in c.frozen_layers ?? [] { model.layers[index].freeze() }
        // Groups 0 and 1: the first and the second Linear's weight and bias, all given to the optimizer.
        let members = [0, 1].map { Array(model.namedParameters.map(\.parameter)[2 * $0..<2 * $0 + 2]) }
        let d = c.defaults
        func flag(_ options: [String: Double], _ key: String) -> Bool? { options[key].map { $0 != 0 } }
        func groups<Options: OptimizerOptions>(_ apply: @escaping ([String: Double], inout Options) -> Void)
            -> [ParameterGroup<S, Options>] {
            zip(members, c.groups).map { parameters, options in
                ParameterGroup(parameters, learningRate: options["lr"], weightDecay: options["weight_decay"]) { apply(options, &$0) }
            }
        }
        switch c.optimizer {
        case "SGD":
            optimizer = SGD(groups: groups { (o, options: inout SGD<S>.Options) in
                options.momentum = o["momentum"] ?? options.momentum
                options.dampening = o["dampening"] ?? options.dampening
                options.nesterov = flag(o, "nesterov") ?? options.nesterov
            }, learningRate: d["lr"]!, momentum: d["momentum"] ?? 0, dampening: d["dampening"] ?? 0,
               weightDecay: d["weight_decay"] ?? 0, nesterov: flag(d, "nesterov") ?? false)
        case "Adam", "AdamW":
            let apply = { (o: [String: Double], options: inout Adam<S>.Options) in
                options.beta1 = o["beta1"] ?? options.beta1
                options.beta2 = o["beta2"] ?? options.beta2
                options.epsilon = o["eps"] ?? options.epsilon
                options.amsgrad = flag(o, "amsgrad") ?? options.amsgrad
            }
            optimizer = c.optimizer == "Adam"
                ? Adam(groups: groups(apply), learningRate: d["lr"]!, weightDecay: d["weight_decay"] ?? 0)
                : AdamW(groups: groups(apply), learningRate: d["lr"]!, weightDecay: d["weight_decay"] ?? 0.01)
        case "RMSprop":
            optimizer = RMSProp(groups: groups { (o, options: inout RMSProp<S>.Options) in
                options.alpha = o["alpha"] ?? options.alpha
                options.momentum = o["momentum"] ?? options.momentum
                options.centered = flag(o, "centered") ?? options.centered
            }, learningRate: d["lr"]!)
        case "Adagrad":
            optimizer = Adagrad(groups: groups { (o, options: inout Adagrad<S>.Options) in
                options.learningRateDecay = o["lr_decay"] ?? options.learningRateDecay
                options.epsilon = o["eps"] ?? options.epsilon
            }, learningRate: d["lr"]!, initialAccumulatorValue: d["initial_accumulator_value"] ?? 0)
        case "NAdam":
            optimizer = NAdam(groups: groups { (o, options: inout NAdam<S>.Options) in
                options.beta1 = o["beta1"] ?? options.beta1
                options.beta2 = o["beta2"] ?? options.beta2
                options.epsilon = o["eps"] ?? options.epsilon
                options.momentumDecay = o["momentum_decay"] ?? options.momentumDecay
            }, learningRate: d["lr"]!, beta2: d["beta2"] ?? 0.999, weightDecay: d["weight_decay"] ?? 0,
               decoupledWeightDecay: flag(d, "decoupled_weight_decay") ?? false)
        case "RAdam":
            optimizer = RAdam(groups: groups { (o, options: inout RAdam<S>.Options) in
                options.beta1 = o["beta1"] ?? options.beta1
                options.beta2 = o["beta2"] ?? options.beta2
                options.epsilon = o["eps"] ?? options.epsilon
            }, learningRate: d["lr"]!, beta2: d["beta2"] ?? 0.999, weightDecay: d["weight_decay"] ?? 0,
               decoupledWeightDecay: flag(d, "decoupled_weight_decay") ?? false)
        case "Adamax":
            optimizer = Adamax(groups: groups { (o, options: inout Adamax<S>.Options) in
                options.beta1 = o["beta1"] ?? options.beta1
                options.beta2 = o["beta2"] ?? options.beta2
                options.epsilon = o["eps"] ?? options.epsilon
            }, learningRate: d["lr"]!, weightDecay: d["weight_decay"] ?? 0)
        default:
            Issue.record("unknown optimizer \(c.optimizer)")
            throw CancellationError()
        }
        scheduler = try c.schedule.map { [optimizer] s in
            let schedule: any LearningRateSchedule
            switch s.kind {
            case "StepLR": schedule = StepSchedule(stepSize: s.step_size!, gamma: s.gamma!)
            case "CosineAnnealingLR": schedule = CosineAnnealingSchedule(period: s.period!, minimum: s.minimum!)
            case "OneCycleLR": schedule = OneCycleSchedule(maxima: s.maxima!, totalSteps: s.total_steps!)
            default:
                Issue.record("unknown schedule \(s.kind)")
                throw CancellationError()
            }
            return LearningRateScheduler(optimizer: optimizer, schedule: schedule)
        }
        plateau = c.plateau.map { [optimizer] in
            ReduceOnPlateau(optimizer: optimizer, factor: $0.factor, patience: $0.patience, threshold: $0.threshold, minima: $0.minima)
        }
        (self.model, self.optimizer) = (model, optimizer)
    }

    /// One step of the fixture: the mean squared error of the batch, backward, the optimizer step,
    /// then the schedule (or the plateau's `metric`).
    func step(_ f: ParameterGroupFixture, metric: Double?) {
        optimizer.zeroGradients()
        let x = Tensor(f.inputs.values.map { S($0) }, shape: f.inputs.shape)
        let y = Tensor(f.targets.values.map { S($0) }, shape: f.targets.shape)
        meanSquaredError(model(x), y).backward()
        optimizer.step()
        scheduler?.step()
        if let plateau, let metric { plateau.step(metric: metric) }
    }
}

@Suite struct ParameterGroupTests {
    let f: ParameterGroupFixture
    init() throws { f = try loadFixture("parameter_groups.json", as: ParameterGroupFixture.self) }

    /// Every case against torch.optim, step by step: parameters and both groups' rates.
    @Test func twoGroupsMatchTorchOptimInDouble() throws {
        #expect(f.cases.count == 10)
        for c in f.cases {
            let run = try GroupRun<Double>(c, f)
            expectClose(run.optimizer.groups.map(\.learningRate), c.initial_learning_rates, tolerance: 1e-12, "\(c.name) initial rates")
            for (t, expected) in c.steps.enumerated() {
                run.step(f, metric: c.plateau?.metrics[t])
                for (i, parameter) in run.model.namedParameters.enumerated() {
                    expectClose(parameter.parameter.value.scalars, expected.parameters[i], tolerance: 1e-12,
                                "\(c.name) step \(t + 1) parameter \(parameter.name)")
                }
                expectClose(run.optimizer.groups.map(\.learningRate), expected.learning_rates, tolerance: 1e-12,
                            "\(c.name) step \(t + 1) rates")
            }
        }
    }

    /// The same runs in Float follow the Double references to Float precision.
    @Test func twoGroupsTrackTorchOptimInFloat() throws {
        for c in f.cases {
            let run = try GroupRun<Float>(c, f)
            for t in c.steps.indices { run.step(f, metric: c.plateau?.metrics[t]) }
            let last = try #require(c.steps.last)
            for (i, parameter) in run.model.namedParameters.enumerated() {
                expectClose(parameter.parameter.value.scalars, last.parameters[i].map { Float($0) }, tolerance: 1e-4,
                            "\(c.name) parameter \(parameter.name)")
            }
        }
    }

    /// Overrides change only their group; the rest comes from the optimizer's arguments.
    @Test func groupsTakeTheOptimizersArgumentsAsDefaults() {
        let a = Parameter(Tensor<Double>([1])), b = Parameter(Tensor<Double>([2, 3])), c = Parameter(Tensor<Double>([4]))
        let sgd = SGD(groups: [ParameterGroup([a, b]), ParameterGroup([c], learningRate: 0.1) { $0.momentum = 0.5 }],
                      learningRate: 0.01, momentum: 0.9, weightDecay: 1e-4)
        #expect(sgd.groupOptions[0] == SGD<Double>.Options(learningRate: 0.01, momentum: 0.9, dampening: 0, weightDecay: 1e-4, nesterov: false))
        #expect(sgd.groupOptions[1] == SGD<Double>.Options(learningRate: 0.1, momentum: 0.5, dampening: 0, weightDecay: 1e-4, nesterov: false))
        #expect(sgd.parameters.map(\.value.scalars) == [[1], [2, 3], [4]])
        #expect(sgd.groups.map(\.parameters.count) == [2, 1])
        #expect(sgd.groups.map(\.initialLearningRate) == [0.01, 0.1])
        // learningRate reads the first group's rate and sets every group's; initial rates stay.
        #expect(sgd.learningRate == 0.01)
        sgd.learningRate = 0.2
        #expect(sgd.groups.map(\.learningRate) == [0.2, 0.2] && sgd.groups.map(\.initialLearningRate) == [0.01, 0.1])
        sgd.groups[1].learningRate = 0.3
        #expect(sgd.groupOptions.map(\.learningRate) == [0.2, 0.3])
        // AdamW's own default weight decay (0.01) is a default too.
        let adamW = AdamW(groups: [ParameterGroup([a]), ParameterGroup([b], weightDecay: 0)])
        #expect(adamW.groupOptions.map(\.weightDecay) == [0.01, 0])
    }

    /// Each group steps with its own rate: hand math on L = Σ p (gradient 1 everywhere).
    @Test func eachGroupStepsWithItsOwnRate() {
        func check<S: TensorScalar>(_: S.Type) {
            let a = Parameter(Tensor<S>([1, 2])), b = Parameter(Tensor<S>([3]))
            let sgd = SGD(groups: [ParameterGroup([a]), ParameterGroup([b], learningRate: 0.5)], learningRate: 0.25)
            (a.value.sum() + b.value.sum()).backward()
            sgd.step()
            #expect(a.value.scalars == [0.75, 1.75] && b.value.scalars == [2.5], "\(S.self)")
        }
        check(Float.self)
        check(Double.self)
    }

    @Test func aParameterInTwoGroupsIsRejected() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let shared = Parameter(Tensor<Double>([1, 2]))
            _ = Adam(groups: [ParameterGroup([shared]), ParameterGroup([Parameter(Tensor<Double>([3])), shared])])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Adam: a parameter of shape [2] is in parameter groups 0 and 1"), "\(message)")
    }

    @Test func theGroupsOfAnOptimizerAreFixed() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let optimizer = RMSProp([Parameter(Tensor<Double>([1]))])
            optimizer.groups = [optimizer.groups[0], optimizer.groups[0]]
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("RMSProp.groups: the groups and their parameters are fixed"), "\(message)")
    }

    @Test func aGroupsOptionsAreChecked() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = SGD(groups: [ParameterGroup([Parameter(Tensor<Double>([1]))]),
                             ParameterGroup([Parameter(Tensor<Double>([2]))]) { $0.nesterov = true }], learningRate: 0.1)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("SGD: Nesterov needs momentum > 0 and no dampening (parameter group 1)"), "\(message)")
    }

    /// Weights of Linear, Conv2d, recurrent, attention and embedding layers are decayed; biases and
    /// every parameter of BatchNorm, LayerNorm and GroupNorm are not.
    @Test func weightDecayGroupsExemptBiasesAndNormalization() {
        var generator = RandomGenerator(seed: 4)
        let conv = Conv2d<Double>(1, 2, kernelSize: [3, 3], using: &generator)
        let batchNorm = BatchNorm2d<Double>(2), groupNorm = GroupNorm<Double>(groupCount: 1, channelCount: 2)
        let linear = Linear<Double>(8, 4, using: &generator), layerNorm = LayerNorm<Double>([4])
        let model = Sequential<Double> { conv; batchNorm; groupNorm; Flatten(); linear; layerNorm }
        let groups = ParameterGroup<Double, AdamW<Double>.Options>.weightDecayGroups(of: model, weightDecay: 0.05)
        let decayed = groups[0].parameters.map(ObjectIdentifier.init), exempt = groups[1].parameters.map(ObjectIdentifier.init)
        #expect(decayed == [conv.weight, linear.weight].map(ObjectIdentifier.init))
        #expect(exempt == [conv.bias!, batchNorm.weight!, batchNorm.bias!, groupNorm.weight!, groupNorm.bias!,
                           linear.bias!, layerNorm.weight!, layerNorm.bias!].map(ObjectIdentifier.init))
        let optimizer = AdamW(groups: groups, learningRate: 1e-3)
        #expect(optimizer.groupOptions.map(\.weightDecay) == [0.05, 0])
        // Frozen parameters are in neither group.
        linear.freeze()
        let unfrozen = ParameterGroup<Double, AdamW<Double>.Options>.weightDecayGroups(of: model, weightDecay: 0.05)
        #expect(unfrozen.map(\.parameters.count) == [1, 7])

        let lstm = Recurrent<Double>(.lstm, inputSize: 3, hiddenSize: 2, using: &generator), embedding = Embedding<Double>(10, 3, using: &generator)
        let recurrent = ParameterGroup<Double, SGD<Double>.Options>.weightDecayGroups(of: Sequential { embedding; lstm }, weightDecay: 1)
        #expect(recurrent[0].parameters.map(\.shape) == [[10, 3], [8, 3], [8, 2]])
        #expect(recurrent[1].parameters.map(\.shape) == [[8], [8]])
    }

    /// A recipe that exempts biases and normalization makes the two groups from the model.
    @Test func recipesMakeWeightDecayGroups() {
        var generator = RandomGenerator(seed: 2)
        let model = Sequential<Float> { Linear(4, 3, using: &generator); LayerNorm([3]); Linear(3, 2, using: &generator) }
        for kind in OptimizerKind.allCases {
            let recipe = TrainingRecipe(optimizer: kind, learningRate: 0.02, weightDecay: 0.1, decaysBiasesAndNormalization: false)
            let optimizer = recipe.makeOptimizer(for: model)
            #expect(optimizer.groups.map(\.parameters.count) == [2, 4], "\(kind)")
            #expect(optimizer.groups.map(\.learningRate) == [0.02, 0.02], "\(kind)")
            let single = TrainingRecipe(optimizer: kind, weightDecay: 0.1).makeOptimizer(for: model)
            #expect(single.groups.map(\.parameters.count) == [6], "\(kind)")
        }
        let sgd = TrainingRecipe(optimizer: .sgd, weightDecay: 0.1, decaysBiasesAndNormalization: false).makeOptimizer(for: model)
        #expect((sgd as? SGD<Float>)?.groupOptions.map(\.weightDecay) == [0.1, 0])
        #expect((sgd as? SGD<Float>)?.groupOptions.allSatisfy { $0.momentum == 0.9 && $0.nesterov } == true)
    }
}
