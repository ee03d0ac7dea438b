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
}
