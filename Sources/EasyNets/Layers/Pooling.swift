/// 2-D max pooling (PyTorch's `max_pool2d`) of `x: (N, C, H, W)` or unbatched `(C, H, W)`: each
/// output is the largest input in its window, with implicit −∞ padding. A NaN in a window is its
/// maximum (the last NaN wins), as in PyTorch; among equal values the first in row-major order
/// wins. Backward routes each output's gradient to the input position that won.
public func maxPool2d<Scalar>(
    _ x: Tensor<Scalar>, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], dilation: [Int] = [1, 1],
    ceilMode: Bool = false
) -> Tensor<Scalar> {
    withBatchAxis(x, unbatchedRank: 3) { x in
        let (h, w) = poolingAxes(op: "maxPool2d", input: x.shape, kernelSize: kernelSize, stride: stride, padding: padding,
                                 dilation: dilation, ceilMode: ceilMode)
        return maxPool(x, height: h, width: w, op: "maxPool2d")
    }
}

/// Runs `body` on `x`, given a batch axis of 1 when `x` has `unbatchedRank` axes (PyTorch's
/// unbatched input), and removes that axis from the result again.
func withBatchAxis<Scalar: TensorScalar>(
    _ x: Tensor<Scalar>, unbatchedRank: Int, _ body: (Tensor<Scalar>) -> Tensor<Scalar>
) -> Tensor<Scalar> {
    guard x.rank == unbatchedRank else { return body(x) }
    let y = body(x.reshaped(to: [1] + x.shape))
    return y.reshaped(to: Array(y.shape.dropFirst()))
}

/// Max pooling of `x: (N, C, H, W)` over checked window axes: the loops behind every max pooling
/// with a fixed window (``maxPool2d(_:kernelSize:stride:padding:dilation:ceilMode:)``, and
/// ``maxPool1d(_:kernelSize:stride:padding:dilation:ceilMode:)`` with a height of 1).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func maxPool<Scalar: TensorScalar>(_ x: Tensor<Scalar>, height h: WindowAxis, width w: WindowAxis, op: String) -> Tensor<Scalar> {
    let planes = x.shape[0] * x.shape[1]
    let result = Tensor<Scalar>(uninitializedShape: [x.shape[0], x.shape[1], h.output, w.output])
    let outputPlane = h.output * w.output, inputPlane = h.input * w.input
    let winnerStorage = PoolWinners(count: planes * outputPlane)  // each output's winning position in its plane
    let winners = winnerStorage.pointer
    let source = x.storage.base, y = result.storage.base
    Parallelism.splitting(planes, costPerItem: inputPlane) { first, count in
        maxPoolPlanes(source + first * inputPlane, y + first * outputPlane, winners: winners + first * outputPlane, planes: count,
                      height: h, width: w)
    }
    return recordingWinners(result, of: x, winners: winnerStorage, op: op)
}

/// `result`, a max pooling of `x` (N, C, H, W) whose outputs took the inputs at `winners` (positions
/// in their planes), recorded with its backward pass: each output's gradient goes to its winner.
func recordingWinners<Scalar: TensorScalar>(
    _ result: Tensor<Scalar>, of x: Tensor<Scalar>, winners winnerStorage: PoolWinners, op: String
) -> Tensor<Scalar> {
    guard isRecordingGradients, x.requiresGradient else { return result }
    let planes = x.shape[0] * x.shape[1]
    let inputPlane = x.shape[2] * x.shape[3], outputPlane = result.shape[2] * result.shape[3]
    return result.recorded(op, inputs: [x.node]) { [xNode = x.node] dY in
        xNode?.withGradientBuffer { dX, accumulate in
            let (dOut, winners) = (dY.storage.base, winnerStorage.pointer)
            Parallelism.splitting(planes, costPerItem: inputPlane) { first, count in
                if !accumulate { zeroFill(dX + first * inputPlane, count: count * inputPlane) }
                scatterToWinners(dOut + first * outputPlane, into: dX + first * inputPlane, winners: winners + first * outputPlane,
                                 planes: count, inputPlane: inputPlane, outputPlane: outputPlane)
            }
        }
    }
}

/// The winning positions of a max pooling, kept for its backward pass, in a buffer of the tensor
/// buffer pool (so steady-state steps reuse the previous step's).
final class PoolWinners: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>
    private let byteCount: Int
    init(count: Int) {
        byteCount = Swift.max(count, 1) * MemoryLayout<Int32>.stride
        pointer = BufferPool.allocate(byteCount: byteCount).bindMemory(to: Int32.self, capacity: Swift.max(count, 1))
    }
    deinit { BufferPool.release(UnsafeMutableRawPointer(pointer), byteCount: byteCount) }
}

/// Adds each output gradient onto the input position that won its window.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func scatterToWinners<Scalar: TensorScalar>(
    _ dOut: UnsafePointer<Scalar>, into dX: UnsafeMutablePointer<Scalar>, winners: UnsafePointer<Int32>, planes: Int,
    inputPlane: Int, outputPlane: Int
) {
    for plane in 0..<planes {
        let target = dX + plane * inputPlane, source = dOut + plane * outputPlane, won = winners + plane * outputPlane
        for p in 0..<outputPlane { target[Int(won[p])] += source[p] }
    }
}

/// The max-pooling loops over `planes` planes: each output's largest input in its window (NaN
/// wins; among equals the first in row order), and the winner's position in its plane. Each
/// window's taps inside the input are found once per row and column, so the inner loops carry no
/// bounds checks. (Not inlined, so a generic caller reaches the Float or Double specialization.)
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func maxPoolPlanes<Scalar: TensorScalar>(
    _ source: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, winners: UnsafeMutablePointer<Int32>, planes: Int,
    height h: WindowAxis, width w: WindowAxis
) {
    let inputPlane = h.input * w.input, outputPlane = h.output * w.output
    // Per output row and column: its first tap inside the input and the number of such taps (the
    // taps inside form one run; padding ≤ half the kernel leaves at least one).
    func taps(_ axis: WindowAxis) -> [(first: Int, count: Int)] {
        (0..<axis.output).map { o in
            let inside = (0..<axis.kernel).filter { (0..<axis.input).contains(o * axis.stride - axis.padBefore + $0 * axis.dilation) }
            return (inside.first.map { o * axis.stride - axis.padBefore + $0 * axis.dilation } ?? 0, inside.count)
        }
    }
    if h.liesInside && w.liesInside {
        // Every window lies inside the input: the C loop (CEasyNetsKernels) runs tap by tap across a
        // whole output row as vector compares and blends; Swift compiles these selects to branches,
        // which random data mispredicts half the time.
        Scalar._kernelMaxPool(input: source, output: y, winners: winners, planes: planes, height: h.input, width: w.input,
                              outputHeight: h.output, outputWidth: w.output, kernelHeight: h.kernel, kernelWidth: w.kernel,
                              strideHeight: h.stride, strideWidth: w.stride, dilationHeight: h.dilation,
                              dilationWidth: w.dilation)
        return
    }
    let rowTaps = taps(h), columnTaps = taps(w)
    rowTaps.withUnsafeBufferPointer { rowTaps in
        columnTaps.withUnsafeBufferPointer { columnTaps in
            for plane in 0..<planes {
                let input = source + plane * inputPlane, output = y + plane * outputPlane, won = winners + plane * outputPlane
                for oh in 0..<h.output {
                    let (firstRow, rowCount) = rowTaps[oh]
                    for ow in 0..<w.output {
                        let (firstColumn, columnCount) = columnTaps[ow]
                        var index = firstRow * w.input + firstColumn
                        var best = input[index], winner = index
                        for r in 0..<rowCount {
                            let line = (firstRow + r * h.dilation) * w.input + firstColumn
                            for t in 0..<columnCount {
                                index = line + t * w.dilation
                                let value = input[index]
                                // A larger value or a NaN wins; the two exclude each other, so != is their "or".
                                let better = (value > best) != value.isNaN
                                best = better ? value : best
                                winner = better ? index : winner
                            }
                        }
                        output[oh * w.output + ow] = best
                        won[oh * w.output + ow] = Int32(winner)
                    }
                }
            }
        }
    }
}

/// 2-D average pooling (PyTorch's `avg_pool2d`) of `x: (N, C, H, W)` or unbatched `(C, H, W)`.
/// With `countIncludePad` the divisor counts the zero padding a window covers (not what `ceilMode`
/// adds beyond it); `divisorOverride` replaces the divisor.
public func avgPool2d<Scalar>(
    _ x: Tensor<Scalar>, kernelSize: [Int], stride: [Int]? = nil, padding: [Int] = [0, 0], ceilMode: Bool = false,
    countIncludePad: Bool = true, divisorOverride: Int? = nil
) -> Tensor<Scalar> {
    withBatchAxis(x, unbatchedRank: 3) { x in
        let (h, w) = poolingAxes(op: "avgPool2d", input: x.shape, kernelSize: kernelSize, stride: stride, padding: padding,
                                 dilation: [1, 1], ceilMode: ceilMode)
        if let divisorOverride { require(divisorOverride != 0, "avgPool2d: divisorOverride must not be 0") }
        return averagePool(x, rows: h.averageWindows, columns: w.averageWindows, op: "avgPool2d") { row, column in
            if let divisorOverride { return Double(divisorOverride) }
            return Double(countIncludePad ? row.paddedCount * column.paddedCount : row.count * column.count)
        }
    }
}

extension WindowAxis {
    /// Each output position's span of an average pooling along this axis (dilation 1): the inputs
    /// inside, and the count with the padding it covers.
    var averageWindows: [AverageWindow] {
        (0..<output).map { o in
            let start = o * stride - padBefore
            let paddedEnd = Swift.min(start + kernel, input + padBefore)
            return AverageWindow(start: Swift.max(start, 0), end: Swift.min(paddedEnd, input), paddedCount: paddedEnd - start)
        }
    }
}

/// Adaptive 2-D average pooling (PyTorch's `adaptive_avg_pool2d`): the (N, C, H, W) or unbatched
/// (C, H, W) input averaged into an oh × ow grid, output cell i spanning inputs
/// ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉. `outputSize` [1, 1] is global average pooling.
public func adaptiveAvgPool2d<Scalar>(_ x: Tensor<Scalar>, outputSize: [Int]) -> Tensor<Scalar> {
    require(x.rank == 4 || x.rank == 3, "adaptiveAvgPool2d: input must be (N, C, H, W) or (C, H, W), shape is \(x.shape)")
    require(outputSize.count == 2 && outputSize.allSatisfy { $0 >= 1 },
            "adaptiveAvgPool2d: outputSize must be two values ≥ 1, got \(outputSize)")
    return withBatchAxis(x, unbatchedRank: 3) { x in
        require(x.shape[2] >= 1 && x.shape[3] >= 1, "adaptiveAvgPool2d: input shape \(x.shape) has an empty plane")
        return averagePool(x, rows: adaptiveWindows(input: x.shape[2], output: outputSize[0]),
                           columns: adaptiveWindows(input: x.shape[3], output: outputSize[1]), op: "adaptiveAvgPool2d") { row, column in
            Double(row.count * column.count)
        }
    }
}

/// The windows of an adaptive pooling of `input` positions into `output` cells, as PyTorch's
/// `start_index` and `end_index`: cell i spans ⌊i·input/output⌋ ..< ⌈(i+1)·input/output⌉.
func adaptiveWindows(input: Int, output: Int) -> [AverageWindow] {
    (0..<output).map { i in
        let start = i * input / output, end = ((i + 1) * input + output - 1) / output
        return AverageWindow(start: start, end: end, paddedCount: end - start)
    }
}

/// One output position's span along an axis: inputs `start..<end`, `paddedCount` with padding.
struct AverageWindow {
    var start: Int
    var end: Int
    var paddedCount: Int
    /// The inputs inside the window (empty for a window wholly in the padding).
    var range: Range<Int> { start..<Swift.max(end, start) }
    var count: Int { range.count }
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
    averageWindows(UnsafeMutablePointer(mutating: x.storage.base), into: result.storage.base, planes: planes, inputPlane: inputPlane,
                   width: width, rows: rows, columns: columns, scales: scales, backward: false)
    guard isRecordingGradients, x.requiresGradient else { return result }
    return result.recorded(op, inputs: [x.node]) { [xNode = x.node] dY in
        xNode?.withGradientBuffer { dX, accumulate in
            if !accumulate { zeroFill(dX, count: planes * inputPlane) }
            averageWindows(dX, into: UnsafeMutablePointer(mutating: dY.storage.base), planes: planes, inputPlane: inputPlane,
                           width: width, rows: rows, columns: columns, scales: scales, backward: true)
        }
    }
}

/// Forward: each output of `outputs` becomes the scaled sum of its window of `inputs`. Backward:
/// each window of `inputs` (the input gradient) gets its output's scaled gradient added.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func averageWindows<Scalar: TensorScalar>(
    _ inputs: UnsafeMutablePointer<Scalar>, into outputs: UnsafeMutablePointer<Scalar>, planes: Int, inputPlane: Int, width: Int,
    rows: [AverageWindow], columns: [AverageWindow], scales: [Scalar], backward: Bool
) {
    let outputPlane = rows.count * columns.count
    for plane in 0..<planes {
        let input = inputs + plane * inputPlane, output = outputs + plane * outputPlane
        for (r, row) in rows.enumerated() {
            for (c, column) in columns.enumerated() {
                let cell = r * columns.count + c
                if backward {
                    let share = output[cell] * scales[cell]
                    for ih in row.range {
                        for iw in column.range { input[ih * width + iw] += share }
                    }
                } else {
                    var total: Scalar = 0
                    for ih in row.range {
                        for iw in column.range { total += input[ih * width + iw] }
                    }
                    output[cell] = total * scales[cell]
                }
            }
        }
    }
}

/// Checks a pooling window's options against an (N, C, H, W) input, naming `op` and the shapes.
func poolingAxes(
    op: String, input: [Int], kernelSize: [Int], stride: [Int]?, padding: [Int], dilation: [Int], ceilMode: Bool
) -> (height: WindowAxis, width: WindowAxis) {
    require(input.count == 4, "\(op): input must be (N, C, H, W) or (C, H, W), shape is \(input)")
    require(kernelSize.count == 2 && kernelSize.allSatisfy { $0 >= 1 }, "\(op): kernelSize must be two values ≥ 1, got \(kernelSize)")
    let stride = stride ?? kernelSize
    require(stride.count == 2 && stride.allSatisfy { $0 >= 1 }, "\(op): stride must be two values ≥ 1, got \(stride)")
    require(dilation.count == 2 && dilation.allSatisfy { $0 >= 1 }, "\(op): dilation must be two values ≥ 1, got \(dilation)")
    require(padding.count == 2 && padding.allSatisfy { $0 >= 0 } && zip(padding, kernelSize).allSatisfy { $0 * 2 <= $1 },
            "\(op): padding must be two values from 0 to half the kernel (\(kernelSize)), got \(padding)")
    guard let axes = windowAxes(input: Array(input[2...]), kernelSize: kernelSize, stride: stride, dilation: dilation,
                                pads: padding.map { ($0, $0) }, ceilMode: ceilMode) else {
        programmerError("\(op): kernel \(kernelSize) (dilation \(dilation)) is larger than the padded input \(input) (padding \(padding))")
    }
    let (height, width) = (axes[0], axes[1])
    return (height, width)
}
