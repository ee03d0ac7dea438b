/// A 2-D transposed convolution layer (PyTorch's `nn.ConvTranspose2d`) over (N, in, H, W) or
/// unbatched (in, H, W): weight (in, out/groups, kh, kw) and bias (out), both initialized uniform in
/// ±1/√(out/groups·kh·kw) as PyTorch does. The output is (N, out, Ho, Wo) with
/// `Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1`, likewise Wo. See
/// ``convTranspose2d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)``.
public final class ConvTranspose2d<Scalar: TensorScalar>: Layer {
    /// The kernel, (in, out/groups, kh, kw).
    public let weight: Parameter<Scalar>
    /// The per-channel bias (out), or `nil`.
    public let bias: Parameter<Scalar>?
    /// The step between the input positions' places in the output, height then width.
    public let stride: [Int]
    /// The rows and columns removed from each side of the full output, height then width.
    public let padding: [Int]
    /// The rows and columns added at the bottom and right, each below its stride or its dilation.
    public let outputPadding: [Int]
    /// The spacing of the kernel's taps.
    public let dilation: [Int]
    /// Channel groups: each output channel sees in/groups input channels.
    public let groups: Int
    public var isTraining = true

    /// The number of input channels.
    public var inChannels: Int { weight.shape[0] }
    /// The number of output channels.
    public var outChannels: Int { weight.shape[1] * groups }
    /// The kernel's height and width.
    public var kernelSize: [Int] { Array(weight.shape[2...]) }

    /// A transposed convolution from `inChannels` to `outChannels` with a `kernelSize` (height,
    /// width) kernel, its weights drawn from `generator` (weight, then bias).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                            outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true,
                            using generator: inout RandomGenerator) {
        let description = ConvTranspose2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                                     padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                                     bias: bias)
        description.requireValid()
        let (w, b) = convolutionInitialValues(weightShape: [inChannels, outChannels / groups] + kernelSize,
                                              biasCount: bias ? outChannels : nil, as: Scalar.self, using: &generator)
        self.init(weight: w, bias: b, description: description)
    }

    /// Weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                            outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true) {
        let description = ConvTranspose2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                                     padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                                     bias: bias)
        description.requireValid()
        let (w, b) = RandomGenerator.withShared {
            convolutionInitialValues(weightShape: [inChannels, outChannels / groups] + kernelSize, biasCount: bias ? outChannels : nil,
                                     as: Scalar.self, using: &$0)
        }
        self.init(weight: w, bias: b, description: description)
    }

    /// Square kernel, stride, padding, output padding and dilation, weights drawn from the shared
    /// generator.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels, outChannels, kernelSize: [kernelSize, kernelSize], stride: [stride, stride], padding: [padding, padding],
                  outputPadding: [outputPadding, outputPadding], dilation: [dilation, dilation], groups: groups, bias: bias)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, description: ConvTranspose2dDescription) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        (stride, padding, outputPadding) = (description.stride, description.padding, description.outputPadding)
        (dilation, groups) = (description.dilation, description.groups)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        convTranspose2d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, outputPadding: outputPadding,
                        dilation: dilation, groups: groups)
    }

    /// The layer applied to `input` with the output padding that makes the output's spatial size
    /// `outputSize` (height and width, or the whole output shape), as PyTorch's
    /// `forward(input, output_size)`: each extent lies between the size without output padding and
    /// that size plus stride − 1. The layer's own ``outputPadding`` is not used.
    public func callAsFunction(_ input: Tensor<Scalar>, outputSize: [Int]) -> Tensor<Scalar> {
        let chosen = transposedOutputPadding(layer: "ConvTranspose2d", input: input.shape, outputSize: outputSize, kernelSize: kernelSize,
                                              stride: stride, padding: padding, dilation: dilation)
        return convTranspose2d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, outputPadding: chosen,
                               dilation: dilation, groups: groups)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String {
        "ConvTranspose2d(\(inChannels) → \(outChannels), \(kernelSize.map(String.init).joined(separator: "×"))"
            + (stride != [1, 1] ? ", stride \(stride)" : "") + (padding != [0, 0] ? ", padding \(padding)" : "")
            + (outputPadding != [0, 0] ? ", outputPadding \(outputPadding)" : "")
            + (dilation != [1, 1] ? ", dilation \(dilation)" : "") + (groups != 1 ? ", groups \(groups)" : "")
            + (bias == nil ? ", no bias" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(ConvTranspose2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                          padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups,
                                          bias: bias != nil))
    }
}

/// The output padding that makes a transposed convolution of an input of `input` shape give
/// `outputSize` (its spatial extents, or the whole output shape), as PyTorch's `output_size`
/// argument; stops naming `layer` when a size is out of reach.
func transposedOutputPadding(
    layer: String, input: [Int], outputSize: [Int], kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int]
) -> [Int] {
    let axes = kernelSize.count
    require(input.count >= axes + 1, "\(layer): input shape \(input) has fewer than \(axes + 1) axes")
    require(outputSize.count == axes || outputSize.count == axes + 2,
            "\(layer): outputSize \(outputSize) must give \(axes) spatial extent(s), or (N, C) and them, for input \(input)")
    let size = Array(outputSize.suffix(axes)), extents = Array(input.suffix(axes))
    return (0..<axes).map { axis in
        let smallest = transposedExtent(input: extents[axis], kernel: kernelSize[axis], stride: stride[axis], padding: padding[axis],
                                        outputPadding: 0, dilation: dilation[axis])
        let largest = smallest + stride[axis] - 1
        require((smallest...largest).contains(size[axis]),
                "\(layer): outputSize \(outputSize) for input \(input): extent \(size[axis]) is outside \(smallest)...\(largest)")
        return size[axis] - smallest
    }
}

/// The description of a ``ConvTranspose2d`` layer.
public struct ConvTranspose2dDescription: LayerDescription {
    public static let kind = "convTranspose2d"
    public static let defaultFields = #"{"stride":[1,1],"padding":[0,0],"outputPadding":[0,0],"dilation":[1,1],"groups":1,"bias":true}"#
    public static var takesImages: Bool { true }
    /// Input channels, at least 1 and a multiple of `groups`.
    public var inChannels: Int
    /// Output channels, at least 1 and a multiple of `groups`.
    public var outChannels: Int
    /// The kernel's height and width, each in 1...``maximumWindowExtent``.
    public var kernelSize: [Int]
    /// The step between the input positions' places in the output, two values in 1...``maximumWindowExtent``.
    public var stride: [Int]
    /// The rows and columns cut from each side, two values in 0...``maximumWindowExtent``.
    public var padding: [Int]
    /// The rows and columns added at the bottom and right, two values each ≥ 0 and below its stride
    /// or its dilation.
    public var outputPadding: [Int]
    /// The spacing of the kernel's taps, two values in 1...``maximumWindowExtent``.
    public var dilation: [Int]
    /// Channel groups, at least 1.
    public var groups: Int
    /// Whether the layer adds a bias.
    public var bias: Bool

    /// A description of a transposed convolution from `inChannels` to `outChannels` with a
    /// `kernelSize` kernel.
    public init(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true) {
        (self.inChannels, self.outChannels, self.kernelSize, self.stride) = (inChannels, outChannels, kernelSize, stride)
        (self.padding, self.outputPadding, self.dilation, self.groups, self.bias) = (padding, outputPadding, dilation, groups, bias)
    }

    public func problem() -> String? {
        transposedConvolutionProblem("ConvTranspose2d", inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding,
                                     outputPadding: outputPadding, dilation: dilation, groups: groups, axes: 2)
    }

    /// The weight (in · out/groups · kh · kw) and bias.
    public var stateCount: Int? {
        convolutionStateCount(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias)
    }

    /// (N, out, Ho, Wo); the columns (out · kh · kw · N · H · W) are a working buffer.
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4, shape[1] == inChannels else {
            throw inference.error("ConvTranspose2d takes (N, \(inChannels), H, W), the input has shape \(shape)")
        }
        let spatial = try transposedSpatialOutput("ConvTranspose2d", shape, kernelSize: kernelSize, stride: stride, padding: padding,
                                                  outputPadding: outputPadding, dilation: dilation, inference: inference)
        try inference.noteBuffer([outChannels, kernelSize[0], kernelSize[1], shape[0], shape[2], shape[3]], "ConvTranspose2d's columns")
        return [shape[0], outChannels] + spatial
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        ConvTranspose2d<Scalar>(inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: padding, outputPadding: outputPadding,
                                dilation: dilation, groups: groups, bias: bias, using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``ConvTranspose2d`` layer.
    public static func convTranspose2d(inChannels: Int, outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1], padding: [Int] = [0, 0],
                                       outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1,
                                       bias: Bool = true) -> ModelDescription {
        .layer(ConvTranspose2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize, stride: stride,
                                          padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups, bias: bias))
    }
}

/// The rules of every transposed convolution layer over `axes` spatial axes: those of a convolution
/// (``convolutionProblem(_:_:_:kernelSize:stride:padding:dilation:groups:axes:)`` with explicit
/// padding) and an output padding of `axes` values, each ≥ 0 and below its stride or its dilation.
func transposedConvolutionProblem(
    _ kind: String, _ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int], padding: [Int], outputPadding: [Int],
    dilation: [Int], groups: Int, axes: Int
) -> String? {
    if let problem = convolutionProblem(kind, inChannels, outChannels, kernelSize: kernelSize, stride: stride, padding: .explicit(padding),
                                        dilation: dilation, groups: groups, axes: axes) {
        return problem
    }
    guard outputPadding.count == axes else { return "\(kind)'s outputPadding must be \(axes) value(s), got \(outputPadding)" }
    return outputPaddingProblem(outputPadding, stride: stride, dilation: dilation).map { "\(kind)'s \($0)" }
}

/// The output extents of a transposed convolution over the spatial axes of an (N, C, …) `shape`,
/// or an error naming `kind` when one is below 1.
func transposedSpatialOutput(
    _ kind: String, _ shape: [Int], kernelSize: [Int], stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int],
    inference: ShapeInference
) throws -> [Int] {
    let extents = kernelSize.indices.map { axis in
        transposedExtent(input: shape[2 + axis], kernel: kernelSize[axis], stride: stride[axis], padding: padding[axis],
                         outputPadding: outputPadding[axis], dilation: dilation[axis])
    }
    guard extents.allSatisfy({ $0 >= 1 }) else {
        throw inference.error("\(kind) gives an empty output \(extents) for the input shape \(shape) (padding \(padding))")
    }
    return extents
}
