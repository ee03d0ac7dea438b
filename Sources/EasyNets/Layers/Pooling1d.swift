// 1-D pooling over (N, C, L) or unbatched (C, L) input: the 2-D pooling loops over (N, C, 1, L),
// as PyTorch computes `max_pool1d` and `avg_pool1d`.

/// 1-D max pooling (PyTorch's `max_pool1d`) of `x: (N, C, L)` or unbatched `(C, L)`: each output is
/// the largest input in its window of `kernelSize` taps `dilation` apart, with implicit −∞ padding.
/// NaN and ties follow ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)``, which runs the
/// same loops with a height of 1. `stride` defaults to the kernel size.
public func maxPool1d<Scalar>(
    _ x: Tensor<Scalar>, kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false
) -> Tensor<Scalar> {
    let w = pooling1dAxis(op: "maxPool1d", input: x.shape, kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding,
                          dilation: dilation, ceilMode: ceilMode)
    return withBatchAxis(x, unbatchedRank: 2) { x in
        let (n, c) = (x.shape[0], x.shape[1])
        return maxPool(x.reshaped(to: [n, c, 1, w.input]), height: .single, width: w, op: "maxPool1d").reshaped(to: [n, c, w.output])
    }
}

/// 1-D average pooling (PyTorch's `avg_pool1d`) of `x: (N, C, L)` or unbatched `(C, L)`. With
/// `countIncludePad` the divisor counts the zero padding a window covers (not what `ceilMode` adds
/// beyond it). `stride` defaults to the kernel size.
public func avgPool1d<Scalar>(
    _ x: Tensor<Scalar>, kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true
) -> Tensor<Scalar> {
    let w = pooling1dAxis(op: "avgPool1d", input: x.shape, kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding,
                          dilation: 1, ceilMode: ceilMode)
    return withBatchAxis(x, unbatchedRank: 2) { x in
        let (n, c) = (x.shape[0], x.shape[1])
        return averagePool(x.reshaped(to: [n, c, 1, w.input]), rows: WindowAxis.single.averageWindows, columns: w.averageWindows,
                           op: "avgPool1d") { _, column in
            Double(countIncludePad ? column.paddedCount : column.count)
        }.reshaped(to: [n, c, w.output])
    }
}

/// Adaptive 1-D average pooling (PyTorch's `adaptive_avg_pool1d`): the (N, C, L) or unbatched
/// (C, L) input averaged into `outputSize` cells, cell i spanning inputs
/// ⌊i·L/outputSize⌋ ..< ⌈(i+1)·L/outputSize⌉.
public func adaptiveAvgPool1d<Scalar>(_ x: Tensor<Scalar>, outputSize: Int) -> Tensor<Scalar> {
    require((x.rank == 3 || x.rank == 2) && x.shape.last! >= 1,
            "adaptiveAvgPool1d: input must be (N, C, L) or (C, L) with L ≥ 1, shape is \(x.shape)")
    require(outputSize >= 1, "adaptiveAvgPool1d: outputSize must be at least 1, got \(outputSize)")
    return withBatchAxis(x, unbatchedRank: 2) { x in
        let (n, c, length) = (x.shape[0], x.shape[1], x.shape[2])
        return averagePool(x.reshaped(to: [n, c, 1, length]), rows: WindowAxis.single.averageWindows,
                           columns: adaptiveWindows(input: length, output: outputSize), op: "adaptiveAvgPool1d") { _, column in
            Double(column.count)
        }.reshaped(to: [n, c, outputSize])
    }
}

extension WindowAxis {
    /// The height axis of a 1-D pooling seen as a 2-D one: one row, one tap.
    static let single = WindowAxis(input: 1, kernel: 1, stride: 1, dilation: 1, padBefore: 0, output: 1)
}

/// Checks a 1-D pooling's options against an (N, C, L) or (C, L) input, naming `op` and the shapes,
/// and returns its window axis over L.
func pooling1dAxis(op: String, input: [Int], kernelSize: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool) -> WindowAxis {
    require(input.count == 3 || input.count == 2, "\(op): input must be (N, C, L) or (C, L), shape is \(input)")
    require(kernelSize >= 1, "\(op): kernelSize must be at least 1, got \(kernelSize)")
    require(stride >= 1, "\(op): stride must be at least 1, got \(stride)")
    require(dilation >= 1, "\(op): dilation must be at least 1, got \(dilation)")
    require(padding >= 0 && padding * 2 <= kernelSize, "\(op): padding must be from 0 to half the kernel (\(kernelSize)), got \(padding)")
    guard let axis = WindowAxis.make(input: input.last!, kernel: kernelSize, stride: stride, dilation: dilation, padBefore: padding,
                                     padAfter: padding, ceilMode: ceilMode) else {
        programmerError("\(op): kernel \(kernelSize) (dilation \(dilation)) is larger than the padded input \(input) (padding \(padding))")
    }
    return axis
}

/// ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)`` as a layer (PyTorch's `nn.MaxPool1d`).
public final class MaxPool1d<Scalar: TensorScalar>: Layer {
    /// The window's length in taps.
    public let kernelSize: Int
    /// The step between windows (default: the kernel size).
    public let stride: Int
    /// The implicit −∞ padding on each side, at most half the kernel.
    public let padding: Int
    /// The spacing of the window's taps.
    public let dilation: Int
    /// Whether the output count rounds up.
    public let ceilMode: Bool
    public var isTraining = true

    /// Max pooling with windows of `kernelSize` taps; `stride` defaults to the kernel size.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        MaxPool1dDescription(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode).requireValid()
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        (self.dilation, self.ceilMode) = (dilation, ceilMode)
    }

    /// Pools (N, C, L) or unbatched (C, L) input.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        maxPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public var summaryName: String { "MaxPool1d(\(kernelSize), stride \(stride))" }

    public var layerDescription: ModelDescription? {
        .layer(MaxPool1dDescription(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode))
    }
}

/// ``avgPool1d(_:kernelSize:stride:padding:ceilMode:countIncludePad:)`` as a layer (PyTorch's `nn.AvgPool1d`).
public final class AvgPool1d<Scalar: TensorScalar>: Layer {
    /// The window's length.
    public let kernelSize: Int
    /// The step between windows (default: the kernel size).
    public let stride: Int
    /// The zero padding on each side, at most half the kernel.
    public let padding: Int
    /// Whether the output count rounds up.
    public let ceilMode: Bool
    /// Whether the divisor counts the padding a window covers.
    public let countIncludePad: Bool
    public var isTraining = true

    /// Average pooling with windows of `kernelSize`; `stride` defaults to the kernel size.
    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        AvgPool1dDescription(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                             countIncludePad: countIncludePad).requireValid()
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        (self.ceilMode, self.countIncludePad) = (ceilMode, countIncludePad)
    }

    /// Pools (N, C, L) or unbatched (C, L) input.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        avgPool1d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }

    public var summaryName: String { "AvgPool1d(\(kernelSize), stride \(stride))" }

    public var layerDescription: ModelDescription? {
        .layer(AvgPool1dDescription(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                                    countIncludePad: countIncludePad))
    }
}

/// ``adaptiveAvgPool1d(_:outputSize:)`` as a layer (PyTorch's `nn.AdaptiveAvgPool1d`).
public final class AdaptiveAvgPool1d<Scalar: TensorScalar>: Layer {
    /// The output's length.
    public let outputSize: Int
    public var isTraining = true

    /// Pools any length to `outputSize`; 1 is global average pooling.
    public init(outputSize: Int) {
        AdaptiveAvgPool1dDescription(outputSize: outputSize).requireValid()
        self.outputSize = outputSize
    }

    /// Pools (N, C, L) or unbatched (C, L) input.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { adaptiveAvgPool1d(input, outputSize: outputSize) }

    public var summaryName: String { "AdaptiveAvgPool1d(\(outputSize))" }

    public var layerDescription: ModelDescription? { .layer(AdaptiveAvgPool1dDescription(outputSize: outputSize)) }
}

/// The description of a ``MaxPool1d`` layer.
public struct MaxPool1dDescription: LayerDescription {
    public static let kind = "maxPool1d"
    public static let defaultFields = #"{"stride":{"sameAs":"kernelSize"},"padding":0,"dilation":1,"ceilMode":false}"#
    /// The window's length in taps, in 1...``maximumWindowExtent``.
    public var kernelSize: Int
    /// The step between windows, in 1...``maximumWindowExtent``.
    public var stride: Int
    /// The −∞ padding on each side, from 0 to half the kernel.
    public var padding: Int
    /// The spacing of the window's taps, in 1...``maximumWindowExtent``.
    public var dilation: Int
    /// Whether the output count rounds up.
    public var ceilMode: Bool

    /// A description of 1-D max pooling; `stride` defaults to the kernel size.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1, ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, dilation, ceilMode)
    }

    public func problem() -> String? {
        pooling1dProblem("MaxPool1d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try pooling1dShape("MaxPool1d", shape, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                           ceilMode: ceilMode, inference: inference)
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        MaxPool1d<Scalar>(kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

extension ModelDescription {
    /// A ``MaxPool1d`` layer; `stride` defaults to the kernel size.
    public static func maxPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1,
                                 ceilMode: Bool = false) -> ModelDescription {
        .layer(MaxPool1dDescription(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode))
    }
}

/// The description of an ``AvgPool1d`` layer.
public struct AvgPool1dDescription: LayerDescription {
    public static let kind = "avgPool1d"
    public static let defaultFields = #"{"stride":{"sameAs":"kernelSize"},"padding":0,"ceilMode":false,"countIncludePad":true}"#
    /// The window's length, in 1...``maximumWindowExtent``.
    public var kernelSize: Int
    /// The step between windows, in 1...``maximumWindowExtent``.
    public var stride: Int
    /// The zero padding on each side, from 0 to half the kernel.
    public var padding: Int
    /// Whether the output count rounds up.
    public var ceilMode: Bool
    /// Whether the divisor counts the padding a window covers.
    public var countIncludePad: Bool

    /// A description of 1-D average pooling; `stride` defaults to the kernel size.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernelSize, self.stride, self.padding) = (kernelSize, stride ?? kernelSize, padding)
        (self.ceilMode, self.countIncludePad) = (ceilMode, countIncludePad)
    }

    public func problem() -> String? {
        pooling1dProblem("AvgPool1d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: 1)
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try pooling1dShape("AvgPool1d", shape, kernelSize: kernelSize, stride: stride, padding: padding, dilation: 1, ceilMode: ceilMode,
                           inference: inference)
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        AvgPool1d<Scalar>(kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}

extension ModelDescription {
    /// An ``AvgPool1d`` layer; `stride` defaults to the kernel size.
    public static func avgPool1d(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                                 countIncludePad: Bool = true) -> ModelDescription {
        .layer(AvgPool1dDescription(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                                    countIncludePad: countIncludePad))
    }
}

/// The description of an ``AdaptiveAvgPool1d`` layer.
public struct AdaptiveAvgPool1dDescription: LayerDescription {
    public static let kind = "adaptiveAvgPool1d"
    /// The output's length, in 1...``maximumWindowExtent``.
    public var outputSize: Int
    /// A description pooling any length to `outputSize`.
    public init(outputSize: Int) { self.outputSize = outputSize }
    public func problem() -> String? {
        (1...maximumWindowExtent).contains(outputSize) ? nil
            : "AdaptiveAvgPool1d's outputSize must be in 1...\(maximumWindowExtent), got \(outputSize)"
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 3, shape[2] >= 1 else {
            throw inference.error("AdaptiveAvgPool1d takes (N, C, L) with L ≥ 1, the input has shape \(shape)")
        }
        return Array(shape[..<2]) + [outputSize]
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        AdaptiveAvgPool1d<Scalar>(outputSize: outputSize)
    }
}

extension ModelDescription {
    /// An ``AdaptiveAvgPool1d`` layer.
    public static func adaptiveAvgPool1d(outputSize: Int) -> ModelDescription { .layer(AdaptiveAvgPool1dDescription(outputSize: outputSize)) }
}

/// The window rules of the 1-D poolings: kernel, stride and dilation in 1...``maximumWindowExtent``,
/// padding from 0 to half the kernel.
private func pooling1dProblem(_ kind: String, kernelSize: Int, stride: Int, padding: Int, dilation: Int) -> String? {
    let extent = 1...maximumWindowExtent
    for (name, value) in [("kernelSize", kernelSize), ("stride", stride), ("dilation", dilation)] where !extent.contains(value) {
        return "\(kind)'s \(name) must be in 1...\(maximumWindowExtent), got \(value)"
    }
    guard padding >= 0 && padding * 2 <= kernelSize else {
        return "\(kind)'s padding must be from 0 to half the kernel \(kernelSize), got \(padding)"
    }
    return nil
}

/// A 1-D pooling's (N, C, Lo) output for (N, C, L) input.
private func pooling1dShape(
    _ kind: String, _ shape: [Int], kernelSize: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool, inference: ShapeInference
) throws -> [Int] {
    guard shape.count == 3 else { throw inference.error("\(kind) takes (N, C, L), the input has shape \(shape)") }
    return Array(shape[..<2]) + (try spatialOutput(kind, shape, kernelSize: [kernelSize], stride: [stride], dilation: [dilation],
                                                   pads: [(padding, padding)], ceilMode: ceilMode, inference: inference))
}
