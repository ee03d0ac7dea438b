import Foundation
import Testing
@testable import EasyNets

/// Tests/Fixtures/torch_cnn.json, written by scripts/fixtures/make_cnn_fixture.py: a float64
/// PyTorch CNN's training-mode output and gradients, running statistics and eval-mode output.
struct CNNFixture: Decodable {
    /// A tensor as the script stores it: its shape and its values in row-major order.
    struct Record: Decodable {
        var shape: [Int]
        var values: [Double]
        var tensor: Tensor<Double> { Tensor(values, shape: shape) }
    }

    var input: Record
    var seedWeight: Record
    var trainOutput: Record
    var inputGradient: Record
    var parameterGradients: [String: Record]
    var runningAfter: [String: Record]
    var batchesTrackedAfter: Int
    var evalInput: Record
    var evalOutput: Record

    enum CodingKeys: String, CodingKey {
        case input, seedWeight = "seed_weight", trainOutput = "train_output", inputGradient = "input_gradient"
        case parameterGradients = "parameter_gradients", runningAfter = "running_after"
        case batchesTrackedAfter = "batches_tracked_after", evalInput = "eval_input", evalOutput = "eval_output"
    }
}

/// The fixture's architecture, layer for layer (indices are the state-dict prefixes), with the state
/// PyTorch saved after two warm-up passes and three SGD steps, loaded strictly. Shapes for a (3, 2, 9, 8) input:
/// (3, 4, 9, 8) → BatchNorm, ReLU → (3, 6, 5, 6) → ReLU → max pool (3, 6, 6, 7) → pointwise
/// (3, 6, 6, 7) → same (3, 4, 6, 7) → avg pool (3, 4, 4, 4) → adaptive (3, 4, 2, 3) → (3, 24) → (3, 5).
private func cnnFixtureModel() throws -> Sequential<Double> {
    var generator = RandomGenerator(seed: 1)  // overwritten by the loaded state
    let layers: [any Layer<Double>] = [
        Conv2d<Double>(2, 4, kernelSize: [3, 3], stride: [1, 1], padding: .explicit([1, 1]), using: &generator),  // 0
        BatchNorm2d<Double>(4),  // 1
        ReLU<Double>(),  // 2
        Conv2d<Double>(4, 6, kernelSize: [3, 2], stride: [2, 1], padding: .explicit([1, 0]), dilation: [1, 2], groups: 2,
                       using: &generator),  // 3
        ReLU<Double>(),  // 4
        MaxPool2d<Double>(kernelSize: [2, 2], stride: [1, 1], padding: [1, 1], dilation: [1, 1], ceilMode: false),  // 5
        Conv2d<Double>(6, 6, kernelSize: [1, 1], bias: false, using: &generator),  // 6
        Conv2d<Double>(6, 4, kernelSize: [2, 2], padding: .same, using: &generator),  // 7
        AvgPool2d<Double>(kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: true, countIncludePad: false,
                          divisorOverride: nil),  // 8
        AdaptiveAvgPool2d<Double>(outputSize: [2, 3]),  // 9
        Flatten<Double>(),  // 10
        Linear<Double>(24, 5, using: &generator),  // 11
    ]
    let model = Sequential<Double>(layers)
    try model.loadState(fromFile: fixturePath("torch_cnn.safetensors"))
    return model
}

@Suite struct CNNFixtureTests {
    /// |actual − expected| ≤ 1e-10 · max(1, |expected|).
    let tolerance = 1e-10

    /// The model after the fixture's training-mode pass on its input with loss Σ out·w, and
    /// that pass's output and input.
    private func trainingPass(_ f: CNNFixture) throws -> (model: Sequential<Double>, input: Tensor<Double>, output: Tensor<Double>) {
        let model = try cnnFixtureModel()
        model.train()
        var x = f.input.tensor
        x.requiresGradient = true
        let output = model(x)
        (output * f.seedWeight.tensor).sum().backward()
        return (model, x, output)
    }

    @Test func loadsTheTrainedState() throws {
        let f = try loadFixture("torch_cnn.json", as: CNNFixture.self)
        let model = try cnnFixtureModel()
        let names = model.stateEntries.map(\.name)
        #expect(names == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias", "6.weight", "7.weight", "7.bias",
                          "11.weight", "11.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"])
        #expect(model.namedBuffers.first { $0.name == "1.num_batches_tracked" }?.parameter.value.scalar == Double(f.batchesTrackedAfter - 1))
    }

    @Test func trainingOutputAndGradientsMatchPyTorch() throws {
        let f = try loadFixture("torch_cnn.json", as: CNNFixture.self)
        let (model, x, output) = try trainingPass(f)
        expectClose(output, f.trainOutput.tensor, tolerance: tolerance, "training-mode output")
        let inputGradient = try #require(x.gradient, "the input has no gradient")
        expectClose(inputGradient, f.inputGradient.tensor, tolerance: tolerance, "input gradient")
        let parameters = model.namedParameters
        #expect(parameters.map(\.name).sorted() == f.parameterGradients.keys.sorted())
        for (name, parameter) in parameters {
            let expected = try #require(f.parameterGradients[name], "no gradient for \(name) in the fixture")
            let gradient = try #require(parameter.gradient, "\(name) has no gradient")
            expectClose(gradient, expected.tensor, tolerance: tolerance, "gradient of \(name)")
        }
    }

    @Test func runningStatisticsAfterTheTrainingPassMatchPyTorch() throws {
        let f = try loadFixture("torch_cnn.json", as: CNNFixture.self)
        let (model, _, _) = try trainingPass(f)
        let buffers = model.namedBuffers
        #expect(f.runningAfter.keys.sorted() == ["1.running_mean", "1.running_var"])
        for (name, expected) in f.runningAfter {
            let buffer = try #require(buffers.first { $0.name == name }, "the model has no buffer \(name)")
            expectClose(buffer.parameter.value, expected.tensor, tolerance: tolerance, "\(name)")
        }
        let tracked = try #require(buffers.first { $0.name == "1.num_batches_tracked" })
        #expect(tracked.parameter.value.scalar == Double(f.batchesTrackedAfter))
    }

    @Test func evalOutputOnABatchOfOneMatchesPyTorch() throws {
        let f = try loadFixture("torch_cnn.json", as: CNNFixture.self)
        let (model, _, _) = try trainingPass(f)
        model.eval()
        let output = withoutGradients { model(f.evalInput.tensor) }
        #expect(f.evalInput.shape == [1, 2, 9, 8])
        expectClose(output, f.evalOutput.tensor, tolerance: tolerance, "eval-mode output")
    }
}
