/// A 2-D convolution (PyTorch's `conv2d`, cross-correlation) of `x: (N, C, H, W)` with
/// `weight: (O, C/groups, kh, kw)` and an optional `bias: (O)`; the result is (N, O, Ho, Wo). An
/// unbatched image (C, H, W) gives (O, Ho, Wo), as in PyTorch.
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
    if x.rank == 3 {  // unbatched (C, H, W): a batch of one
        let y = conv2d(x.reshaped(to: [1] + x.shape), weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                       groups: groups)
        return y.reshaped(to: Array(y.shape.dropFirst()))
    }
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
