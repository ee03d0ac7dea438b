/// A 2-D convolution (PyTorch's `conv2d`, cross-correlation) of `x: (N, C, H, W)` with
/// `weight: (O, C/groups, kh, kw)` and an optional `bias: (O)`; the result is (N, O, Ho, Wo). An
/// unbatched image (C, H, W) gives (O, Ho, Wo), as in PyTorch.
///
/// Image by image: the forward pass writes the image's patches as columns (im2col: a
/// (C·kh·kw, Ho·Wo) matrix, one row per channel and kernel tap) into a scratch buffer that stays
/// in cache, and each group of weight rows times its columns is one gemm that writes the image's
/// output planes in place (NCHW, no layout pass). Backward, per image: the columns again, then
/// dW += dY·colsᵀ (gemm), dcols = Wᵀ·dY (gemm) into a second scratch buffer, added back onto dX
/// (col2im); db += dY summed over batch and positions. A 1×1 convolution at stride 1 without
/// padding skips im2col and multiplies each image's stored planes. No column matrix of the whole
/// batch is ever stored: making an image's columns again costs less than writing and reading them
/// from memory.
///
/// The images run in blocks of 8, split across threads (each product then on
/// one thread); dW sums each block's images in a partial sum of its own and adds the blocks in
/// order, so every result is the same at any thread count.
///
/// Why one gemm per image rather than one per batch: the products are as fast (the second
/// convolution of the `cnn` preset, 64×288 by 288×196, runs at the speed of the batched
/// 64×288 by 288×25088 one) or faster (the first, 32×9 by 9×784, twice as fast as its batched
/// form, whose 9-row operand streams from memory), and the output needs no reordering.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func conv2d<Scalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: [Int] = [1, 1], padding: ConvolutionPadding = .valid, dilation: [Int] = [1, 1], groups: Int = 1
) -> Tensor<Scalar> {
    if x.rank == 3 {  // unbatched (C, H, W): a batch of one
        let y = conv2d(x.reshaped(to: [1] + x.shape), weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                       groups: groups)
        return y.reshaped(to: Array(y.shape.dropFirst()))
    }
    return convolved(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
}

/// ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` of a batch (N, C, H, W), filling
/// `moments` (when given) with each output plane's moments right after its image's products, while
/// the output is in cache (for the batch normalization that follows).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func convolved<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: [Int], padding: ConvolutionPadding, dilation: [Int],
    groups: Int, moments: PlaneMoments? = nil
) -> Tensor<Scalar> {
    let g = convolutionGeometry(op: "conv2d", input: x.shape, weight: weight.shape, bias: bias?.shape,
                                stride: stride, padding: padding, dilation: dilation, groups: groups)
    let (n, o, plane) = (g.batch, g.outChannels, g.outputPlane)
    require(moments.map { $0.batch == n && $0.channels == o } ?? true, "conv2d: plane moments for another shape than \([n, o])")
    let result = Tensor<Scalar>(uninitializedShape: [n, o, g.height.output, g.width.output])
    let y = result.storage.base, w = weight.storage.base, source = x.storage.base
    let blocks = ImageBlocks(geometry: g)
    blocks.forEachRange { images, threads in
        let columns = blocks.scratch(Scalar.self)
        for image in images {
            if let bias { fillChannels(y + image * o * plane, batch: 1, channels: o, plane: plane, values: bias.storage.base) }
            let cols = blocks.columns(of: source, image: image, into: columns?.base, threads: threads)
            for group in 0..<g.groups {  // y[image, group] (Og, P) = W_g (Og, K) · cols[group] (K, P)
                MatrixProduct.gemm(transposeA: false, transposeB: false, m: g.groupOutChannels, n: plane, k: g.groupPatch,
                                   a: w + group * g.groupOutChannels * g.groupPatch, b: cols + group * g.groupPatch * plane,
                                   beta: bias == nil ? 0 : 1, c: y + (image * o + group * g.groupOutChannels) * plane,
                                   threadLimit: threads)
            }
            moments?.add(y + image * o * plane, planes: (image * o)..<((image + 1) * o), plane: plane)
        }
    }
    guard isRecordingGradients, x.requiresGradient || weight.requiresGradient || bias?.requiresGradient == true else {
        return result
    }
    let savedX = x.detached, savedW = weight.detached
    return result.recorded("conv2d", inputs: [x.node, weight.node, bias?.node]) {
        [xNode = x.node, wNode = weight.node, bNode = bias?.node] dY in
        let dOut = dY.storage.base, input = savedX.storage.base, weights = savedW.storage.base
        bNode?.withGradientBuffer { db, accumulate in  // db[c] += Σ over images and positions of dY
            let sums = channelMoments(dOut, batch: n, channels: o, plane: plane).sums
            for channel in 0..<o { db[channel] = (accumulate ? db[channel] : 0) + Scalar(sums[channel]) }
        }
        guard wNode != nil || xNode != nil else { return }
        let weightCount = o * g.groupPatch
        // dW's partial sum of each block, when there are several (one block sums straight into dW).
        let partials = wNode != nil && blocks.count > 1 ? TensorStorage<Scalar>(uninitializedCount: blocks.count * weightCount) : nil
        withGradientBuffer(of: wNode) { dW, accumulateW in
            withGradientBuffer(of: xNode) { dX, accumulateX in
                blocks.forEachRange { images, threads in
                    let columns = dW == nil ? nil : blocks.scratch(Scalar.self)
                    let dColumns = dX == nil ? nil : blocks.scratch(Scalar.self)
                    for image in images {
                        let dYImage = dOut + image * o * plane
                        if let dW {  // dW_g (Og, K) += dY[image, group] (Og, P) · cols[group]ᵀ, over the block's images
                            let cols = blocks.columns(of: input, image: image, into: columns?.base, threads: threads)
                            let (block, first) = (image / ImageBlocks.size, image % ImageBlocks.size == 0)
                            let target = partials.map { $0.base + block * weightCount } ?? dW
                            for group in 0..<g.groups {
                                MatrixProduct.gemm(transposeA: false, transposeB: true, m: g.groupOutChannels, n: g.groupPatch, k: plane,
                                                   a: dYImage + group * g.groupOutChannels * plane, b: cols + group * g.groupPatch * plane,
                                                   beta: first && (partials != nil || !accumulateW) ? 0 : 1,
                                                   c: target + group * g.groupOutChannels * g.groupPatch, threadLimit: threads)
                            }
                        }
                        if let dX {  // dcols[group] (K, P) = W_gᵀ · dY[image, group], then col2im onto the image
                            let dXImage = dX + image * g.inChannels * g.inputPlane
                            let target = dColumns?.base ?? dXImage
                            for group in 0..<g.groups {
                                MatrixProduct.gemm(transposeA: true, transposeB: false, m: g.groupPatch, n: plane, k: g.groupOutChannels,
                                                   a: weights + group * g.groupOutChannels * g.groupPatch,
                                                   b: dYImage + group * g.groupOutChannels * plane,
                                                   beta: dColumns == nil && accumulateX ? 1 : 0, c: target + group * g.groupPatch * plane,
                                                   threadLimit: threads)
                            }
                            if let dColumns {
                                if !accumulateX { zeroFill(dXImage, count: g.inChannels * g.inputPlane) }
                                col2im(dColumns.base, geometry: g.images(1), adding: dXImage, channels: 0..<g.inChannels)
                            }
                        }
                    }
                }
                if let dW, let partials {  // the blocks' partial sums, in block order
                    for block in 0..<blocks.count {
                        let partial = partials.base + block * weightCount
                        if block == 0 && !accumulateW {
                            copyScalars(to: dW, from: partial, count: weightCount)
                        } else {
                            VectorRoutines.add(partial, into: dW, count: weightCount)
                        }
                    }
                }
            }
        }
    }
}

/// The images of a convolution's batch in blocks of ``size``: the unit it splits across threads
/// and sums its weight gradient over, so that each block's partial sum, and so every result, is
/// the same whatever the thread count.
struct ImageBlocks {
    /// Images per block.
    static let size = 8
    let geometry: ConvolutionGeometry

    init(geometry: ConvolutionGeometry) { self.geometry = geometry }

    /// The number of blocks.
    var count: Int { (geometry.batch + Self.size - 1) / Self.size }

    /// Runs `body(images, threads)` over ranges of whole blocks covering the batch, on several
    /// threads when the work is large; `threads` is the BLAS threads each product may take (1 when
    /// ranges run at once, every thread for a single range).
    func forEachRange(_ body: (_ images: Range<Int>, _ threads: Int) -> Void) {
        let g = geometry, blockCount = count
        // A block's multiply-adds in one product pass (saturating), counted in the units of
        // `splitting`, which splits from `minimumParallelCount` units: from one thread's worth of
        // product work on.
        guard blockCount > 0 else { return }
        let work = CheckedCount.product(g.outChannels, g.groupPatch, g.outputPlane, Self.size) ?? Int.max
        let units = Swift.min(work / (Parallelism.minimumProductWorkPerThread / Parallelism.minimumParallelCount),
                              Int.max / blockCount)
        Parallelism.splitting(blockCount, costPerItem: units) { first, blocks in
            let images = (first * Self.size)..<Swift.min((first + blocks) * Self.size, g.batch)
            body(images, blocks == blockCount ? Parallelism.threadCount : 1)
        }
    }

    /// A buffer for one image's columns, or `nil` for a 1×1 convolution, which needs none.
    func scratch<Scalar: TensorScalar>(_: Scalar.Type) -> TensorStorage<Scalar>? {
        geometry.isPointwise ? nil : TensorStorage<Scalar>(uninitializedCount: geometry.groups * geometry.groupPatch * geometry.outputPlane)
    }

    /// The columns of `image` of `x` (the batch), made in `scratch`, or the image's own planes for a
    /// 1×1 convolution (`scratch` nil); split over channels when `threads` > 1.
    func columns<Scalar: TensorScalar>(
        of x: UnsafePointer<Scalar>, image: Int, into scratch: UnsafeMutablePointer<Scalar>?, threads: Int
    ) -> UnsafePointer<Scalar> {
        let g = geometry, planes = x + image * g.inChannels * g.inputPlane
        guard let scratch else { return planes }
        if threads > 1 {
            im2col(planes, geometry: g.images(1), columns: scratch)
        } else {
            im2col(planes, geometry: g.images(1), columns: scratch, channels: 0..<g.inChannels)
        }
        return UnsafePointer(scratch)
    }
}

/// A 1-D convolution (PyTorch's `conv1d`) of `x: (N, C, L)` with `weight: (O, C/groups, k)`: the
/// 2-D convolution of (N, C, 1, L) with a (O, C/groups, 1, k) kernel. An unbatched sequence (C, L)
/// gives (O, Lo), as in PyTorch.
public func conv1d<Scalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
    stride: Int = 1, padding: ConvolutionPadding = .valid, dilation: Int = 1, groups: Int = 1
) -> Tensor<Scalar> {
    if x.rank == 2 {  // unbatched (C, L): a batch of one
        let y = conv1d(x.reshaped(to: [1] + x.shape), weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                       groups: groups)
        return y.reshaped(to: Array(y.shape.dropFirst()))
    }
    require(x.rank == 3, "conv1d: input must be (N, C, L) or (C, L), shape is \(x.shape)")
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
