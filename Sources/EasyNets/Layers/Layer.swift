/// A building block of a model: callable on a tensor, with named parameters and a training mode.
///
/// Conform by implementing ``callAsFunction(_:)`` and declaring `public var isTraining = true`.
/// List parameters (and buffers such as running statistics) explicitly with stable names, and
/// sublayers with the names that prefix theirs; the defaults are empty lists.
///
/// ```swift
/// final class Affine: Layer {
///     let scale = Parameter(Tensor<Float>.ones([4]))
///     let shift = Parameter(Tensor<Float>.zeros([4]))
///     var isTraining = true
///     var parameters: [(name: String, parameter: Parameter<Float>)] { [("scale", scale), ("shift", shift)] }
///     func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { x * scale.value + shift.value }
/// }
/// ```
public protocol Layer<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar

    /// The forward pass.
    func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>

    /// This layer's own trainable parameters (not its sublayers'), by local name.
    var parameters: [(name: String, parameter: Parameter<Scalar>)] { get }

    /// This layer's own non-trainable state saved in checkpoints (e.g. BatchNorm's running mean).
    var buffers: [(name: String, parameter: Parameter<Scalar>)] { get }

    /// Direct sublayers, by the name that prefixes their parameter names.
    var sublayers: [(name: String, layer: any Layer<Scalar>)] { get }

    /// Whether the layer is in training mode (dropout active, batch statistics) or evaluation mode.
    var isTraining: Bool { get set }

    /// A short description for summaries, e.g. "Linear(784 → 256)".
    var summaryName: String { get }

    /// This layer's kind and hyperparameters, or `nil` for a layer the description format does not
    /// cover (the default, e.g. a custom layer). Containers are described by ``describe()``.
    var layerDescription: ModelDescription? { get }
}

extension Layer {
    /// None by default.
    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [] }
    /// None by default.
    public var buffers: [(name: String, parameter: Parameter<Scalar>)] { [] }
    /// None by default.
    public var sublayers: [(name: String, layer: any Layer<Scalar>)] { [] }
    /// None by default: a custom layer cannot be described.
    public var layerDescription: ModelDescription? { nil }
    /// The type name without generic arguments by default, e.g. "ReLU".
    public var summaryName: String { String(describing: type(of: self)).components(separatedBy: "<").first! }

    /// Every trainable parameter of this layer and its sublayers, with dotted names
    /// (`0.weight`, `2.bias`), in the order PyTorch's `named_parameters()` gives.
    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        var result = parameters
        for (name, layer) in sublayers {
            result += layer.namedParameters.map { ("\(name).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// Every buffer of this layer and its sublayers, with dotted names.
    public var namedBuffers: [(name: String, parameter: Parameter<Scalar>)] {
        var result = buffers
        for (name, layer) in sublayers {
            result += layer.namedBuffers.map { ("\(name).\($0.name)", $0.parameter) }
        }
        return result
    }

    /// Parameters followed by buffers: the tensors of a PyTorch `state_dict()`.
    public var stateEntries: [(name: String, parameter: Parameter<Scalar>)] {
        namedParameters + namedBuffers
    }

    /// The parameters that are not frozen (see ``Parameter/isFrozen``), for an optimizer.
    public var trainableParameters: [Parameter<Scalar>] { namedParameters.map(\.parameter).filter { !$0.isFrozen } }

    /// The total number of parameter scalars, frozen ones included.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

    /// The number of parameter scalars that are not frozen.
    public var trainableParameterCount: Int { trainableParameters.reduce(0) { $0 + $1.value.count } }

    /// Freezes every parameter of this layer and its sublayers (``Parameter/isFrozen``), as PyTorch's
    /// `module.requires_grad_(False)`: they get no gradients and no optimizer changes them.
    public func freeze() {
        for (_, parameter) in namedParameters { parameter.isFrozen = true }
    }

    /// Makes every parameter of this layer and its sublayers trainable again.
    public func unfreeze() {
        for (_, parameter) in namedParameters { parameter.isFrozen = false }
    }

    /// This layer and all layers below it, with dotted paths ("" for this layer, "0", "1.block", …).
    public var namedLayers: [(name: String, layer: any Layer<Scalar>)] {
        var result: [(name: String, layer: any Layer<Scalar>)] = [("", self)]
        for (name, layer) in sublayers {
            result += layer.namedLayers.map { ($0.name.isEmpty ? name : "\(name).\($0.name)", $0.layer) }
        }
        return result
    }

    /// Sets training mode on this layer and every sublayer.
    public func setTraining(_ training: Bool) {
        isTraining = training
        for (_, layer) in sublayers { layer.setTraining(training) }
    }

    /// Training mode: dropout active, normalization uses batch statistics.
    public func train() { setTraining(true) }
    /// Evaluation mode: dropout off, normalization uses running statistics.
    public func eval() { setTraining(false) }

    /// Clears the gradients of every parameter.
    public func zeroGradients() {
        for (_, parameter) in namedParameters { parameter.zeroGradient() }
    }
}

/// A layer that draws random numbers (e.g. ``Dropout``); training checkpoints save and restore
/// its generator so a resumed run repeats exactly.
public protocol StochasticLayer: AnyObject {
    /// The generator the layer draws from.
    var generator: RandomGenerator { get set }
}
