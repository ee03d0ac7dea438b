/// Inverted dropout: in training, each element is zeroed with probability `p` and the survivors
/// are scaled by 1/(1 − p), so evaluation (where the layer is the identity) needs no rescaling.
///
/// The mask comes from the layer's own seeded generator, so runs repeat exactly.
public final class Dropout<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The probability p of zeroing an element in training.
    public let probability: Double
    /// The generator masks are drawn from (saved in training checkpoints).
    public var generator: RandomGenerator
    public var isTraining = true

    /// A dropout layer with its own generator seeded by `seed`.
    public init(probability: Double = 0.5, seed: UInt64 = 0) {
        DropoutDescription(probability: probability).requireValid()
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        guard isTraining, probability > 0 else { return input }
        return dropout(input, probability: probability, using: &generator)
    }

    public var summaryName: String { "Dropout(p: \(probability))" }
    public var layerDescription: ModelDescription? { .layer(DropoutDescription(probability: probability)) }
}

/// Inverted dropout of `x` as one op on the tape: each element multiplied by 1/(1 − p), or by 0
/// with probability p, in one pass that draws from `generator` (see
/// ``Kernels/forEachDropoutDraw(count:probability:generator:_:)``), with `residual` added in the
/// same pass when given (a residual connection around the dropout: `residual + dropout(x)`, the
/// same values); backward multiplies the gradient by the same factors, kept as one byte per
/// element, and passes it to the residual unchanged.
func dropout<Scalar: TensorScalar>(_ x: Tensor<Scalar>, probability: Double, adding residual: Tensor<Scalar>? = nil,
                                   using generator: inout RandomGenerator) -> Tensor<Scalar> {
    if let residual {
        require(residual.shape == x.shape, "dropout: residual \(residual.shape) and input \(x.shape) differ in shape")
    }
    let count = x.count
    guard count > 0 else { return residual.map { $0 + x } ?? x }
    let output = Tensor<Scalar>(uninitializedShape: x.shape, op: "dropout")
    let r = residual.map { UnsafePointer($0.storage.base) }
    let recording = Tensor.needsRecording(x) || residual.map { Tensor.needsRecording($0) } == true
    guard recording else {
        Kernels.dropout(x: x.storage.base, residual: r, y: output.storage.base, keep: nil, count: count, probability: probability,
                        generator: &generator)
        withExtendedLifetime((x, residual)) {}
        return output
    }
    let keep = [UInt8](unsafeUninitializedCapacity: count) { keep, initialized in
        Kernels.dropout(x: x.storage.base, residual: r, y: output.storage.base, keep: keep.baseAddress, count: count,
                        probability: probability, generator: &generator)
        initialized = count
    }
    withExtendedLifetime((x, residual)) {}
    let factor = Scalar(1 / (1 - probability))
    return output.recorded("dropout", inputs: [x.node, residual?.node]) { [node = x.node, residualNode = residual?.node] dY in
        if let node {
            let dX = Tensor<Scalar>(uninitializedShape: dY.shape, op: "dropout")
            keep.withUnsafeBufferPointer { keep in
                let (g, k, d) = (UnsafePointer(dY.storage.base), keep.baseAddress!, dX.storage.base)
                Parallelism.splitting(count, costPerItem: 1) { first, n in
                    Scalar._kernelDropoutBackward(dY: g + first, keep: k + first, dX: d + first, count: n, factor: factor)
                }
            }
            withExtendedLifetime(dY) {}
            node.accumulate(dX)
        }
        residualNode?.accumulate(dY)
    }
}

/// Inverted dropout's mask of `shape`: 0 with probability p, else 1/(1 − p), drawn as
/// ``dropout(_:probability:using:)`` draws.
func dropoutMask<Scalar: TensorScalar>(_ shape: [Int], probability: Double, using generator: inout RandomGenerator) -> Tensor<Scalar> {
    let mask = Tensor<Scalar>.ones(shape)
    Kernels.dropout(x: mask.storage.base, y: mask.storage.base, keep: nil, count: mask.count, probability: probability,
                    generator: &generator)
    return mask
}

extension Kernels {
    /// The 32-bit threshold below which a draw drops its element: p·2³² rounded down.
    static func dropoutThreshold(_ probability: Double) -> UInt32 {
        require(probability >= 0 && probability < 1, "dropout: probability \(probability) is outside [0, 1)")
        return UInt32((probability * 4_294_967_296).rounded(.down))
    }

    /// Calls `body(i, kept)` for i in 0..<count, in order: an element is dropped with probability
    /// `probability` (its 32 random bits, two per draw of `generator`, fall below p·2³²).
    @inline(__always)
    static func forEachDropoutDraw(count: Int, probability: Double, generator: inout RandomGenerator, _ body: (Int, Bool) -> Void) {
        let threshold = UInt64(dropoutThreshold(probability))
        var i = 0
        while i + 1 < count {
            let bits = generator.next()
            body(i, bits & 0xFFFF_FFFF >= threshold)
            body(i + 1, bits >> 32 >= threshold)
            i += 2
        }
        if i < count { body(i, generator.next() & 0xFFFF_FFFF >= threshold) }
    }

    /// Dropout of `count` values through the C kernel: `y[i] = x[i]·(kept ? 1/(1 − p) : 0)`, plus
    /// `residual[i]` when it is not nil, with `keep[i]` 1 or 0 when `keep` is not nil
    /// (``_TensorKernels/_kernelDropout(state:x:residual:y:keep:count:threshold:factor:)``). `y` may
    /// be `x` or `residual`.
    ///
    /// Large tensors are split across threads in parts of an even number of elements: each part
    /// draws from its own copy of `generator` advanced to the part's first draw
    /// (``RandomGenerator/advance(by:)``), so every element gets the bits it gets in one pass.
    static func dropout<T: TensorScalar>(x: UnsafePointer<T>, residual: UnsafePointer<T>? = nil, y: UnsafeMutablePointer<T>,
                                         keep: UnsafeMutablePointer<UInt8>?, count: Int, probability: Double,
                                         generator: inout RandomGenerator) {
        let threshold = dropoutThreshold(probability), factor = T(1 / (1 - probability))
        let draws = (count + 1) / 2
        let start = generator
        var end = generator  // the state after the last draw, left by the part that makes it
        Parallelism.splitting(draws, costPerItem: 2) { firstDraw, drawCount in
            var part = start
            part.advance(by: UInt64(firstDraw))
            let first = 2 * firstDraw, elements = Swift.min(2 * drawCount, count - first)
            part.withStateWords { state in
                T._kernelDropout(state: state, x: x + first, residual: residual.map { $0 + first }, y: y + first,
                                 keep: keep.map { $0 + first }, count: elements, threshold: threshold, factor: factor)
            }
            if firstDraw + drawCount == draws { end = part }
        }
        generator = end
    }

    /// The reference of the dropout kernel, on the draws of
    /// ``forEachDropoutDraw(count:probability:generator:_:)``.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func dropoutLoop<T: TensorScalar>(x: UnsafePointer<T>, residual: UnsafePointer<T>? = nil, y: UnsafeMutablePointer<T>,
                                             keep: UnsafeMutablePointer<UInt8>?, count: Int, probability: Double,
                                             generator: inout RandomGenerator) {
        let factor = T(1 / (1 - probability))
        forEachDropoutDraw(count: count, probability: probability, generator: &generator) { i, kept in
            let dropped = x[i] * (kept ? factor : 0)
            y[i] = residual.map { $0[i] + dropped } ?? dropped
            keep?[i] = kept ? 1 : 0
        }
    }

    /// The reference of the dropout gradient kernel: `dX[i] = dY[i]·(keep[i] != 0 ? factor : 0)`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func dropoutBackwardLoop<T: TensorScalar>(dY: UnsafePointer<T>, keep: UnsafePointer<UInt8>, dX: UnsafeMutablePointer<T>,
                                                     count: Int, factor: T) {
        for i in 0..<count { dX[i] = dY[i] * (keep[i] != 0 ? factor : 0) }
    }
}

/// Channel dropout (PyTorch's `nn.Dropout2d`): in training, each channel of each example, a whole
/// (H, W) plane of an (N, C, H, W) input, is zeroed with probability `p` and the others scaled by
/// 1/(1 − p). Neighbouring pixels are strongly correlated, so dropping them one by one would
/// regularize little. Evaluation is the identity. The mask comes from the layer's own generator.
public final class Dropout2d<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The probability p of zeroing a channel in training.
    public let probability: Double
    /// The generator masks are drawn from (saved in training checkpoints).
    public var generator: RandomGenerator
    public var isTraining = true

    /// A channel-dropout layer with its own generator seeded by `seed`.
    public init(probability: Double = 0.5, seed: UInt64 = 0) {
        Dropout2dDescription(probability: probability).requireValid()
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        require(input.rank == 4, "Dropout2d: input must be (N, C, H, W), shape is \(input.shape)")
        guard isTraining, probability > 0 else { return input }
        return input * dropoutMask([input.shape[0], input.shape[1], 1, 1], probability: probability, using: &generator)
    }

    public var summaryName: String { "Dropout2d(p: \(probability))" }
    public var layerDescription: ModelDescription? { .layer(Dropout2dDescription(probability: probability)) }
}

/// The description of a ``Dropout`` layer; built from a model description, the k-th stochastic
/// layer is seeded with the model's first dropout seed + k.
public struct DropoutDescription: ShapePreservingLayerDescription {
    public static let kind = "dropout"
    public static let defaultFields = #"{"probability":0.5}"#
    /// The probability p of zeroing an element in training, in [0, 1).
    public var probability: Double
    /// A description with drop probability `probability`.
    public init(probability: Double = 0.5) { self.probability = probability }
    public func problem() -> String? {
        probability >= 0 && probability < 1 ? nil : "dropout probability \(probability) is outside [0, 1)"
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Dropout<Scalar>(probability: probability, seed: context.takeSeed())
    }
}

extension ModelDescription {
    /// A ``Dropout`` layer.
    public static func dropout(probability: Double = 0.5) -> ModelDescription { .layer(DropoutDescription(probability: probability)) }
}

/// The description of a ``Dropout2d`` layer, seeded as ``DropoutDescription`` is.
public struct Dropout2dDescription: LayerDescription {
    public static let kind = "dropout2d"
    public static let defaultFields = #"{"probability":0.5}"#
    public static var takesImages: Bool { true }
    /// The probability p of zeroing a channel in training, in [0, 1).
    public var probability: Double
    /// A description with drop probability `probability`.
    public init(probability: Double = 0.5) { self.probability = probability }
    public func problem() -> String? {
        probability >= 0 && probability < 1 ? nil : "Dropout2d probability \(probability) is outside [0, 1)"
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4 else { throw inference.error("Dropout2d takes (N, C, H, W), the input has shape \(shape)") }
        return shape
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Dropout2d<Scalar>(probability: probability, seed: context.takeSeed())
    }
}

extension ModelDescription {
    /// A ``Dropout2d`` layer.
    public static func dropout2d(probability: Double = 0.5) -> ModelDescription { .layer(Dropout2dDescription(probability: probability)) }
}
