/// Adaptive 2-D max pooling (PyTorch's `adaptive_max_pool2d`): the (N, C, H, W) or unbatched
/// (C, H, W) input pooled into an oh × ow grid, output cell (i, j) the largest input of rows
/// ⌊i·H/oh⌋ ..< ⌈(i+1)·H/oh⌉ and columns ⌊j·W/ow⌋ ..< ⌈(j+1)·W/ow⌉ (PyTorch's window formula; the
/// windows may overlap). A NaN in a window is its maximum (the last NaN wins); among equal values
/// the first in row-major order wins. Backward routes each output's gradient to the input position
/// that won.
public func adaptiveMaxPool2d<Scalar>(_ x: Tensor<Scalar>, outputSize: [Int]) -> Tensor<Scalar> {
    require(x.rank == 4 || x.rank == 3, "adaptiveMaxPool2d: input must be (N, C, H, W) or (C, H, W), shape is \(x.shape)")
    require(outputSize.count == 2 && outputSize.allSatisfy { $0 >= 1 },
            "adaptiveMaxPool2d: outputSize must be two values ≥ 1, got \(outputSize)")
    return withBatchAxis(x, unbatchedRank: 3) { x in
        require(x.shape[2] >= 1 && x.shape[3] >= 1, "adaptiveMaxPool2d: input shape \(x.shape) has an empty plane")
        let rows = adaptiveWindows(input: x.shape[2], output: outputSize[0])
        let columns = adaptiveWindows(input: x.shape[3], output: outputSize[1])
        let planes = x.shape[0] * x.shape[1], width = x.shape[3]
        let inputPlane = x.shape[2] * width, outputPlane = rows.count * columns.count
        let result = Tensor<Scalar>(uninitializedShape: [x.shape[0], x.shape[1], rows.count, columns.count])
        let winnerStorage = PoolWinners(count: planes * outputPlane)  // each output's winning position in its plane
        let winners = winnerStorage.pointer
        let source = x.storage.base, y = result.storage.base
        Parallelism.splitting(planes, costPerItem: inputPlane) { first, count in
            adaptiveMaxPlanes(source + first * inputPlane, y + first * outputPlane, winners: winners + first * outputPlane,
                              planes: count, inputPlane: inputPlane, width: width, rows: rows, columns: columns)
        }
        return recordingWinners(result, of: x, winners: winnerStorage, op: "adaptiveMaxPool2d")
    }
}

/// The adaptive max-pooling loop over `planes` planes of `inputPlane` values in rows `width` long:
/// each output's largest input in its (row window × column window), NaN winning, among equals the
/// first in row order, and the winner's position in its plane.
@inline(never)
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func adaptiveMaxPlanes<Scalar: TensorScalar>(
    _ source: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, winners: UnsafeMutablePointer<Int32>, planes: Int, inputPlane: Int,
    width: Int, rows: [AverageWindow], columns: [AverageWindow]
) {
    let outputPlane = rows.count * columns.count
    for plane in 0..<planes {
        let input = source + plane * inputPlane, output = y + plane * outputPlane, won = winners + plane * outputPlane
        for (r, row) in rows.enumerated() {
            for (c, column) in columns.enumerated() {
                var index = row.start * width + column.start
                var best = input[index], winner = index
                for ih in row.range {
                    for iw in column.range {
                        index = ih * width + iw
                        let value = input[index]
                        // A larger value or a NaN wins; the two exclude each other, so != is their "or".
                        let better = (value > best) != value.isNaN
                        best = better ? value : best
                        winner = better ? index : winner
                    }
                }
                output[r * columns.count + c] = best
                won[r * columns.count + c] = Int32(winner)
            }
        }
    }
}

/// ``adaptiveMaxPool2d(_:outputSize:)`` as a layer (PyTorch's `nn.AdaptiveMaxPool2d`).
public final class AdaptiveMaxPool2d<Scalar: TensorScalar>: Layer {
    /// The output's height and width.
    public let outputSize: [Int]
    public var isTraining = true

    /// Pools any input plane to `outputSize`; `[1, 1]` is global max pooling.
    public init(outputSize: [Int]) {
        AdaptiveMaxPool2dDescription(outputSize: outputSize).requireValid()
        self.outputSize = outputSize
    }

    /// Pools (N, C, H, W) or unbatched (C, H, W) input.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { adaptiveMaxPool2d(input, outputSize: outputSize) }

    public var summaryName: String { "AdaptiveMaxPool2d(\(outputSize.map(String.init).joined(separator: "×")))" }

    public var layerDescription: ModelDescription? { .layer(AdaptiveMaxPool2dDescription(outputSize: outputSize)) }
}

/// The description of an ``AdaptiveMaxPool2d`` layer.
public struct AdaptiveMaxPool2dDescription: LayerDescription {
    public static let kind = "adaptiveMaxPool2d"
    public static var takesImages: Bool { true }
    /// The output's height and width, each in 1...``maximumWindowExtent``.
    public var outputSize: [Int]
    /// A description pooling any plane to `outputSize`.
    public init(outputSize: [Int]) { self.outputSize = outputSize }
    public func problem() -> String? {
        outputSize.count == 2 && outputSize.allSatisfy({ (1...maximumWindowExtent).contains($0) }) ? nil
            : "AdaptiveMaxPool2d's outputSize must be two values in 1...\(maximumWindowExtent), got \(outputSize)"
    }
    public var stateCount: Int? { 0 }
    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard shape.count == 4, shape[2] >= 1, shape[3] >= 1 else {
            throw inference.error("AdaptiveMaxPool2d takes (N, C, H, W) with H, W ≥ 1, the input has shape \(shape)")
        }
        return Array(shape[..<2]) + outputSize
    }
    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        AdaptiveMaxPool2d<Scalar>(outputSize: outputSize)
    }
}

extension ModelDescription {
    /// An ``AdaptiveMaxPool2d`` layer.
    public static func adaptiveMaxPool2d(outputSize: [Int]) -> ModelDescription { .layer(AdaptiveMaxPool2dDescription(outputSize: outputSize)) }
}
