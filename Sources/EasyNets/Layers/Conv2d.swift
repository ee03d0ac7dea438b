/// A 2-D convolution layer (PyTorch's `nn.Conv2d`) over (N, C, H, W) or unbatched (C, H, W):
/// weight (out, in/groups, kh, kw) and bias (out), both initialized uniform in ±1/√(in/groups·kh·kw)
/// as PyTorch does. See ``conv2d(_:weight:bias:stride:padding:dilation:groups:)``; a
/// ``paddingMode`` other than zeros pads the input with ``Tensor/padded(_:mode:value:)`` first.
public final class Conv2d<Scalar: TensorScalar>: Layer {
    /// The kernel, (out, in/groups, kh, kw).
    public let weight: Parameter<Scalar>
    /// The per-channel bias (out), or `nil`.
    public let bias: Parameter<Scalar>?
    /// The step between windows, height then width.
    public let stride: [Int]
    /// The padding on each side of each spatial axis.
    public let padding: ConvolutionPadding
    /// What the padding holds (PyTorch's `padding_mode`).
    public let paddingMode: ConvolutionPaddingMode
    /// The spacing of the kernel's taps.
    public let dilation: [Int]
    /// Channel groups: each output channel sees in/groups input channels.
    public let groups: Int
    public var isTraining = true

    /// The number of input channels.
    public var inChannels: Int { weight.shape[1] * groups }
    /// The number of output channels.
    public var outChannels: Int { weight.shape[0] }
    /// The kernel's height and width.
    public var kernelSize: [Int] { Array(weight.shape[2...]) }

    /// A convolution from `inChannels` to `outChannels` with a `kernelSize` (height, width) kernel,
    /// its weights drawn from `generator` (weight, then bias).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1],
                            padding: ConvolutionPadding = .valid, paddingMode: ConvolutionPaddingMode = .zeros, dilation: [Int] = [1, 1],
                            groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator) {
        Conv2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                          paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias).requireValid()
        let (w, b) = convolutionInitialValues(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias,
                                              as: Scalar.self, using: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, paddingMode: paddingMode, dilation: dilation, groups: groups)
    }

    /// Weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1],
                            padding: ConvolutionPadding = .valid, paddingMode: ConvolutionPaddingMode = .zeros, dilation: [Int] = [1, 1],
                            groups: Int = 1, bias: Bool = true) {
        Conv2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                          paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias).requireValid()
        let (w, b) = RandomGenerator.withShared {
            convolutionInitialValues(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias,
                                     as: Scalar.self, using: &$0)
        }
        self.init(weight: w, bias: b, stride: stride, padding: padding, paddingMode: paddingMode, dilation: dilation, groups: groups)
    }

    /// Square kernel, stride, padding and dilation, weights drawn from the shared generator.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            paddingMode: ConvolutionPaddingMode = .zeros, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels, outChannels, kernelSize: [kernelSize, kernelSize], stride: [stride, stride],
                  padding: .explicit([padding, padding]), paddingMode: paddingMode, dilation: [dilation, dilation], groups: groups,
                  bias: bias)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: [Int], padding: ConvolutionPadding,
                 paddingMode: ConvolutionPaddingMode, dilation: [Int], groups: Int) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
        self.dilation = dilation
        self.groups = groups
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { callAsFunction(input, moments: nil) }

    /// The convolution of `input`, filling `moments` (for a batch (N, C, H, W)) with its output
    /// planes' moments as it goes (see ``LayerFusion``).
    func callAsFunction(_ input: Tensor<Scalar>, moments: PlaneMoments?) -> Tensor<Scalar> {
        let (x, padding) = convolutionInput(input, padding: padding, mode: paddingMode, kernelSize: kernelSize, dilation: dilation,
                                            layer: "Conv2d")
        guard let moments, x.rank == 4 else {
            return conv2d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
        }
        return convolved(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation,
                         groups: groups, moments: moments)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String {
        "Conv2d(\(inChannels) → \(outChannels), \(kernelSize.map(String.init).joined(separator: "×"))"
            + (stride != [1, 1] ? ", stride \(stride)" : "") + (padding != .valid ? ", padding \(padding)" : "")
            + (paddingMode != .zeros ? ", \(paddingMode.rawValue) padding" : "")
            + (dilation != [1, 1] ? ", dilation \(dilation)" : "") + (groups != 1 ? ", groups \(groups)" : "")
            + (bias == nil ? ", no bias" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(Conv2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                 paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias != nil))
    }
}

/// A convolution's weight (out, in/groups, kernel…) and bias (out), uniform in ±1/√fan-in with
/// fan-in = in/groups · kernel taps (PyTorch's default), drawn weight first. The caller has checked
/// the channels and groups (``Conv2dDescription/problem()``).
func convolutionInitialValues<Scalar: TensorScalar>(
    _ inChannels: Int, _ outChannels: Int, kernelSize: [Int], groups: Int, bias: Bool, as: Scalar.Type,
    using generator: inout RandomGenerator
) -> (weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
    convolutionInitialValues(weightShape: [outChannels, inChannels / groups] + kernelSize, biasCount: bias ? outChannels : nil,
                             as: Scalar.self, using: &generator)
}

/// A weight of `weightShape` and a bias of `biasCount` values (or none), uniform in ±1/√fan-in with
/// fan-in the product of the weight's axes after the first (PyTorch's rule for convolutions and
/// transposed convolutions alike), drawn weight first.
func convolutionInitialValues<Scalar: TensorScalar>(
    weightShape shape: [Int], biasCount: Int?, as: Scalar.Type, using generator: inout RandomGenerator
) -> (weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
    let bound = Scalar(1 / Double(shape[1...].reduce(1, *)).squareRoot())
    let weight = Tensor<Scalar>.uniform(shape, low: -bound, high: bound, using: &generator)
    return (weight, biasCount.map { Tensor<Scalar>.uniform([$0], low: -bound, high: bound, using: &generator) })
}

/// The description of a ``Conv2d`` layer.
public struct Conv2dDescription: LayerDescription {
    public static let kind = "conv2d"
    public static let defaultFields = #"{"stride":[1,1],"padding":{"valid":{}},"dilation":[1,1],"groups":1,"bias":true,"paddingMode":"zeros"}"#
    public static var takesImages: Bool { true }
    /// Input channels, at least 1 and a multiple of `groups`.
    public var inChannels: Int
    /// Output channels, at least 1 and a multiple of `groups`.
    public var outChannels: Int
    /// The kernel's height and width, each in 1...``maximumWindowExtent``.
    public var kernelSize: [Int]
    /// The step between windows, two values in 1...``maximumWindowExtent``.
    public var stride: [Int]
    /// The padding (explicit values in 0...``maximumWindowExtent``; `same` needs stride 1).
    public var padding: ConvolutionPadding
    /// What the padding holds; JSON leaves out the key for zeros.
    public var paddingMode: ConvolutionPaddingMode
    /// The spacing of the kernel's taps, two values in 1...``maximumWindowExtent``.
    public var dilation: [Int]
    /// Channel groups, at least 1.
    public var groups: Int
    /// Whether the layer adds a bias.
    public var bias: Bool

    /// A description of a convolution from `inChannels` to `outChannels` with a `kernelSize` kernel.
    public init(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1], padding: ConvolutionPadding = .valid,
                paddingMode: ConvolutionPaddingMode = .zeros, dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true) {
        (self.inChannels, self.outChannels, self.kernelSize, self.stride) = (inChannels, outChannels, kernelSize, stride)
        (self.padding, self.paddingMode, self.dilation, self.groups, self.bias) = (padding, paddingMode, dilation, groups, bias)
    }

    private enum CodingKeys: String, CodingKey {
        case inChannels, outChannels, kernelSize, stride, padding, paddingMode, dilation, groups, bias
    }

    /// Reads the keys; a missing `paddingMode` is zeros (descriptions written before it existed).
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(inChannels: try values.decode(Int.self, forKey: .inChannels), outChannels: try values.decode(Int.self, forKey: .outChannels),
                  kernelSize: try values.decode([Int].self, forKey: .kernelSize), stride: try values.decode([Int].self, forKey: .stride),
                  padding: try values.decode(ConvolutionPadding.self, forKey: .padding),
                  paddingMode: try values.decodeIfPresent(ConvolutionPaddingMode.self, forKey: .paddingMode) ?? .zeros,
                  dilation: try values.decode([Int].self, forKey: .dilation), groups: try values.decode(Int.self, forKey: .groups),
                  bias: try values.decode(Bool.self, forKey: .bias))
    }

    /// Writes the keys, `paddingMode` only when it is not zeros, so a zero-padded convolution's JSON
    /// is the same as before padding modes existed.
    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(inChannels, forKey: .inChannels)
        try values.encode(outChannels, forKey: .outChannels)
        try values.encode(kernelSize, forKey: .kernelSize)
        try values.encode(stride, forKey: .stride)
        try values.encode(padding, forKey: .padding)
        if paddingMode != .zeros { try values.encode(paddingMode, forKey: .paddingMode) }
        try values.encode(dilation, forKey: .dilation)
        try values.encode(groups, forKey: .groups)
        try values.encode(bias, forKey: .bias)
    }

    public func problem() -> String? {
        convolutionProblem("Conv2d", inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                           groups: groups, axes: 2)
    }

    /// The weight (out · in/groups · kh · kw) and bias.
    public var stateCount: Int? {
        convolutionStateCount(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias)
    }

    /// (N, out, Ho, Wo); the im2col columns of one image per thread, forward and backward
    /// (2 · in · kh · kw · Ho · Wo each), are a working buffer.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4, shape[1] == inChannels else {
            throw inference.error("Conv2d takes (N, \(inChannels), H, W), the input has shape \(shape)")
        }
        if let problem = paddingMode.problem(pads: padding.amounts(kernelSize: kernelSize, dilation: dilation),
                                             extents: Array(shape[2...])) {
            throw inference.error("Conv2d's \(problem), the input has shape \(shape)")
        }
        let spatial = try spatialOutput("Conv2d", shape, kernelSize: kernelSize, stride: stride, dilation: dilation,
                                        pads: padding.amounts(kernelSize: kernelSize, dilation: dilation), inference: inference)
        // Each thread's columns of one image, forward and (for the input gradient) backward.
        let threads = Swift.max(1, Swift.min(Parallelism.threadCount, shape[0]))
        try inference.noteBuffer([threads, 2, inChannels, kernelSize[0], kernelSize[1], spatial[0], spatial[1]], "Conv2d's im2col columns")
        return [shape[0], outChannels] + spatial
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Conv2d<Scalar>(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, paddingMode: paddingMode,
                       dilation: dilation, groups: groups, bias: bias, using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``Conv2d`` layer.
    public static func conv2d(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1],
                              padding: ConvolutionPadding = .valid, paddingMode: ConvolutionPaddingMode = .zeros, dilation: [Int] = [1, 1],
                              groups: Int = 1, bias: Bool = true) -> ModelDescription {
        .layer(Conv2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                 paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias))
    }
}

/// The rules of every convolution layer over `axes` spatial axes: channels ≥ 1 that split into
/// groups ≥ 1; kernel, stride and dilation `axes` values in 1...``maximumWindowExtent``; explicit
/// padding `axes` values in 0...``maximumWindowExtent``; `same` padding only at stride 1.
func convolutionProblem(
    _ kind: String, _ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int], padding: ConvolutionPadding,
    dilation: [Int], groups: Int, axes: Int
) -> String? {
    let extent = 1...maximumWindowExtent
    guard inChannels >= 1, outChannels >= 1, groups >= 1, inChannels % groups == 0, outChannels % groups == 0 else {
        return "\(kind) needs channels ≥ 1 that split into groups ≥ 1, got \(inChannels) → \(outChannels), groups \(groups)"
    }
    for (name, values) in [("kernelSize", kernelSize), ("stride", stride), ("dilation", dilation)]
    where values.count != axes || !values.allSatisfy(extent.contains) {
        return "\(kind)'s \(name) must be \(axes) value(s) in 1...\(maximumWindowExtent), got \(values)"
    }
    switch padding {
    case .explicit(let values) where values.count != axes || !values.allSatisfy((0...maximumWindowExtent).contains):
        return "\(kind)'s padding must be \(axes) value(s) in 0...\(maximumWindowExtent), got \(values)"
    case .same where !stride.allSatisfy({ $0 == 1 }):
        return "\(kind)'s padding \"same\" needs stride 1, got \(stride)"
    case .explicit, .same, .valid:
        return nil
    }
}

/// A convolution's weight (out · in/groups · taps) and bias, or `nil` when it overflows.
func convolutionStateCount(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], groups: Int, bias: Bool) -> Int? {
    guard groups >= 1, let weight = InputLimits.elementCount([outChannels, inChannels / groups] + kernelSize) else { return nil }
    return CheckedCount.sum([weight, bias ? outChannels : 0])
}
