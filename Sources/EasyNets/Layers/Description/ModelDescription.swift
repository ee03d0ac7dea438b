import Foundation
import Synchronization

/// A `Codable` description of a model built from the library's layers: each layer's kind and
/// hyperparameters, composed in sequence or around a residual connection as the model composes
/// them. A model produces its own (``Layer/describe()``) and ``Sequential/init(_:seed:)`` rebuilds
/// it; training checkpoints carry it, so a checkpoint can be reloaded without knowing how the
/// model was made.
///
/// Each layer kind owns its description (a ``LayerDescription`` such as ``LinearDescription``,
/// declared beside the layer); this type knows only composition and the registry of kinds
/// (``layerKinds``). In Swift a layer is written with its static constructor, e.g.
/// `.linear(inputSize: 784, outputSize: 256, bias: true)`. As JSON, each layer is an object with
/// one key, its kind:
/// `{"sequential":{"layers":[{"linear":{"inputSize":784,"outputSize":256,"bias":true}},{"relu":{}}]}}`.
public indirect enum ModelDescription: Codable, Equatable, Sendable {
    /// One layer of a registered kind.
    case layer(any LayerDescription)
    /// ``Residual`` around a block.
    case residual(block: ModelDescription)
    /// ``Sequential``: layers applied in order.
    case sequential(layers: [ModelDescription])

    /// The library's layer kinds, the ones every description may name. A new library layer kind is
    /// added here; a program's own kinds are added with ``register(_:)``.
    public static let layerKinds: [any LayerDescription.Type] = [
        LinearDescription.self,
        ReLUDescription.self, LeakyReLUDescription.self, ELUDescription.self, SELUDescription.self, GELUDescription.self,
        SiLUDescription.self, MishDescription.self, SigmoidDescription.self, HardSigmoidDescription.self, TanhDescription.self,
        SoftplusDescription.self, SoftmaxDescription.self, LogSoftmaxDescription.self,
        DropoutDescription.self, Dropout2dDescription.self,
        LayerNormDescription.self, BatchNorm1dDescription.self, BatchNorm2dDescription.self, GroupNormDescription.self,
        InstanceNorm1dDescription.self, InstanceNorm2dDescription.self, RMSNormDescription.self,
        EmbeddingDescription.self,
        Conv2dDescription.self, Conv1dDescription.self,
        ConvTranspose2dDescription.self, ConvTranspose1dDescription.self, UpsampleDescription.self,
        MaxPool2dDescription.self, AvgPool2dDescription.self, AdaptiveAvgPool2dDescription.self,
        MaxPool1dDescription.self, AvgPool1dDescription.self, AdaptiveAvgPool1dDescription.self, AdaptiveMaxPool2dDescription.self,
        FlattenDescription.self, IdentityDescription.self, PermuteDescription.self,
        RecurrentDescription.self,
        MultiheadAttentionDescription.self, TransformerEncoderLayerDescription.self,
        TransformerDecoderLayerDescription.self, TransformerEncoderDescription.self, TransformerDecoderDescription.self,
        TransformerDescription.self,
        SinusoidalPositionalEncodingDescription.self, LearnedPositionalEmbeddingDescription.self,
    ]

    /// Every kind a description may name, by JSON key: the library's and the registered ones.
    static let kindsByKey = Mutex<[String: any LayerDescription.Type]>({
        var kinds: [String: any LayerDescription.Type] = [:]
        for kind in layerKinds {
            require(kinds[kind.kind] == nil, "ModelDescription: the layer kind \"\(kind.kind)\" is listed twice")
            kinds[kind.kind] = kind
        }
        return kinds
    }())

    /// Makes `kind` a layer kind descriptions may name, so a model with a layer of a program's own
    /// (whose ``Layer/layerDescription`` is a `kind`) can be saved in checkpoints and read back.
    /// Registering the same type again does nothing; a key that names another kind, or
    /// `"sequential"` or `"residual"`, stops with a message.
    public static func register(_ kind: any LayerDescription.Type) {
        kindsByKey.withLock { kinds in
            if let existing = kinds[kind.kind] {
                require(existing == kind, "ModelDescription.register: the key \"\(kind.kind)\" already names \(existing)")
            }
            require(kind.kind != "sequential" && kind.kind != "residual",
                    "ModelDescription.register: \"\(kind.kind)\" names a composition, not a layer kind")
            kinds[kind.kind] = kind
        }
    }

    /// The layer this describes as a description of type `type`, or `nil` when it is another kind
    /// of layer or a composition.
    public func layer<Description: LayerDescription>(as type: Description.Type) -> Description? {
        guard case .layer(let layer) = self else { return nil }
        return layer as? Description
    }

    /// The first layer of the model, through sequences and residual blocks.
    public var firstLayer: (any LayerDescription)? {
        switch self {
        case .layer(let layer): return layer
        case .residual(let block): return block.firstLayer
        case .sequential(let layers): return layers.first?.firstLayer
        }
    }

    public static func == (lhs: ModelDescription, rhs: ModelDescription) -> Bool {
        switch (lhs, rhs) {
        case let (.layer(a), .layer(b)): return a.isEqual(to: b)
        case let (.residual(a), .residual(b)): return a == b
        case let (.sequential(a), .sequential(b)): return a == b
        case (.layer, _), (.residual, _), (.sequential, _): return false
        }
    }

    // MARK: Building

    /// The layer this describes, its weights drawn from `generator` in order; the k-th stochastic
    /// layer built from it is seeded with `dropoutSeed + k`. The description must be valid
    /// (``problem(scalarSize:)`` is `nil`).
    public func makeLayer<Scalar: TensorScalar>(
        as: Scalar.Type = Scalar.self, using generator: inout RandomGenerator, dropoutSeed: inout UInt64
    ) -> any Layer<Scalar> {
        var context = LayerBuildContext(generator: generator, firstSeed: dropoutSeed)
        defer { (generator, dropoutSeed) = (context.generator, context.nextSeed) }
        return makeLayer(as: Scalar.self, context: &context)
    }

    private func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        switch self {
        case .layer(let layer): return layer.makeLayer(as: Scalar.self, context: &context)
        case .residual(let block): return Residual<Scalar>(block.makeLayer(as: Scalar.self, context: &context))
        case .sequential: return makeSequential(as: Scalar.self, context: &context)
        }
    }

    /// The model this describes as a ``Sequential``: the layers of a `.sequential` description,
    /// or any other layer alone in one.
    func makeSequential<Scalar: TensorScalar>(
        as: Scalar.Type = Scalar.self, using generator: inout RandomGenerator, dropoutSeed: inout UInt64
    ) -> Sequential<Scalar> {
        var context = LayerBuildContext(generator: generator, firstSeed: dropoutSeed)
        defer { (generator, dropoutSeed) = (context.generator, context.nextSeed) }
        return makeSequential(as: Scalar.self, context: &context)
    }

    private func makeSequential<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> Sequential<Scalar> {
        guard case .sequential(let layers) = self else { return Sequential([makeLayer(as: Scalar.self, context: &context)]) }
        var built: [any Layer<Scalar>] = []
        for layer in layers { built.append(layer.makeLayer(as: Scalar.self, context: &context)) }
        return Sequential(built)
    }

    // MARK: Validation

    /// The number of trainable scalars and buffers the model holds, or `nil` when it overflows.
    public var stateCount: Int? {
        switch self {
        case .layer(let layer): return layer.stateCount
        case .residual(let block): return block.stateCount
        case .sequential(let layers): return CheckedCount.sum(layers.map(\.stateCount))
        }
    }

    /// Why this description cannot be built, or `nil` when it can: a layer whose hyperparameters
    /// break its kind's rules (``LayerDescription/problem()``), nesting deeper than 64 levels, more
    /// than 100 000 layers in a sequence, or parameters of `scalarSize` bytes each beyond
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
        switch self {
        case .layer(let layer):
            return layer.problem().map(at)
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
        }
    }

    // MARK: Shapes

    /// The shape of the output for an input of `inputShape` (batch axis first), or an error naming
    /// the first layer that cannot take its input, so a description read from a file is checked
    /// against the data before anything runs.
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        var inference = ShapeInference()
        return try outputShape(for: inputShape, inference: &inference)
    }

    /// The memory a batch of `inputShape` (batch axis first) needs, or an error naming the first
    /// layer that cannot take its input or whose buffer sizes overflow.
    public func memoryRequirement(for inputShape: [Int]) throws -> MemoryRequirement {
        var inference = ShapeInference()
        guard let inputCount = InputLimits.elementCount(inputShape) else { throw inference.error("the input shape \(inputShape) overflows") }
        inference.note(inputCount)
        _ = try outputShape(for: inputShape, inference: &inference)
        guard let state = stateCount else { throw inference.error("its parameter count overflows") }
        return MemoryRequirement(stateCount: state, activationCount: inference.totalElements, largestBuffer: inference.largestBuffer,
                                 largestBufferLayer: inference.largestBufferLayer)
    }

    /// Throws when a batch of `batchSize` examples of `exampleShape`, in training (`training`) or
    /// evaluation, needs more memory of `scalarSize`-byte values than ``InputLimits/maximumBytes``
    /// (``MemoryRequirement/bytes(scalarSize:training:)``); the error names `source`, the layer with
    /// the largest buffer, the size and the limit.
    public func checkMemory(batchSize: Int, exampleShape: [Int], training: Bool, scalarSize: Int = MemoryLayout<Float>.size,
                            source: String) throws {
        let requirement: MemoryRequirement
        do {
            requirement = try memoryRequirement(for: [batchSize] + exampleShape)
        } catch let error as ModelDescriptionError {
            throw ModelDescriptionError(layer: source, reason: error.description)
        }
        let bytes = requirement.bytes(scalarSize: scalarSize, training: training)
        guard let bytes, bytes <= InputLimits.maximumBytes else {
            let layer = requirement.largestBufferLayer.isEmpty ? "the input" : "layer \(requirement.largestBufferLayer)"
            throw ModelDescriptionError(
                layer: source,
                reason: "\(training ? "training" : "evaluating") a batch of \(batchSize) needs \(bytes.map { "\($0)" } ?? "more than 2^63") "
                    + "bytes (\(requirement.stateCount) parameter values; largest buffer \(requirement.largestBuffer) values, at \(layer)), "
                    + "more than the limit of \(InputLimits.maximumBytes) bytes (InputLimits.maximumBytes)")
        }
    }

    /// The most elements any one buffer of a forward pass on `inputShape` holds: the input, every
    /// layer's output, and working buffers such as a convolution's im2col columns (channels × taps
    /// × batch × output positions) or attention scores. Throws as ``outputShape(for:)`` does, and
    /// when a count overflows.
    public func largestBuffer(for inputShape: [Int]) throws -> Int {
        try memoryRequirement(for: inputShape).largestBuffer
    }

    private func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        let output: [Int]
        switch self {
        case .layer(let layer):
            output = try layer.outputShape(for: shape, inference: &inference)
        case .residual(let block):
            let path = inference.path
            inference.path = path.isEmpty ? "block" : "\(path).block"
            let blockOutput = try block.outputShape(for: shape, inference: &inference)
            inference.path = path
            guard blockOutput == shape else { throw inference.error("Residual block maps shape \(shape) to \(blockOutput); it must keep the shape") }
            output = shape
        case .sequential(let layers):
            let (path, isModelInput) = (inference.path, inference.isModelInput)
            var current = shape
            for (i, layer) in layers.enumerated() {
                inference.path = path.isEmpty ? String(i) : "\(path).\(i)"
                inference.isModelInput = isModelInput && i == 0
                current = try layer.outputShape(for: current, inference: &inference)
            }
            (inference.path, inference.isModelInput) = (path, isModelInput)
            output = current
        }
        guard let count = InputLimits.elementCount(output) else { throw inference.error("its output shape \(output) overflows") }
        switch self {
        case .layer, .residual: inference.note(count)  // a residual adds its block's output to its input: one more buffer
        case .sequential: break  // its last layer's output, counted there
        }
        return output
    }

    /// Whether the model's first layer takes images, (N, C, H, W), rather than flat features.
    public var takesImages: Bool {
        firstLayer.map { type(of: $0).takesImages } ?? false
    }

    // MARK: JSON

    private typealias Key = StringCodingKey

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a layer is an object with one key, its kind; found "
                                                        + "\(container.allKeys.map(\.stringValue).sorted())"))
        }
        if key.stringValue == "sequential" {
            let nested = try container.nestedContainer(keyedBy: Key.self, forKey: key)
            self = .sequential(layers: try nested.decode([ModelDescription].self, forKey: Key("layers")))
        } else if key.stringValue == "residual" {
            let nested = try container.nestedContainer(keyedBy: Key.self, forKey: key)
            self = .residual(block: try nested.decode(ModelDescription.self, forKey: Key("block")))
        } else if let kind = Self.kindsByKey.withLock({ $0[key.stringValue] }) {
            self = .layer(try kind.init(from: container.superDecoder(forKey: key)))
        } else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container,
                                                   debugDescription: "unknown layer kind \"\(key.stringValue)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .layer(let layer):
            try layer.encode(to: container.superEncoder(forKey: Key(type(of: layer).kind)))
        case .residual(let block):
            var nested = container.nestedContainer(keyedBy: Key.self, forKey: Key("residual"))
            try nested.encode(block, forKey: Key("block"))
        case .sequential(let layers):
            var nested = container.nestedContainer(keyedBy: Key.self, forKey: Key("sequential"))
            try nested.encode(layers, forKey: Key("layers"))
        }
    }

    /// The description as JSON with sorted keys (byte-identical from run to run): one line, or
    /// `pretty`, indented for people to read and edit.
    public func jsonString(pretty: Bool = false) throws -> String {
        if pretty { return try JSONValue(encoding: self).pretty() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads and validates a description from a JSON file.
    public init(contentsOfFile path: String) throws {
        try self.init(json: readFileBytes(path), source: path)
    }

    /// Decodes a description from JSON and validates it (``problem(scalarSize:)``); `source` names
    /// the file in errors. A key given twice in one object is an error naming the key; an unknown
    /// layer kind, a missing field, a value of the wrong type or a field the kind does not have is
    /// an error naming its JSON path (`sequential.layers[3].conv2d.kernelSize`) and what was
    /// expected: the known kinds, the type, or the kind's fields. Fields a layer leaves out take
    /// their defaults (``LayerDescription/defaultFields``).
    public init(json: some Collection<UInt8>, source: String) throws {
        if let duplicate = firstDuplicateKey(in: json) {
            throw ModelDescriptionError(layer: source, reason: "the key \"\(duplicate.key)\" appears twice in one object (byte offset "
                                        + "\(duplicate.offset)); a description names each key once")
        }
        let completed: JSONValue
        do { completed = try Self.completed(json) } catch { throw ModelDescriptionError(layer: source, reason: error.reason) }
        do {
            self = try completed.decode(ModelDescription.self)
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

/// The memory a model needs for one batch, counted in values of its scalar type.
public struct MemoryRequirement: Sendable, Equatable {
    /// Parameters and buffers.
    public var stateCount: Int
    /// The input, every layer's output and every working buffer, added up: what a training step
    /// keeps for its backward pass.
    public var activationCount: Int
    /// The most values one buffer holds.
    public var largestBuffer: Int
    /// The layer (dotted path, "" for the input) that makes ``largestBuffer``.
    public var largestBufferLayer: String

    /// Bytes of `scalarSize`-byte values, or `nil` when the count overflows. Training holds each
    /// parameter four times (value, gradient, two optimizer moments) and each activation twice (its
    /// value and its gradient); evaluation holds the parameters and, at any moment, a layer's
    /// input, output and working buffer: three of the largest buffer.
    public func bytes(scalarSize: Int, training: Bool) -> Int? {
        let values = training
            ? CheckedCount.sum([CheckedCount.product(stateCount, 4), CheckedCount.product(activationCount, 2)])
            : CheckedCount.sum([stateCount, CheckedCount.product(largestBuffer, 3)])
        return CheckedCount.product(values, scalarSize)
    }
}
