// The Swift reference loops of batch normalization's C kernels (see `channelMoments` and
// `normalizeChannels` in Normalization.swift): Float and Double run the C loops, which compute
// exactly these values; the tests compare the two.

extension Kernels {
    /// Per channel c in `firstChannel ..< firstChannel + channelCount` of `a` (batch, channels,
    /// plane): Σ (a − centerA[c]) and Σ (a − centerA[c])·(b − centerB[c]) into `sums[c]` and
    /// `products[c]`, accumulated in Double as eight partial sums indexed by position mod 8 and
    /// combined in a fixed order (`b` nil for `a`, centers nil for 0).
    static func channelMomentsLoop<T: TensorScalar>(
        _ a: UnsafePointer<T>, _ b: UnsafePointer<T>?, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, centerA: UnsafePointer<Double>?, centerB: UnsafePointer<Double>?,
        sums: UnsafeMutablePointer<Double>, products: UnsafeMutablePointer<Double>
    ) {
        let b = b ?? a
        for c in firstChannel..<(firstChannel + channelCount) {
            var s = [Double](repeating: 0, count: 8), q = s
            let (shiftA, shiftB) = (centerA?[c] ?? 0, centerB?[c] ?? 0)
            for image in 0..<batch {
                let offset = (image * channels + c) * plane
                for p in 0..<plane {
                    let u = Double(a[offset + p]) - shiftA
                    s[p & 7] += u
                    q[p & 7] += u * (Double(b[offset + p]) - shiftB)
                }
            }
            sums[c] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
            products[c] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]))
        }
    }

    /// `y = x·scale[c] + shift[c]` for channels `firstChannel ..< firstChannel + channelCount` of
    /// (batch, channels, plane) data.
    static func channelAffineLoop<T: TensorScalar>(
        x: UnsafePointer<T>, y: UnsafeMutablePointer<T>, batch: Int, channels: Int, plane: Int, firstChannel: Int,
        channelCount: Int, scale: UnsafePointer<T>, shift: UnsafePointer<T>
    ) {
        for channel in firstChannel..<(firstChannel + channelCount) {
            for image in 0..<batch {
                let offset = (image * channels + channel) * plane
                for p in 0..<plane { y[offset + p] = x[offset + p] * scale[channel] + shift[channel] }
            }
        }
    }

    /// `dX (+)= (dY − meanGradient[c] − (x − mean[c])·k[c])·scale[c]` for channels
    /// `firstChannel ..< firstChannel + channelCount`, added to `dX` when `accumulate`.
    static func batchNormBackwardLoop<T: TensorScalar>(
        dY: UnsafePointer<T>, x: UnsafePointer<T>, dX: UnsafeMutablePointer<T>, batch: Int, channels: Int, plane: Int,
        firstChannel: Int, channelCount: Int, meanGradient: UnsafePointer<T>, mean: UnsafePointer<T>,
        k: UnsafePointer<T>, scale: UnsafePointer<T>, accumulate: Bool
    ) {
        for channel in firstChannel..<(firstChannel + channelCount) {
            for image in 0..<batch {
                let offset = (image * channels + channel) * plane
                for p in 0..<plane {
                    let value = (dY[offset + p] - meanGradient[channel] - (x[offset + p] - mean[channel]) * k[channel])
                        * scale[channel]
                    dX[offset + p] = accumulate ? dX[offset + p] + value : value
                }
            }
        }
    }

    /// The eight partial sums of position mod 8 combined in the kernels' fixed order.
    private static func combined(_ s: [Double]) -> Double {
        ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
    }

    /// Layer normalization of `rows` rows of `size` values (the reference of
    /// ``_TensorKernels/_kernelLayerNorm(_:rows:size:epsilon:normalized:reciprocals:weight:bias:output:)``):
    /// each row's moments about its first value in Double, mean = shift + S/size, variance =
    /// Q/size − (S/size)² (0 if below), rstd = 1/√(variance + ε); x̂ = (x − mean)·rstd, y = x̂·weight + bias.
    static func layerNormLoop<T: TensorScalar>(
        _ x: UnsafePointer<T>, rows: Int, size: Int, epsilon: T, normalized: UnsafeMutablePointer<T>,
        reciprocals: UnsafeMutablePointer<T>, weight: UnsafePointer<T>?, bias: UnsafePointer<T>?, output: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let row = x + r * size, xHat = normalized + r * size, y = output + r * size
            let shift = size > 0 ? Double(row[0]) : 0
            var s = [Double](repeating: 0, count: 8), q = s
            for j in 0..<size {
                let u = Double(row[j]) - shift
                s[j & 7] += u
                q[j & 7] += u * (Double(row[j]) - shift)
            }
            let meanShift = combined(s) / Double(size), spread = combined(q) / Double(size) - meanShift * meanShift
            let mean = T(shift + meanShift), rstd = T(1 / ((spread > 0 ? spread : 0) + Double(epsilon)).squareRoot())
            reciprocals[r] = rstd
            for j in 0..<size { xHat[j] = (row[j] - mean) * rstd }
            switch (weight, bias) {
            case let (w?, b?): for j in 0..<size { y[j] = xHat[j] * w[j] + b[j] }
            case let (w?, nil): for j in 0..<size { y[j] = xHat[j] * w[j] }
            case let (nil, b?): for j in 0..<size { y[j] = xHat[j] + b[j] }
            case (nil, nil): if y != xHat { for j in 0..<size { y[j] = xHat[j] } }
            }
        }
    }

    /// Layer normalization's input gradient from the output gradient `g` (the reference of
    /// ``_TensorKernels/_kernelLayerNormBackward(_:normalized:reciprocals:weight:rows:size:dX:)``):
    /// with ĝ = g·weight, Σĝ and Σĝ·x̂ in Double as eight partial sums, their means rounded to T,
    /// then `dX = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`.
    static func layerNormBackwardLoop<T: TensorScalar>(
        _ g: UnsafePointer<T>, normalized: UnsafePointer<T>, reciprocals: UnsafePointer<T>, weight: UnsafePointer<T>?, rows: Int,
        size: Int, dX: UnsafeMutablePointer<T>
    ) {
        for r in 0..<rows {
            let gRow = g + r * size, xHat = normalized + r * size, dx = dX + r * size
            var s = [Double](repeating: 0, count: 8), q = s
            for j in 0..<size {
                let scaled = weight.map { gRow[j] * $0[j] } ?? gRow[j]
                s[j & 7] += Double(scaled)
                q[j & 7] += Double(scaled * xHat[j])
            }
            let meanG = T(combined(s) / Double(size)), meanGX = T(combined(q) / Double(size)), rstd = reciprocals[r]
            for j in 0..<size {
                let scaled = weight.map { gRow[j] * $0[j] } ?? gRow[j]
                dx[j] = rstd * (scaled - meanG - xHat[j] * meanGX)
            }
        }
    }

    /// The weight's and bias's gradients of layer normalization for columns `first ..< first + count`
    /// (the reference of ``_TensorKernels/_kernelLayerNormParameters(_:normalized:rows:size:first:count:dWeight:dBias:)``).
    static func layerNormParametersLoop<T: TensorScalar>(
        _ g: UnsafePointer<T>, normalized: UnsafePointer<T>, rows: Int, size: Int, first: Int, count: Int,
        dWeight: UnsafeMutablePointer<T>?, dBias: UnsafeMutablePointer<T>?
    ) {
        for r in 0..<rows {
            for j in first..<(first + count) {
                dWeight?[j] += g[r * size + j] * normalized[r * size + j]
                dBias?[j] += g[r * size + j]
            }
        }
    }
}
