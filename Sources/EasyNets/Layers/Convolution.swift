import Synchronization

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

/// A 2-D convolution (PyTorch's `conv2d`, cross-correlation) of `x: (N, C, H, W)` with
/// `weight: (O, C/groups, kh, kw)` and an optional `bias: (O)`; the result is (N, O, Ho, Wo).
///
/// The forward pass writes the input's patches as columns (im2col: per image a (C·kh·kw, Ho·Wo)
/// matrix, one row per channel and kernel tap), for a chunk of images at a time: the whole batch
/// when its columns fit 64 MiB (16 Mi elements), kept for backward; else chunks that do, whose
/// columns backward makes again. Each image's group of weight rows times its columns is one gemm
/// that writes the image's output planes in place (NCHW, no layout pass). Backward, per image:
/// dW += dY·colsᵀ (gemm), dcols = Wᵀ·dY (gemm), scattered back onto dX (col2im); db += dY summed
/// over batch and positions. A 1×1 convolution at stride 1 without padding skips im2col and
/// multiplies each image's stored planes. Column buffers come from the tensor buffer pool, so
/// steady-state steps reuse the previous step's.
///
/// Why one gemm per image rather than one per chunk: the products are as fast (the second
/// convolution of the `cnn` preset, 64×288 by 288×196, runs at the speed of the batched
/// 64×288 by 288×25088 one) or faster (the first, 32×9 by 9×784, twice as fast as its batched
/// form, whose 9-row operand streams from memory), and the output needs no reordering.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func conv2d<Scalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: [Int] = [1, 1], padding: ConvolutionPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1
) -> Tensor<Scalar> {
    let g = convolutionGeometry(op: "conv2d", input: x.shape, weight: weight.shape, bias: bias?.shape,
                                stride: stride, padding: padding, dilation: dilation, groups: groups)
    let (n, o, plane) = (g.batch, g.outChannels, g.outputPlane)
    let result = Tensor<Scalar>(uninitializedShape: [n, o, g.height.output, g.width.output])
    let y = result.storage.base, w = weight.storage.base
    let columns: TensorStorage<Scalar>?
    // Chunks of images whose columns fit the budget: one chunk (the whole batch) in training steps of
    // usual sizes, whose columns are kept for backward; more for large batches, whose backward makes
    // each chunk's columns again.
    let chunk = ConvolutionColumns.imagesPerChunk(geometry: g)
    if g.isPointwise {
        columns = nil
        if let bias { fillChannels(y, batch: n, channels: o, plane: plane, values: bias.storage.base) }
        for image in 0..<n {
            for group in 0..<g.groups {  // y[image, group] (Og, P) = W_g (Og, Cg) · x[image, group] (Cg, P)
                MatrixProduct.gemm(transposeA: false, transposeB: false, m: g.groupOutChannels, n: plane, k: g.groupInChannels,
                                   a: w + group * g.groupOutChannels * g.groupInChannels,
                                   b: x.storage.base + (image * g.inChannels + group * g.groupInChannels) * plane,
                                   beta: bias == nil ? 0 : 1, c: y + (image * o + group * g.groupOutChannels) * plane)
            }
        }
    } else {
        var kept: TensorStorage<Scalar>?
        for first in Swift.stride(from: 0, to: n, by: chunk) {
            let count = Swift.min(chunk, n - first)
            let cols = TensorStorage<Scalar>(uninitializedCount: g.groups * g.groupPatch * count * plane)
            if let bias { fillChannels(y + first * o * plane, batch: count, channels: o, plane: plane, values: bias.storage.base) }
            for image in 0..<count {
                im2col(x.storage.base + (first + image) * g.inChannels * g.inputPlane, geometry: g.images(1),
                       columns: cols.base + ConvolutionColumns.offset(image: image, group: 0, geometry: g))
                for group in 0..<g.groups {  // y[image, group] (Og, P) = W_g (Og, K) · cols[image, group] (K, P)
                    MatrixProduct.gemm(transposeA: false, transposeB: false, m: g.groupOutChannels, n: plane, k: g.groupPatch,
                                       a: w + group * g.groupOutChannels * g.groupPatch,
                                       b: cols.base + ConvolutionColumns.offset(image: image, group: group, geometry: g),
                                       beta: bias == nil ? 0 : 1, c: y + ((first + image) * o + group * g.groupOutChannels) * plane)
                }
            }
            if count == n { kept = cols }
        }
        columns = kept
    }
    guard isRecordingGradients, x.requiresGradient || weight.requiresGradient || bias?.requiresGradient == true else {
        return result
    }
    let savedX = x.detached, savedW = weight.detached
    return result.recorded("conv2d", inputs: [x.node, weight.node, bias?.node]) {
        [xNode = x.node, wNode = weight.node, bNode = bias?.node] dY in
        let dOut = dY.storage.base
        bNode?.withGradientBuffer { db, accumulate in  // db[c] += Σ over images and positions of dY
            let sums = channelMoments(dOut, batch: n, channels: o, plane: plane).sums
            for channel in 0..<o { db[channel] = (accumulate ? db[channel] : 0) + Scalar(sums[channel]) }
        }
        if !g.isPointwise, wNode != nil || xNode != nil {
            withGradientBuffer(of: wNode) { dW, accumulateW in
                withGradientBuffer(of: xNode) { dX, accumulateX in
                    for first in Swift.stride(from: 0, to: n, by: chunk) {
                        let count = Swift.min(chunk, n - first)
                        let cols = columns ?? ConvolutionColumns.make(savedX.storage.base, geometry: g, images: first..<(first + count))
                        let dY = dOut + first * o * plane
                        if let dW {  // dW_g (Og, K) += dY[image, group] (Og, P) · cols[image, group]ᵀ, over the images
                            for image in 0..<count {
                                for group in 0..<g.groups {
                                    MatrixProduct.gemm(transposeA: false, transposeB: true, m: g.groupOutChannels, n: g.groupPatch, k: plane,
                                                       a: dY + (image * o + group * g.groupOutChannels) * plane,
                                                       b: cols.base + ConvolutionColumns.offset(image: image, group: group, geometry: g),
                                                       beta: accumulateW || first > 0 || image > 0 ? 1 : 0,
                                                       c: dW + group * g.groupOutChannels * g.groupPatch)
                                }
                            }
                        }
                        if let dX {  // dcols[image, group] (K, P) = W_gᵀ · dY[image, group], then col2im onto the chunk's images
                            let dColumns = TensorStorage<Scalar>(uninitializedCount: g.groups * g.groupPatch * count * plane)
                            for image in 0..<count {
                                for group in 0..<g.groups {
                                    MatrixProduct.gemm(transposeA: true, transposeB: false, m: g.groupPatch, n: plane, k: g.groupOutChannels,
                                                       a: savedW.storage.base + group * g.groupOutChannels * g.groupPatch,
                                                       b: dY + (image * o + group * g.groupOutChannels) * plane,
                                                       beta: 0, c: dColumns.base + ConvolutionColumns.offset(image: image, group: group, geometry: g))
                                }
                            }
                            col2im(dColumns.base, geometry: g.images(count), into: dX + first * g.inChannels * g.inputPlane, adding: accumulateX)
                        }
                    }
                }
            }
        } else if g.isPointwise {
            wNode?.withGradientBuffer { dW, accumulate in  // dW_g (Og, Cg) += Σ_images dY (Og, P) · xᵀ (P, Cg)
                for image in 0..<n {
                    for group in 0..<g.groups {
                        MatrixProduct.gemm(transposeA: false, transposeB: true, m: g.groupOutChannels, n: g.groupInChannels, k: plane,
                                           a: dOut + (image * o + group * g.groupOutChannels) * plane,
                                           b: savedX.storage.base + (image * g.inChannels + group * g.groupInChannels) * plane,
                                           beta: accumulate || image > 0 ? 1 : 0,
                                           c: dW + group * g.groupOutChannels * g.groupInChannels)
                    }
                }
            }
            xNode?.withGradientBuffer { dX, accumulate in  // dx (Cg, P) = W_gᵀ (Cg, Og) · dY (Og, P)
                for image in 0..<n {
                    for group in 0..<g.groups {
                        MatrixProduct.gemm(transposeA: true, transposeB: false, m: g.groupInChannels, n: plane, k: g.groupOutChannels,
                                           a: savedW.storage.base + group * g.groupOutChannels * g.groupInChannels,
                                           b: dOut + (image * o + group * g.groupOutChannels) * plane,
                                           beta: accumulate ? 1 : 0, c: dX + (image * g.inChannels + group * g.groupInChannels) * plane)
                    }
                }
            }
        }
    }
}

/// A 1-D convolution (PyTorch's `conv1d`) of `x: (N, C, L)` with `weight: (O, C/groups, k)`: the
/// 2-D convolution of (N, C, 1, L) with a (O, C/groups, 1, k) kernel.
public func conv1d<Scalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: Int = 1, padding: ConvolutionPadding = .valid, dilation: Int = 1, groups: Int = 1
) -> Tensor<Scalar> {
    require(x.rank == 3, "conv1d: input must be (N, C, L), shape is \(x.shape)")
    require(weight.rank == 3, "conv1d: weight must be (out, in/groups, k), shape is \(weight.shape)")
    let padding2d: ConvolutionPadding
    switch padding {
    case .explicit(let values):
        require(values.count == 1, "conv1d: padding takes one value, got \(values)")
        padding2d = .explicit([0, values[0]])
    case .same, .valid:
        padding2d = padding
    }
    let y = conv2d(x.reshaped(to: [x.shape[0], x.shape[1], 1, x.shape[2]]),
                   weight: weight.reshaped(to: [weight.shape[0], weight.shape[1], 1, weight.shape[2]]), bias: bias,
                   stride: [1, stride], padding: padding2d, dilation: [1, dilation], groups: groups)
    return y.reshaped(to: [y.shape[0], y.shape[1], y.shape[3]])
}

/// Runs `body` with a node's gradient buffer and whether it accumulates, or with `nil` for no node.
func withGradientBuffer<Scalar: TensorScalar>(
    of node: AutogradNode<Scalar>?, _ body: (_ buffer: UnsafeMutablePointer<Scalar>?, _ accumulate: Bool) -> Void
) {
    if let node { node.withGradientBuffer { body($0, $1) } } else { body(nil, false) }
}

/// The im2col columns of a convolution, made for a batch in chunks of images that fit a budget.
enum ConvolutionColumns {
    private static let budget = Atomic<Int>(1 << 24)

    /// The most column elements one chunk holds (16 Mi, 64 MiB in Float): a batch whose columns
    /// are larger is convolved a chunk of images at a time (a batch of 1 000 Fashion-MNIST images
    /// in the second convolution of the `cnn` preset, 56 M elements, in 4 chunks).
    static var elementBudget: Int {
        get { budget.load(ordering: .relaxed) }
        set { budget.store(Swift.max(newValue, 1), ordering: .relaxed) }
    }

    /// Images per chunk: as many as fit the budget, at least 1.
    static func imagesPerChunk(geometry g: ConvolutionGeometry) -> Int {
        let perImage = Swift.max(g.groups * g.groupPatch * g.outputPlane, 1)
        return Swift.max(1, Swift.min(g.batch, elementBudget / perImage))
    }

    /// Where the columns of `image` (counted from the chunk's first) and `group` start: each image
    /// holds its (C·kh·kw, P) matrix, each group its `groupPatch` rows of it.
    static func offset(image: Int, group: Int, geometry g: ConvolutionGeometry) -> Int {
        (image * g.groups + group) * g.groupPatch * g.outputPlane
    }

    /// The columns, count × (C·kh·kw, P), of `images` of `x` (the whole batch's pointer).
    static func make<Scalar: TensorScalar>(_ x: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, images: Range<Int>) -> TensorStorage<Scalar> {
        let cols = TensorStorage<Scalar>(uninitializedCount: g.groups * g.groupPatch * images.count * g.outputPlane)
        im2col(x + images.lowerBound * g.inChannels * g.inputPlane, geometry: g.images(images.count), columns: cols.base)
        return cols
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
    require(input.count == 4, "\(op): input must be (N, C, H, W), shape is \(input)")
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

/// Writes each image's patches as columns: row (c, i, j) of the image's (C·kh·kw, P) matrix holds,
/// for every output position, the input at tap (i, j) of channel c, or 0 in the padding.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func im2col<Scalar: TensorScalar>(_ x: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Scalar>) {
    let taps = g.height.kernel * g.width.kernel
    Parallelism.splitting(g.inChannels, costPerItem: taps * g.batch * g.outputPlane) { first, count in
        im2col(x, geometry: g, columns: columns, channels: first..<(first + count))
    }
}

/// ``im2col(_:geometry:columns:)`` for the rows of `channels` (each channel's rows are its own).
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func im2col<Scalar: TensorScalar>(
    _ x: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Scalar>, channels: Range<Int>
) {
    let (h, w) = (g.height, g.width)
    let rows = g.inChannels * h.kernel * w.kernel
    for channel in channels {
        for i in 0..<h.kernel {
            let validRows = h.validOutputs(tap: i)
            for j in 0..<w.kernel {
                let validColumns = w.validOutputs(tap: j)
                let columnOffset = j * w.dilation - w.padBefore
                let row = (channel * h.kernel + i) * w.kernel + j
                for image in 0..<g.batch {
                    let plane = x + (image * g.inChannels + channel) * g.inputPlane
                    let out = columns + (image * rows + row) * g.outputPlane
                    for oh in 0..<h.output {
                        let line = out + oh * w.output
                        guard validRows.contains(oh), !validColumns.isEmpty else {
                            zeroFill(line, count: w.output)
                            continue
                        }
                        let source = plane + (oh * h.stride + i * h.dilation - h.padBefore) * w.input + columnOffset
                        for ow in 0..<validColumns.lowerBound { line[ow] = 0 }
                        if w.stride == 1 {
                            copyScalars(to: line + validColumns.lowerBound, from: source + validColumns.lowerBound, count: validColumns.count)
                        } else {
                            for ow in validColumns { line[ow] = source[ow * w.stride] }
                        }
                        for ow in validColumns.upperBound..<w.output { line[ow] = 0 }
                    }
                }
            }
        }
    }
}

/// Adds the columns back onto the input positions they were read from (the transpose of
/// ``im2col(_:geometry:columns:)``), onto the values in `dX` when `adding`, else onto zeros;
/// padding taps are dropped.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func col2im<Scalar: TensorScalar>(
    _ columns: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, into dX: UnsafeMutablePointer<Scalar>, adding: Bool
) {
    let taps = g.height.kernel * g.width.kernel
    Parallelism.splitting(g.inChannels, costPerItem: taps * g.batch * g.outputPlane) { first, count in
        if !adding {
            for image in 0..<g.batch {
                zeroFill(dX + (image * g.inChannels + first) * g.inputPlane, count: count * g.inputPlane)
            }
        }
        col2im(columns, geometry: g, adding: dX, channels: first..<(first + count))
    }
}

/// ``col2im(_:geometry:into:adding:)`` for the input planes of `channels` (disjoint per channel).
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func col2im<Scalar: TensorScalar>(
    _ columns: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, adding dX: UnsafeMutablePointer<Scalar>, channels: Range<Int>
) {
    let (h, w) = (g.height, g.width)
    let rows = g.inChannels * h.kernel * w.kernel
    for channel in channels {
        for i in 0..<h.kernel {
            let validRows = h.validOutputs(tap: i)
            for j in 0..<w.kernel {
                let validColumns = w.validOutputs(tap: j)
                guard !validColumns.isEmpty, !validRows.isEmpty else { continue }
                let columnOffset = j * w.dilation - w.padBefore
                let row = (channel * h.kernel + i) * w.kernel + j
                for image in 0..<g.batch {
                    let plane = dX + (image * g.inChannels + channel) * g.inputPlane
                    let source = columns + (image * rows + row) * g.outputPlane
                    for oh in validRows {
                        let line = source + oh * w.output
                        let target = plane + (oh * h.stride + i * h.dilation - h.padBefore) * w.input + columnOffset
                        if w.stride == 1 {
                            for ow in validColumns { target[ow] += line[ow] }
                        } else {
                            for ow in validColumns { target[ow * w.stride] += line[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// Fills each (image, channel) plane of `y` with that channel's value.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func fillChannels<Scalar: TensorScalar>(_ y: UnsafeMutablePointer<Scalar>, batch: Int, channels: Int, plane: Int,
                                        values: UnsafePointer<Scalar>) {
    for image in 0..<batch {
        for channel in 0..<channels {
            let target = y + (image * channels + channel) * plane, value = values[channel]
            for p in 0..<plane { target[p] = value }
        }
    }
}

/// A 2-D convolution layer (PyTorch's `nn.Conv2d`): weight (out, in/groups, kh, kw) and bias (out),
/// both initialized uniform in ±1/√(in/groups·kh·kw) as PyTorch does. See
/// ``conv2d(_:weight:bias:stride:padding:dilation:groups:)``.
public final class Conv2d<Scalar: TensorScalar>: Layer {
    /// The kernel, (out, in/groups, kh, kw).
    public let weight: Parameter<Scalar>
    /// The per-channel bias (out), or `nil`.
    public let bias: Parameter<Scalar>?
    /// The step between windows, height then width.
    public let stride: [Int]
    /// The zero padding.
    public let padding: ConvolutionPadding
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
                            padding: ConvolutionPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true,
                            using generator: inout RandomGenerator) {
        checkConvolutionOptions(op: "Conv2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, spatialAxes: 2)
        let (w, b) = convolutionInitialValues(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias,
                                              op: "Conv2d", as: Scalar.self, using: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// Weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1, 1],
                            padding: ConvolutionPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1, bias: Bool = true) {
        checkConvolutionOptions(op: "Conv2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, spatialAxes: 2)
        let (w, b) = RandomGenerator.withShared {
            convolutionInitialValues(inChannels, outChannels, kernelSize: kernelSize, groups: groups, bias: bias,
                                     op: "Conv2d", as: Scalar.self, using: &$0)
        }
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// Square kernel, stride, padding and dilation, weights drawn from the shared generator.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inChannels, outChannels, kernelSize: [kernelSize, kernelSize], stride: [stride, stride],
                  padding: .explicit([padding, padding]), dilation: [dilation, dilation], groups: groups, bias: bias)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: [Int], padding: ConvolutionPadding, dilation: [Int], groups: Int) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        conv2d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String {
        "Conv2d(\(inChannels) → \(outChannels), \(kernelSize.map(String.init).joined(separator: "×"))"
            + (stride != [1, 1] ? ", stride \(stride)" : "") + (padding != .valid ? ", padding \(padding)" : "")
            + (dilation != [1, 1] ? ", dilation \(dilation)" : "") + (groups != 1 ? ", groups \(groups)" : "")
            + (bias == nil ? ", no bias" : "") + ")"
    }
}

/// A 1-D convolution layer (PyTorch's `nn.Conv1d`) over (N, C, L): weight (out, in/groups, k) and
/// bias (out), initialized as PyTorch does. See ``conv1d(_:weight:bias:stride:padding:dilation:groups:)``.
public final class Conv1d<Scalar: TensorScalar>: Layer {
    /// The kernel, (out, in/groups, k).
    public let weight: Parameter<Scalar>
    /// The per-channel bias (out), or `nil`.
    public let bias: Parameter<Scalar>?
    /// The step between windows.
    public let stride: Int
    /// The zero padding (one value when explicit).
    public let padding: ConvolutionPadding
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
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, using generator: inout RandomGenerator) {
        checkConvolutionOptions(op: "Conv1d", kernelSize: [kernelSize], stride: [stride], padding: padding, dilation: [dilation], spatialAxes: 1)
        let (w, b) = convolutionInitialValues(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias,
                                              op: "Conv1d", as: Scalar.self, using: &generator)
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// Weights drawn from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: ConvolutionPadding = .valid, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        checkConvolutionOptions(op: "Conv1d", kernelSize: [kernelSize], stride: [stride], padding: padding, dilation: [dilation], spatialAxes: 1)
        let (w, b) = RandomGenerator.withShared {
            convolutionInitialValues(inChannels, outChannels, kernelSize: [kernelSize], groups: groups, bias: bias,
                                     op: "Conv1d", as: Scalar.self, using: &$0)
        }
        self.init(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: Int, padding: ConvolutionPadding, dilation: Int, groups: Int) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        conv1d(input, weight: weight.value, bias: bias?.value, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String {
        "Conv1d(\(inChannels) → \(outChannels), \(kernelSize)" + (stride != 1 ? ", stride \(stride)" : "")
            + (padding != .valid ? ", padding \(padding)" : "") + (dilation != 1 ? ", dilation \(dilation)" : "")
            + (groups != 1 ? ", groups \(groups)" : "") + (bias == nil ? ", no bias" : "") + ")"
    }
}

/// A convolution's weight (out, in/groups, kernel…) and bias (out), uniform in ±1/√fan-in with
/// fan-in = in/groups · kernel taps (PyTorch's default), drawn weight first.
func convolutionInitialValues<Scalar: TensorScalar>(
    _ inChannels: Int, _ outChannels: Int, kernelSize: [Int], groups: Int, bias: Bool, op: String, as: Scalar.Type,
    using generator: inout RandomGenerator
) -> (weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
    require(inChannels >= 1 && outChannels >= 1 && groups >= 1,
            "\(op): channels and groups must be at least 1, got \(inChannels) → \(outChannels), groups \(groups)")
    require(inChannels % groups == 0 && outChannels % groups == 0,
            "\(op): \(inChannels) input and \(outChannels) output channels must both split into \(groups) groups")
    let shape = [outChannels, inChannels / groups] + kernelSize
    let bound = Scalar(1 / Double(shape[1...].reduce(1, *)).squareRoot())
    let weight = Tensor<Scalar>.uniform(shape, low: -bound, high: bound, using: &generator)
    return (weight, bias ? Tensor<Scalar>.uniform([outChannels], low: -bound, high: bound, using: &generator) : nil)
}

/// Checks a convolution layer's kernel, stride, padding and dilation when it is built, so a bad
/// option is reported where the layer is made rather than at its first call.
func checkConvolutionOptions(op: String, kernelSize: [Int], stride: [Int], padding: ConvolutionPadding, dilation: [Int], spatialAxes: Int) {
    require(kernelSize.count == spatialAxes && kernelSize.allSatisfy { $0 >= 1 },
            "\(op): kernelSize must be \(spatialAxes) value(s) ≥ 1, got \(kernelSize)")
    require(stride.count == spatialAxes && stride.allSatisfy { $0 >= 1 }, "\(op): stride must be \(spatialAxes) value(s) ≥ 1, got \(stride)")
    require(dilation.count == spatialAxes && dilation.allSatisfy { $0 >= 1 },
            "\(op): dilation must be \(spatialAxes) value(s) ≥ 1, got \(dilation)")
    switch padding {
    case .explicit(let values):
        require(values.count == spatialAxes && values.allSatisfy { $0 >= 0 }, "\(op): padding must be \(spatialAxes) value(s) ≥ 0, got \(values)")
    case .same:
        require(stride.allSatisfy { $0 == 1 }, "\(op): padding \"same\" needs stride 1, got \(stride)")
    case .valid:
        break
    }
}
