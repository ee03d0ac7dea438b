import Foundation

/// A `Codable` description of a model built from the library's layers: each layer's kind and
/// hyperparameters, nested as the model nests them. A model produces its own
/// (``Layer/describe()``) and ``Sequential/init(_:seed:)`` rebuilds it; training checkpoints carry
/// it, so a checkpoint can be reloaded without knowing how the model was made.
///
/// As JSON, each layer is an object with one key, its kind:
/// `{"sequential":{"layers":[{"linear":{"inputSize":784,"outputSize":256,"bias":true}},{"relu":{}}]}}`.
public indirect enum ModelDescription: Codable, Equatable, Sendable {
    /// ``Linear``.
    case linear(inputSize: Int, outputSize: Int, bias: Bool)
    /// ``ReLU``.
    case relu
    /// ``LeakyReLU``.
    case leakyRelu(negativeSlope: Double)
    /// ``ELU``.
    case elu(alpha: Double)
    /// ``SELU``.
    case selu
    /// ``GELU``, exact or with the tanh approximation.
    case gelu(tanhApproximation: Bool)
    /// ``SiLU``.
    case silu
    /// ``Mish``.
    case mish
    /// ``Sigmoid``.
    case sigmoid
    /// ``HardSigmoid``.
    case hardSigmoid
    /// ``Tanh``.
    case tanh
    /// ``Softplus``.
    case softplus
    /// ``Softmax``.
    case softmax(axis: Int)
    /// ``LogSoftmax``.
    case logSoftmax(axis: Int)
    /// ``Dropout``.
    case dropout(probability: Double)
    /// ``LayerNorm``.
    case layerNorm(normalizedShape: [Int], epsilon: Double, elementwiseAffine: Bool)
    /// ``BatchNorm1d``.
    case batchNorm1d(featureCount: Int, epsilon: Double, momentum: Double, affine: Bool)
    /// ``Embedding``.
    case embedding(count: Int, dimension: Int)
    /// ``Conv2d``.
    case conv2d(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int], padding: ConvolutionPadding,
                dilation: [Int], groups: Int, bias: Bool)
    /// ``Conv1d``.
    case conv1d(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: ConvolutionPadding,
                dilation: Int, groups: Int, bias: Bool)
    /// ``MaxPool2d``.
    case maxPool2d(kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool)
    /// ``AvgPool2d``.
    case avgPool2d(kernelSize: [Int], stride: [Int], padding: [Int], ceilMode: Bool, countIncludePad: Bool, divisorOverride: Int?)
    /// ``AdaptiveAvgPool2d``.
    case adaptiveAvgPool2d(outputSize: [Int])
    /// ``BatchNorm2d``.
    case batchNorm2d(featureCount: Int, epsilon: Double, momentum: Double, affine: Bool)
    /// ``Dropout2d``.
    case dropout2d(probability: Double)
    /// ``Flatten``.
    case flatten(startAxis: Int)
    /// ``Identity``.
    case identity
    /// ``Permute``.
    case permute(axes: [Int])
    /// ``Recurrent``: an RNN, LSTM or GRU (its output at every step).
    case recurrent(cell: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int, bias: Bool, batchFirst: Bool, dropout: Double,
                   bidirectional: Bool)
    /// ``MultiheadAttention`` as self-attention.
    case multiheadAttention(embeddingSize: Int, headCount: Int, dropout: Double, bias: Bool, batchFirst: Bool)
    /// ``TransformerEncoderLayer``.
    case transformerEncoderLayer(modelSize: Int, headCount: Int, feedForwardSize: Int, dropout: Double, activation: TransformerActivation,
                                 layerNormEpsilon: Double, batchFirst: Bool, normFirst: Bool, causal: Bool)
    /// ``SinusoidalPositionalEncoding``.
    case sinusoidalPositionalEncoding(dimension: Int, batchFirst: Bool)
    /// ``LearnedPositionalEmbedding``.
    case learnedPositionalEmbedding(maximumLength: Int, dimension: Int, batchFirst: Bool)
    /// ``Residual`` around a block.
    case residual(block: ModelDescription)
    /// ``Sequential``: layers applied in order.
    case sequential(layers: [ModelDescription])

    /// The layer this describes, its weights drawn from `generator` in order; the k-th dropout layer
    /// built from it is seeded with `dropoutSeed + k`. The description must be valid
    /// (``problem(scalarSize:)`` is `nil`).
    public func makeLayer<Scalar: TensorScalar>(
        as: Scalar.Type = Scalar.self, using generator: inout RandomGenerator, dropoutSeed: inout UInt64
    ) -> any Layer<Scalar> {
        switch self {
        case let .linear(inputSize, outputSize, bias): return Linear<Scalar>(inputSize, outputSize, bias: bias, using: &generator)
        case .relu: return ReLU<Scalar>()
        case .leakyRelu(let slope): return LeakyReLU<Scalar>(negativeSlope: slope)
        case .elu(let alpha): return ELU<Scalar>(alpha: alpha)
        case .selu: return SELU<Scalar>()
        case .gelu(let tanh): return GELU<Scalar>(approximation: tanh ? .tanh : .none)
        case .silu: return SiLU<Scalar>()
        case .mish: return Mish<Scalar>()
        case .sigmoid: return Sigmoid<Scalar>()
        case .hardSigmoid: return HardSigmoid<Scalar>()
        case .tanh: return Tanh<Scalar>()
        case .softplus: return Softplus<Scalar>()
        case .softmax(let axis): return Softmax<Scalar>(axis: axis)
        case .logSoftmax(let axis): return LogSoftmax<Scalar>(axis: axis)
        case .dropout(let probability):
            defer { dropoutSeed &+= 1 }
            return Dropout<Scalar>(probability: probability, seed: dropoutSeed)
        case let .layerNorm(shape, epsilon, affine): return LayerNorm<Scalar>(shape, epsilon: epsilon, elementwiseAffine: affine)
        case let .batchNorm1d(features, epsilon, momentum, affine):
            return BatchNorm1d<Scalar>(features, epsilon: epsilon, momentum: momentum, affine: affine)
        case let .embedding(count, dimension): return Embedding<Scalar>(count, dimension, using: &generator)
        case let .conv2d(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias):
            return Conv2d<Scalar>(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                  dilation: dilation, groups: groups, bias: bias, using: &generator)
        case let .conv1d(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias):
            return Conv1d<Scalar>(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                  dilation: dilation, groups: groups, bias: bias, using: &generator)
        case let .maxPool2d(kernelSize, stride, padding, dilation, ceilMode):
            return MaxPool2d<Scalar>(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
        case let .avgPool2d(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride):
            return AvgPool2d<Scalar>(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                                     countIncludePad: countIncludePad, divisorOverride: divisorOverride)
        case .adaptiveAvgPool2d(let outputSize): return AdaptiveAvgPool2d<Scalar>(outputSize: outputSize)
        case let .batchNorm2d(features, epsilon, momentum, affine):
            return BatchNorm2d<Scalar>(features, epsilon: epsilon, momentum: momentum, affine: affine)
        case .dropout2d(let probability):
            defer { dropoutSeed &+= 1 }
            return Dropout2d<Scalar>(probability: probability, seed: dropoutSeed)
        case .flatten(let axis): return Flatten<Scalar>(startAxis: axis)
        case .identity: return Identity<Scalar>()
        case .permute(let axes): return Permute<Scalar>(axes)
        case let .recurrent(cell, inputSize, hiddenSize, layerCount, bias, batchFirst, dropout, bidirectional):
            defer { dropoutSeed &+= 1 }
            return Recurrent<Scalar>(cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: bias,
                                     batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional, seed: dropoutSeed,
                                     using: &generator)
        case let .multiheadAttention(embeddingSize, headCount, dropout, bias, batchFirst):
            defer { dropoutSeed &+= 1 }
            return MultiheadAttention<Scalar>(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias,
                                              batchFirst: batchFirst, seed: dropoutSeed, using: &generator)
        case let .transformerEncoderLayer(modelSize, headCount, feedForwardSize, dropout, activation, epsilon, batchFirst, normFirst, causal):
            defer { dropoutSeed &+= 2 }  // the block's own dropout and its attention's
            return TransformerEncoderLayer<Scalar>(modelSize: modelSize, headCount: headCount, feedForwardSize: feedForwardSize,
                                                   dropout: dropout, activation: activation, layerNormEpsilon: epsilon,
                                                   batchFirst: batchFirst, normFirst: normFirst, causal: causal, seed: dropoutSeed,
                                                   using: &generator)
        case let .sinusoidalPositionalEncoding(dimension, batchFirst):
            return SinusoidalPositionalEncoding<Scalar>(dimension: dimension, batchFirst: batchFirst)
        case let .learnedPositionalEmbedding(maximumLength, dimension, batchFirst):
            return LearnedPositionalEmbedding<Scalar>(maximumLength: maximumLength, dimension: dimension, batchFirst: batchFirst,
                                                      using: &generator)
        case .residual(let block): return Residual<Scalar>(block.makeLayer(as: Scalar.self, using: &generator, dropoutSeed: &dropoutSeed))
        case .sequential: return makeSequential(as: Scalar.self, using: &generator, dropoutSeed: &dropoutSeed)
        }
    }

    /// The model this describes as a ``Sequential``: the layers of a `.sequential` description,
    /// or any other layer alone in one.
    func makeSequential<Scalar: TensorScalar>(
        as: Scalar.Type = Scalar.self, using generator: inout RandomGenerator, dropoutSeed: inout UInt64
    ) -> Sequential<Scalar> {
        guard case .sequential(let layers) = self else { return Sequential([makeLayer(using: &generator, dropoutSeed: &dropoutSeed)]) }
        var built: [any Layer<Scalar>] = []
        for layer in layers { built.append(layer.makeLayer(as: Scalar.self, using: &generator, dropoutSeed: &dropoutSeed)) }
        return Sequential(built)
    }

    /// The number of trainable scalars and buffers the model holds, or `nil` when it overflows.
    public var stateCount: Int? {
        func product(_ a: Int, _ b: Int) -> Int? {
            let (p, o) = a.multipliedReportingOverflow(by: b)
            return o ? nil : p
        }
        func sum(_ values: [Int?]) -> Int? {
            var total = 0
            for value in values {
                guard let value else { return nil }
                let (s, o) = total.addingReportingOverflow(value)
                if o { return nil }
                total = s
            }
            return total
        }
        switch self {
        case let .linear(inputSize, outputSize, bias): return sum([product(inputSize, outputSize), bias ? outputSize : 0])
        case let .layerNorm(shape, _, affine): return affine ? InputLimits.elementCount(shape).flatMap { product($0, 2) } : 0
        case let .batchNorm1d(features, _, _, affine): return sum([product(features, affine ? 4 : 2), 1])
        case let .embedding(count, dimension): return product(count, dimension)
        case let .conv2d(inChannels, outChannels, kernelSize, _, _, _, groups, bias):
            return convolutionStateCount(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias)
        case let .conv1d(inChannels, outChannels, kernelSize, _, _, _, groups, bias):
            return convolutionStateCount(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias)
        case let .batchNorm2d(features, _, _, affine): return sum([product(features, affine ? 4 : 2), 1])
        case let .recurrent(cell, inputSize, hiddenSize, layerCount, bias, _, _, bidirectional):
            // Per layer and direction: gates·H rows of W_ih (input or D·H columns) and W_hh (H columns), and two biases.
            let directions = bidirectional ? 2 : 1
            guard layerCount >= 1, let rows = product(cell.gateCount, hiddenSize), let wider = product(directions, hiddenSize) else { return nil }
            let first = sum([product(rows, inputSize), product(rows, hiddenSize), bias ? product(rows, 2) : 0])
            let later = sum([product(rows, wider), product(rows, hiddenSize), bias ? product(rows, 2) : 0])
            return sum([first.flatMap { product($0, directions) }, later.flatMap { product($0, directions) }.flatMap { product($0, layerCount - 1) }])
        case let .multiheadAttention(size, _, _, bias, _):
            return sum([product(size, 4 * size), bias ? product(size, 4) : 0])  // in_proj (3E, E), out_proj (E, E), biases
        case let .transformerEncoderLayer(size, _, feedForward, _, _, _, _, _, _):
            return sum([product(size, 4 * size), product(size, 4), product(size, feedForward), product(size, feedForward),
                        feedForward, size, product(size, 4)])  // attention, linear1, linear2, two LayerNorms
        case let .learnedPositionalEmbedding(maximumLength, dimension, _): return product(maximumLength, dimension)
        case .residual(let block): return block.stateCount
        case .sequential(let layers): return sum(layers.map(\.stateCount))
        default: return 0
        }
    }

    /// A convolution's weight (out · in/groups · taps) and bias, or `nil` when it overflows.
    private func convolutionStateCount(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], groups: Int, bias: Bool) -> Int? {
        guard groups >= 1, let weight = InputLimits.elementCount([outChannels, inChannels / groups] + kernelSize) else { return nil }
        let (total, overflow) = weight.addingReportingOverflow(bias ? outChannels : 0)
        return overflow ? nil : total
    }

    /// Why this description cannot be built, or `nil` when it can: a size below 1, a probability
    /// outside [0, 1), a non-finite or non-positive ε, a momentum outside [0, 1], an axis beyond
    /// ±64, nesting deeper than 64 levels, or parameters of `scalarSize` bytes each beyond
    /// ``InputLimits/maximumBytes``. Descriptions read from files are untrusted: check this first.
    public func problem(scalarSize: Int = MemoryLayout<Float>.size) -> String? {
        if let problem = layerProblem(path: "", depth: 0) { return problem }
        guard let count = stateCount else {
            return InputLimits.problem(byteCount: (0, true), what: "the model")
        }
        return InputLimits.problem(byteCount: count.multipliedReportingOverflow(by: scalarSize), what: "the model (\(count) parameters)")
    }

    private func layerProblem(path: String, depth: Int) -> String? {
        func at(_ message: String) -> String { "\(path.isEmpty ? "the model" : "layer \(path)"): \(message)" }
        func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        let axisRange = -64...64
        switch self {
        case let .linear(inputSize, outputSize, _) where inputSize < 1 || outputSize < 1:
            return at("Linear sizes must be at least 1, got \(inputSize) → \(outputSize)")
        case .leakyRelu(let value) where !value.isFinite, .elu(let value) where !value.isFinite:
            return at("the activation's parameter \(value) is not finite")
        case .softmax(let axis) where !axisRange.contains(axis), .logSoftmax(let axis) where !axisRange.contains(axis),
             .flatten(let axis) where !axisRange.contains(axis):
            return at("axis \(axis) is outside -64...64")
        case .dropout(let probability) where !(probability >= 0 && probability < 1):
            return at("dropout probability \(probability) is outside [0, 1)")
        case let .layerNorm(shape, epsilon, _) where shape.isEmpty || shape.count > 64 || shape.contains { $0 < 1 } || !(epsilon > 0 && epsilon.isFinite):
            return at("LayerNorm needs 1 to 64 extents ≥ 1 and a finite ε > 0, got \(shape) and \(epsilon)")
        case let .batchNorm1d(features, epsilon, momentum, _)
            where features < 1 || !(epsilon > 0 && epsilon.isFinite) || !(momentum >= 0 && momentum <= 1):
            return at("BatchNorm1d needs features ≥ 1, a finite ε > 0 and momentum in [0, 1], got \(features), \(epsilon), \(momentum)")
        case let .embedding(count, dimension) where count < 1 || dimension < 1:
            return at("Embedding sizes must be at least 1, got \(count) × \(dimension)")
        case let .conv2d(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, _):
            return convolutionProblem("Conv2d", inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                      dilation: dilation, groups: groups, axes: 2).map(at)
        case let .conv1d(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, _):
            return convolutionProblem("Conv1d", inChannels, outChannels, kernelSize: [kernelSize], stride: [stride], padding: padding,
                                      dilation: [dilation], groups: groups, axes: 1).map(at)
        case let .maxPool2d(kernelSize, stride, padding, dilation, _):
            return poolingProblem("MaxPool2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation).map(at)
        case let .avgPool2d(kernelSize, stride, padding, _, _, divisorOverride):
            if divisorOverride == 0 { return at("AvgPool2d's divisorOverride must not be 0") }
            return poolingProblem("AvgPool2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: [1, 1]).map(at)
        case .adaptiveAvgPool2d(let outputSize) where outputSize.count != 2 || !outputSize.allSatisfy({ (1...Self.maximumExtent).contains($0) }):
            return at("AdaptiveAvgPool2d's outputSize must be two values in 1...\(Self.maximumExtent), got \(outputSize)")
        case let .batchNorm2d(features, epsilon, momentum, _)
            where features < 1 || !(epsilon > 0 && epsilon.isFinite) || !(momentum >= 0 && momentum <= 1):
            return at("BatchNorm2d needs features ≥ 1, a finite ε > 0 and momentum in [0, 1], got \(features), \(epsilon), \(momentum)")
        case .dropout2d(let probability) where !(probability >= 0 && probability < 1):
            return at("Dropout2d probability \(probability) is outside [0, 1)")
        case let .recurrent(cell, inputSize, hiddenSize, layerCount, _, _, dropout, _)
            where inputSize < 1 || hiddenSize < 1 || !(1...1024).contains(layerCount) || !(dropout >= 0 && dropout < 1):
            return at("\(cell.layerName) needs sizes ≥ 1, 1 to 1024 layers and dropout in [0, 1), got \(inputSize) → \(hiddenSize), "
                      + "\(layerCount) layers, dropout \(dropout)")
        case let .multiheadAttention(size, heads, dropout, _, _)
            where size < 1 || heads < 1 || size % heads != 0 || !(dropout >= 0 && dropout < 1):
            return at("MultiheadAttention needs a size ≥ 1 that splits into heads ≥ 1 and dropout in [0, 1), got \(size), \(heads) heads, "
                      + "dropout \(dropout)")
        case .permute(let axes) where axes.isEmpty || axes.count > 64 || Set(axes.map { $0 < 0 ? $0 + axes.count : $0 }) != Set(0..<axes.count):
            return at("Permute's axes \(axes) are not a permutation of 1 to 64 axes")
        case let .transformerEncoderLayer(size, heads, feedForward, dropout, _, epsilon, _, _, _)
            where size < 1 || heads < 1 || size % heads != 0 || feedForward < 1 || !(dropout >= 0 && dropout < 1)
                || !(epsilon > 0 && epsilon.isFinite):
            return at("TransformerEncoderLayer needs a size ≥ 1 that splits into heads ≥ 1, a feed-forward size ≥ 1, dropout in [0, 1) "
                      + "and a finite ε > 0, got \(size), \(heads) heads, \(feedForward), \(dropout), \(epsilon)")
        case .sinusoidalPositionalEncoding(let dimension, _) where dimension < 1:
            return at("SinusoidalPositionalEncoding's dimension must be at least 1, got \(dimension)")
        case let .learnedPositionalEmbedding(maximumLength, dimension, _) where maximumLength < 1 || dimension < 1:
            return at("LearnedPositionalEmbedding's sizes must be at least 1, got \(maximumLength) × \(dimension)")
        case .residual(let block):
            guard depth < 64 else { return at("nesting deeper than 64 levels") }
            return block.layerProblem(path: child("block"), depth: depth + 1)
        case .sequential(let layers):
            guard depth < 64 else { return at("nesting deeper than 64 levels") }
            guard layers.count <= 100_000 else { return at("more than 100 000 layers") }
            for (i, layer) in layers.enumerated() {
                if let problem = layer.layerProblem(path: child(String(i)), depth: depth + 1) { return problem }
            }
            return nil
        default:
            return nil
        }
    }

    /// The largest kernel, stride, dilation, padding or pooled size a description may give: far
    /// beyond any image, small enough that window arithmetic cannot overflow.
    static let maximumExtent = 1 << 20

    private func convolutionProblem(
        _ kind: String, _ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int], padding: ConvolutionPadding,
        dilation: [Int], groups: Int, axes: Int
    ) -> String? {
        let extent = 1...Self.maximumExtent
        guard inChannels >= 1, outChannels >= 1, groups >= 1, inChannels % groups == 0, outChannels % groups == 0 else {
            return "\(kind) needs channels ≥ 1 that split into groups ≥ 1, got \(inChannels) → \(outChannels), groups \(groups)"
        }
        for (name, values) in [("kernelSize", kernelSize), ("stride", stride), ("dilation", dilation)]
        where values.count != axes || !values.allSatisfy(extent.contains) {
            return "\(kind)'s \(name) must be \(axes) value(s) in 1...\(Self.maximumExtent), got \(values)"
        }
        switch padding {
        case .explicit(let values) where values.count != axes || !values.allSatisfy((0...Self.maximumExtent).contains):
            return "\(kind)'s padding must be \(axes) value(s) in 0...\(Self.maximumExtent), got \(values)"
        case .same where !stride.allSatisfy({ $0 == 1 }):
            return "\(kind)'s padding \"same\" needs stride 1, got \(stride)"
        default:
            return nil
        }
    }

    private func poolingProblem(_ kind: String, kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int]) -> String? {
        let extent = 1...Self.maximumExtent
        for (name, values) in [("kernelSize", kernelSize), ("stride", stride), ("dilation", dilation)]
        where values.count != 2 || !values.allSatisfy(extent.contains) {
            return "\(kind)'s \(name) must be two values in 1...\(Self.maximumExtent), got \(values)"
        }
        guard padding.count == 2, zip(padding, kernelSize).allSatisfy({ $0 >= 0 && $0 * 2 <= $1 }) else {
            return "\(kind)'s padding must be two values from 0 to half the kernel \(kernelSize), got \(padding)"
        }
        return nil
    }

    /// The shape of the output for an input of `inputShape` (batch axis first), or an error naming
    /// the first layer that cannot take its input, so a description read from a file is checked
    /// against the data before anything runs.
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        var largest = 0
        return try outputShape(for: inputShape, path: "", isModelInput: true, largest: &largest)
    }

    /// Throws when a forward pass on a batch of `batchSize` examples of `exampleShape` would allocate
    /// a buffer (``largestBuffer(for:)``) of `scalarSize`-byte values beyond
    /// ``InputLimits/maximumBytes``; `source` names the model in the error.
    public func checkBuffers(batchSize: Int, exampleShape: [Int], scalarSize: Int = MemoryLayout<Float>.size, source: String) throws {
        let largest = try largestBuffer(for: [batchSize] + exampleShape)
        if let problem = InputLimits.problem(shape: [largest], elementSize: scalarSize) {
            throw ModelDescriptionError(layer: source, reason: "its largest buffer at batch \(batchSize) (\(largest) values): \(problem)")
        }
    }

    /// The most elements any one buffer of a forward pass on `inputShape` holds: the input, every
    /// layer's output, and each convolution's im2col columns (channels × taps × batch × output
    /// positions). Throws as ``outputShape(for:)`` does, and when a count overflows.
    public func largestBuffer(for inputShape: [Int]) throws -> Int {
        var largest = InputLimits.elementCount(inputShape) ?? Int.max
        _ = try outputShape(for: inputShape, path: "", isModelInput: true, largest: &largest)
        return largest
    }

    /// `isModelInput`: whether this layer's input is the model's own input (an embedding needs row
    /// indices, which no layer computes).
    private func outputShape(for shape: [Int], path: String, isModelInput: Bool, largest: inout Int) throws -> [Int] {
        let output = try layerOutputShape(for: shape, path: path, isModelInput: isModelInput, largest: &largest)
        guard let count = InputLimits.elementCount(output) else {
            throw ModelDescriptionError(layer: path.isEmpty ? "the model" : "layer \(path)", reason: "its output shape \(output) overflows")
        }
        largest = Swift.max(largest, count)
        return output
    }

    private func layerOutputShape(for shape: [Int], path: String, isModelInput: Bool, largest: inout Int) throws -> [Int] {
        func fail(_ message: String) -> ModelDescriptionError {
            ModelDescriptionError(layer: path.isEmpty ? "the model" : "layer \(path)", reason: message)
        }
        func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        func axis(_ axis: Int) throws -> Int {
            let a = axis < 0 ? axis + shape.count : axis
            guard a >= 0 && a < Swift.max(shape.count, 1) else { throw fail("axis \(axis) is out of range for input shape \(shape)") }
            return a
        }
        switch self {
        case let .linear(inputSize, outputSize, _):
            guard shape.count >= 1, shape.last == inputSize else { throw fail("Linear takes \(inputSize) features, the input has shape \(shape)") }
            return shape.dropLast() + [outputSize]
        case .softmax(let a), .logSoftmax(let a):
            _ = try axis(a)
            return shape
        case let .layerNorm(normalized, _, _):
            guard Array(shape.suffix(normalized.count)) == normalized else {
                throw fail("LayerNorm normalizes trailing axes \(normalized), the input has shape \(shape)")
            }
            return shape
        case let .batchNorm1d(features, _, _, _):
            guard (shape.count == 2 || shape.count == 3) && shape[1] == features else {
                throw fail("BatchNorm1d takes (N, \(features)) or (N, \(features), L), the input has shape \(shape)")
            }
            return shape
        case let .conv2d(inChannels, outChannels, kernelSize, stride, padding, dilation, _, _):
            guard shape.count == 4, shape[1] == inChannels else {
                throw fail("Conv2d takes (N, \(inChannels), H, W), the input has shape \(shape)")
            }
            let spatial = try spatialOutput("Conv2d", shape, kernelSize: kernelSize, stride: stride, dilation: dilation,
                                            pads: padding.amounts(kernelSize: kernelSize, dilation: dilation), fail: fail)
            guard let columns = InputLimits.elementCount([inChannels, kernelSize[0], kernelSize[1], shape[0], spatial[0], spatial[1]]) else {
                throw fail("Conv2d's im2col columns for input \(shape) overflow")
            }
            largest = Swift.max(largest, columns)
            return [shape[0], outChannels] + spatial
        case let .conv1d(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias):
            guard shape.count == 3, shape[1] == inChannels else {
                throw fail("Conv1d takes (N, \(inChannels), L), the input has shape \(shape)")
            }
            let padding2d: ConvolutionPadding
            if case .explicit(let values) = padding { padding2d = .explicit([0] + values) } else { padding2d = padding }
            let as2d = ModelDescription.conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: [1, kernelSize],
                                               stride: [1, stride], padding: padding2d, dilation: [1, dilation], groups: groups, bias: bias)
            let output = try as2d.outputShape(for: [shape[0], shape[1], 1, shape[2]], path: path, isModelInput: false, largest: &largest)
            return [output[0], output[1], output[3]]
        case let .maxPool2d(kernelSize, stride, padding, dilation, ceilMode):
            return try poolingShape("MaxPool2d", shape, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                                    ceilMode: ceilMode, fail: fail)
        case let .avgPool2d(kernelSize, stride, padding, ceilMode, _, _):
            return try poolingShape("AvgPool2d", shape, kernelSize: kernelSize, stride: stride, padding: padding, dilation: [1, 1],
                                    ceilMode: ceilMode, fail: fail)
        case .adaptiveAvgPool2d(let outputSize):
            guard shape.count == 4, shape[2] >= 1, shape[3] >= 1 else {
                throw fail("AdaptiveAvgPool2d takes (N, C, H, W) with H, W ≥ 1, the input has shape \(shape)")
            }
            return Array(shape[..<2]) + outputSize
        case let .batchNorm2d(features, _, _, _):
            guard shape.count == 4 && shape[1] == features else {
                throw fail("BatchNorm2d takes (N, \(features), H, W), the input has shape \(shape)")
            }
            return shape
        case .dropout2d:
            guard shape.count == 4 else { throw fail("Dropout2d takes (N, C, H, W), the input has shape \(shape)") }
            return shape
        case let .embedding(_, dimension):
            guard isModelInput else { throw fail("an embedding takes row indices, which no layer computes: it must come first") }
            return shape + [dimension]
        case let .recurrent(cell, inputSize, hiddenSize, _, _, batchFirst, _, bidirectional):
            guard (shape.count == 3 || shape.count == 2) && shape.last == inputSize else {
                throw fail("\(cell.layerName) takes \(batchFirst ? "(N, L" : "(L, N"), \(inputSize)) or (L, \(inputSize)), the input has shape \(shape)")
            }
            guard let gates = InputLimits.elementCount(Array(shape.dropLast()) + [cell.gateCount * hiddenSize]) else {
                throw fail("\(cell.layerName)'s gates for input \(shape) overflow")
            }
            largest = Swift.max(largest, gates)
            return shape.dropLast() + [(bidirectional ? 2 : 1) * hiddenSize]
        case let .multiheadAttention(size, heads, _, _, batchFirst), let .transformerEncoderLayer(size, heads, _, _, _, _, batchFirst, _, _):
            guard shape.count == 3 && shape[2] == size else {
                throw fail("attention of size \(size) takes \(batchFirst ? "(N, L" : "(L, N"), \(size)), the input has shape \(shape)")
            }
            let length = shape[batchFirst ? 1 : 0], batch = shape[batchFirst ? 0 : 1]
            guard let scores = InputLimits.elementCount([batch, heads, length, length]) else {
                throw fail("the attention scores for input \(shape) overflow")
            }
            largest = Swift.max(largest, scores)
            return shape
        case let .sinusoidalPositionalEncoding(dimension, _):
            guard shape.count == 3 && shape[2] == dimension else {
                throw fail("SinusoidalPositionalEncoding takes (…, …, \(dimension)), the input has shape \(shape)")
            }
            return shape
        case let .learnedPositionalEmbedding(maximumLength, dimension, batchFirst):
            guard shape.count == 3 && shape[2] == dimension && shape[batchFirst ? 1 : 0] <= maximumLength else {
                throw fail("LearnedPositionalEmbedding takes \(batchFirst ? "(N, L" : "(L, N"), \(dimension)) with L ≤ \(maximumLength), "
                           + "the input has shape \(shape)")
            }
            return shape
        case .permute(let axes):
            guard shape.count == axes.count else { throw fail("Permute's axes \(axes) do not match the input shape \(shape)") }
            return axes.map { shape[$0 < 0 ? $0 + axes.count : $0] }
        case .flatten(let a):
            let start = try axis(a)
            guard let merged = InputLimits.elementCount(Array(shape[start...])) else { throw fail("input shape \(shape) overflows") }
            return Array(shape[..<start]) + [merged]
        case .residual(let block):
            let output = try block.outputShape(for: shape, path: child("block"), isModelInput: isModelInput, largest: &largest)
            guard output == shape else { throw fail("Residual block maps shape \(shape) to \(output); it must keep the shape") }
            return shape
        case .sequential(let layers):
            var current = shape
            for (i, layer) in layers.enumerated() {
                current = try layer.outputShape(for: current, path: child(String(i)), isModelInput: isModelInput && i == 0,
                                                 largest: &largest)
            }
            return current
        default:
            return shape
        }
    }

    private func poolingShape(
        _ kind: String, _ shape: [Int], kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool,
        fail: (String) -> ModelDescriptionError
    ) throws -> [Int] {
        guard shape.count == 4 else { throw fail("\(kind) takes (N, C, H, W), the input has shape \(shape)") }
        return Array(shape[..<2]) + (try spatialOutput(kind, shape, kernelSize: kernelSize, stride: stride, dilation: dilation,
                                                       pads: padding.map { ($0, $0) }, ceilMode: ceilMode, fail: fail))
    }

    /// The output height and width of a window over an (N, C, H, W) `shape`.
    private func spatialOutput(
        _ kind: String, _ shape: [Int], kernelSize: [Int], stride: [Int], dilation: [Int], pads: [(before: Int, after: Int)],
        ceilMode: Bool = false, fail: (String) -> ModelDescriptionError
    ) throws -> [Int] {
        guard let axes = windowAxes(input: Array(shape[2...]), kernelSize: kernelSize, stride: stride, dilation: dilation, pads: pads,
                                    ceilMode: ceilMode) else {
            throw fail("\(kind)'s kernel \(kernelSize) (dilation \(dilation)) is larger than the padded input \(shape)")
        }
        return axes.map(\.output)
    }

    /// Whether the model's first layer takes images, (N, C, H, W), rather than flat features.
    public var takesImages: Bool {
        switch self {
        case .conv2d, .maxPool2d, .avgPool2d, .adaptiveAvgPool2d, .batchNorm2d, .dropout2d: return true
        case .sequential(let layers): return layers.first?.takesImages ?? false
        case .residual(let block): return block.takesImages
        default: return false
        }
    }

    /// The description as one line of JSON with sorted keys (byte-identical from run to run).
    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads and validates a description from a JSON file.
    public init(contentsOfFile path: String) throws {
        try self.init(json: readFileBytes(path), source: path)
    }

    /// Decodes a description from JSON and validates it (``problem(scalarSize:)``); `source` names
    /// the file in errors.
    public init(json: some Collection<UInt8>, source: String) throws {
        do {
            self = try JSONDecoder().decode(ModelDescription.self, from: Data(json))
        } catch {
            throw ModelDescriptionError(layer: source, reason: "not a valid model description (\(error))")
        }
        if let problem = problem() { throw ModelDescriptionError(layer: source, reason: problem) }
    }
}

/// A model or a description that cannot be used: a layer the description format does not cover,
/// a value out of range, or a layer that cannot take its input's shape.
public struct ModelDescriptionError: Error, CustomStringConvertible, Equatable {
    /// The layer concerned, by its dotted path ("layer 2.block"), or the file.
    public var layer: String
    /// What is wrong.
    public var reason: String

    /// An error about `layer`.
    public init(layer: String, reason: String) { (self.layer, self.reason) = (layer, reason) }

    public var description: String { "\(layer): \(reason)" }
}

extension Layer {
    /// This model's description, or an error naming the first layer (by its dotted path) that the
    /// description format does not cover, such as a custom layer.
    public func describe() throws -> ModelDescription {
        try describe(self, path: "")
    }

    private func describe(_ layer: any Layer<Scalar>, path: String) throws -> ModelDescription {
        func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        if let sequential = layer as? Sequential<Scalar> {
            return .sequential(layers: try sequential.layers.enumerated().map { try describe($1, path: child(String($0))) })
        }
        if let residual = layer as? Residual<Scalar> {
            return .residual(block: try describe(residual.block, path: child("block")))
        }
        guard let description = layer.layerDescription else {
            throw ModelDescriptionError(layer: path.isEmpty ? "the model" : "layer \(path)",
                                        reason: "\(layer.summaryName) cannot be described; only the library's layers can")
        }
        return description
    }
}

extension Sequential {
    /// The model `description` describes (a `.sequential` description), weights drawn from a
    /// generator seeded with `seed`, the k-th dropout layer seeded with `seed + 1000 + k`. Throws for
    /// a description that is not a sequence or that ``ModelDescription/problem(scalarSize:)`` rejects.
    public convenience init(_ description: ModelDescription, seed: UInt64 = 0) throws {
        guard case .sequential = description else {
            throw ModelDescriptionError(layer: "the model", reason: "the outermost layer must be a sequential model")
        }
        if let problem = description.problem(scalarSize: MemoryLayout<Scalar>.size) {
            throw ModelDescriptionError(layer: "the model", reason: problem)
        }
        var generator = RandomGenerator(seed: seed)
        var dropoutSeed = seed &+ 1000
        self.init(description.makeSequential(as: Scalar.self, using: &generator, dropoutSeed: &dropoutSeed).layers)
    }
}

// Each library layer's own description (containers are described by ``Layer/describe()``).
extension Linear { public var layerDescription: ModelDescription? { .linear(inputSize: inputSize, outputSize: outputSize, bias: bias != nil) } }
extension ReLU { public var layerDescription: ModelDescription? { .relu } }
extension LeakyReLU { public var layerDescription: ModelDescription? { .leakyRelu(negativeSlope: negativeSlope) } }
extension ELU { public var layerDescription: ModelDescription? { .elu(alpha: alpha) } }
extension SELU { public var layerDescription: ModelDescription? { .selu } }
extension GELU { public var layerDescription: ModelDescription? { .gelu(tanhApproximation: approximation == .tanh) } }
extension SiLU { public var layerDescription: ModelDescription? { .silu } }
extension Mish { public var layerDescription: ModelDescription? { .mish } }
extension Sigmoid { public var layerDescription: ModelDescription? { .sigmoid } }
extension HardSigmoid { public var layerDescription: ModelDescription? { .hardSigmoid } }
extension Tanh { public var layerDescription: ModelDescription? { .tanh } }
extension Softplus { public var layerDescription: ModelDescription? { .softplus } }
extension Softmax { public var layerDescription: ModelDescription? { .softmax(axis: axis) } }
extension LogSoftmax { public var layerDescription: ModelDescription? { .logSoftmax(axis: axis) } }
extension Dropout { public var layerDescription: ModelDescription? { .dropout(probability: probability) } }
extension LayerNorm {
    public var layerDescription: ModelDescription? { .layerNorm(normalizedShape: normalizedShape, epsilon: epsilon, elementwiseAffine: weight != nil) }
}
extension BatchNorm1d {
    public var layerDescription: ModelDescription? { .batchNorm1d(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: weight != nil) }
}
extension Embedding { public var layerDescription: ModelDescription? { .embedding(count: weight.shape[0], dimension: weight.shape[1]) } }
extension Recurrent {
    public var layerDescription: ModelDescription? {
        .recurrent(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, bias: weights[0].inputBias != nil,
                   batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional)
    }
}
extension MultiheadAttention {
    public var layerDescription: ModelDescription? {
        .multiheadAttention(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: inputProjectionBias != nil,
                            batchFirst: batchFirst)
    }
}
extension TransformerEncoderLayer {
    public var layerDescription: ModelDescription? {
        .transformerEncoderLayer(modelSize: selfAttention.embeddingSize, headCount: selfAttention.headCount,
                                 feedForwardSize: linear1.outputSize, dropout: dropout, activation: activation,
                                 layerNormEpsilon: norm1.epsilon, batchFirst: selfAttention.batchFirst, normFirst: normFirst,
                                 causal: causal)
    }
}
extension SinusoidalPositionalEncoding {
    public var layerDescription: ModelDescription? { .sinusoidalPositionalEncoding(dimension: dimension, batchFirst: batchFirst) }
}
extension LearnedPositionalEmbedding {
    public var layerDescription: ModelDescription? {
        .learnedPositionalEmbedding(maximumLength: weight.shape[0], dimension: weight.shape[1], batchFirst: batchFirst)
    }
}
extension Conv2d {
    public var layerDescription: ModelDescription? {
        .conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                dilation: dilation, groups: groups, bias: bias != nil)
    }
}
extension Conv1d {
    public var layerDescription: ModelDescription? {
        .conv1d(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                dilation: dilation, groups: groups, bias: bias != nil)
    }
}
extension MaxPool2d {
    public var layerDescription: ModelDescription? {
        .maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}
extension AvgPool2d {
    public var layerDescription: ModelDescription? {
        .avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad,
                   divisorOverride: divisorOverride)
    }
}
extension AdaptiveAvgPool2d { public var layerDescription: ModelDescription? { .adaptiveAvgPool2d(outputSize: outputSize) } }
extension BatchNorm2d {
    public var layerDescription: ModelDescription? { .batchNorm2d(featureCount: featureCount, epsilon: epsilon, momentum: momentum, affine: weight != nil) }
}
extension Dropout2d { public var layerDescription: ModelDescription? { .dropout2d(probability: probability) } }
extension Flatten { public var layerDescription: ModelDescription? { .flatten(startAxis: startAxis) } }
extension Identity { public var layerDescription: ModelDescription? { .identity } }
extension Permute { public var layerDescription: ModelDescription? { .permute(axes: axes) } }

extension Sequential {
    /// The model a checkpoint or state dict describes, rebuilt and loaded with its weights, or `nil`
    /// when the file carries no description (a state dict exported from PyTorch, say). Every file
    /// EasyNets writes for a model of the library's layers carries one (metadata `model`); files
    /// from earlier versions of `easynets train` carry an MLP configuration (`extra.model`).
    public static func loadModel(from file: SafeTensorsFile, path: String = "<memory>") throws -> Sequential? {
        let description: ModelDescription
        if let json = file.metadata["model"] {
            description = try ModelDescription(json: Array(json.utf8), source: path)
        } else if let legacy = file.metadata["extra.model"] {
            description = try MultilayerPerceptron.Configuration(json: legacy, path: path).modelDescription
        } else {
            return nil
        }
        let model: Sequential
        do { model = try Sequential(description) } catch let error as ModelDescriptionError {
            throw ModelDescriptionError(layer: path, reason: error.description)
        }
        let prefix = file.metadata["format"] == "easynets-training-checkpoint" ? "model." : ""
        try model.loadState(from: file, prefix: prefix, path: path)
        return model
    }
}

extension Sequential {
    /// The number of class scores the model gives for `data`'s examples, or an error naming
    /// `modelSource` and `dataName` when the model cannot take them (another feature count, or
    /// features that are not indices of a leading ``Embedding``) or when the data's labels go
    /// beyond its classes: the check that a checkpoint fits a dataset.
    @discardableResult
    public func checkClassCount(for data: Dataset<Scalar>, modelSource: String, dataName: String) throws -> Int {
        let output: [Int]
        let description = try describe()
        if case .sequential(let layers) = description, case .embedding(let count, _)? = layers.first,
           let bad = data.features.scalars.first(where: { !($0 >= 0 && $0 < Scalar(count) && $0.rounded() == $0) }) {
            throw ModelDescriptionError(layer: modelSource, reason: "the model starts with an embedding of \(count) rows, "
                                        + "but \(dataName) has the feature value \(bad), which is not a row index")
        }
        // Batches of two and three: a shape that fits one batch size only (LayerNorm over the batch
        // axis, say) fails for the other.
        do {
            output = try description.outputShape(for: [2] + data.exampleShape)
            let other = try description.outputShape(for: [3] + data.exampleShape)
            guard other.dropFirst() == output.dropFirst(), other.first == 3, output.first == 2 else {
                throw ModelDescriptionError(layer: "the model", reason: "its output shape depends on the batch size "
                                            + "(\(output) for a batch of 2, \(other) for 3)")
            }
        } catch let error as ModelDescriptionError {
            throw ModelDescriptionError(layer: modelSource, reason: "the model cannot take the "
                                        + (data.features.rank == 2 ? "\(data.featureCount) features" : "examples of shape \(data.exampleShape)")
                                        + " of \(dataName): \(error)")
        }
        guard output.count == 2 + data.labelShape.count, Array(output.dropFirst(2)) == data.labelShape else {
            let expected = "(N, classes" + data.labelShape.map { ", \($0)" }.joined() + ")"
            throw ModelDescriptionError(layer: modelSource, reason: "the model gives scores of shape \(output.dropFirst()) per batch "
                                        + "(after the batch axis), but the labels of \(dataName) need scores \(expected)")
        }
        guard data.classCount <= output[1] else {
            throw ModelDescriptionError(layer: modelSource, reason: "the model gives \(output[1]) class scores, "
                                        + "but \(dataName) has labels up to \(data.classCount - 1)")
        }
        return output[1]
    }
}
