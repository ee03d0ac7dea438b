/// A 1-D transposed convolution layer (PyTorch's `nn.ConvTranspose1d`) over (N, in, L) or
/// unbatched (in, L): weight (in, out/groups, k) and bias (out), initialized uniform in
/// ±1/√(out/groups·k) as PyTorch does. The output is (N, out, Lo) with
/// `Lo = (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1`. See
/// ``convTranspose1d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)``.
public final class ConvTranspose1d<Scalar: TensorScalar>: Layer {
    /// The kernel, (in, out/groups, k).
    public let weight: Parameter<Scalar>
    /// The per-channel bias (out), or `nil`.
    public let bias: Parameter<Scalar>?
    /// The step between the input positions' places in the output.
    public let stride: Int
    /// The positions removed from each end of the full output.
    public let padding: Int
    /// The positions added at the end, below the stride or the dilation.
    public let outputPadding: Int
    /// The spacing of the kernel's taps.
    public let dilation: Int
    /// Channel groups.
    public let groups: Int
    public var isTraining = true

    /// The number of input channels.
    public var inChannels: Int { weight.shape[0] }
    /// The number of output channels.
    public var outChannels: Int { weight.shape[1] * groups }
    /// The kernel's length.
    public var kernelSize: Int { weight.shape[2] }

    /// A transposed convolution from `inChannels` to `outChannels` with a kernel of `kernelSize`
    /// taps, its weights drawn from `generator` (weight, then bias).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator) {
        let description = ConvTranspose1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                                     padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                                     bias: bias)
        description.requireValid()
        let (w, b) = convolutionInitialValues(weightShape: [inChannels, outChannels / groups, kernelSize],
                                              biasCount: bias ? outChannels : nil, as: Scalar.self, using: &generator)
        self.init(weight: w, bias: b, description: description)
    }

    /// Weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        let description = ConvTranspose1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                                     padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                                     bias: bias)
        description.requireValid()
        let (w, b) = RandomGenerator.withShared {
            convolutionInitialValues(weightShape: [inChannels, outChannels / groups, kernelSize], biasCount: bias ? outChannels : nil,
                                     as: Scalar.self, using: &$0)
        }
        self.init(weight: w, bias: b, description: description)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, description: ConvTranspose1dDescription) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        (stride, padding, outputPadding) = (description.stride, description.padding, description.outputPadding)
        (dilation, groups) = (description.dilation, description.groups)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        convTranspose1d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, outputPadding: outputPadding,
                        dilation: dilation, groups: groups)
    }

    /// The layer applied to `input` with the output padding that makes the output's length
    /// `outputSize` (the length, or the whole output shape), as PyTorch's `forward(input,
    /// output_size)`: it lies between the length without output padding and that length plus
    /// stride − 1. The layer's own ``outputPadding`` is not used.
    public func callAsFunction(_ input: Tensor<Scalar>, outputSize: [Int]) -> Tensor<Scalar> {
        let chosen = transposedOutputPadding(layer: "ConvTranspose1d", input: input.shape, outputSize: outputSize, kernelSize: [kernelSize],
                                              stride: [stride], padding: [padding], dilation: [dilation])
        return convTranspose1d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, outputPadding: chosen[0],
                               dilation: dilation, groups: groups)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String {
        "ConvTranspose1d(\(inChannels) → \(outChannels), \(kernelSize)" + (stride != 1 ? ", stride \(stride)" : "")
            + (padding != 0 ? ", padding \(padding)" : "") + (outputPadding != 0 ? ", outputPadding \(outputPadding)" : "")
            + (dilation != 1 ? ", dilation \(dilation)" : "") + (groups != 1 ? ", groups \(groups)" : "")
            + (bias == nil ? ", no bias" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(ConvTranspose1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                          padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                          bias: bias != nil))
    }
}

/// The description of a ``ConvTranspose1d`` layer.
public struct ConvTranspose1dDescription: LayerDescription {
    public static let kind = "convTranspose1d"
    public static let defaultFields = #"{"stride":1,"padding":0,"outputPadding":0,"dilation":1,"groups":1,"bias":true}"#
    /// Input channels, at least 1 and a multiple of `groups`.
    public var inChannels: Int
    /// Output channels, at least 1 and a multiple of `groups`.
    public var outChannels: Int
    /// The kernel's length, in 1...``maximumWindowExtent``.
    public var kernelSize: Int
    /// The step between the input positions' places in the output, in 1...``maximumWindowExtent``.
    public var stride: Int
    /// The positions cut from each end, in 0...``maximumWindowExtent``.
    public var padding: Int
    /// The positions added at the end, ≥ 0 and below the stride or the dilation.
    public var outputPadding: Int
    /// The spacing of the kernel's taps, in 1...``maximumWindowExtent``.
    public var dilation: Int
    /// Channel groups, at least 1.
    public var groups: Int
    /// Whether the layer adds a bias.
    public var bias: Bool

    /// A description of a transposed convolution from `inChannels` to `outChannels` with a kernel
    /// of `kernelSize` taps.
    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        (self.inChannels, self.outChannels, self.kernelSize, self.stride) = (inChannels, outChannels, kernelSize, stride)
        (self.padding, self.outputPadding, self.dilation, self.groups, self.bias) = (padding, outputPadding, dilation, groups, bias)
    }

    public func problem() -> String? {
        transposedConvolutionProblem("ConvTranspose1d", inChannels, outChannels, kernelSize: [kernelSize], stride: [stride],
                                     padding: [padding], outputPadding: [outputPadding], dilation: [dilation], groups: groups, axes: 1)
    }

    /// The weight (in · out/groups · k) and bias.
    public var stateCount: Int? {
        convolutionStateCount(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias)
    }

    /// (N, out, Lo); the columns (out · k · N · L) are a working buffer.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 3, shape[1] == inChannels else {
            throw inference.error("ConvTranspose1d takes (N, \(inChannels), L), the input has shape \(shape)")
        }
        let spatial = try transposedSpatialOutput("ConvTranspose1d", shape, kernelSize: [kernelSize], stride: [stride], padding: [padding],
                                                  outputPadding: [outputPadding], dilation: [dilation], inference: inference)
        try inference.noteBuffer([outChannels, kernelSize, shape[0], shape[2]], "ConvTranspose1d's columns")
        return [shape[0], outChannels] + spatial
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        ConvTranspose1d<Scalar>(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, outputPadding: outputPadding,
                                dilation: dilation, groups: groups, bias: bias, using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``ConvTranspose1d`` layer.
    public static func convTranspose1d(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                                       outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) -> ModelDescription {
        .layer(ConvTranspose1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                          padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups, bias: bias))
    }
}
