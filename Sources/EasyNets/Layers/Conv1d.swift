/// A 1-D convolution layer (PyTorch's `nn.Conv1d`) over (N, C, L) or unbatched (C, L): weight
/// (out, in/groups, k) and bias (out), initialized as PyTorch does. See
/// ``conv1d(_:weight:bias:stride:padding:dilation:groups:)``; a ``paddingMode`` other than zeros
/// pads the input with ``Tensor/padded(_:mode:value:)`` first.
public final class Conv1d<Scalar: TensorScalar>: Layer {
    /// The kernel, (out, in/groups, k).
    public let weight: Parameter<Scalar>
    /// The per-channel bias (out), or `nil`.
    public let bias: Parameter<Scalar>?
    /// The step between windows.
    public let stride: Int
    /// The padding on each side (one value when explicit).
    public let padding: ConvolutionPadding
    /// What the padding holds (PyTorch's `padding_mode`).
    public let paddingMode: ConvolutionPaddingMode
    /// The spacing of the kernel's taps.
    public let dilation: Int
    /// Channel groups.
    public let groups: Int
    public var isTraining = true

    /// The number of input channels.
    public var inChannels: Int { weight.shape[1] * groups }
    /// The number of output channels.
    public var outChannels: Int { weight.shape[0] }
    /// The kernel's length.
    public var kernelSize: Int { weight.shape[2] }

    /// A convolution from `inChannels` to `outChannels` with a kernel of `kernelSize` taps, its
    /// weights drawn from `generator` (weight, then bias).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvolutionPadding = .valid,
                            paddingMode: ConvolutionPaddingMode = .zeros, dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            using generator: inout RandomGenerator) {
        Conv1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                          paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias).requireValid()
        let (w, b) = convolutionInitialValues(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias,
                                              as: Scalar.self, using: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, paddingMode: paddingMode, dilation: dilation, groups: groups)
    }

    /// Weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: ConvolutionPadding = .valid, paddingMode: ConvolutionPaddingMode = .zeros, dilation: Int = 1,
                            groups: Int = 1, bias: Bool = true) {
        Conv1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                          paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias).requireValid()
        let (w, b) = RandomGenerator.withShared {
            convolutionInitialValues(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias,
                                     as: Scalar.self, using: &$0)
        }
        self.init(weight: w, bias: b, stride: stride, padding: padding, paddingMode: paddingMode, dilation: dilation, groups: groups)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: Int, padding: ConvolutionPadding,
                 paddingMode: ConvolutionPaddingMode, dilation: Int, groups: Int) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        self.stride = stride
        self.padding = padding
        self.paddingMode = paddingMode
        self.dilation = dilation
        self.groups = groups
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let (x, padding) = convolutionInput(input, padding: padding, mode: paddingMode, kernelSize: [kernelSize], dilation: [dilation],
                                            layer: "Conv1d")
        return conv1d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String {
        "Conv1d(\(inChannels) → \(outChannels), \(kernelSize)" + (stride != 1 ? ", stride \(stride)" : "")
            + (padding != .valid ? ", padding \(padding)" : "") + (paddingMode != .zeros ? ", \(paddingMode.rawValue) padding" : "")
            + (dilation != 1 ? ", dilation \(dilation)" : "")
            + (groups != 1 ? ", groups \(groups)" : "") + (bias == nil ? ", no bias" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(Conv1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                 paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias != nil))
    }
}

/// The description of a ``Conv1d`` layer.
public struct Conv1dDescription: LayerDescription {
    public static let kind = "conv1d"
    public static let defaultFields = #"{"stride":1,"padding":{"valid":{}},"dilation":1,"groups":1,"bias":true,"paddingMode":"zeros"}"#
    /// Input channels, at least 1 and a multiple of `groups`.
    public var inChannels: Int
    /// Output channels, at least 1 and a multiple of `groups`.
    public var outChannels: Int
    /// The kernel's length, in 1...``maximumWindowExtent``.
    public var kernelSize: Int
    /// The step between windows, in 1...``maximumWindowExtent``.
    public var stride: Int
    /// The padding (one explicit value in 0...``maximumWindowExtent``; `same` needs stride 1).
    public var padding: ConvolutionPadding
    /// What the padding holds; JSON leaves out the key for zeros.
    public var paddingMode: ConvolutionPaddingMode
    /// The spacing of the kernel's taps, in 1...``maximumWindowExtent``.
    public var dilation: Int
    /// Channel groups, at least 1.
    public var groups: Int
    /// Whether the layer adds a bias.
    public var bias: Bool

    /// A description of a convolution from `inChannels` to `outChannels` with a kernel of `kernelSize` taps.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvolutionPadding = .valid,
                paddingMode: ConvolutionPaddingMode = .zeros, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
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
                  kernelSize: try values.decode(Int.self, forKey: .kernelSize), stride: try values.decode(Int.self, forKey: .stride),
                  padding: try values.decode(ConvolutionPadding.self, forKey: .padding),
                  paddingMode: try values.decodeIfPresent(ConvolutionPaddingMode.self, forKey: .paddingMode) ?? .zeros,
                  dilation: try values.decode(Int.self, forKey: .dilation), groups: try values.decode(Int.self, forKey: .groups),
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
        convolutionProblem("Conv1d", inChannels, outChannels, kernelSize: [kernelSize], stride: [stride], padding: padding,
                           dilation: [dilation], groups: groups, axes: 1)
    }

    /// The weight (out · in/groups · k) and bias.
    public var stateCount: Int? {
        convolutionStateCount(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias)
    }

    /// (N, out, Lo): the 2-D convolution of (N, C, 1, L) with a 1 × k kernel.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 3, shape[1] == inChannels else {
            throw inference.error("Conv1d takes (N, \(inChannels), L), the input has shape \(shape)")
        }
        if let problem = paddingMode.problem(pads: padding.amounts(kernelSize: [kernelSize], dilation: [dilation]), extents: [shape[2]]) {
            throw inference.error("Conv1d's \(problem), the input has shape \(shape)")
        }
        let padding2d: ConvolutionPadding
        if case .explicit(let values) = padding { padding2d = .explicit([0] + values) } else { padding2d = padding }
        let as2d = Conv2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: [1, kernelSize], stride: [1, stride],
                                     padding: padding2d, paddingMode: paddingMode, dilation: [1, dilation], groups: groups, bias: bias)
        let output = try as2d.outputShape(for: [shape[0], shape[1], 1, shape[2]], inference: &inference)
        return [output[0], output[1], output[3]]
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Conv1d<Scalar>(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, paddingMode: paddingMode,
                       dilation: dilation, groups: groups, bias: bias, using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``Conv1d`` layer.
    public static func conv1d(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: ConvolutionPadding = .valid,
                              paddingMode: ConvolutionPaddingMode = .zeros, dilation: Int = 1, groups: Int = 1,
                              bias: Bool = true) -> ModelDescription {
        .layer(Conv1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                 paddingMode: paddingMode, dilation: dilation, groups: groups, bias: bias))
    }
}
