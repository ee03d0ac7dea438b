import CEasyNetsKernels

/// `Float` tensors: each kernel requirement forwards to its `easynets_*_f32` C loop.
extension Float: _TensorKernels {
    // MARK: Optimizer updates

    public static func _kernelSGDMomentum(
        parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, momentumBuffer: UnsafeMutablePointer<Float>,
        count: Int, learningRate: Float, momentum: Float, dampingFactor: Float, nesterov: Bool
    ) {
        easynets_sgd_momentum_f32(parameters, gradient, momentumBuffer, count, learningRate, momentum, dampingFactor,
                                  nesterov ? 1 : 0)
    }

    public static func _kernelSGDMomentumOuterProduct(
        parameters: UnsafeMutablePointer<Float>, momentumBuffer: UnsafeMutablePointer<Float>, column: UnsafePointer<Float>,
        row: UnsafePointer<Float>, rows: Int, columns: Int, learningRate: Float, momentum: Float, dampingFactor: Float,
        nesterov: Bool
    ) {
        easynets_sgd_momentum_outer_f32(parameters, momentumBuffer, column, row, rows, columns, learningRate, momentum,
                                        dampingFactor, nesterov ? 1 : 0)
    }

    public static func _kernelAdam(
        parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, firstMoment: UnsafeMutablePointer<Float>,
        secondMoment: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, stepSize: Float,
        correction2Root: Float, epsilon: Float, decayFactor: Float
    ) {
        easynets_adam_f32(parameters, gradient, firstMoment, secondMoment, count, beta1, beta2, stepSize, correction2Root,
                          epsilon, decayFactor)
    }

    public static func _kernelRMSProp(
        parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, squareAverage: UnsafeMutablePointer<Float>,
        count: Int, learningRate: Float, alpha: Float, epsilon: Float
    ) {
        easynets_rmsprop_f32(parameters, gradient, squareAverage, count, learningRate, alpha, epsilon)
    }

    public static func _kernelAdagrad(
        parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, squareSum: UnsafeMutablePointer<Float>,
        count: Int, learningRate: Float, epsilon: Float
    ) {
        easynets_adagrad_f32(parameters, gradient, squareSum, count, learningRate, epsilon)
    }

    // MARK: Activations

    public static func _kernelRelu(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, count: Int) {
        easynets_relu_f32(x, y, count)
    }

    public static func _kernelReluBackward(
        x: UnsafePointer<Float>, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>, count: Int
    ) {
        easynets_relu_backward_f32(x, dY, dX, count)
    }

    public static func _kernelGELU(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, cdf: UnsafeMutablePointer<Float>?, count: Int
    ) {
        easynets_gelu_f32(x, y, cdf, count)
    }

    public static func _kernelGELUBackward(
        x: UnsafePointer<Float>, cdf: UnsafePointer<Float>, dY: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>, count: Int
    ) {
        easynets_gelu_backward_f32(x, cdf, dY, dX, count)
    }

    // MARK: Attention

    public static func _kernelAttentionSoftmaxRows(
        _ scores: UnsafeMutablePointer<Float>, rows: Int, keys: Int, visible0: Int, step: Int, scale: Float,
        logSumExp: UnsafeMutablePointer<Float>
    ) {
        easynets_attention_softmax_rows_f32(scores, rows, keys, visible0, step, scale, logSumExp)
    }

    public static func _kernelAttentionWeightRows(
        _ scores: UnsafeMutablePointer<Float>, rows: Int, keys: Int, visible0: Int, step: Int, scale: Float,
        logSumExp: UnsafePointer<Float>
    ) {
        easynets_attention_weight_rows_f32(scores, rows, keys, visible0, step, scale, logSumExp)
    }

    // MARK: Layer normalization

    public static func _kernelLayerNorm(
        _ x: UnsafePointer<Float>, rows: Int, size: Int, epsilon: Float, normalized: UnsafeMutablePointer<Float>,
        reciprocals: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>
    ) {
        easynets_layer_norm_f32(x, rows, size, epsilon, normalized, reciprocals, weight, bias, output)
    }

    public static func _kernelLayerNormBackward(
        _ g: UnsafePointer<Float>, normalized: UnsafePointer<Float>, reciprocals: UnsafePointer<Float>,
        weight: UnsafePointer<Float>?, rows: Int, size: Int, dX: UnsafeMutablePointer<Float>
    ) {
        easynets_layer_norm_backward_f32(g, normalized, reciprocals, weight, rows, size, dX)
    }

    public static func _kernelLayerNormParameters(
        _ g: UnsafePointer<Float>, normalized: UnsafePointer<Float>, rows: Int, size: Int, first: Int, count: Int,
        dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?
    ) {
        easynets_layer_norm_parameters_f32(g, normalized, rows, size, first, count, dWeight, dBias)
    }

    // MARK: Dropout

    public static func _kernelDropout(
        state: UnsafeMutablePointer<UInt64>, x: UnsafePointer<Float>, residual: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>,
        keep: UnsafeMutablePointer<UInt8>?, count: Int, threshold: UInt32, factor: Float
    ) {
        easynets_dropout_f32(state, x, residual, y, keep, count, threshold, factor)
    }

    public static func _kernelDropoutBackward(
        dY: UnsafePointer<Float>, keep: UnsafePointer<UInt8>, dX: UnsafeMutablePointer<Float>, count: Int, factor: Float
    ) {
        easynets_dropout_backward_f32(dY, keep, dX, count, factor)
    }

    // MARK: 16-bit formats

    public static func _kernelEncodeSixteenBit(
        values: UnsafePointer<Float>, bits: UnsafeMutablePointer<UInt16>, count: Int, format: SixteenBitFormat
    ) {
        switch format {
        case .bfloat16: easynets_encode_bf16_f32(values, bits, count)
        case .float16: easynets_encode_f16_f32(values, bits, count)
        }
    }

    public static func _kernelDecodeSixteenBit(
        bits: UnsafePointer<UInt16>, values: UnsafeMutablePointer<Float>, count: Int, format: SixteenBitFormat
    ) {
        switch format {
        case .bfloat16: easynets_decode_bf16_f32(bits, values, count)
        case .float16: easynets_decode_f16_f32(bits, values, count)
        }
    }

    // MARK: Convolution

    public static func _kernelIm2col(
        image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>, firstChannel: Int, channelCount: Int,
        window: UnsafePointer<Int>
    ) {
        easynets_im2col_f32(image, columns, firstChannel, channelCount, window)
    }

    public static func _kernelCol2im(
        columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>, firstChannel: Int, channelCount: Int,
        window: UnsafePointer<Int>
    ) {
        easynets_col2im_f32(columns, image, firstChannel, channelCount, window)
    }

    // MARK: Pooling

    public static func _kernelMaxPool(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>, planes: Int,
        height: Int, width: Int, outputHeight: Int, outputWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int
    ) {
        easynets_max_pool_f32(input, output, winners, planes, height, width, outputHeight, outputWidth, kernelHeight,
                              kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth)
    }

    // MARK: Normalization

    public static func _kernelChannelMoments(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, centerA: UnsafePointer<Double>?, centerB: UnsafePointer<Double>?,
        sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>
    ) {
        easynets_channel_moment_f32(a, b, batch, channels, plane, firstChannel, channelCount, centerA, centerB, sums,
                                    products)
    }

    public static func _kernelPlaneMoments(
        _ x: UnsafePointer<Float>, planes: Int, plane: Int, shifts: UnsafeMutablePointer<Double>, sums: UnsafeMutablePointer<Double>,
        squares: UnsafeMutablePointer<Double>
    ) {
        easynets_plane_moment_f32(x, planes, plane, shifts, sums, squares)
    }

    public static func _kernelChannelAffine(
        x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>
    ) {
        easynets_channel_affine_f32(x, y, batch, channels, plane, firstChannel, channelCount, scale, shift)
    }

    public static func _kernelBatchNormBackward(
        dY: UnsafePointer<Float>, x: UnsafePointer<Float>, dX: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
        plane: Int, firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<Float>, mean: UnsafePointer<Float>,
        k: UnsafePointer<Float>, scale: UnsafePointer<Float>, accumulate: Bool
    ) {
        easynets_batch_norm_backward_f32(dY, x, dX, batch, channels, plane, firstChannel, channelCount, meanGradient, mean,
                                         k, scale, accumulate ? 1 : 0)
    }

    public static func _kernelChannelAffineReLU(
        x: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>?, batch: Int,
        channels: Int, plane: Int, window: UnsafePointer<Int>?, firstChannel: Int, channelCount: Int,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        easynets_channel_affine_relu_f32(x, output, winners, batch, channels, plane, window, firstChannel, channelCount, scale,
                                         shift, scratch)
    }

    public static func _kernelReLUBatchNormMoments(
        dOutput: UnsafePointer<Float>, output: UnsafePointer<Float>, winners: UnsafePointer<Int32>?, x: UnsafePointer<Float>,
        batch: Int, channels: Int, plane: Int, window: UnsafePointer<Int>?, firstChannel: Int, channelCount: Int,
        mean: UnsafePointer<Double>, sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        easynets_relu_batch_norm_moment_f32(dOutput, output, winners, x, batch, channels, plane, window, firstChannel,
                                            channelCount, mean, sums, products, scratch)
    }

    public static func _kernelReLUBatchNormBackward(
        dOutput: UnsafePointer<Float>, output: UnsafePointer<Float>, winners: UnsafePointer<Int32>?, x: UnsafePointer<Float>,
        dX: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int, window: UnsafePointer<Int>?,
        firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<Float>, mean: UnsafePointer<Float>,
        k: UnsafePointer<Float>, scale: UnsafePointer<Float>, accumulate: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        easynets_relu_batch_norm_backward_f32(dOutput, output, winners, x, dX, batch, channels, plane, window, firstChannel,
                                              channelCount, meanGradient, mean, k, scale, accumulate ? 1 : 0, scratch)
    }

    // MARK: Recurrent cells

    /// The vectorized C loop, its σ and tanh computed in Double from one polynomial exp each
    /// (scalar `expf` and `tanhf` calls had taken a third of an LSTM step).
    public static func _kernelLSTMCell(
        gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
        tanhCell: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>, batch: Int, size: Int, units: Range<Int>
    ) {
        easynets_lstm_cell_f32(gates, previousCell, cell, tanhCell, hidden, batch, size, units.lowerBound, units.count)
    }
}
