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
        let (h, w) = (g.height, g.width)
        for channel in firstChannel..<(firstChannel + channelCount) {
            for i in 0..<h.kernel {
                let validRows = h.validOutputs(tap: i)
                for j in 0..<w.kernel {
                    let validColumns = w.validOutputs(tap: j)
                    let columnOffset = j * w.dilation - w.padBefore
                    let row = (channel * h.kernel + i) * w.kernel + j
                    let plane = x + channel * g.inputPlane
                    let out = columns + row * g.outputPlane
                    for oh in 0..<h.output {
                        let line = out + oh * w.output
                        guard validRows.contains(oh), !validColumns.isEmpty else {
                            for ow in 0..<w.output { line[ow] = 0 }
                            continue
                        }
                        let source = plane + (oh * h.stride + i * h.dilation - h.padBefore) * w.input
                        for ow in 0..<validColumns.lowerBound { line[ow] = 0 }
                        for ow in validColumns { line[ow] = source[ow * w.stride + columnOffset] }
                        for ow in validColumns.upperBound..<w.output { line[ow] = 0 }
                    }
                }
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
        let (h, w) = (g.height, g.width)
        for channel in firstChannel..<(firstChannel + channelCount) {
            for i in 0..<h.kernel {
                let validRows = h.validOutputs(tap: i)
                for j in 0..<w.kernel {
                    let validColumns = w.validOutputs(tap: j)
                    guard !validColumns.isEmpty, !validRows.isEmpty else { continue }
                    let columnOffset = j * w.dilation - w.padBefore
                    let row = (channel * h.kernel + i) * w.kernel + j
                    let plane = dX + channel * g.inputPlane
                    let source = columns + row * g.outputPlane
                    for oh in validRows {
                        let line = source + oh * w.output
                        let target = plane + (oh * h.stride + i * h.dilation - h.padBefore) * w.input
                        for ow in validColumns { target[ow * w.stride + columnOffset] += line[ow] }
                    }
                }
            }
        }
    }
}
