import Foundation
import Testing
@testable import EasyNets

/// NAdam, RAdam and Adamax against torch.optim over two parameter groups, and their state in checkpoints.
@Suite struct AdamVariantTests {
    let f: ParameterGroupFixture
    init() throws { f = try loadFixture("optimizers_extra.json", as: ParameterGroupFixture.self) }

    /// Every case against torch.optim, step by step, in Double to 1e-12.
    @Test func trajectoriesMatchTorchOptimInDouble() throws {
        #expect(f.cases.map(\.name) == ["nadam", "nadam_decoupled", "radam", "radam_decoupled", "adamax", "adamax_plain"])
        for c in f.cases {
            let run = try GroupRun<Double>(c, f)
            expectClose(run.optimizer.groups.map(\.learningRate), c.initial_learning_rates, tolerance: 1e-12, "\(c.name) initial rates")
            for (t, expected) in c.steps.enumerated() {
                run.step(f, metric: nil)
                for (i, parameter) in run.model.namedParameters.enumerated() {
                    expectClose(parameter.parameter.value.scalars, expected.parameters[i], tolerance: 1e-12,
                                "\(c.name) step \(t + 1) parameter \(parameter.name)")
                }
            }
        }
    }

    /// Every case in Float against torch.optim's float32 run, step by step, to a relative 2e-6:
    /// about 16 Float roundings (ε = 1.2e-7) over 10 steps of a few operations each, while the
    /// float64 and float32 references differ by up to 2.7e-7, so a kernel computing in the wrong
    /// precision or order of operations fails.
    @Test func trajectoriesMatchTorchOptimInFloat() throws {
        let cases = try #require(f.float_cases)
        #expect(cases.map(\.name) == f.cases.map(\.name))
        for c in cases {
            let run = try GroupRun<Float>(c, f)
            for (t, expected) in c.steps.enumerated() {
                run.step(f, metric: nil)
                for (i, parameter) in run.model.namedParameters.enumerated() {
                    expectClose(parameter.parameter.value.scalars, expected.parameters[i].map { Float($0) }, tolerance: 2e-6,
                                "\(c.name) step \(t + 1) parameter \(parameter.name)")
                }
            }
        }
    }

    /// A run stopped after 4 steps, saved, and resumed in a new optimizer ends where the whole run
    /// ends: the moments, step counts and NAdam's product of momentum coefficients are all saved.
    @Test func stateRoundTripsThroughCheckpoints() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adam-variants-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for c in f.cases {
            let first = try GroupRun<Double>(c, f)
            for _ in 0..<4 { first.step(f, metric: nil) }
            let path = directory.appendingPathComponent("\(c.name).safetensors").path
            try TrainingCheckpoint<Double>(step: 4).save(model: first.model, optimizer: first.optimizer, toFile: path)
            if c.optimizer == "NAdam" { #expect(first.optimizer.state["0.mu_product"]?.count == 1) }
            let resumed = try GroupRun<Double>(c, f)
            _ = try TrainingCheckpoint<Double>.load(model: resumed.model, optimizer: resumed.optimizer, fromFile: path)
            for _ in 4..<c.steps.count { resumed.step(f, metric: nil) }
            for (i, parameter) in resumed.model.namedParameters.enumerated() {
                expectClose(parameter.parameter.value.scalars, c.steps.last!.parameters[i], tolerance: 1e-12, "\(c.name) \(parameter.name)")
            }
        }
    }

    /// A product of momentum coefficients with more than one value is rejected.
    @Test func aMalformedMomentumProductIsRejected() {
        let optimizer = NAdam([Parameter(Tensor<Double>([1, 2]))])
        #expect(throws: OptimizerStateError.self) { try optimizer.loadState(["0.mu_product": Tensor([1, 1])]) }
    }
}
