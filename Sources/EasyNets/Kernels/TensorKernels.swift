/// The C kernels (`Sources/CEasyNetsKernels`) for one element type: a ``TensorScalar`` requirement.
///
/// `Float` forwards each requirement to its `easynets_*_f32` loop and `Double` to `easynets_*_f64`
/// (or to the Swift loop where only `Float` has a C one), so generic code calls `T._kernel…` and
/// never switches on the element type. The C loops are compiled for AVX-512, AVX2 and baseline
/// x86-64 and picked at load time (``Parallelism/vectorExtension``). Except for the LSTM cell,
/// each one rounds exactly as its Swift reference loop (no fused multiply-adds, the same
/// operation order); each C header states its contract. Pointers address contiguous row-major
/// buffers; ranges of channels or planes let callers split the work across threads.
public protocol _TensorKernels {
    // MARK: Optimizer updates (bit-identical to the loops of UpdateKernels.swift)

    /// SGD with momentum in its steady state (a buffer, no weight decay) on a dense gradient:
    /// `b = momentum·b + dampingFactor·g`, then `p -= learningRate·(nesterov ? g + momentum·b : b)`.
    static func _kernelSGDMomentum(
        parameters: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>, momentumBuffer: UnsafeMutablePointer<Self>,
        count: Int, learningRate: Self, momentum: Self, dampingFactor: Self, nesterov: Bool)

    /// ``_kernelSGDMomentum(parameters:gradient:momentumBuffer:count:learningRate:momentum:dampingFactor:nesterov:)``
    /// for a (rows, columns) gradient held as the outer product `column·rowᵀ`, each element formed
    /// as `column[i]·row[j]`.
    static func _kernelSGDMomentumOuterProduct(
        parameters: UnsafeMutablePointer<Self>, momentumBuffer: UnsafeMutablePointer<Self>, column: UnsafePointer<Self>,
        row: UnsafePointer<Self>, rows: Int, columns: Int, learningRate: Self, momentum: Self, dampingFactor: Self,
        nesterov: Bool)

    /// Adam without AMSGrad or L2 weight decay, and AdamW: `p = p·decayFactor` (1 for Adam),
    /// `m += (g − m)·(1 − beta1)`, `v = v·beta2 + (1 − beta2)·g·g`, then
    /// `p −= stepSize·(m / (√v / correction2Root + epsilon))`.
    static func _kernelAdam(
        parameters: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>, firstMoment: UnsafeMutablePointer<Self>,
        secondMoment: UnsafeMutablePointer<Self>, count: Int, beta1: Self, beta2: Self, stepSize: Self,
        correction2Root: Self, epsilon: Self, decayFactor: Self)

    /// RMSProp without centering, momentum or weight decay: `s = s·alpha + (1 − alpha)·g·g`, then
    /// `p −= learningRate·(g / (√s + epsilon))`.
    static func _kernelRMSProp(
        parameters: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>, squareAverage: UnsafeMutablePointer<Self>,
        count: Int, learningRate: Self, alpha: Self, epsilon: Self)

    /// Adagrad without weight decay, at the step's decayed learning rate: `sum += g·g`, then
    /// `p −= learningRate·(g / (√sum + epsilon))`.
    static func _kernelAdagrad(
        parameters: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>, squareSum: UnsafeMutablePointer<Self>,
        count: Int, learningRate: Self, epsilon: Self)

    // MARK: Activations (bit-identical to Kernels.reluLoop and Kernels.reluBackwardLoop)

    /// ReLU as PyTorch computes it: `y = x < 0 ? 0 : x` (NaN and −0 pass through).
    static func _kernelRelu(x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>, count: Int)

    /// ReLU's gradient: `dX = x ≤ 0 ? 0 : dY` (so it passes at NaN).
    static func _kernelReluBackward(
        x: UnsafePointer<Self>, dY: UnsafePointer<Self>, dX: UnsafeMutablePointer<Self>, count: Int)

    /// The exact GELU `y = x·Φ(x)`, with Φ(x) into `cdf` unless it is nil: for `Float` a vectorized
    /// C loop within 4 ulps of x·Φ(x), for `Double` `x·½·(1 + erf(x/√2))` with the C library's
    /// `erf` (``Kernels/geluLoop(x:y:cdf:count:)``).
    static func _kernelGELU(x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>, cdf: UnsafeMutablePointer<Self>?, count: Int)

    /// GELU's gradient `dX = dY·(Φ(x) + x·φ(x))` from the forward pass's Φ(x): for `Float` within
    /// 4 ulps of |dY|·max(Φ(x), |x·φ(x)|), for `Double` with the C library's `exp`
    /// (``Kernels/geluBackwardLoop(x:cdf:dY:dX:count:)``).
    static func _kernelGELUBackward(
        x: UnsafePointer<Self>, cdf: UnsafePointer<Self>, dY: UnsafePointer<Self>, dX: UnsafeMutablePointer<Self>, count: Int)

    // MARK: Attention (Kernels.attentionSoftmaxRowsLoop and attentionWeightRowsLoop; Float within a few ulps)

    /// The softmax of a block of attention score rows in place, each row's log-sum-exp saved
    /// (see ``Kernels/attentionSoftmaxRowsLoop(_:rows:keys:visible0:step:scale:logSumExp:)``).
    static func _kernelAttentionSoftmaxRows(
        _ scores: UnsafeMutablePointer<Self>, rows: Int, keys: Int, visible0: Int, step: Int, scale: Self,
        logSumExp: UnsafeMutablePointer<Self>)

    /// The same weights from the same scores and the saved log-sum-exps.
    static func _kernelAttentionWeightRows(
        _ scores: UnsafeMutablePointer<Self>, rows: Int, keys: Int, visible0: Int, step: Int, scale: Self,
        logSumExp: UnsafePointer<Self>)

    // MARK: Layer normalization (bit-identical to the loops of Kernels+Normalization.swift)

    /// Layer normalization of `rows` rows of `size` values: per row, the mean and variance from
    /// its moments about its first value (in Double, eight partial sums), rstd =
    /// 1/√(max(variance, 0) + ε); x̂ = (x − mean)·rstd into `normalized`, rstd into `reciprocals`,
    /// and x̂·weight + bias (each optional) into `output`, which may be `normalized`.
    static func _kernelLayerNorm(
        _ x: UnsafePointer<Self>, rows: Int, size: Int, epsilon: Self, normalized: UnsafeMutablePointer<Self>,
        reciprocals: UnsafeMutablePointer<Self>, weight: UnsafePointer<Self>?, bias: UnsafePointer<Self>?,
        output: UnsafeMutablePointer<Self>)

    /// Its input gradient from the output gradient `g`: with ĝ = g·weight, the row means of ĝ and
    /// ĝ·x̂ (summed in Double, eight partial sums), `dX = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`.
    static func _kernelLayerNormBackward(
        _ g: UnsafePointer<Self>, normalized: UnsafePointer<Self>, reciprocals: UnsafePointer<Self>,
        weight: UnsafePointer<Self>?, rows: Int, size: Int, dX: UnsafeMutablePointer<Self>)

    /// Its weight's and bias's gradients for columns `first ..< first + count`: `dWeight[j] += Σ g·x̂`
    /// and `dBias[j] += Σ g` over the rows in order.
    static func _kernelLayerNormParameters(
        _ g: UnsafePointer<Self>, normalized: UnsafePointer<Self>, rows: Int, size: Int, first: Int, count: Int,
        dWeight: UnsafeMutablePointer<Self>?, dBias: UnsafeMutablePointer<Self>?)

    // MARK: Dropout (bit-identical to Kernels.dropoutLoop and Kernels.dropoutBackwardLoop)

    /// `y[i] = x[i]·(kept ? factor : 0)`, plus `residual[i]` when `residual` is not nil, and
    /// `keep[i]` 1 or 0 when `keep` is not nil: element i is kept when its 32 random bits, the low
    /// half of draw i/2 of the xoshiro256** generator whose four state words `state` holds (and
    /// advances) for even i and the high half for odd i, are at least `threshold`. `y` may be `x`
    /// or `residual`.
    static func _kernelDropout(
        state: UnsafeMutablePointer<UInt64>, x: UnsafePointer<Self>, residual: UnsafePointer<Self>?, y: UnsafeMutablePointer<Self>,
        keep: UnsafeMutablePointer<UInt8>?, count: Int, threshold: UInt32, factor: Self)

    /// Dropout's gradient: `dX[i] = dY[i]·(keep[i] != 0 ? factor : 0)`. `dX` may be `dY`.
    static func _kernelDropoutBackward(
        dY: UnsafePointer<Self>, keep: UnsafePointer<UInt8>, dX: UnsafeMutablePointer<Self>, count: Int, factor: Self)

    // MARK: 16-bit formats (bit-identical to SixteenBitFormat.encode and .decode)

    /// `bits[i]` = `values[i]` rounded to `format`.
    static func _kernelEncodeSixteenBit(
        values: UnsafePointer<Self>, bits: UnsafeMutablePointer<UInt16>, count: Int, format: SixteenBitFormat)

    /// `values[i]` = the value of `bits[i]` in `format`.
    static func _kernelDecodeSixteenBit(
        bits: UnsafePointer<UInt16>, values: UnsafeMutablePointer<Self>, count: Int, format: SixteenBitFormat)

    // MARK: Convolution (bit-identical to the loops of Kernels+Convolution.swift)

    /// The columns of one image (C, H, W) for channels `firstChannel ..< firstChannel + channelCount`:
    /// row (c, i, j) of its (C·kh·kw, outputHeight·outputWidth) matrix holds, for every output
    /// position, the input at tap (i, j) of channel c, or 0 in the padding. `window` holds 12
    /// sizes: input height and width, output height and width, kernel height and width, strides,
    /// dilations, and the padding before the first row and column.
    static func _kernelIm2col(
        image: UnsafePointer<Self>, columns: UnsafeMutablePointer<Self>, firstChannel: Int, channelCount: Int,
        window: UnsafePointer<Int>)

    /// Adds one image's columns back onto the input positions they were read from (the transpose of
    /// ``_kernelIm2col(image:columns:firstChannel:channelCount:window:)``); padding taps are dropped.
    static func _kernelCol2im(
        columns: UnsafePointer<Self>, image: UnsafeMutablePointer<Self>, firstChannel: Int, channelCount: Int,
        window: UnsafePointer<Int>)

    // MARK: Pooling (bit-identical to maxPoolPlanes' Swift loop)

    /// Max pooling of `planes` (height, width) planes into (outputHeight, outputWidth) ones when
    /// every window lies inside its plane: each output is its window's largest value (a NaN wins;
    /// among equals the first in row order), `winners` its position in the plane.
    static func _kernelMaxPool(
        input: UnsafePointer<Self>, output: UnsafeMutablePointer<Self>, winners: UnsafeMutablePointer<Int32>, planes: Int,
        height: Int, width: Int, outputHeight: Int, outputWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int)

    // MARK: Normalization (bit-identical to the loops of Normalization.swift)

    /// For channels `firstChannel ..< firstChannel + channelCount` of (batch, channels, plane)
    /// data, in one pass: `sums[c] = Σ (a − centerA[c])` and
    /// `products[c] = Σ (a − centerA[c])·(b − centerB[c])`, in Double, as eight partial sums in a
    /// fixed order (`b` nil for `a`, centers nil for 0).
    static func _kernelChannelMoments(
        _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>?, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, centerA: UnsafePointer<Double>?, centerB: UnsafePointer<Double>?,
        sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>)

    /// Per plane k of `planes` consecutive planes of `plane` values: `shifts[k]` its first value (0
    /// for an empty plane), `sums[k] = Σ (x − shifts[k])` and `squares[k] = Σ (x − shifts[k])²`, in
    /// Double, as eight partial sums in a fixed order.
    static func _kernelPlaneMoments(
        _ x: UnsafePointer<Self>, planes: Int, plane: Int, shifts: UnsafeMutablePointer<Double>, sums: UnsafeMutablePointer<Double>,
        squares: UnsafeMutablePointer<Double>)

    /// `y = x·scale[c] + shift[c]` for channels `firstChannel ..< firstChannel + channelCount` of
    /// (batch, channels, plane) data.
    static func _kernelChannelAffine(
        x: UnsafePointer<Self>, y: UnsafeMutablePointer<Self>, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, scale: UnsafePointer<Self>, shift: UnsafePointer<Self>)

    /// Batch normalization's input gradient for channels `firstChannel ..< firstChannel + channelCount`:
    /// `dX (+)= (dY − meanGradient[c] − (x − mean[c])·k[c])·scale[c]`, added when `accumulate`.
    static func _kernelBatchNormBackward(
        dY: UnsafePointer<Self>, x: UnsafePointer<Self>, dX: UnsafeMutablePointer<Self>, batch: Int, channels: Int,
        plane: Int, firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<Self>, mean: UnsafePointer<Self>,
        k: UnsafePointer<Self>, scale: UnsafePointer<Self>, accumulate: Bool)

    /// Batch normalization → ReLU (→ max pooling) in the normalization's passes, for channels
    /// `firstChannel ..< firstChannel + channelCount`: `output = relu(x·scale[c] + shift[c])`,
    /// max-pooled when `window` is given (the pooling's height, width, outputHeight, outputWidth,
    /// kernel height and width, strides and dilations; every window inside its plane), with each
    /// output's position in its plane in `winners`. `scratch` holds one plane. The values equal
    /// those of ``_kernelChannelAffine(x:y:batch:channels:plane:firstChannel:channelCount:scale:shift:)``,
    /// ReLU and ``_kernelMaxPool(input:output:winners:planes:height:width:outputHeight:outputWidth:kernelHeight:kernelWidth:strideHeight:strideWidth:dilationHeight:dilationWidth:)``
    /// run one after the other.
    static func _kernelChannelAffineReLU(
        x: UnsafePointer<Self>, output: UnsafeMutablePointer<Self>, winners: UnsafeMutablePointer<Int32>?, batch: Int,
        channels: Int, plane: Int, window: UnsafePointer<Int>?, firstChannel: Int, channelCount: Int,
        scale: UnsafePointer<Self>, shift: UnsafePointer<Self>, scratch: UnsafeMutablePointer<Self>)

    /// The moments of backward through ReLU (and max pooling) after batch normalization: with dz
    /// the gradient at the normalization's output (`dOutput` routed to the `winners`, zero where
    /// `output` ≤ 0), `sums[c] = Σ dz` and `products[c] = Σ dz·(x − mean[c])`, the values
    /// ``_kernelChannelMoments(_:_:batch:channels:plane:firstChannel:channelCount:centerA:centerB:sums:products:)``
    /// gives for a stored dz.
    static func _kernelReLUBatchNormMoments(
        dOutput: UnsafePointer<Self>, output: UnsafePointer<Self>, winners: UnsafePointer<Int32>?, x: UnsafePointer<Self>,
        batch: Int, channels: Int, plane: Int, window: UnsafePointer<Int>?, firstChannel: Int, channelCount: Int,
        mean: UnsafePointer<Double>, sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>,
        scratch: UnsafeMutablePointer<Self>)

    /// Batch normalization's input gradient behind ReLU (and max pooling): ``_kernelBatchNormBackward(dY:x:dX:batch:channels:plane:firstChannel:channelCount:meanGradient:mean:k:scale:accumulate:)``
    /// of dz as in ``_kernelReLUBatchNormMoments(dOutput:output:winners:x:batch:channels:plane:window:firstChannel:channelCount:mean:sums:products:scratch:)``.
    static func _kernelReLUBatchNormBackward(
        dOutput: UnsafePointer<Self>, output: UnsafePointer<Self>, winners: UnsafePointer<Int32>?, x: UnsafePointer<Self>,
        dX: UnsafeMutablePointer<Self>, batch: Int, channels: Int, plane: Int, window: UnsafePointer<Int>?,
        firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<Self>, mean: UnsafePointer<Self>,
        k: UnsafePointer<Self>, scale: UnsafePointer<Self>, accumulate: Bool, scratch: UnsafeMutablePointer<Self>)

    // MARK: Recurrent cells (Float: within a Float ulp of the exact activations, not bit-identical)

    /// One LSTM step for `batch` rows: `gates` (batch, 4·size) holds the pre-activations of i, f,
    /// g, o and receives their activations (σ, σ, tanh, σ); c = f·previousCell + i·g goes to
    /// `cell`, tanh(c) to `tanhCell` and h = o·tanh(c) to `hidden`, each (batch, size); only the
    /// units `units` of each row (in every gate block).
    static func _kernelLSTMCell(
        gates: UnsafeMutablePointer<Self>, previousCell: UnsafePointer<Self>, cell: UnsafeMutablePointer<Self>,
        tanhCell: UnsafeMutablePointer<Self>, hidden: UnsafeMutablePointer<Self>, batch: Int, size: Int, units: Range<Int>)
}
