/// How a convolution pads its input, as PyTorch's `padding` argument.
public enum ConvolutionPadding: Codable, Equatable, Sendable {
    /// No padding (PyTorch's `"valid"`).
    case valid
    /// Zeros so the output has the input's size; stride 1 only. An even total pads one more after
    /// than before, as PyTorch does.
    case same
    /// The given zeros on both sides of each spatial axis (height then width; one value for
    /// `Conv1d`).
    case explicit([Int])
}

extension ConvolutionPadding: CustomStringConvertible {
    /// "valid", "same", or the explicit values, e.g. "[1, 1]".
    public var description: String {
        switch self {
        case .valid: return "valid"
        case .same: return "same"
        case .explicit(let values): return "\(values)"
        }
    }
}

extension ConvolutionPadding {
    /// The zeros (before, after) on each spatial axis of a `kernelSize` kernel: `same` pads
    /// dilation·(k − 1) in all, the odd one after, as PyTorch does.
    func amounts(kernelSize: [Int], dilation: [Int]) -> [(before: Int, after: Int)] {
        switch self {
        case .valid: return kernelSize.map { _ in (0, 0) }
        case .same: return zip(kernelSize, dilation).map { k, d in let total = d * (k - 1); return (total / 2, total - total / 2) }
        case .explicit(let values): return values.map { ($0, $0) }
        }
    }
}

/// What a convolution layer's padding holds, as PyTorch's `padding_mode`: zeros, or copies of the
/// input's own elements (``PaddingMode``'s rules, as `F.pad` applies them).
public enum ConvolutionPaddingMode: String, Codable, Sendable, CaseIterable {
    /// Zeros (PyTorch's `"zeros"`), the padding the convolution itself adds.
    case zeros
    /// The mirror image of the elements next to the edge, the edge excluded; each padding amount
    /// stays below the input's extent.
    case reflect
    /// Copies of the edge element.
    case replicate
    /// Wrapping around; each padding amount is at most the input's extent.
    case circular

    /// The tensor op's mode for a mode other than zeros.
    var tensorMode: PaddingMode? {
        switch self {
        case .zeros: return nil
        case .reflect: return .reflect
        case .replicate: return .replicate
        case .circular: return .circular
        }
    }

    /// Why padding amounts `pads` cannot pad spatial extents `extents` in this mode (reflect below
    /// each extent, circular at most each extent), or `nil`.
    func problem(pads: [(before: Int, after: Int)], extents: [Int]) -> String? {
        for (pad, extent) in zip(pads, extents) {
            let widest = Swift.max(pad.before, pad.after)
            switch self {
            case .reflect where widest >= extent: return "reflect padding \(widest) must be below the input's extent \(extent)"
            case .circular where widest > extent: return "circular padding \(widest) must be at most the input's extent \(extent)"
            case .replicate where widest > 0 && extent == 0: return "replicate padding needs a nonempty input"
            default: continue
            }
        }
        return nil
    }
}

/// A convolution layer's input and the padding its convolution adds: the zeros mode leaves the
/// padding to the convolution; the other modes pad the last `kernelSize.count` axes of `x` first
/// (`F.pad`, differentiable) and the convolution adds none, as PyTorch's layers do. `layer` names the
/// layer when the padding does not fit the input; an input of too few axes is left for the
/// convolution to refuse.
func convolutionInput<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, padding: ConvolutionPadding, mode: ConvolutionPaddingMode, kernelSize: [Int], dilation: [Int], layer: String
) -> (input: Tensor<Scalar>, padding: ConvolutionPadding) {
    guard let tensorMode = mode.tensorMode, padding != .valid, x.rank > kernelSize.count else { return (x, padding) }
    let pads = padding.amounts(kernelSize: kernelSize, dilation: dilation)
    if let problem = mode.problem(pads: pads, extents: Array(x.shape.suffix(kernelSize.count))) {
        programmerError("\(layer): \(problem), input shape \(x.shape), padding \(padding)")
    }
    // F.pad's widths: the last axis's (before, after) first.
    let widths = pads.reversed().flatMap { [$0.before, $0.after] }
    return (x.padded(widths, mode: tensorMode), .valid)
}

/// The window axes of a convolution or pooling over the spatial extents `input` (one per axis of
/// `kernelSize`), or `nil` when a kernel is larger than its padded input.
func windowAxes(
    input: [Int], kernelSize: [Int], stride: [Int], dilation: [Int], pads: [(before: Int, after: Int)], ceilMode: Bool = false
) -> [WindowAxis]? {
    var axes: [WindowAxis] = []
    for axis in kernelSize.indices {
        guard let window = WindowAxis.make(input: input[axis], kernel: kernelSize[axis], stride: stride[axis], dilation: dilation[axis],
                                           padBefore: pads[axis].before, padAfter: pads[axis].after, ceilMode: ceilMode) else {
            return nil
        }
        axes.append(window)
    }
    return axes
}

/// The window arithmetic of one spatial axis, shared by convolution and pooling: output position
/// `o` reads input positions `o·stride − padBefore + t·dilation` for `t` in `0..<kernel`.
struct WindowAxis: Equatable {
    var input: Int
    var kernel: Int
    var stride: Int
    var dilation: Int
    var padBefore: Int
    var output: Int

    /// The axis of a window with padding `padBefore` and `padAfter`, or `nil` when the padded input
    /// is shorter than the dilated kernel. `ceilMode` rounds the output count up as PyTorch's
    /// pooling does (a last window must start inside the input or its leading padding).
    static func make(input: Int, kernel: Int, stride: Int, dilation: Int, padBefore: Int, padAfter: Int,
                     ceilMode: Bool = false) -> WindowAxis? {
        let span = dilation * (kernel - 1) + 1
        let room = input + padBefore + padAfter - span
        guard room >= 0 else { return nil }
        var output = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1
        if ceilMode && (output - 1) * stride >= input + padBefore { output -= 1 }
        return WindowAxis(input: input, kernel: kernel, stride: stride, dilation: dilation, padBefore: padBefore, output: output)
    }

    /// The output positions whose tap `t` falls inside the input: `lower..<upper`.
    func validOutputs(tap t: Int) -> Range<Int> {
        let offset = t * dilation - padBefore  // input index = o·stride + offset
        let lower = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let upper = input - offset <= 0 ? 0 : (input - offset + stride - 1) / stride
        let clampedUpper = Swift.min(upper, output)
        return lower < clampedUpper ? lower..<clampedUpper : 0..<0
    }
}

/// The geometry of a 2-D convolution over (N, C, H, W) input with a (O, C/groups, kh, kw) weight.
struct ConvolutionGeometry: Equatable {
    var batch: Int
    var inChannels: Int
    var outChannels: Int
    var groups: Int
    var height: WindowAxis
    var width: WindowAxis

    var inputPlane: Int { height.input * width.input }
    var outputPlane: Int { height.output * width.output }
    var groupInChannels: Int { inChannels / groups }
    var groupOutChannels: Int { outChannels / groups }
    /// Rows of a group's column matrix: its input channels times the kernel's taps.
    var groupPatch: Int { groupInChannels * height.kernel * width.kernel }
    /// A 1×1 kernel at stride 1 without padding reads each image as it is stored: no im2col.
    var isPointwise: Bool {
        height.kernel == 1 && width.kernel == 1 && height.stride == 1 && width.stride == 1
            && height.padBefore == 0 && width.padBefore == 0 && height.output == height.input && width.output == width.input
    }
}

extension ConvolutionGeometry {
    /// The same convolution over a batch of `count` images.
    func images(_ count: Int) -> ConvolutionGeometry {
        var geometry = self
        geometry.batch = count
        return geometry
    }
}

/// Checks a convolution's shapes and options, naming `op` and the shapes on a mismatch.
func convolutionGeometry(
    op: String, input: [Int], weight: [Int], bias: [Int]?, stride: [Int], padding: ConvolutionPadding, dilation: [Int], groups: Int
) -> ConvolutionGeometry {
    require(input.count == 4, "\(op): input must be (N, C, H, W) or (C, H, W), shape is \(input)")
    require(weight.count == 4, "\(op): weight must be (out, in/groups, kh, kw), shape is \(weight)")
    require(stride.count == 2 && stride.allSatisfy { $0 >= 1 }, "\(op): stride must be two values ≥ 1, got \(stride)")
    require(dilation.count == 2 && dilation.allSatisfy { $0 >= 1 }, "\(op): dilation must be two values ≥ 1, got \(dilation)")
    require(groups >= 1, "\(op): groups must be at least 1, got \(groups)")
    let (outChannels, groupIn, kh, kw) = (weight[0], weight[1], weight[2], weight[3])
    require(outChannels >= 1 && groupIn >= 1 && kh >= 1 && kw >= 1, "\(op): weight shape \(weight) has an empty axis")
    require(outChannels % groups == 0, "\(op): \(outChannels) output channels do not split into \(groups) groups (weight \(weight))")
    require(input[1] == groupIn * groups,
            "\(op): input shape \(input) has \(input[1]) channels, the weight \(weight) with \(groups) group(s) takes \(groupIn * groups)")
    if let bias { require(bias == [outChannels], "\(op): bias shape \(bias) does not match weight \(weight)") }
    switch padding {
    case .same: require(stride == [1, 1], "\(op): padding \"same\" needs stride 1, got \(stride)")
    case .explicit(let values):
        require(values.count == 2 && values.allSatisfy { $0 >= 0 }, "\(op): padding must be two values ≥ 0, got \(values)")
    case .valid: break
    }
    let pads = padding.amounts(kernelSize: [kh, kw], dilation: dilation)
    guard let axes = windowAxes(input: Array(input[2...]), kernelSize: [kh, kw], stride: stride, dilation: dilation, pads: pads) else {
        programmerError("\(op): kernel \(kh)×\(kw) (dilation \(dilation)) is larger than the padded input \(input) "
                        + "(padding \(pads.map { [$0.before, $0.after] }))")
    }
    let (height, width) = (axes[0], axes[1])
    return ConvolutionGeometry(batch: input[0], inChannels: input[1], outChannels: outChannels, groups: groups,
                               height: height, width: width)
}

/// The largest kernel, stride, dilation, padding or pooled size a layer may have: far beyond any
/// image, small enough that window arithmetic cannot overflow.
public let maximumWindowExtent = 1 << 20

/// The output extents of a window over the spatial axes of an (N, C, …) `shape`, or an error naming
/// `kind` when the kernel is larger than the padded input.
func spatialOutput(
    _ kind: String, _ shape: [Int], kernelSize: [Int], stride: [Int], dilation: [Int], pads: [(before: Int, after: Int)],
    ceilMode: Bool = false, inference: ShapeInference
) throws -> [Int] {
    guard let axes = windowAxes(input: Array(shape[2...]), kernelSize: kernelSize, stride: stride, dilation: dilation, pads: pads,
                                ceilMode: ceilMode) else {
        throw inference.error("\(kind)'s kernel \(kernelSize) (dilation \(dilation)) is larger than the padded input \(shape)")
    }
    return axes.map(\.output)
}
