@_spi(Benchmark) import EasyNets
import Foundation

/// A training-step workload of the performance suite: a ReLU MLP, batch size, float32, SGD with
/// momentum 0.9, PyTorch-default initialization, random data.
struct StepWorkload {
    let name: String
    let widths: [Int]  // input, hidden…, classes
    let batch: Int

    static let small = StepWorkload(name: "small", widths: [784, 256, 128, 10], batch: 128)
    static let large = StepWorkload(name: "large", widths: [784, 1024, 1024, 10], batch: 256)
    static let online = StepWorkload(name: "online", widths: [784, 256, 128, 10], batch: 1)
}

/// Median and spread of timed samples, in seconds per step.
struct Timing {
    var samples: [Double]
    var median: Double { samples.sorted()[samples.count / 2] }
    var p10: Double { samples.sorted()[samples.count / 10] }
    var p90: Double { samples.sorted()[samples.count * 9 / 10] }
}

/// Times `body` per call: after warming up, `rounds` samples of enough calls to last ~`target` seconds.
func timePerCall(rounds: Int, target: Double = 0.02, _ body: () -> Void) -> [Double] {
    let clock = ContinuousClock()
    for _ in 0..<5 { body() }
    let once = clock.measure(body).inSeconds
    let calls = max(1, Int(target / max(once, 1e-7)))
    return (0..<rounds).map { _ in clock.measure { for _ in 0..<calls { body() } }.inSeconds / Double(calls) }
}

/// The gemm/gemv/ger calls of one training step of `workload`, issued straight to BLAS on
/// preallocated buffers, with the arguments the step uses (forward into bias-filled outputs with
/// beta = 1; weight and input gradients written fresh with beta = 0; bias gradients by gemv
/// against ones): the floor no implementation of the step can go below. The first layer reads the
/// same pool of input batches as the step, in turn.
final class BLASFloor {
    let w: StepWorkload
    var weights: [[Float]], activations: [[Float]], gradients: [[Float]], weightGradients: [[Float]], biasGradients: [[Float]]
    let ones: [Float]
    let inputs: [[Float]]
    private var next = 0

    /// The floor of `w`'s step on `inputs` (batches of `w.batch × w.widths[0]`; a constant batch when empty).
    init(_ w: StepWorkload, inputs: [[Float]] = []) {
        self.w = w
        self.inputs = inputs.isEmpty ? [[Float](repeating: 0.5, count: w.batch * w.widths[0])] : inputs
        let layers = w.widths.count - 1
        weights = (0..<layers).map { [Float](repeating: 0.01, count: w.widths[$0] * w.widths[$0 + 1]) }
        activations = w.widths.map { [Float](repeating: 0.5, count: w.batch * $0) }
        gradients = w.widths.map { [Float](repeating: 0.1, count: w.batch * $0) }
        weightGradients = (0..<layers).map { [Float](repeating: 0, count: w.widths[$0] * w.widths[$0 + 1]) }
        biasGradients = (0..<layers).map { [Float](repeating: 0, count: w.widths[$0 + 1]) }
        ones = [Float](repeating: 1, count: w.batch)
    }

    /// C(m, n) = op(A)·op(B) + beta·C through EasyNets' own routing (gemv for one row or column,
    /// ger for k = 1, else gemm), straight onto BLAS.
    func product(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                 _ beta: Float, _ c: UnsafeMutablePointer<Float>) {
        MatrixProduct.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: a, b: b, beta: beta, c: c)
    }

    func step() {
        forward()
        backward()
        next = (next + 1) % inputs.count
    }

    func forward() {
        let layers = w.widths.count - 1, B = w.batch
        for l in 0..<layers {  // Y = X·Wᵀ
            let (input, output) = (w.widths[l], w.widths[l + 1])
            product(false, true, B, output, input, l == 0 ? inputs[next] : activations[l], weights[l], 1, &activations[l + 1])
        }
    }

    func backward() {
        let layers = w.widths.count - 1, B = w.batch
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let (input, output) = (w.widths[l], w.widths[l + 1])
            // dW = dYᵀ·X with beta = 0: gradients start cleared each step (zeroGradients), so the
            // step writes them fresh, and so does its floor.
            product(true, false, output, input, B, gradients[l + 1], l == 0 ? inputs[next] : activations[l], 0,
                    &weightGradients[l])
            Float._blasGemv(transpose: true, m: B, n: output, alpha: 1, a: gradients[l + 1], lda: output, x: ones, incX: 1,
                           beta: 1, y: &biasGradients[l], incY: 1)  // db += dYᵀ·1
            if l > 0 { product(false, false, B, input, output, gradients[l + 1], weights[l], 0, &gradients[l]) }  // dX = dY·W
        }
    }
}

/// One EasyNets training step of `workload`, as a user writes it.
///
/// Each step takes the next batch of a pool of random batches (~8 MiB of inputs, at least 8
/// batches) with random labels, as a data loader would hand them out; inputs are standard normal,
/// as standardized data is. Training on one fixed batch instead drives its loss to zero within
/// the timed steps, and all-positive inputs kill most ReLU units: either way gradients and
/// momentum buffers decay into subnormal numbers, whose arithmetic makes an elementwise pass
/// several times slower than in real training.
final class EasyNetsStep {
    let model: Sequential<Float>
    let optimizer: any Optimizer<Float>
    let inputs: [Tensor<Float>]
    let labels: [[Int]]
    private var next = 0

    /// A step of `w` updated by `optimizer`: SGD with momentum 0.9, or the others with PyTorch's defaults.
    init(_ w: StepWorkload, optimizer kind: OptimizerKind = .sgd) {
        var generator = RandomGenerator(seed: 1)
        model = MultilayerPerceptron.make(inputSize: w.widths[0], hidden: Array(w.widths.dropFirst().dropLast()),
                                          classes: w.widths.last!, using: &generator, as: Float.self)
        optimizer = kind.benchmarkOptimizer(model.trainableParameters)
        let batches = max(8, (8 << 20) / (w.batch * w.widths[0] * MemoryLayout<Float>.stride))
        inputs = (0..<batches).map { _ in Tensor.normal([w.batch, w.widths[0]], using: &generator) }
        labels = (0..<batches).map { _ in (0..<w.batch).map { _ in Int(generator.next() % UInt64(w.widths.last!)) } }
    }

    func step() {
        optimizer.zeroGradients()
        loss().backward()
        optimizer.step()
    }

    /// The forward pass and loss of one step, on the next batch of the pool.
    func loss() -> Tensor<Float> {
        defer { next = (next + 1) % inputs.count }
        return crossEntropy(logits: model(inputs[next]), labels: labels[next])
    }
}

extension OptimizerKind {
    /// The benchmarks' optimizer of this kind: SGD with momentum 0.9, the others with PyTorch's defaults.
    func benchmarkOptimizer(_ parameters: [Parameter<Float>]) -> any Optimizer<Float> {
        switch self {
        case .sgd: return SGD(parameters, learningRate: 0.01, momentum: 0.9)
        case .adam: return Adam(parameters, learningRate: 1e-3)
        case .adamw: return AdamW(parameters, learningRate: 1e-3)
        case .rmsprop: return RMSProp(parameters, learningRate: 1e-2)
        case .adagrad: return Adagrad(parameters, learningRate: 1e-2)
        case .nadam: return NAdam(parameters, learningRate: 2e-3)
        case .radam: return RAdam(parameters, learningRate: 1e-3)
        case .adamax: return Adamax(parameters, learningRate: 2e-3)
        }
    }
}

/// An optimizer's update arithmetic as bare calls of the C loops EasyNets uses (through their
/// `Float._kernel…` bindings), over buffers of the model's parameter sizes (the parameters and
/// gradients themselves, scratch state), with no optimizer around it: the reference of the
/// update's time in `bench --breakdown`. NAdam, RAdam and Adamax, which have no C loop, are
/// measured against Adam's: the same passes over a parameter, its gradient and two moment buffers.
final class BareUpdate {
    let kind: OptimizerKind
    let parameters: [Parameter<Float>]
    /// Scratch state (momentum or first and second moments) per parameter, allocated once.
    let first: [UnsafeMutablePointer<Float>], second: [UnsafeMutablePointer<Float>]
    var step = 0

    init(_ kind: OptimizerKind, parameters: [Parameter<Float>]) {
        (self.kind, self.parameters) = (kind, parameters)
        func zeros(_ n: Int) -> UnsafeMutablePointer<Float> {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: n)
            buffer.initialize(repeating: 0, count: n)
            return buffer
        }
        first = parameters.map { zeros($0.value.count) }
        second = parameters.map { zeros($0.value.count) }
    }

    deinit { for buffer in first + second { buffer.deallocate() } }

    func run() {
        step += 1
        let c1 = Float(1 - Double.pow(0.9, Double(step))), c2 = Float((1 - Double.pow(0.999, Double(step))).squareRoot())
        for (i, parameter) in parameters.enumerated() {
            guard let gradient = parameter.gradient else { continue }
            let n = gradient.count
            gradient.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { p in
                    let (p, g) = (p.baseAddress!, g.baseAddress!)
                    switch kind {
                    case .sgd:
                        Float._kernelSGDMomentum(parameters: p, gradient: g, momentumBuffer: first[i], count: n, learningRate: 0.01,
                                                 momentum: 0.9, dampingFactor: 1, nesterov: false)
                    case .adam, .adamw, .nadam, .radam, .adamax:
                        Float._kernelAdam(parameters: p, gradient: g, firstMoment: first[i], secondMoment: second[i], count: n,
                                          beta1: 0.9, beta2: 0.999, stepSize: 1e-3 / c1, correction2Root: c2, epsilon: 1e-8,
                                          decayFactor: kind == .adamw ? 1 - 1e-5 : 1)
                    case .rmsprop:
                        Float._kernelRMSProp(parameters: p, gradient: g, squareAverage: first[i], count: n, learningRate: 1e-2,
                                             alpha: 0.99, epsilon: 1e-8)
                    case .adagrad:
                        Float._kernelAdagrad(parameters: p, gradient: g, squareSum: first[i], count: n, learningRate: 1e-2,
                                             epsilon: 1e-10)
                    }
                }
            }
        }
    }
}

/// The BLAS floor of any model's step: the exact products one step issued (recorded through
/// ``MatrixProduct/recordingCalls(_:)``), replayed in order on preallocated buffers of their sizes,
/// with the same transposes and betas, through the same routing.
final class RecordedFloor {
    struct Buffers {
        let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    }
    let calls: [MatrixProduct.Call]
    private let buffers: [Buffers]

    init(_ calls: [MatrixProduct.Call]) {
        self.calls = calls
        func filled(_ count: Int, _ value: Float) -> UnsafeMutablePointer<Float> {
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            pointer.initialize(repeating: value, count: max(count, 1))
            return pointer
        }
        buffers = calls.map { Buffers(a: filled($0.m * $0.k, 0.01), b: filled($0.k * $0.n, 0.01), c: filled($0.m * $0.n, 0)) }
    }

    deinit {
        for buffer in buffers { buffer.a.deallocate(); buffer.b.deallocate(); buffer.c.deallocate() }
    }

    func step() {
        for (call, buffer) in zip(calls, buffers) {
            MatrixProduct.gemm(transposeA: call.transposeA, transposeB: call.transposeB, m: call.m, n: call.n, k: call.k,
                               a: buffer.a, b: buffer.b, beta: Float(call.beta), c: buffer.c)
        }
    }

    /// Each call's median time over `rounds` replays, in seconds.
    func callTimes(rounds: Int) -> [Double] {
        let clock = ContinuousClock()
        return zip(calls, buffers).map { call, buffer in
            let samples = (0..<rounds).map { _ in
                clock.measure {
                    MatrixProduct.gemm(transposeA: call.transposeA, transposeB: call.transposeB, m: call.m, n: call.n, k: call.k,
                                       a: buffer.a, b: buffer.b, beta: Float(call.beta), c: buffer.c)
                }.inSeconds
            }
            return samples.sorted()[rounds / 2]
        }
    }

    /// Multiply-adds of one step: m·n·k summed over the calls.
    var multiplyAdds: Int { calls.reduce(0) { $0 + $1.m * $1.n * $1.k } }
}

/// One training step of a model that scores classes (or the next characters), as a user writes
/// it: the next batch of a pool, cross-entropy, backward, and the optimizer's update.
final class PooledStep {
    let model: Sequential<Float>
    let optimizer: any Optimizer<Float>
    let inputs: [Tensor<Float>]
    let labels: [[Int]]
    private var next = 0

    init(model: Sequential<Float>, optimizer kind: OptimizerKind, inputs: [Tensor<Float>], labels: [[Int]]) {
        (self.model, self.inputs, self.labels) = (model, inputs, labels)
        optimizer = kind.benchmarkOptimizer(model.trainableParameters)
    }

    func step() {
        defer { next = (next + 1) % inputs.count }
        optimizer.zeroGradients()
        crossEntropy(logits: model(inputs[next]), labels: labels[next]).backward()
        optimizer.step()
    }

    /// The `cnn` preset on Fashion-MNIST-sized images (batch × 1 × 28 × 28, standard normal, random
    /// labels, a pool of batches as `EasyNetsStep` has).
    static func cnn(batch: Int, optimizer: OptimizerKind = .sgd) throws -> PooledStep {
        var generator = RandomGenerator(seed: 2)
        let model = try Sequential<Float>(ConvolutionalNetwork.description(), seed: 1)
        let batches = max(4, (8 << 20) / (batch * 784 * MemoryLayout<Float>.stride))
        let inputs = (0..<batches).map { _ in Tensor<Float>.normal([batch, 1, 28, 28], using: &generator) }
        let labels = (0..<batches).map { _ in (0..<batch).map { _ in Int(generator.next() % 10) } }
        return PooledStep(model: model, optimizer: optimizer, inputs: inputs, labels: labels)
    }

    /// The characters of ``transformer(batch:optimizer:)`` and their sequences' length.
    static let (vocabulary, length) = (65, 128)

    /// The `char-transformer` preset as `easynets train --dataset text` builds it (65 characters,
    /// context 128: an embedding, a learned position embedding, two pre-norm causal GELU blocks of
    /// size 128 with 4 heads and a feed-forward width of 512, dropout 0.1, a final layer norm and
    /// the character scores), on random character sequences (a pool of 4 batches, each sequence's
    /// targets the next characters), as `scripts/compare_frameworks.py --configs transformer` runs
    /// it in PyTorch.
    static func transformer(batch: Int, optimizer: OptimizerKind = .adam) throws -> PooledStep {
        var generator = RandomGenerator(seed: 4)
        let model = try Sequential<Float>(CharacterLanguageModel.transformer(vocabularySize: vocabulary, contextLength: length), seed: 1)
        var (inputs, labels): ([Tensor<Float>], [[Int]]) = ([], [])
        for _ in 0..<4 {
            let text = (0..<(batch * (length + 1))).map { _ in Int(generator.next() % UInt64(vocabulary)) }
            let sequences = (0..<batch).map { text[($0 * (length + 1))..<(($0 + 1) * (length + 1))] }
            inputs.append(Tensor(sequences.flatMap { $0.dropLast().map(Float.init) }, shape: [batch, length]))
            labels.append(sequences.flatMap { $0.dropFirst() })
        }
        return PooledStep(model: model, optimizer: optimizer, inputs: inputs, labels: labels)
    }
}

/// An LSTM training step on random data, as `scripts/compare_frameworks.py --configs lstm` runs it
/// in PyTorch: one layer of `size` → `size`, sequences of `length` (sequence-first), the mean
/// squared error of every output against a random target, and the optimizer's update.
final class LSTMStep {
    let lstm: Recurrent<Float>
    let optimizer: any Optimizer<Float>
    let input: Tensor<Float>, target: Tensor<Float>

    init(batch: Int, length: Int, size: Int, optimizer kind: OptimizerKind = .sgd) {
        var generator = RandomGenerator(seed: 3)
        lstm = Recurrent(.lstm, inputSize: size, hiddenSize: size, using: &generator)
        optimizer = kind.benchmarkOptimizer(lstm.trainableParameters)
        input = Tensor.normal([length, batch, size], using: &generator)
        target = Tensor.normal([length, batch, size], using: &generator)
    }

    func step() {
        optimizer.zeroGradients()
        meanSquaredError(lstm(input), target).backward()
        optimizer.step()
    }
}
