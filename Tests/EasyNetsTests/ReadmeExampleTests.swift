import Foundation
import Testing
import EasyNets  // not @testable: the README's code must work through the public API alone

// Each Swift block of README.md, as written there, with its `print`s turned into assertions and
// files written to a temporary folder instead of the current directory. Expected values come from
// plain-loop or closed-form computations; `readmeBlocksAreTheOnesTested` fails when the README's
// code changes without this file.

/// README.md at the repository root.
private func readme(file: String = #filePath) throws -> String {
    let path = URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md").path
    return try String(contentsOfFile: path, encoding: .utf8)
}

/// The contents of every ```swift block of `markdown`.
private func swiftBlocks(_ markdown: String) -> [[String]] {
    var blocks: [[String]] = [], current: [String]?
    for line in markdown.components(separatedBy: "\n") {
        if current == nil, line.hasPrefix("```swift") {
            current = []
        } else if current != nil, line.hasPrefix("```") {
            blocks.append(current!)
            current = nil
        } else {
            current?.append(line)
        }
    }
    return blocks
}

@Suite("README examples")
struct ReadmeExampleTests {
    /// "Using it": a gemm forward and backward, then a gradient check.
    @Test func usingIt() throws {
        var generator = RandomGenerator(seed: 42)
        var w = Tensor<Double>.normal([3, 2], using: &generator)
        w.requiresGradient = true
        let x = Tensor<Double>([[1, 2, 3], [4, 5, 6]])          // (2, 3)
        let loss = square(matmul(x, w) - 1).mean()               // gemm forward
        loss.backward()                                          // gemm backward: dW = Xᵀ·dY

        // dL/dW[i][j] = Σᵣ x[r][i] · 2(y[r][j] − 1)/4 with y = x·W, by plain loops.
        let wv = w.scalars, xv = x.scalars
        var expected = [Double](repeating: 0, count: 6)
        for r in 0..<2 {
            for j in 0..<2 {
                let y = (0..<3).reduce(0.0) { $0 + xv[r * 3 + $1] * wv[$1 * 2 + j] }
                for i in 0..<3 { expected[i * 2 + j] += xv[r * 3 + i] * 2 * (y - 1) / 4 }
            }
        }
        let gradient = try #require(w.gradient)
        #expect(gradient.shape == [3, 2])
        expectClose(gradient.scalars, expected, tolerance: 1e-12)

        let result = checkGradients(of: { square(matmul(x, $0[0])).sum() }, at: [w])
        // The README's "~1e-10": a central difference with step 1e-5 on a quadratic is exact up to
        // rounding, so the relative error is far below 1e-8.
        #expect(result.maxRelativeError < 1e-8, "\(result)")
        #expect(result.maxRelativeError.isFinite)
    }

    /// "The sigmoid neuron": the printed values and the gradient table.
    @Test func sigmoidNeuron() throws {
        func leaf(_ v: Double) -> Tensor<Double> { var t = Tensor(v); t.requiresGradient = true; return t }
        let (x0, x1, w0, w1, b) = (leaf(-1), leaf(-2), leaf(4), leaf(-4), leaf(-3))
        let f = sigmoid(x0 * w0 + x1 * w1 + b)
        f.backward()

        // Closed form at q = 1: σ(1) = 1/(1 + e⁻¹), σ'(1) = σ(1)(1 − σ(1)).
        let s = 1 / (1 + Foundation.exp(-1.0)), ds = s * (1 - s)
        #expect(f.scalar == s)
        #expect(b.gradient!.scalar == ds)
        #expect(w0.gradient!.scalar == ds * -1)
        expectClose(x0.gradient!.scalar, ds * 4, tolerance: 1e-15)
        expectClose(w1.gradient!.scalar, ds * -2, tolerance: 1e-15)
        expectClose(x1.gradient!.scalar, ds * -4, tolerance: 1e-15)

        // The README's comment shows exactly what its `print` writes.
        let text = try readme()
        let printed = "\(f.scalar) \(b.gradient!.scalar) \(w0.gradient!.scalar)"
        let printLine = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("print(f.scalar") })
        let comment = try #require(printLine.components(separatedBy: "// ").last)
        #expect(comment.trimmingCharacters(in: .whitespaces) == printed)

        // The table's six-digit values.
        let table: [(String, Double)] = [
            ("∂f/∂b ", b.gradient!.scalar), ("∂f/∂w₀", w0.gradient!.scalar), ("∂f/∂x₀", x0.gradient!.scalar),
            ("∂f/∂w₁", w1.gradient!.scalar), ("∂f/∂x₁", x1.gradient!.scalar),
        ]
        for (name, value) in table {
            let row = try #require(text.components(separatedBy: "\n").first { $0.hasPrefix("| \(name)") }, "\(name)")
            let cell = row.split(separator: "|").last!.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "−", with: "-")
            #expect(cell == String(format: "%.6f", value), "\(name)")
        }
        #expect(text.contains("f = σ(1) ≈ \(String(format: "%.6f", s))"))
    }

    /// "Building models": a model, one optimizer and scheduler step, saving and loading.
    @Test func buildingModels() throws {
        let directory = NSTemporaryDirectory() + "easynets-readme-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        RandomGenerator.seedShared(0)                 // like torch.manual_seed
        let model = Sequential<Float> {
            Linear(784, 256)                          // weight (out, in), PyTorch's default init
            ReLU()
            Dropout(probability: 0.2, seed: 1)
            Linear(256, 10)
        }
        let summary = model.summary(inputShape: [1, 784])
        let total = (784 * 256 + 256) + (256 * 10 + 10)
        #expect(model.parameterCount == total)
        #expect(summary.contains("Total parameters: \(total)"), "\(summary)")
        for row in ["0: Linear(784 → 256)", "1: ReLU", "2: Dropout(p: 0.2)", "3: Linear(256 → 10)", "[1, 256]", "[1, 10]"] {
            #expect(summary.contains(row), "\(summary)")
        }
        #expect(model.isTraining)  // the summary puts training mode back

        let optimizer = SGD(model.trainableParameters, learningRate: 0.1, momentum: 0.9, nesterov: true)
        let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 15))
        var generator = RandomGenerator(seed: 2)
        let x = Tensor<Float>.uniform([128, 784], using: &generator), labels = (0..<128).map { $0 % 10 }

        optimizer.zeroGradients()
        let loss = crossEntropy(logits: model(x), labels: labels, labelSmoothing: 0.1)
        loss.backward()
        clipGradientNorm(model.trainableParameters, maxNorm: 5)
        let before = model.trainableParameters.map { $0.value.scalars }
        let gradients = try model.trainableParameters.map { try #require($0.gradient).scalars }
        optimizer.step()
        scheduler.step()

        #expect(loss.scalar.isFinite && loss.scalar > 0)
        // Clipped: the global gradient norm is at most 5 (up to Float rounding).
        let norm = gradients.joined().reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(norm <= 5 * (1 + 1e-5))
        // First Nesterov step, buffer = g: p ← p − lr·(g + μ·g).
        for (i, parameter) in model.trainableParameters.enumerated() {
            let expected = zip(before[i], gradients[i]).map { (p: Float, g: Float) -> Double in
                let (p, g) = (Double(p), Double(g))
                return p - 0.1 * (g + 0.9 * g)
            }
            expectClose(parameter.value.scalars.map(Double.init), expected, tolerance: 1e-6, "parameter \(i)")
        }
        // Cosine annealing after one of 15 steps: 0.1·(1 + cos(π/15))/2.
        expectClose(optimizer.learningRate, 0.1 * (1 + Foundation.cos(Double.pi / 15)) / 2, tolerance: 1e-15)

        try model.saveState(toFile: directory + "/model.safetensors")             // atomic: temporary file, then rename
        try model.loadState(fromFile: directory + "/model.safetensors")           // strict: lists every mismatched key
        try TrainingCheckpoint<Float>(step: 1, epoch: 0)             // parameters + optimizer + schedule + RNG
            .save(model: model, optimizer: optimizer, scheduler: scheduler, toFile: directory + "/run.safetensors")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["model.safetensors", "run.safetensors"])

        // Another model (other weights) loads both files into the same state.
        func freshRun(seed: UInt64) -> (Sequential<Float>, SGD<Float>, LearningRateScheduler<Float>) {
            var g = RandomGenerator(seed: seed)
            let m = Sequential<Float> { Linear(784, 256, using: &g); ReLU(); Dropout(probability: 0.2, seed: 1); Linear(256, 10, using: &g) }
            let o = SGD(m.trainableParameters, learningRate: 0.1, momentum: 0.9, nesterov: true)
            return (m, o, LearningRateScheduler(optimizer: o, schedule: CosineAnnealingSchedule(period: 15)))
        }
        let (plain, _, _) = freshRun(seed: 7)
        try plain.loadState(fromFile: directory + "/model.safetensors")
        model.eval(); plain.eval()
        #expect(plain(x).scalars == model(x).scalars)

        let (resumed, resumedOptimizer, resumedScheduler) = freshRun(seed: 8)
        let record = try TrainingCheckpoint<Float>.load(model: resumed, optimizer: resumedOptimizer,
                                                        scheduler: resumedScheduler, fromFile: directory + "/run.safetensors")
        #expect(record.step == 1 && record.epoch == 0)
        #expect(resumedScheduler.stepCount == 1)
        #expect(resumedOptimizer.learningRate == optimizer.learningRate)
        #expect(resumedOptimizer.state.mapValues(\.scalars) == optimizer.state.mapValues(\.scalars))
        #expect(resumed.namedParameters.map(\.parameter.value.scalars) == model.namedParameters.map(\.parameter.value.scalars))
        // The dropout layer's generator is restored: training-mode outputs agree too.
        model.train(); resumed.train()
        #expect(resumed(x).scalars == model(x).scalars)
    }

    /// "A custom layer lists its parameters and declares a training flag".
    @Test func customLayer() {
        final class Affine: Layer {
            let scale = Parameter(Tensor<Double>.ones([4]))
            let shift = Parameter(Tensor<Double>.zeros([4]))
            var isTraining = true
            var parameters: [(name: String, parameter: Parameter<Double>)] { [("scale", scale), ("shift", shift)] }
            func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> { x * scale.value + shift.value }
        }

        let layer = Affine()
        layer.scale.value = Tensor([1, -2, 0.5, 3])
        layer.shift.value = Tensor([0.25, 0, -1, 2])
        var generator = RandomGenerator(seed: 5)
        let x = Tensor<Double>.uniform([3, 4], low: -1, high: 1, using: &generator)
        let scale = layer.scale.value.scalars, shift = layer.shift.value.scalars
        let expected = x.scalars.enumerated().map { $0.element * scale[$0.offset % 4] + shift[$0.offset % 4] }
        #expect(layer(x).scalars == expected)

        // It composes like a built-in layer: PyTorch names, training mode, gradients.
        let model = Sequential<Double> { Affine(); ReLU(); Affine() }
        #expect(model.namedParameters.map(\.name) == ["0.scale", "0.shift", "2.scale", "2.shift"])
        #expect(model.parameterCount == 16)
        model.eval()
        #expect(model.namedLayers.allSatisfy { !$0.layer.isTraining })
        let result = checkGradients(of: { inputs in
            layer.scale.value = inputs[1]
            layer.shift.value = inputs[2]
            return layer(inputs[0])
        }, at: [x, Tensor([1, -2, 0.5, 3]), Tensor([0.25, 0, -1, 2])])
        #expect(result.maxAbsoluteError <= 1e-6 && result.maxRelativeError <= 1e-6, "\(result)")
    }

    /// "Training": the Trainer with progress, early stopping and checkpoints, then an evaluation.
    /// The README trains on all of Fashion-MNIST; here the data are its first 3000 and 1000 images.
    @Test func training() throws {
        let folder = try temporaryDirectory()
        let (train, validation) = try FashionMNIST.load(.train, as: Float.self).prefix(3000).split(validationFraction: 0.1, seed: 0)
        let test = try FashionMNIST.load(.test, as: Float.self).prefix(1000)
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> { Linear(784, 256); ReLU(); Dropout(probability: 0.2, seed: 1); Linear(256, 10) }
        let optimizer = Adam(model.trainableParameters, learningRate: 1e-3)
        let trainer = Trainer(model: model, optimizer: optimizer,
                              scheduler: LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 10)),
                              loader: DataLoader(train, batchSize: 128, seed: 1), evaluationData: validation)
        trainer.observers = [DivergenceGuard(), ProgressBar(epochs: 10), EarlyStopping(monitor: .testLoss, patience: 2),
                             CheckpointWriter(path: folder + "/run.safetensors", everySteps: 100)]
        try trainer.fit(epochs: 10)
        let result = evaluate(model, on: test)

        #expect(result.accuracy > 0.6, "\(result.accuracy)")
        #expect(result.report.total == 1000 && result.report.classCount == 10)
        #expect(trainer.history.count == trainer.epoch && (trainer.epoch == 10 || trainer.stopRequested))
        // The evaluation is the model in evaluation mode, without a tape: a plain forward pass.
        model.eval()
        let logits = withoutGradients { model(test.features) }
        #expect(result.predictions == logits.argmax(along: 1))
        // The checkpoint reloads without knowing the architecture.
        let path = folder + "/run.safetensors"
        let reloaded = try #require(try Sequential<Float>.loadModel(from: SafeTensorsFile(contentsOfFile: path), path: path))
        #expect(try reloaded.describe() == model.describe())
    }

    /// Every line of code in the README's Swift blocks appears in this file, so the tests above
    /// are the README's examples (file paths, and the training example's data size, aside).
    /// "Convolutional networks": the cnn preset written out, fed augmented images.
    @Test func convolutionalNetwork() throws {
        var draws = RandomGenerator(seed: 3)
        let images = Dataset<Float>(features: Tensor.uniform([8, 784], using: &draws), labels: Array(0..<8))
            .reshapingExamples(to: FashionMNIST.imageShape)
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> {
            Conv2d(1, 32, kernelSize: 3, padding: 1, bias: false); BatchNorm2d(32); ReLU(); MaxPool2d(2)
            Conv2d(32, 64, kernelSize: 3, padding: 1, bias: false); BatchNorm2d(64); ReLU(); MaxPool2d(2)
            Flatten(); Linear(3136, 128); ReLU(); Dropout(probability: 0.3, seed: 1); Linear(128, 10)
        }
        let loader = DataLoader(images, batchSize: 128, augmentation: ImageAugmentation(maximumShift: 2, horizontalFlip: true), seed: 1)
        #expect(try model.describe() == ConvolutionalNetwork.description())
        var epoch = loader
        let batch = epoch.epoch()[0]
        #expect(images.features.shape == [8, 1, 28, 28] && batch.count == 8)
        #expect(model(batch.features).shape == [8, 10])
    }

    /// "Sequence models": a two-layer LSTM over embedded tokens, a loss per position.
    @Test func sequenceModel() {
        RandomGenerator.seedShared(0)
        let (n, l) = (2, 5)
        let tokens = IndexTensor((0..<(n * l)).map { $0 % 7 }, shape: [n, l]), next = (0..<(n * l)).map { ($0 + 1) % 7 }
        let embedded = Embedding<Float>(7, 64)(tokens)
        let head = Linear<Float>(256, 7)
        let lstm = Recurrent<Float>(.lstm, inputSize: 64, hiddenSize: 256, layerCount: 2, batchFirst: true, dropout: 0.1)
        let (output, state) = lstm.run(embedded)
        let loss = crossEntropy(logits: head(output).permuted([0, 2, 1]), labels: IndexTensor(next, shape: [n, l]))
        #expect(output.shape == [n, l, 256] && state.hidden.shape == [2, n, 256] && state.cell?.shape == [2, n, 256])
        #expect(loss.scalar.isFinite && loss.scalar > 0)
    }

    @Test func readmeBlocksAreTheOnesTested() throws {
        let blocks = swiftBlocks(try readme())
        #expect(blocks.count == 7)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        for block in blocks {
            for line in block {
                let code = line.components(separatedBy: "//").first!.trimmingCharacters(in: .whitespaces)
                if code.isEmpty || code.hasPrefix("print(") || code.hasPrefix("import ") || line.contains(".safetensors\"")
                    || line.contains("FashionMNIST.load(") {
                    continue
                }
                let exercised = source.contains(code)
                #expect(exercised, "README line not exercised here: \(line)")
            }
        }
    }
}
