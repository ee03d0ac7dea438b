/// A 2-D transposed convolution (PyTorch's `conv_transpose2d`) of `x: (N, Cin, H, W)` with
/// `weight: (Cin, Cout/groups, kh, kw)` and an optional `bias: (Cout)`; the result is
/// (N, Cout, Ho, Wo) with `Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1`
/// (likewise Wo). An unbatched image (Cin, H, W) gives (Cout, Ho, Wo), as in PyTorch.
///
/// It is the gradient of ``conv2d(_:weight:bias:stride:padding:dilation:groups:)`` with respect to
/// that convolution's input, and runs as that gradient does: per image and group, the columns
/// W_gᵀ·x (a gemm, (Cout/groups·kh·kw, H·W)) are added onto the output planes by col2im. Backward
/// is the convolution's forward: im2col of dY, then dX = W_g·cols and dW_g += x·colsᵀ (gemms); db is
/// dY summed over batch and positions. `outputPadding` (each below its stride or its dilation)
/// adds rows and columns at the bottom and right that only the bias and taps reaching there fill,
/// telling apart the output sizes a strided convolution maps to the same input size.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func convTranspose2d<Scalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil, stride: [Int] = [1, 1], padding: [Int] = [0, 0],
    outputPadding: [Int] = [0, 0], dilation: [Int] = [1, 1], groups: Int = 1
) -> Tensor<Scalar> {
    if x.rank == 3 {  // unbatched (Cin, H, W): a batch of one
        let y = convTranspose2d(x.reshaped(to: [1] + x.shape), weight: weight, bias: bias, stride: stride, padding: padding,
                                outputPadding: outputPadding, dilation: dilation, groups: groups)
        return y.reshaped(to: Array(y.shape.dropFirst()))
    }
    // The geometry of the convolution this one transposes: its input is our output, its output our input.
    let g = convolutionTransposeGeometry(op: "convTranspose2d", input: x.shape, weight: weight.shape, bias: bias?.shape, stride: stride,
                                         padding: padding, outputPadding: outputPadding, dilation: dilation, groups: groups)
    let (n, cIn, cOut) = (g.batch, g.outChannels, g.inChannels)
    let (plane, outPlane) = (g.outputPlane, g.inputPlane)  // x's H·W, the result's Ho·Wo
    let result = Tensor<Scalar>(uninitializedShape: [n, cOut, g.height.input, g.width.input])
    let y = result.storage.base, w = weight.storage.base
    let chunk = ConvolutionColumns.imagesPerChunk(geometry: g)
    let cols = TensorStorage<Scalar>(uninitializedCount: g.groups * g.groupPatch * Swift.min(chunk, n) * plane)
    for first in Swift.stride(from: 0, to: n, by: chunk) {
        let count = Swift.min(chunk, n - first)
        for image in 0..<count {
            for group in 0..<g.groups {  // cols[image, group] (K, P) = W_gᵀ (K, Cin/g) · x[image, group] (Cin/g, P)
                MatrixProduct.gemm(transposeA: true, transposeB: false, m: g.groupPatch, n: plane, k: g.groupOutChannels,
                                   a: w + group * g.groupOutChannels * g.groupPatch,
                                   b: x.storage.base + ((first + image) * cIn + group * g.groupOutChannels) * plane,
                                   beta: 0, c: cols.base + ConvolutionColumns.offset(image: image, group: group, geometry: g))
            }
        }
        let target = y + first * cOut * outPlane
        if let bias { fillChannels(target, batch: count, channels: cOut, plane: outPlane, values: bias.storage.base) }
        col2im(cols.base, geometry: g.images(count), into: target, adding: bias != nil)
    }
    guard isRecordingGradients, x.requiresGradient || weight.requiresGradient || bias?.requiresGradient == true else {
        return result
    }
    let savedX = x.detached, savedW = weight.detached
    return result.recorded("convTranspose2d", inputs: [x.node, weight.node, bias?.node]) {
        [xNode = x.node, wNode = weight.node, bNode = bias?.node] dY in
        let dOut = dY.storage.base
        bNode?.withGradientBuffer { db, accumulate in  // db[c] += Σ over images and positions of dY
            let sums = channelMoments(dOut, batch: n, channels: cOut, plane: outPlane).sums
            for channel in 0..<cOut { db[channel] = (accumulate ? db[channel] : 0) + Scalar(sums[channel]) }
        }
        guard wNode != nil || xNode != nil else { return }
        withGradientBuffer(of: wNode) { dW, accumulateW in
            withGradientBuffer(of: xNode) { dX, accumulateX in
                for first in Swift.stride(from: 0, to: n, by: chunk) {
                    let count = Swift.min(chunk, n - first)
                    let cols = ConvolutionColumns.make(dOut, geometry: g, images: first..<(first + count))  // im2col of dY
                    for image in 0..<count {
                        for group in 0..<g.groups {
                            let groupCols = cols.base + ConvolutionColumns.offset(image: image, group: group, geometry: g)
                            let offset = ((first + image) * cIn + group * g.groupOutChannels) * plane
                            if let dX {  // dX[image, group] (Cin/g, P) = W_g (Cin/g, K) · cols (K, P)
                                MatrixProduct.gemm(transposeA: false, transposeB: false, m: g.groupOutChannels, n: plane, k: g.groupPatch,
                                                   a: savedW.storage.base + group * g.groupOutChannels * g.groupPatch, b: groupCols,
                                                   beta: accumulateX ? 1 : 0, c: dX + offset)
                            }
                            if let dW {  // dW_g (Cin/g, K) += x[image, group] (Cin/g, P) · colsᵀ (P, K), over the images
                                MatrixProduct.gemm(transposeA: false, transposeB: true, m: g.groupOutChannels, n: g.groupPatch, k: plane,
                                                   a: savedX.storage.base + offset, b: groupCols,
                                                   beta: accumulateW || first > 0 || image > 0 ? 1 : 0,
                                                   c: dW + group * g.groupOutChannels * g.groupPatch)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A 1-D transposed convolution (PyTorch's `conv_transpose1d`) of `x: (N, Cin, L)` with
/// `weight: (Cin, Cout/groups, k)`: the 2-D one of (N, Cin, 1, L) with a (Cin, Cout/groups, 1, k)
/// kernel, giving (N, Cout, Lo) with `Lo = (L − 1)·stride − 2·padding + dilation·(k − 1) +
/// outputPadding + 1`. An unbatched sequence (Cin, L) gives (Cout, Lo), as in PyTorch.
public func convTranspose1d<Scalar>(
    _ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0,
    dilation: Int = 1, groups: Int = 1
) -> Tensor<Scalar> {
    if x.rank == 2 {  // unbatched (Cin, L): a batch of one
        let y = convTranspose1d(x.reshaped(to: [1] + x.shape), weight: weight, bias: bias, stride: stride, padding: padding,
                                outputPadding: outputPadding, dilation: dilation, groups: groups)
        return y.reshaped(to: Array(y.shape.dropFirst()))
    }
    require(x.rank == 3, "convTranspose1d: input must be (N, C, L) or (C, L), shape is \(x.shape)")
    require(weight.rank == 3, "convTranspose1d: weight must be (in, out/groups, k), shape is \(weight.shape)")
    let y = convTranspose2d(x.reshaped(to: [x.shape[0], x.shape[1], 1, x.shape[2]]),
                            weight: weight.reshaped(to: [weight.shape[0], weight.shape[1], 1, weight.shape[2]]), bias: bias,
                            stride: [1, stride], padding: [0, padding], outputPadding: [0, outputPadding], dilation: [1, dilation],
                            groups: groups)
    return y.reshaped(to: [y.shape[0], y.shape[1], y.shape[3]])
}

/// The output extent of a transposed convolution along one axis of input extent `input`:
/// `(input − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1`.
func transposedExtent(input: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int, dilation: Int) -> Int {
    (input - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1
}

/// Why `outputPadding` does not fit `stride` and `dilation` (PyTorch's rule: each value below its
/// stride or its dilation), or `nil`.
func outputPaddingProblem(_ outputPadding: [Int], stride: [Int], dilation: [Int]) -> String? {
    for axis in outputPadding.indices where outputPadding[axis] < 0
        || (outputPadding[axis] >= stride[axis] && outputPadding[axis] >= dilation[axis]) {
        return "outputPadding \(outputPadding) must be ≥ 0 and below the stride \(stride) or the dilation \(dilation) on each axis"
    }
    return nil
}

/// Checks a transposed convolution's shapes and options, naming `op` and the shapes on a mismatch,
/// and returns the geometry of the convolution it transposes: that convolution's input is the
/// (N, Cout, Ho, Wo) result, its weight `weight` read as (Cin, Cout/groups, kh, kw), its output the
/// (N, Cin, H, W) input.
func convolutionTransposeGeometry(
    op: String, input: [Int], weight: [Int], bias: [Int]?, stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int], groups: Int
) -> ConvolutionGeometry {
    require(input.count == 4, "\(op): input must be (N, C, H, W) or (C, H, W), shape is \(input)")
    require(weight.count == 4, "\(op): weight must be (in, out/groups, kh, kw), shape is \(weight)")
    require(stride.count == 2 && stride.allSatisfy { $0 >= 1 }, "\(op): stride must be two values ≥ 1, got \(stride)")
    require(dilation.count == 2 && dilation.allSatisfy { $0 >= 1 }, "\(op): dilation must be two values ≥ 1, got \(dilation)")
    require(padding.count == 2 && padding.allSatisfy { $0 >= 0 }, "\(op): padding must be two values ≥ 0, got \(padding)")
    require(outputPadding.count == 2, "\(op): outputPadding must be two values, got \(outputPadding)")
    if let problem = outputPaddingProblem(outputPadding, stride: stride, dilation: dilation) { programmerError("\(op): \(problem)") }
    require(groups >= 1, "\(op): groups must be at least 1, got \(groups)")
    let (inChannels, groupOut, kh, kw) = (weight[0], weight[1], weight[2], weight[3])
    require(inChannels >= 1 && groupOut >= 1 && kh >= 1 && kw >= 1, "\(op): weight shape \(weight) has an empty axis")
    require(inChannels % groups == 0, "\(op): \(inChannels) input channels do not split into \(groups) groups (weight \(weight))")
    require(input[1] == inChannels, "\(op): input shape \(input) has \(input[1]) channels, the weight \(weight) takes \(inChannels)")
    if let bias { require(bias == [groupOut * groups], "\(op): bias shape \(bias) does not match weight \(weight) with \(groups) group(s)") }
    let kernel = [kh, kw]
    let extents = (0..<2).map {
        transposedExtent(input: input[2 + $0], kernel: kernel[$0], stride: stride[$0], padding: padding[$0],
                         outputPadding: outputPadding[$0], dilation: dilation[$0])
    }
    require(extents.allSatisfy { $0 >= 1 },
            "\(op): input \(input) with kernel \(kh)×\(kw), stride \(stride), padding \(padding), outputPadding \(outputPadding) "
                + "and dilation \(dilation) gives an empty output \(extents)")
    // Output position o of the transposed convolution's input reads (as a convolution) positions
    // o·stride − padding + t·dilation of the result.
    let axes = (0..<2).map {
        WindowAxis(input: extents[$0], kernel: kernel[$0], stride: stride[$0], dilation: dilation[$0], padBefore: padding[$0],
                   output: input[2 + $0])
    }
    return ConvolutionGeometry(batch: input[0], inChannels: groupOut * groups, outChannels: inChannels, groups: groups,
                               height: axes[0], width: axes[1])
}
