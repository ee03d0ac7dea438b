// The Swift reference loops of the convolution's C kernels (see `im2col` and `col2im` in
// Im2col.swift): Float and Double run the C loops, which compute exactly these values; the tests
// compare the two.

extension Kernels {
    /// Writes the patches of one image (C, H, W) as columns: row (c, i, j) of its (C·kh·kw, P)
    /// matrix holds, for every output position, the input at tap (i, j) of channel c, or 0 in the
    /// padding; channels `firstChannel ..< firstChannel + channelCount` only.
    static func im2colLoop<Scalar: TensorScalar>(
        image x: UnsafePointer<Scalar>, columns: UnsafeMutablePointer<Scalar>, firstChannel: Int, channelCount: Int,
        geometry g: ConvolutionGeometry
    ) {
        forEachTap(g, channels: firstChannel..<(firstChannel + channelCount)) { channel, i, row, rows, columnRange, offset in
            let plane = x + channel * g.inputPlane, out = columns + row * g.outputPlane
            for oh in 0..<g.height.output {
                let line = out + oh * g.width.output
                guard rows.contains(oh), !columnRange.isEmpty else {
                    for ow in 0..<g.width.output { line[ow] = 0 }
                    continue
                }
                let source = plane + (oh * g.height.stride + i * g.height.dilation - g.height.padBefore) * g.width.input
                for ow in 0..<columnRange.lowerBound { line[ow] = 0 }
                for ow in columnRange { line[ow] = source[ow * g.width.stride + offset] }
                for ow in columnRange.upperBound..<g.width.output { line[ow] = 0 }
            }
        }
    }

    /// Adds one image's columns back onto the input positions they were read from (the transpose
    /// of ``im2colLoop(image:columns:firstChannel:channelCount:geometry:)``), tap by tap in row
    /// order; padding taps are dropped.
    static func col2imLoop<Scalar: TensorScalar>(
        columns: UnsafePointer<Scalar>, image dX: UnsafeMutablePointer<Scalar>, firstChannel: Int, channelCount: Int,
        geometry g: ConvolutionGeometry
    ) {
        forEachTap(g, channels: firstChannel..<(firstChannel + channelCount)) { channel, i, row, rows, columnRange, offset in
            let plane = dX + channel * g.inputPlane, source = columns + row * g.outputPlane
            guard !columnRange.isEmpty else { return }
            for oh in rows {
                let line = source + oh * g.width.output
                let target = plane + (oh * g.height.stride + i * g.height.dilation - g.height.padBefore) * g.width.input
                for ow in columnRange { target[ow * g.width.stride + offset] += line[ow] }
            }
        }
    }

    /// Runs `body` for each channel of `channels` and kernel tap (i, j) in order, with the tap's row
    /// of the column matrix, the output rows and columns whose tap lies inside the input, and the
    /// tap's input column at output column 0.
    private static func forEachTap(
        _ g: ConvolutionGeometry, channels: Range<Int>,
        _ body: (_ channel: Int, _ i: Int, _ row: Int, _ rows: Range<Int>, _ columns: Range<Int>, _ offset: Int) -> Void
    ) {
        for channel in channels {
            for i in 0..<g.height.kernel {
                let rows = g.height.validOutputs(tap: i)
                for j in 0..<g.width.kernel {
                    body(channel, i, (channel * g.height.kernel + i) * g.width.kernel + j, rows, g.width.validOutputs(tap: j),
                         j * g.width.dilation - g.width.padBefore)
                }
            }
        }
    }
}
