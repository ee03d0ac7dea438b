/// A fully connected layer: `y = x·Wᵀ + b`, with `W: (out, in)` stored as in PyTorch.
///
/// The forward pass is one gemm into an output pre-filled with the bias (`beta = 1`), or one gemv
/// for a single row. Backward: dX = dY·W (gemm), dW += dYᵀ·X (gemm, `beta = 1`), db += column
/// sums of dY (gemv against a ones vector). Inputs may have any number of leading axes.
///
/// For a single row (batch 1) the weight gradient dY ⊗ x is kept as its two factors: reading
/// ``Parameter/gradient`` gives the product written out (the factors stay), SGD with momentum
/// updates from the factors in one fused pass over the weight and its momentum buffer, and other
/// optimizers get the written-out gradient. Results are bit-identical either way.
public final class Linear<Scalar: TensorScalar>: Layer {
    /// The weight W, stored (out, in).
    public let weight: Parameter<Scalar>  // (out, in)
    /// The bias b (out), or `nil` for a layer without one.
    public let bias: Parameter<Scalar>?   // (out)
    public var isTraining = true

    /// The size of the last input axis.
    public var inputSize: Int { weight.shape[1] }
    /// The size of the last output axis.
    public var outputSize: Int { weight.shape[0] }

    /// A layer initialized as PyTorch's `nn.Linear`: weight and bias uniform in ±1/√in.
    public convenience init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true, using generator: inout RandomGenerator) {
        let initial = Linear.initialValues(inputSize, outputSize, bias: bias, using: &generator)
        self.init(weight: initial.weight, bias: initial.bias)
    }

    /// A layer initialized from the shared generator (see ``RandomGenerator/seedShared(_:)``).
    public convenience init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true) {
        // Drawn while holding the shared generator, so layers built concurrently never share draws.
        let initial = RandomGenerator.withShared { Linear.initialValues(inputSize, outputSize, bias: bias, using: &$0) }
        self.init(weight: initial.weight, bias: initial.bias)
    }

    private init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
        self.weight = Parameter(weight)
        self.bias = bias.map { Parameter($0) }
    }

    /// Weight (out, in) and bias (out) uniform in ±1/√in, drawn in that order.
    private static func initialValues(
        _ inputSize: Int, _ outputSize: Int, bias: Bool, using generator: inout RandomGenerator
    ) -> (weight: Tensor<Scalar>, bias: Tensor<Scalar>?) {
        LinearDescription(inputSize: inputSize, outputSize: outputSize, bias: bias).requireValid()
        let bound = Scalar(1 / Double(inputSize).squareRoot())
        let weight = Tensor<Scalar>.uniform([outputSize, inputSize], low: -bound, high: bound, using: &generator)
        return (weight, bias ? Tensor.uniform([outputSize], low: -bound, high: bound, using: &generator) : nil)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        linear(input, weight: weight.value, bias: bias?.value)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var summaryName: String { "Linear(\(inputSize) → \(outputSize)\(bias == nil ? ", no bias" : ""))" }

    public var layerDescription: ModelDescription? {
        .layer(LinearDescription(inputSize: inputSize, outputSize: outputSize, bias: bias != nil))
    }
}

/// The description of a ``Linear`` layer.
public struct LinearDescription: LayerDescription {
    public static let kind = "linear"
    public static let defaultFields = #"{"bias":true}"#
    /// The size of the last input axis.
    public var inputSize: Int
    /// The size of the last output axis.
    public var outputSize: Int
    /// Whether the layer adds a bias.
    public var bias: Bool

    /// A description of a layer from `inputSize` to `outputSize` features.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true) {
        (self.inputSize, self.outputSize, self.bias) = (inputSize, outputSize, bias)
    }

    public func problem() -> String? {
        inputSize < 1 || outputSize < 1 ? "Linear sizes must be at least 1, got \(inputSize) → \(outputSize)" : nil
    }

    public var stateCount: Int? { CheckedCount.sum([CheckedCount.product(inputSize, outputSize), bias ? outputSize : 0]) }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count >= 1, shape.last == inputSize else {
            throw inference.error("Linear takes \(inputSize) features, the input has shape \(shape)")
        }
        return shape.dropLast() + [outputSize]
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        Linear<Scalar>(inputSize, outputSize, bias: bias, using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``Linear`` layer.
    public static func linear(inputSize: Int, outputSize: Int, bias: Bool = true) -> ModelDescription {
        .layer(LinearDescription(inputSize: inputSize, outputSize: outputSize, bias: bias))
    }
}

/// `x·Wᵀ + b` for `x: (…, in)`, `weight: (out, in)`, `bias: (out)`, fused into one BLAS call per
/// direction (see ``Linear``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func linear<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil) -> Tensor<Scalar> {
    require(weight.rank == 2, "linear: weight must be (out, in), shape is \(weight.shape)")
    let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
    require(x.rank >= 1 && x.shape.last == inFeatures,
                 "linear: input shape \(x.shape) does not end in the weight's input size (weight \(weight.shape))")
    if let bias {
        require(bias.shape == [outFeatures], "linear: bias shape \(bias.shape) does not match weight \(weight.shape)")
    }
    let rows = x.count / inFeatures
    let outShape = Array(x.shape.dropLast()) + [outFeatures]
    let result = Tensor<Scalar>(uninitializedShape: outShape)
    let y = result.storage.base
    if let bias {
        fillRows(y, rows: rows, with: bias.storage.base, count: outFeatures)
    }
    MatrixProduct.gemm(transposeA: false, transposeB: true, m: rows, n: outFeatures, k: inFeatures,
                       a: x.storage.base, b: weight.storage.base, beta: bias == nil ? 0 : 1, c: y)
    guard isRecordingGradients, x.requiresGradient || weight.requiresGradient || bias?.requiresGradient == true else {
        return result
    }
    let savedX = x.detached, savedW = weight.detached
    return result.recorded("linear", inputs: [x.node, weight.node, bias?.node]) {
        [xNode = x.node, wNode = weight.node, bNode = bias?.node] dY in
        let dOut = dY.storage.base
        xNode?.withGradientBuffer { dX, accumulate in  // dX (rows, in) += dY·W
            MatrixProduct.gemm(transposeA: false, transposeB: false, m: rows, n: inFeatures, k: outFeatures,
                               a: dOut, b: savedW.storage.base, beta: accumulate ? 1 : 0, c: dX)
        }
        if rows == 1 {
            // dW (out, in) += dY ⊗ x, kept as its two factors by a leaf weight; db (out) += dY.
            wNode?.accumulateOuterProduct(column: dY.storage, row: savedX.storage)
            bNode?.accumulate(Tensor(storage: dY.storage, shape: [outFeatures]))
            return
        }
        wNode?.withGradientBuffer { dW, accumulate in  // dW (out, in) += dYᵀ·X
            MatrixProduct.gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: rows,
                               a: dOut, b: savedX.storage.base, beta: accumulate ? 1 : 0, c: dW)
        }
        bNode?.withGradientBuffer { db, accumulate in  // db (out) += dYᵀ·1
            Tensor<Scalar>(filledWith: 1, shape: [rows]).withUnsafeBufferPointer { ones in  // a gemv: one column
                MatrixProduct.gemm(transposeA: true, transposeB: false, m: outFeatures, n: 1, k: rows,
                                   a: dOut, b: ones.baseAddress!, beta: accumulate ? 1 : 0, c: db)
            }
        }
    }
}

/// Writes `row` (`count` scalars) into each of `rows` consecutive rows at `destination`: the first
/// row once, then the filled part doubled by one copy at a time, so a batch of 128 takes 8 copies
/// instead of 128 short ones.
func fillRows<Scalar: TensorScalar>(
    _ destination: UnsafeMutablePointer<Scalar>, rows: Int, with row: UnsafePointer<Scalar>, count: Int
) {
    guard rows > 0 else { return }
    copyScalars(to: destination, from: row, count: count)
    var filled = 1
    while filled < rows {
        let copied = Swift.min(filled, rows - filled)
        copyScalars(to: destination + filled * count, from: destination, count: copied * count)
        filled += copied
    }
}
