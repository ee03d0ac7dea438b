import Synchronization

/// The column matrices of a transposed convolution (``convTranspose2d(_:weight:bias:stride:padding:outputPadding:dilation:groups:)``),
/// made for a batch in chunks of images that fit a budget. (``conv2d(_:weight:bias:stride:padding:dilation:groups:)``
/// makes one image's columns at a time, see ``ImageBlocks``.)
enum ConvolutionColumns {
    private static let budget = Atomic<Int>(1 << 24)

    /// The most column elements one chunk holds (16 Mi, 64 MiB in Float): a batch whose columns
    /// are larger runs a chunk of images at a time.
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

/// ``im2col(_:geometry:columns:)`` for the rows of `channels` (each channel's rows are its own):
/// the C loop, image by image.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func im2col<Scalar: TensorScalar>(
    _ x: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Scalar>, channels: Range<Int>
) {
    let rows = g.inChannels * g.height.kernel * g.width.kernel
    g.window.withUnsafeBufferPointer { window in
        for image in 0..<g.batch {
            Scalar._kernelIm2col(image: x + image * g.inChannels * g.inputPlane, columns: columns + image * rows * g.outputPlane,
                                 firstChannel: channels.lowerBound, channelCount: channels.count, window: window.baseAddress!)
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

/// ``col2im(_:geometry:into:adding:)`` for the input planes of `channels` (disjoint per channel):
/// the C loop, image by image.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func col2im<Scalar: TensorScalar>(
    _ columns: UnsafePointer<Scalar>, geometry g: ConvolutionGeometry, adding dX: UnsafeMutablePointer<Scalar>, channels: Range<Int>
) {
    let rows = g.inChannels * g.height.kernel * g.width.kernel
    g.window.withUnsafeBufferPointer { window in
        for image in 0..<g.batch {
            Scalar._kernelCol2im(columns: columns + image * rows * g.outputPlane, image: dX + image * g.inChannels * g.inputPlane,
                                 firstChannel: channels.lowerBound, channelCount: channels.count, window: window.baseAddress!)
        }
    }
}

extension ConvolutionGeometry {
    /// The window's 12 sizes in the order the C loops take them: input height and width, output
    /// height and width, kernel, strides, dilations, padding before the first row and column.
    var window: [Int] {
        [height.input, width.input, height.output, width.output, height.kernel, width.kernel, height.stride, width.stride,
         height.dilation, width.dilation, height.padBefore, width.padBefore]
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
