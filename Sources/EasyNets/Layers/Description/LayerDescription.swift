/// The value that describes one kind of layer: its hyperparameters, the rules they obey, the state
/// and shapes they imply, and how to build the layer from them.
///
/// Each library layer declares its description next to its class (``LinearDescription`` beside
/// ``Linear``) and registers it once in ``ModelDescription/layerKinds``; a ``ModelDescription``
/// composes them. As JSON a description is its `Codable` form under its ``kind`` key:
/// `{"linear":{"bias":true,"inputSize":784,"outputSize":256}}`.
///
/// The rules in ``problem()`` are the only ones: the layer's initializer stops on the same rules
/// (``requireValid()``), and a description read from a file is refused by them.
public protocol LayerDescription: Codable, Equatable, Sendable {
    /// The key that names this kind of layer in JSON, e.g. `"linear"`.
    static var kind: String { get }

    /// Whether the layer takes images (N, C, H, W) as its input rather than flat features.
    static var takesImages: Bool { get }

    /// The fields a description file may leave out and the value each then takes (PyTorch's
    /// default for its layer), as a JSON object: `{"bias":true}`. A default written
    /// `{"sameAs":"kernelSize"}` takes the value of the field it names (a pool's stride).
    static var defaultFields: String { get }

    /// Why these hyperparameters cannot make a layer (a size below 1, a probability outside
    /// [0, 1), …), or `nil` when they can. The message names the layer kind.
    func problem() -> String?

    /// The number of trainable scalars plus buffer values the layer holds, or `nil` when it overflows.
    var stateCount: Int? { get }

    /// The shape of the layer's output for an input of `shape` (batch axis first), or an error made by
    /// `inference` naming the layer. Working buffers larger than the input and output (im2col
    /// columns, attention scores) are recorded with ``ShapeInference/noteBuffer(_:_:)``.
    func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int]

    /// The layer, its weights drawn from `context` in the order the layer's initializer draws them.
    /// Called only for a valid description (``problem()`` is `nil`).
    func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar>
}

extension LayerDescription {
    /// Layers take flat features or sequences unless they say otherwise.
    public static var takesImages: Bool { false }

    /// Every field must be given unless a kind says otherwise.
    public static var defaultFields: String { "{}" }

    /// Stops with ``problem()``'s message when the hyperparameters break a rule: the check each
    /// layer's initializer makes, so a layer built in code obeys the rules a description file does.
    public func requireValid() {
        if let problem = problem() { programmerError(problem) }
    }

    /// Whether `other` is a description of the same kind with the same hyperparameters.
    func isEqual(to other: any LayerDescription) -> Bool {
        (other as? Self) == self
    }
}

/// A layer that keeps its input's shape and holds no state (activations, dropout): its output
/// shape is its input's and its state count 0.
public protocol ShapePreservingLayerDescription: LayerDescription {}

extension ShapePreservingLayerDescription {
    /// No parameters or buffers.
    public var stateCount: Int? { 0 }

    /// The input's shape.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] { shape }
}

/// What shape inference over a model description knows at one layer: where it is, whether the
/// layer reads the model's own input, and the largest buffer seen so far.
public struct ShapeInference: Sendable {
    /// The dotted path of the layer being inferred ("" for the model itself, "2", "1.block").
    public internal(set) var path: String = ""
    /// Whether the layer's input is the model's own input (an embedding needs row indices, which
    /// no layer computes).
    public internal(set) var isModelInput = true
    /// The most elements any one buffer holds so far: inputs, outputs and recorded working buffers.
    public internal(set) var largestBuffer = 0
    /// The layer (by dotted path) whose output or working buffer is ``largestBuffer``.
    public internal(set) var largestBufferLayer = ""
    /// The elements of every output and working buffer so far, added up (saturating at `Int.max`):
    /// what a training step keeps for its backward pass.
    public internal(set) var totalElements = 0

    /// An error naming the current layer.
    public func error(_ reason: String) -> ModelDescriptionError {
        ModelDescriptionError(layer: path.isEmpty ? "the model" : "layer \(path)", reason: reason)
    }

    /// Records a working buffer of `shape` (`what` names it in the error); throws when its element
    /// count overflows.
    public mutating func noteBuffer(_ shape: [Int], _ what: String) throws {
        guard let count = InputLimits.elementCount(shape) else { throw error("\(what) for shape \(shape) overflow") }
        note(count)
    }

    /// Records a buffer of `count` elements made by the current layer.
    mutating func note(_ count: Int) {
        if count > largestBuffer { (largestBuffer, largestBufferLayer) = (count, path) }
        totalElements = totalElements.addingReportingOverflow(count).overflow ? Int.max : totalElements + count
    }

    /// The index of `axis` (negative counts from the end) in a shape of `rank` axes, or an error.
    public func axis(_ axis: Int, rank: Int, of shape: [Int]) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < Swift.max(rank, 1) else { throw error("axis \(axis) is out of range for input shape \(shape)") }
        return a
    }
}

/// What building a model from its description draws on: one generator for every weight, in layer
/// order, and consecutive seeds for the layers that draw random numbers while training.
public struct LayerBuildContext: Sendable {
    /// The generator weights are drawn from.
    public var generator: RandomGenerator
    /// The seed the next stochastic layer gets.
    public private(set) var nextSeed: UInt64

    /// A context drawing weights from `generator`, the first stochastic layer seeded with `firstSeed`.
    public init(generator: RandomGenerator, firstSeed: UInt64) {
        self.generator = generator
        self.nextSeed = firstSeed
    }

    /// The seed for a stochastic layer that uses `count` consecutive seeds (a Transformer block
    /// uses one for itself and one for its attention).
    public mutating func takeSeed(count: UInt64 = 1) -> UInt64 {
        defer { nextSeed &+= count }
        return nextSeed
    }
}

/// Overflow-checked arithmetic for state counts: `nil` as soon as anything overflows.
enum CheckedCount {
    /// The product of `values`, or `nil` when one is `nil` or the product overflows.
    static func product(_ values: Int?...) -> Int? {
        var result = 1
        for value in values {
            guard let value else { return nil }
            let (p, overflow) = result.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            result = p
        }
        return result
    }

    /// The sum of `values`, or `nil` when one is `nil` or the sum overflows.
    static func sum(_ values: [Int?]) -> Int? {
        var total = 0
        for value in values {
            guard let value else { return nil }
            let (s, overflow) = total.addingReportingOverflow(value)
            if overflow { return nil }
            total = s
        }
        return total
    }
}
