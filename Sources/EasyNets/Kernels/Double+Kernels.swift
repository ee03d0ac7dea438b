import CEasyNetsKernels

/// `Double` tensors: each kernel requirement forwards to its `easynets_*_f64` C loop, or to the
/// Swift loop where only `Float` has a C one (the LSTM cell).
extension Double: _TensorKernels {
    // MARK: Optimizer updates

    public static func _kernelSGDMomentum(
        parameters: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>, momentumBuffer: UnsafeMutablePointer<Double>,
        count: Int, learningRate: Double, momentum: Double, dampingFactor: Double, nesterov: Bool
    ) {
        easynets_sgd_momentum_f64(parameters, gradient, momentumBuffer, count, learningRate, momentum, dampingFactor,
                                  nesterov ? 1 : 0)
    }

    public static func _kernelSGDMomentumOuterProduct(
        parameters: UnsafeMutablePointer<Double>, momentumBuffer: UnsafeMutablePointer<Double>, column: UnsafePointer<Double>,
        row: UnsafePointer<Double>, rows: Int, columns: Int, learningRate: Double, momentum: Double, dampingFactor: Double,
        nesterov: Bool
    ) {
        easynets_sgd_momentum_outer_f64(parameters, momentumBuffer, column, row, rows, columns, learningRate, momentum,
                                        dampingFactor, nesterov ? 1 : 0)
    }

    public static func _kernelAdam(
        parameters: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>, firstMoment: UnsafeMutablePointer<Double>,
        secondMoment: UnsafeMutablePointer<Double>, count: Int, beta1: Double, beta2: Double, stepSize: Double,
        correction2Root: Double, epsilon: Double, decayFactor: Double
    ) {
        easynets_adam_f64(parameters, gradient, firstMoment, secondMoment, count, beta1, beta2, stepSize, correction2Root,
                          epsilon, decayFactor)
    }

    public static func _kernelRMSProp(
        parameters: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>, squareAverage: UnsafeMutablePointer<Double>,
        count: Int, learningRate: Double, alpha: Double, epsilon: Double
    ) {
        easynets_rmsprop_f64(parameters, gradient, squareAverage, count, learningRate, alpha, epsilon)
    }

    public static func _kernelAdagrad(
        parameters: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>, squareSum: UnsafeMutablePointer<Double>,
        count: Int, learningRate: Double, epsilon: Double
    ) {
        easynets_adagrad_f64(parameters, gradient, squareSum, count, learningRate, epsilon)
    }

    // MARK: Activations

    public static func _kernelRelu(x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>, count: Int) {
        easynets_relu_f64(x, y, count)
    }

    public static func _kernelReluBackward(
        x: UnsafePointer<Double>, dY: UnsafePointer<Double>, dX: UnsafeMutablePointer<Double>, count: Int
    ) {
        easynets_relu_backward_f64(x, dY, dX, count)
    }

    public static func _kernelGELU(
        x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>, cdf: UnsafeMutablePointer<Double>?, count: Int
    ) {
        Kernels.geluLoop(x: x, y: y, cdf: cdf, count: count)
    }

    public static func _kernelGELUBackward(
        x: UnsafePointer<Double>, cdf: UnsafePointer<Double>, dY: UnsafePointer<Double>, dX: UnsafeMutablePointer<Double>, count: Int
    ) {
        Kernels.geluBackwardLoop(x: x, cdf: cdf, dY: dY, dX: dX, count: count)
    }

    // MARK: Attention

    public static func _kernelAttentionSoftmaxRows(
        _ scores: UnsafeMutablePointer<Double>, rows: Int, keys: Int, visible0: Int, step: Int, scale: Double,
        logSumExp: UnsafeMutablePointer<Double>
    ) {
        Kernels.attentionSoftmaxRowsLoop(scores, rows: rows, keys: keys, visible0: visible0, step: step, scale: scale,
                                         logSumExp: logSumExp)
    }

    public static func _kernelAttentionWeightRows(
        _ scores: UnsafeMutablePointer<Double>, rows: Int, keys: Int, visible0: Int, step: Int, scale: Double,
        logSumExp: UnsafePointer<Double>
    ) {
        Kernels.attentionWeightRowsLoop(scores, rows: rows, keys: keys, visible0: visible0, step: step, scale: scale,
                                        logSumExp: logSumExp)
    }

    // MARK: Layer normalization

    public static func _kernelLayerNorm(
        _ x: UnsafePointer<Double>, rows: Int, size: Int, epsilon: Double, normalized: UnsafeMutablePointer<Double>,
        reciprocals: UnsafeMutablePointer<Double>, weight: UnsafePointer<Double>?, bias: UnsafePointer<Double>?,
        output: UnsafeMutablePointer<Double>
    ) {
        easynets_layer_norm_f64(x, rows, size, epsilon, normalized, reciprocals, weight, bias, output)
    }

    public static func _kernelLayerNormBackward(
        _ g: UnsafePointer<Double>, normalized: UnsafePointer<Double>, reciprocals: UnsafePointer<Double>,
        weight: UnsafePointer<Double>?, rows: Int, size: Int, dX: UnsafeMutablePointer<Double>
    ) {
        easynets_layer_norm_backward_f64(g, normalized, reciprocals, weight, rows, size, dX)
    }

    public static func _kernelLayerNormParameters(
        _ g: UnsafePointer<Double>, normalized: UnsafePointer<Double>, rows: Int, size: Int, first: Int, count: Int,
        dWeight: UnsafeMutablePointer<Double>?, dBias: UnsafeMutablePointer<Double>?
    ) {
        easynets_layer_norm_parameters_f64(g, normalized, rows, size, first, count, dWeight, dBias)
    }

    // MARK: Dropout

    public static func _kernelDropout(
        state: UnsafeMutablePointer<UInt64>, x: UnsafePointer<Double>, residual: UnsafePointer<Double>?, y: UnsafeMutablePointer<Double>,
        keep: UnsafeMutablePointer<UInt8>?, count: Int, threshold: UInt32, factor: Double
    ) {
        easynets_dropout_f64(state, x, residual, y, keep, count, threshold, factor)
    }

    public static func _kernelDropoutBackward(
        dY: UnsafePointer<Double>, keep: UnsafePointer<UInt8>, dX: UnsafeMutablePointer<Double>, count: Int, factor: Double
    ) {
        easynets_dropout_backward_f64(dY, keep, dX, count, factor)
    }

    // MARK: 16-bit formats

    public static func _kernelEncodeSixteenBit(
        values: UnsafePointer<Double>, bits: UnsafeMutablePointer<UInt16>, count: Int, format: SixteenBitFormat
    ) {
        switch format {
        case .bfloat16: easynets_encode_bf16_f64(values, bits, count)
        case .float16: easynets_encode_f16_f64(values, bits, count)
        }
    }

    public static func _kernelDecodeSixteenBit(
        bits: UnsafePointer<UInt16>, values: UnsafeMutablePointer<Double>, count: Int, format: SixteenBitFormat
    ) {
        switch format {
        case .bfloat16: easynets_decode_bf16_f64(bits, values, count)
        case .float16: easynets_decode_f16_f64(bits, values, count)
        }
    }

    // MARK: Convolution

    public static func _kernelIm2col(
        image: UnsafePointer<Double>, columns: UnsafeMutablePointer<Double>, firstChannel: Int, channelCount: Int,
        window: UnsafePointer<Int>
    ) {
        easynets_im2col_f64(image, columns, firstChannel, channelCount, window)
    }

    public static func _kernelCol2im(
        columns: UnsafePointer<Double>, image: UnsafeMutablePointer<Double>, firstChannel: Int, channelCount: Int,
        window: UnsafePointer<Int>
    ) {
        easynets_col2im_f64(columns, image, firstChannel, channelCount, window)
    }

    // MARK: Pooling

    public static func _kernelMaxPool(
        input: UnsafePointer<Double>, output: UnsafeMutablePointer<Double>, winners: UnsafeMutablePointer<Int32>, planes: Int,
        height: Int, width: Int, outputHeight: Int, outputWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int
    ) {
        easynets_max_pool_f64(input, output, winners, planes, height, width, outputHeight, outputWidth, kernelHeight,
                              kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth)
    }

    // MARK: Normalization

    public static func _kernelChannelMoments(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>?, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, centerA: UnsafePointer<Double>?, centerB: UnsafePointer<Double>?,
        sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>
    ) {
        easynets_channel_moment_f64(a, b, batch, channels, plane, firstChannel, channelCount, centerA, centerB, sums,
                                    products)
    }

    public static func _kernelPlaneMoments(
        _ x: UnsafePointer<Double>, planes: Int, plane: Int, shifts: UnsafeMutablePointer<Double>, sums: UnsafeMutablePointer<Double>,
        squares: UnsafeMutablePointer<Double>
    ) {
        easynets_plane_moment_f64(x, planes, plane, shifts, sums, squares)
    }

    public static func _kernelChannelAffine(
        x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, scale: UnsafePointer<Double>, shift: UnsafePointer<Double>
    ) {
        easynets_channel_affine_f64(x, y, batch, channels, plane, firstChannel, channelCount, scale, shift)
    }

    public static func _kernelBatchNormBackward(
        dY: UnsafePointer<Double>, x: UnsafePointer<Double>, dX: UnsafeMutablePointer<Double>, batch: Int, channels: Int,
        plane: Int, firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<Double>, mean: UnsafePointer<Double>,
        k: UnsafePointer<Double>, scale: UnsafePointer<Double>, accumulate: Bool
    ) {
        easynets_batch_norm_backward_f64(dY, x, dX, batch, channels, plane, firstChannel, channelCount, meanGradient, mean,
                                         k, scale, accumulate ? 1 : 0)
    }

    public static func _kernelChannelAffineReLU(
        x: UnsafePointer<Double>, output: UnsafeMutablePointer<Double>, winners: UnsafeMutablePointer<Int32>?, batch: Int,
        channels: Int, plane: Int, window: UnsafePointer<Int>?, firstChannel: Int, channelCount: Int,
        scale: UnsafePointer<Double>, shift: UnsafePointer<Double>, scratch: UnsafeMutablePointer<Double>
    ) {
        easynets_channel_affine_relu_f64(x, output, winners, batch, channels, plane, window, firstChannel, channelCount, scale,
                                         shift, scratch)
    }

    public static func _kernelReLUBatchNormMoments(
        dOutput: UnsafePointer<Double>, output: UnsafePointer<Double>, winners: UnsafePointer<Int32>?, x: UnsafePointer<Double>,
        batch: Int, channels: Int, plane: Int, window: UnsafePointer<Int>?, firstChannel: Int, channelCount: Int,
        mean: UnsafePointer<Double>, sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>,
        scratch: UnsafeMutablePointer<Double>
    ) {
        easynets_relu_batch_norm_moment_f64(dOutput, output, winners, x, batch, channels, plane, window, firstChannel,
                                            channelCount, mean, sums, products, scratch)
    }

    public static func _kernelReLUBatchNormBackward(
        dOutput: UnsafePointer<Double>, output: UnsafePointer<Double>, winners: UnsafePointer<Int32>?, x: UnsafePointer<Double>,
        dX: UnsafeMutablePointer<Double>, batch: Int, channels: Int, plane: Int, window: UnsafePointer<Int>?,
        firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<Double>, mean: UnsafePointer<Double>,
        k: UnsafePointer<Double>, scale: UnsafePointer<Double>, accumulate: Bool, scratch: UnsafeMutablePointer<Double>
    ) {
        easynets_relu_batch_norm_backward_f64(dOutput, output, winners, x, dX, batch, channels, plane, window, firstChannel,
                                              channelCount, meanGradient, mean, k, scale, accumulate ? 1 : 0, scratch)
    }

    // MARK: Recurrent cells

    /// The Swift reference loop: the C loop exists for Float only, where it evaluates the
    /// activations in Double to vectorize them.
    public static func _kernelLSTMCell(
        gates: UnsafeMutablePointer<Double>, previousCell: UnsafePointer<Double>, cell: UnsafeMutablePointer<Double>,
        tanhCell: UnsafeMutablePointer<Double>, hidden: UnsafeMutablePointer<Double>, batch: Int, size: Int, units: Range<Int>
    ) {
        Kernels.lstmCellLoop(gates: gates, previousCell: previousCell, cell: cell, tanhCell: tanhCell, hidden: hidden,
                             batch: batch, size: size, units: units)
    }
}
