/// ``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)`` as a layer (PyTorch's `nn.MaxPool2d`).
public final class MaxPool2d<Scalar: TensorScalar>: Layer {
    /// The window's height and width.
    public let kernelSize: [Int]
    /// The step between windows (default: the kernel size).
    public let stride: [Int]
    /// The implicit −∞ padding on each side, at most half the kernel.
    public let padding: [Int]
    /// The spacing of the window's taps.
    public let dilation: [Int]
    /// Whether the output count rounds up.
    public let ceilMode: Bool
    public var isTraining = true

    /// Max pooling with the given window; `stride` defaults to the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], dilation: [Int] = [1, 1], ceilMode: Bool = false) {
        MaxPool2dDescription(kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, dilation: dilation,
                             ceilMode: ceilMode).requireValid()
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.dilation = dilation
        self.ceilMode = ceilMode
    }

    /// Square max pooling: `MaxPool2d(2)` halves height and width.
    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: [kernelSize, kernelSize], stride: stride.map { [$0, $0] }, padding: [padding, padding])
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }

    public var summaryName: String { "MaxPool2d(\(kernelSize.map(String.init).joined(separator: "×")), stride \(stride))" }

    public var layerDescription: ModelDescription? {
        .layer(MaxPool2dDescription(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode))
    }
}

/// ``avgPool2d(_:kernelSize:stride:padding:ceilMode:countIncludePad:divisorOverride:)`` as a layer
/// (PyTorch's `nn.AvgPool2d`).
public final class AvgPool2d<Scalar: TensorScalar>: Layer {
    /// The window's height and width.
    public let kernelSize: [Int]
    /// The step between windows (default: the kernel size).
    public let stride: [Int]
    /// The zero padding on each side, at most half the kernel.
    public let padding: [Int]
    /// Whether the output count rounds up.
    public let ceilMode: Bool
    /// Whether the divisor counts the padding a window covers.
    public let countIncludePad: Bool
    /// A divisor that replaces the window's count.
    public let divisorOverride: Int?
    public var isTraining = true

    /// Average pooling with the given window; `stride` defaults to the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        AvgPool2dDescription(kernelSize: kernelSize, stride: stride ?? kernelSize, padding: padding, ceilMode: ceilMode,
                             countIncludePad: countIncludePad, divisorOverride: divisorOverride).requireValid()
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.divisorOverride = divisorOverride
    }

    /// Square average pooling.
    public convenience init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.init(kernelSize: [kernelSize, kernelSize], stride: stride.map { [$0, $0] }, padding: [padding, padding])
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                  countIncludePad: countIncludePad, divisorOverride: divisorOverride)
    }

    public var summaryName: String { "AvgPool2d(\(kernelSize.map(String.init).joined(separator: "×")), stride \(stride))" }

    public var layerDescription: ModelDescription? {
        .layer(AvgPool2dDescription(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                                    countIncludePad: countIncludePad, divisorOverride: divisorOverride))
    }
}

/// ``adaptiveAvgPool2d(_:outputSize:)`` as a layer (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d<Scalar: TensorScalar>: Layer {
    /// The output's height and width.
    public let outputSize: [Int]
    public var isTraining = true

    /// Pools any input plane to `outputSize`; `[1, 1]` is global average pooling.
    public init(outputSize: [Int]) {
        AdaptiveAvgPool2dDescription(outputSize: outputSize).requireValid()
        self.outputSize = outputSize
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { adaptiveAvgPool2d(input, outputSize: outputSize) }

    public var summaryName: String { "AdaptiveAvgPool2d(\(outputSize.map(String.init).joined(separator: "×")))" }

    public var layerDescription: ModelDescription? { .layer(AdaptiveAvgPool2dDescription(outputSize: outputSize)) }
}

/// The description of a ``MaxPool2d`` layer.
public struct MaxPool2dDescription: LayerDescription {
    public static let kind = "maxPool2d"
    public static let defaultFields = #"{"stride":{"sameAs":"kernelSize"},"padding":[0,0],"dilation":[1,1],"ceilMode":false}"#
    public static var takesImages: Bool { true }
    /// The window's height and width, each in 1...``maximumWindowExtent``.
    public var kernelSize: [Int]
    /// The step between windows, two values in 1...``maximumWindowExtent``.
    public var stride: [Int]
    /// The −∞ padding on each side, from 0 to half the kernel.
    public var padding: [Int]
    /// The spacing of the window's taps, two values in 1...``maximumWindowExtent``.
    public var dilation: [Int]
    /// Whether the output count rounds up.
    public var ceilMode: Bool

    /// A description of max pooling; `stride` defaults to the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], dilation: [Int] = [1, 1], ceilMode: Bool = false) {
        (self.kernelSize, self.stride, self.padding, self.dilation, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, dilation, ceilMode)
    }

    public func problem() -> String? {
        poolingProblem("MaxPool2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation)
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try poolingShape("MaxPool2d", shape, kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation,
                         ceilMode: ceilMode, inference: inference)
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        MaxPool2d<Scalar>(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode)
    }
}

extension ModelDescription {
    /// A ``MaxPool2d`` layer; `stride` defaults to the kernel size.
    public static func maxPool2d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], dilation: [Int] = [1, 1],
                                 ceilMode: Bool = false) -> ModelDescription {
        .layer(MaxPool2dDescription(kernelSize: kernelSize, stride: stride, padding: padding, dilation: dilation, ceilMode: ceilMode))
    }
}

/// The description of an ``AvgPool2d`` layer.
public struct AvgPool2dDescription: LayerDescription {
    public static let kind = "avgPool2d"
    public static let defaultFields = #"{"stride":{"sameAs":"kernelSize"},"padding":[0,0],"ceilMode":false,"countIncludePad":true,"divisorOverride":null}"#
    public static var takesImages: Bool { true }
    /// The window's height and width, each in 1...``maximumWindowExtent``.
    public var kernelSize: [Int]
    /// The step between windows, two values in 1...``maximumWindowExtent``.
    public var stride: [Int]
    /// The zero padding on each side, from 0 to half the kernel.
    public var padding: [Int]
    /// Whether the output count rounds up.
    public var ceilMode: Bool
    /// Whether the divisor counts the padding a window covers.
    public var countIncludePad: Bool
    /// A divisor that replaces the window's count; not 0.
    public var divisorOverride: Int?

    /// A description of average pooling; `stride` defaults to the kernel size.
    public init(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], ceilMode: Bool = false, countIncludePad: Bool = true,
                divisorOverride: Int? = nil) {
        (self.kernelSize, self.stride, self.padding, self.ceilMode) = (kernelSize, stride ?? kernelSize, padding, ceilMode)
        (self.countIncludePad, self.divisorOverride) = (countIncludePad, divisorOverride)
    }

    public func problem() -> String? {
        if divisorOverride == 0 { return "AvgPool2d's divisorOverride must not be 0" }
        return poolingProblem("AvgPool2d", kernelSize: kernelSize, stride: stride, padding: padding, dilation: [1, 1])
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        try poolingShape("AvgPool2d", shape, kernelSize: kernelSize, stride: stride, padding: padding, dilation: [1, 1],
                         ceilMode: ceilMode, inference: inference)
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        AvgPool2d<Scalar>(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad,
                          divisorOverride: divisorOverride)
    }
}

extension ModelDescription {
    /// An ``AvgPool2d`` layer; `stride` defaults to the kernel size.
    public static func avgPool2d(kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], ceilMode: Bool = false,
                                 countIncludePad: Bool = true, divisorOverride: Int? = nil) -> ModelDescription {
        .layer(AvgPool2dDescription(kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                                    countIncludePad: countIncludePad, divisorOverride: divisorOverride))
    }
}

/// The description of an ``AdaptiveAvgPool2d`` layer.
public struct AdaptiveAvgPool2dDescription: LayerDescription {
    public static let kind = "adaptiveAvgPool2d"
    public static var takesImages: Bool { true }
    /// The output's height and width, each in 1...``maximumWindowExtent``.
    public var outputSize: [Int]
    /// A description pooling any plane to `outputSize`.
    public init(outputSize: [Int]) { self.outputSize = outputSize }
    public func problem() -> String? {
        outputSize.count == 2 && outputSize.allSatisfy({ (1...maximumWindowExtent).contains($0) }) ? nil
            : "AdaptiveAvgPool2d's outputSize must be two values in 1...\(maximumWindowExtent), got \(outputSize)"
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4, shape[2] >= 1, shape[3] >= 1 else {
            throw inference.error("AdaptiveAvgPool2d takes (N, C, H, W) with H, W ≥ 1, the input has shape \(shape)")
        }
        return Array(shape[..<2]) + outputSize
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        AdaptiveAvgPool2d<Scalar>(outputSize: outputSize)
    }
}

extension ModelDescription {
    /// An ``AdaptiveAvgPool2d`` layer.
    public static func adaptiveAvgPool2d(outputSize: [Int]) -> ModelDescription { .layer(AdaptiveAvgPool2dDescription(outputSize: outputSize)) }
}

/// The window rules of both poolings: kernel, stride and dilation two values in
/// 1...``maximumWindowExtent``, padding from 0 to half the kernel.
private func poolingProblem(_ kind: String, kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int]) -> String? {
    let extent = 1...maximumWindowExtent
    for (name, values) in [("kernelSize", kernelSize), ("stride", stride), ("dilation", dilation)]
    where values.count != 2 || !values.allSatisfy(extent.contains) {
        return "\(kind)'s \(name) must be two values in 1...\(maximumWindowExtent), got \(values)"
    }
    guard padding.count == 2, zip(padding, kernelSize).allSatisfy({ $0 >= 0 && $0 * 2 <= $1 }) else {
        return "\(kind)'s padding must be two values from 0 to half the kernel \(kernelSize), got \(padding)"
    }
    return nil
}

/// A pooling's (N, C, Ho, Wo) output for (N, C, H, W) input.
private func poolingShape(
    _ kind: String, _ shape: [Int], kernelSize: [Int], stride: [Int], padding: [Int], dilation: [Int], ceilMode: Bool,
    inference: ShapeInference
) throws -> [Int] {
    guard shape.count == 4 else { throw inference.error("\(kind) takes (N, C, H, W), the input has shape \(shape)") }
    return Array(shape[..<2]) + (try spatialOutput(kind, shape, kernelSize: kernelSize, stride: stride, dilation: dilation,
                                                   pads: padding.map { ($0, $0) }, ceilMode: ceilMode, inference: inference))
}
