// Resizing of (N, C, L) and (N, C, H, W) tensors, PyTorch's `F.interpolate`: each output element
// is a weighted sum of at most two input elements per spatial axis (one for nearest), so forward
// and backward walk the same taps, the backward adding each output gradient back with its weights.

/// How ``Tensor/interpolated(size:mode:alignCorners:)`` computes the new elements.
public enum InterpolationMode: Sendable, Hashable, CaseIterable {
    /// The input element at `⌊out · scale⌋` (PyTorch's `"nearest"`), on (N, C, L) or (N, C, H, W).
    case nearest
    /// Linear interpolation between the two nearest elements of (N, C, L).
    case linear
    /// Linear interpolation along both axes of (N, C, H, W).
    case bilinear
}

extension Tensor {
    /// This (N, C, L) or (N, C, H, W) tensor resized to `size` (one extent per spatial axis),
    /// PyTorch's `F.interpolate(self, size, mode, align_corners)`.
    ///
    /// Output position `o` of an axis of input extent `n` reads source coordinate
    /// `(o + ½)·n/size − ½` (clamped below at 0), or with `alignCorners` `o·(n − 1)/(size − 1)`,
    /// so the corner elements of input and output coincide; ``InterpolationMode/nearest`` reads
    /// element `min(⌊o·n/size⌋, n − 1)` and takes no `alignCorners`. Differentiable.
    public func interpolated(size: [Int], mode: InterpolationMode = .nearest, alignCorners: Bool = false) -> Tensor {
        let scales = zip(size, shape.dropFirst(2)).map { Double($1) / Double(Swift.max($0, 1)) }
        return resized(to: size, coordinateScales: scales, mode: mode, alignCorners: alignCorners, op: "Tensor.interpolated")
    }

    /// This tensor resized by `scaleFactors` (one per spatial axis): each extent `n` becomes
    /// `⌊n·factor⌋`, and positions map through `1/factor` as PyTorch's `F.interpolate(self,
    /// scale_factor=scaleFactors)` does (without `recompute_scale_factor`). See
    /// ``interpolated(size:mode:alignCorners:)``.
    public func interpolated(scaleFactors: [Double], mode: InterpolationMode = .nearest, alignCorners: Bool = false) -> Tensor {
        let op = "Tensor.interpolated"
        require(rank >= 3 && scaleFactors.count == rank - 2 && scaleFactors.allSatisfy { $0 > 0 },
                "\(op): \(scaleFactors.count) scale factors \(scaleFactors) for shape \(shape); needs one positive factor per spatial axis")
        let size = zip(shape.dropFirst(2), scaleFactors).map { Int((Double($0) * $1).rounded(.down)) }
        return resized(to: size, coordinateScales: scaleFactors.map { 1 / $0 }, mode: mode, alignCorners: alignCorners, op: op)
    }

    /// This tensor's spatial axes scaled by `factor`, `nn.Upsample(scale_factor: factor)`: the same as
    /// ``interpolated(scaleFactors:mode:alignCorners:)`` with `factor` on every spatial axis.
    public func upsampled(by factor: Double, mode: InterpolationMode = .nearest, alignCorners: Bool = false) -> Tensor {
        interpolated(scaleFactors: [Double](repeating: factor, count: Swift.max(rank - 2, 0)), mode: mode, alignCorners: alignCorners)
    }

    /// For each output position of one axis, the input positions it reads and their weights.
    private static func taps(input n: Int, output size: Int, scale: Double, mode: InterpolationMode,
                             alignCorners: Bool) -> [(first: Int, second: Int, firstWeight: Scalar, secondWeight: Scalar)] {
        (0..<size).map { o in
            if mode == .nearest {
                let i = size == n ? o : Swift.min(Int((Double(o) * scale).rounded(.down)), n - 1)
                return (i, i, 1, 0)
            }
            let source = alignCorners
                ? (size > 1 ? Double(n - 1) / Double(size - 1) : 0) * Double(o)
                : Swift.max(scale * (Double(o) + 0.5) - 0.5, 0)
            let i = Int(source)
            let step = i < n - 1 ? 1 : 0
            let lambda = source - Double(i)
            return (i, i + step, Scalar(1 - lambda), Scalar(lambda))
        }
    }

    private func resized(to size: [Int], coordinateScales: [Double], mode: InterpolationMode, alignCorners: Bool, op: String) -> Tensor {
        let spatial = rank - 2
        switch mode {
        case .nearest: require(rank == 3 || rank == 4, "\(op): nearest needs (N, C, L) or (N, C, H, W), shape is \(shape)")
        case .linear: require(rank == 3, "\(op): linear needs (N, C, L), shape is \(shape)")
        case .bilinear: require(rank == 4, "\(op): bilinear needs (N, C, H, W), shape is \(shape)")
        }
        require(!(alignCorners && mode == .nearest), "\(op): alignCorners applies to linear and bilinear modes only")
        require(size.count == spatial && size.allSatisfy { $0 > 0 },
                "\(op): size \(size) for shape \(shape); needs \(spatial) positive extents")
        require(shape.dropFirst(2).allSatisfy { $0 > 0 }, "\(op): empty spatial axis in shape \(shape)")
        // A 1-D resize is a 2-D one with a height of 1.
        let (inH, inW) = spatial == 2 ? (shape[2], shape[3]) : (1, shape[2])
        let (outH, outW) = spatial == 2 ? (size[0], size[1]) : (1, size[0])
        let rows = spatial == 2
            ? Tensor.taps(input: inH, output: outH, scale: coordinateScales[0], mode: mode, alignCorners: alignCorners)
            : [(0, 0, 1, 0)]
        let columns = Tensor.taps(input: inW, output: outW, scale: coordinateScales[spatial - 1], mode: mode, alignCorners: alignCorners)
        let planes = shape[0] * shape[1]
        let result = Tensor(uninitializedShape: Array(shape.prefix(2)) + size)
        let (x, y) = (storage.base, result.storage.base)
        for p in 0..<planes {
            let input = x + p * inH * inW, output = y + p * outH * outW
            for (r, row) in rows.enumerated() {
                let (top, bottom) = (input + row.first * inW, input + row.second * inW)
                for (c, column) in columns.enumerated() {
                    output[r * outW + c] =
                        row.firstWeight * (column.firstWeight * top[column.first] + column.secondWeight * top[column.second])
                        + row.secondWeight * (column.firstWeight * bottom[column.first] + column.secondWeight * bottom[column.second])
                }
            }
        }
        return result.recorded("interpolate", inputs: [node]) { [node, count] dY in
            node?.withGradientBuffer { dX, accumulate in
                if !accumulate { zeroFill(dX, count: count) }
                let dOut = dY.storage.base
                for p in 0..<planes {
                    let input = dX + p * inH * inW, output = dOut + p * outH * outW
                    for (r, row) in rows.enumerated() {
                        let (top, bottom) = (input + row.first * inW, input + row.second * inW)
                        for (c, column) in columns.enumerated() {
                            let g = output[r * outW + c]
                            top[column.first] += row.firstWeight * column.firstWeight * g
                            top[column.second] += row.firstWeight * column.secondWeight * g
                            bottom[column.first] += row.secondWeight * column.firstWeight * g
                            bottom[column.second] += row.secondWeight * column.secondWeight * g
                        }
                    }
                }
            }
        }
    }
}
