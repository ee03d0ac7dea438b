/// 2-D max pooling (PyTorch's `max_pool2d`) of `x: (N, C, H, W)`: each output is the largest input
/// in its window, with implicit −∞ padding. A NaN in a window is its maximum (the last NaN wins),
/// as in PyTorch; among equal values the first in row-major order wins. Backward routes each output's gradient to
/// the input position that won.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func maxPool2d<Scalar>(
    _ x: Tensor<Scalar>, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], dilation: [Int] = [1, 1],
    ceilMode: Bool = false
) -> Tensor<Scalar> {
    let (h, w) = poolingAxes(op: "maxPool2d", input: x.shape, kernelSize: kernelSize, stride: stride, padding: padding,
                             dilation: dilation, ceilMode: ceilMode)
    let planes = x.shape[0] * x.shape[1]
    let result = Tensor<Scalar>(uninitializedShape: [x.shape[0], x.shape[1], h.output, w.output])
    let outputPlane = h.output * w.output, inputPlane = h.input * w.input
    var winners = [Int32](repeating: 0, count: planes * outputPlane)  // the position in its input plane
    let y = result.storage.base, source = x.storage.base
    winners.withUnsafeMutableBufferPointer { winners in
        for plane in 0..<planes {
            let input = source + plane * inputPlane
            for oh in 0..<h.output {
                for ow in 0..<w.output {
                    var best = -Scalar.infinity, winner = -1
                    for i in 0..<h.kernel {
                        let ih = oh * h.stride - h.padBefore + i * h.dilation
                        guard ih >= 0 && ih < h.input else { continue }
                        for j in 0..<w.kernel {
                            let iw = ow * w.stride - w.padBefore + j * w.dilation
                            guard iw >= 0 && iw < w.input else { continue }
                            let value = input[ih * w.input + iw]
                            if winner < 0 || value > best || value.isNaN {
                                best = value
                                winner = ih * w.input + iw
                            }
                        }
                    }
                    let index = plane * outputPlane + oh * w.output + ow
                    y[index] = best
                    winners[index] = Int32(Swift.max(winner, 0))
                }
            }
        }
    }
    guard isRecordingGradients, x.requiresGradient else { return result }
    return result.recorded("maxPool2d", inputs: [x.node]) { [xNode = x.node] dY in
        xNode?.withGradientBuffer { dX, accumulate in
            if !accumulate { zeroFill(dX, count: planes * inputPlane) }
            let dOut = dY.storage.base
            for plane in 0..<planes {
                for p in 0..<outputPlane {
                    dX[plane * inputPlane + Int(winners[plane * outputPlane + p])] += dOut[plane * outputPlane + p]
                }
            }
        }
    }
}

/// 2-D average pooling (PyTorch's `avg_pool2d`) of `x: (N, C, H, W)`. With `countIncludePad` the
/// divisor counts the zero padding a window covers (not what `ceilMode` adds beyond it);
/// `divisorOverride` replaces the divisor.
public func avgPool2d<Scalar>(
    _ x: Tensor<Scalar>, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], ceilMode: Bool = false,
    countIncludePad: Bool = true, divisorOverride: Int? = nil
) -> Tensor<Scalar> {
    let (h, w) = poolingAxes(op: "avgPool2d", input: x.shape, kernelSize: kernelSize, stride: stride, padding: padding,
                             dilation: [1, 1], ceilMode: ceilMode)
    if let divisorOverride { require(divisorOverride != 0, "avgPool2d: divisorOverride must not be 0") }
    func windows(_ axis: WindowAxis) -> [AverageWindow] {
        (0..<axis.output).map { o in
            let start = o * axis.stride - axis.padBefore
            let paddedEnd = Swift.min(start + axis.kernel, axis.input + axis.padBefore)
            return AverageWindow(start: Swift.max(start, 0), end: Swift.min(paddedEnd, axis.input), paddedCount: paddedEnd - start)
        }
    }
    return averagePool(x, rows: windows(h), columns: windows(w), op: "avgPool2d") { row, column in
        if let divisorOverride { return Double(divisorOverride) }
        return Double(countIncludePad ? row.paddedCount * column.paddedCount : row.count * column.count)
    }
}

/// Adaptive 2-D average pooling (PyTorch's `adaptive_avg_pool2d`): the (N, C, H, W) input averaged
/// into an (N, C, oh, ow) grid, output cell i spanning inputs ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉.
/// `outputSize` [1, 1] is global average pooling.
public func adaptiveAvgPool2d<Scalar>(_ x: Tensor<Scalar>, outputSize: [Int]) -> Tensor<Scalar> {
    require(x.rank == 4, "adaptiveAvgPool2d: input must be (N, C, H, W), shape is \(x.shape)")
    require(outputSize.count == 2 && outputSize.allSatisfy { $0 >= 1 },
            "adaptiveAvgPool2d: outputSize must be two values ≥ 1, got \(outputSize)")
    require(x.shape[2] >= 1 && x.shape[3] >= 1, "adaptiveAvgPool2d: input shape \(x.shape) has an empty plane")
    func windows(input: Int, output: Int) -> [AverageWindow] {
        (0..<output).map { i in
            let start = i * input / output, end = ((i + 1) * input + output - 1) / output
            return AverageWindow(start: start, end: end, paddedCount: end - start)
        }
    }
    return averagePool(x, rows: windows(input: x.shape[2], output: outputSize[0]),
                       columns: windows(input: x.shape[3], output: outputSize[1]), op: "adaptiveAvgPool2d") { row, column in
        Double(row.count * column.count)
    }
}

/// One output position's span along an axis: inputs `start..<end`, `paddedCount` with padding.
struct AverageWindow {
    var start: Int
    var end: Int
    var paddedCount: Int
    var count: Int { Swift.max(end - start, 0) }
}

/// Averages each (row window × column window) of every plane, dividing by `divisor(row, column)`;
/// an empty window gives 0. Backward spreads each output's gradient evenly over its window.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func averagePool<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, rows: [AverageWindow], columns: [AverageWindow], op: String,
    divisor: (AverageWindow, AverageWindow) -> Double
) -> Tensor<Scalar> {
    let planes = x.shape[0] * x.shape[1], (height, width) = (x.shape[2], x.shape[3])
    let inputPlane = height * width, outputPlane = rows.count * columns.count
    var scales = [Scalar](repeating: 0, count: outputPlane)
    for (r, row) in rows.enumerated() {
        for (c, column) in columns.enumerated() where row.count > 0 && column.count > 0 {
            scales[r * columns.count + c] = Scalar(1 / divisor(row, column))
        }
    }
    let result = Tensor<Scalar>(uninitializedShape: [x.shape[0], x.shape[1], rows.count, columns.count])
    let y = result.storage.base, source = x.storage.base
    for plane in 0..<planes {
        let input = source + plane * inputPlane
        for (r, row) in rows.enumerated() {
            for (c, column) in columns.enumerated() {
                var total: Scalar = 0
                for ih in row.start..<Swift.max(row.end, row.start) {
                    for iw in column.start..<Swift.max(column.end, column.start) { total += input[ih * width + iw] }
                }
                y[plane * outputPlane + r * columns.count + c] = total * scales[r * columns.count + c]
            }
        }
    }
    guard isRecordingGradients, x.requiresGradient else { return result }
    return result.recorded(op, inputs: [x.node]) { [xNode = x.node] dY in
        xNode?.withGradientBuffer { dX, accumulate in
            if !accumulate { zeroFill(dX, count: planes * inputPlane) }
            let dOut = dY.storage.base
            for plane in 0..<planes {
                let target = dX + plane * inputPlane
                for (r, row) in rows.enumerated() {
                    for (c, column) in columns.enumerated() {
                        let share = dOut[plane * outputPlane + r * columns.count + c] * scales[r * columns.count + c]
                        for ih in row.start..<Swift.max(row.end, row.start) {
                            for iw in column.start..<Swift.max(column.end, column.start) { target[ih * width + iw] += share }
                        }
                    }
                }
            }
        }
    }
}

/// Checks a pooling window's options against an (N, C, H, W) input, naming `op` and the shapes.
func poolingAxes(
    op: String, input: [Int], kernelSize: [Int], stride: [Int]?, padding: [Int], dilation: [Int], ceilMode: Bool
) -> (height: WindowAxis, width: WindowAxis) {
    require(input.count == 4, "\(op): input must be (N, C, H, W), shape is \(input)")
    require(kernelSize.count == 2 && kernelSize.allSatisfy { $0 >= 1 }, "\(op): kernelSize must be two values ≥ 1, got \(kernelSize)")
    let stride = stride ?? kernelSize
    require(stride.count == 2 && stride.allSatisfy { $0 >= 1 }, "\(op): stride must be two values ≥ 1, got \(stride)")
    require(dilation.count == 2 && dilation.allSatisfy { $0 >= 1 }, "\(op): dilation must be two values ≥ 1, got \(dilation)")
    require(padding.count == 2 && padding.allSatisfy { $0 >= 0 } && zip(padding, kernelSize).allSatisfy { $0 * 2 <= $1 },
            "\(op): padding must be two values from 0 to half the kernel (\(kernelSize)), got \(padding)")
    guard let height = WindowAxis.make(input: input[2], kernel: kernelSize[0], stride: stride[0], dilation: dilation[0],
                                       padBefore: padding[0], padAfter: padding[0], ceilMode: ceilMode),
          let width = WindowAxis.make(input: input[3], kernel: kernelSize[1], stride: stride[1], dilation: dilation[1],
                                      padBefore: padding[1], padAfter: padding[1], ceilMode: ceilMode) else {
        programmerError("\(op): kernel \(kernelSize) (dilation \(dilation)) is larger than the padded input \(input) (padding \(padding))")
    }
    return (height, width)
}

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
}

/// ``adaptiveAvgPool2d(_:outputSize:)`` as a layer (PyTorch's `nn.AdaptiveAvgPool2d`).
public final class AdaptiveAvgPool2d<Scalar: TensorScalar>: Layer {
    /// The output's height and width.
    public let outputSize: [Int]
    public var isTraining = true

    /// Pools any input plane to `outputSize`; `[1, 1]` is global average pooling.
    public init(outputSize: [Int]) { self.outputSize = outputSize }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { adaptiveAvgPool2d(input, outputSize: outputSize) }

    public var summaryName: String { "AdaptiveAvgPool2d(\(outputSize.map(String.init).joined(separator: "×")))" }
}
