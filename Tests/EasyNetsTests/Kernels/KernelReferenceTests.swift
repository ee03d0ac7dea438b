import Foundation
import Testing
@testable import EasyNets

/// The C kernels bound through `_TensorKernels` against their Swift reference loops, bit for bit,
/// in Float and Double (the update loops are UpdateKernelTests'; the Float LSTM cell is only
/// within a Float ulp, which RecurrentTests checks).
@Suite struct KernelReferenceTests {
    /// Whether `a` and `b` have the same bits, NaNs of one payload and signed zeros included.
    private func sameBits<T: TensorScalar>(_ a: T, _ b: T) -> Bool {
        a.sign == b.sign && a.exponentBitPattern == b.exponentBitPattern && a.significandBitPattern == b.significandBitPattern
    }

    private func expectSameBits<T: TensorScalar>(
        _ actual: [T], _ expected: [T], _ comment: Comment, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let differing = actual.indices.filter { !sameBits(actual[$0], expected[$0]) }
        #expect(actual.count == expected.count && differing.isEmpty,
                "\(comment): \(differing.count) of \(actual.count) values differ, the first at \(differing.first ?? -1)",
                sourceLocation: sourceLocation)
    }

    /// Uniform values in −3…3, with the edge cases of each loop mixed in.
    private func values<T: TensorScalar>(_ count: Int, seed: UInt64, as _: T.Type) -> [T] {
        var generator = RandomGenerator(seed: seed)
        var result = Tensor<T>.uniform([count], low: -3, high: 3, using: &generator).scalars
        let special: [T] = [0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for (index, value) in special.enumerated() where index * 7 < count { result[index * 7] = value }
        return result
    }

    private func checkRelu<T: TensorScalar>(_: T.Type) {
        let n = 1037  // a ragged tail after any vector width
        let x = values(n, seed: 31, as: T.self), dY = values(n, seed: 32, as: T.self)
        var (y, yReference) = ([T](repeating: 7, count: n), [T](repeating: 7, count: n))
        T._kernelRelu(x: x, y: &y, count: n)
        Kernels.reluLoop(x: x, y: &yReference, count: n)
        expectSameBits(y, yReference, "relu, \(T.self)")
        var (dX, dXReference) = ([T](repeating: 7, count: n), [T](repeating: 7, count: n))
        T._kernelReluBackward(x: x, dY: dY, dX: &dX, count: n)
        Kernels.reluBackwardLoop(x: x, dY: dY, dX: &dXReference, count: n)
        expectSameBits(dX, dXReference, "relu backward, \(T.self)")
    }

    private func checkNormalization<T: TensorScalar>(_: T.Type) {
        let (batch, channels, plane) = (3, 5, 37)  // planes with a ragged tail after eight partial sums
        let count = batch * channels * plane
        let a = values(count, seed: 33, as: T.self).map { $0.isFinite ? $0 : 1 }
        let b = values(count, seed: 34, as: T.self).map { $0.isFinite ? $0 : -2 }
        let centers = (0..<channels).map { Double($0) / 3 - 0.5 }
        // Channels 1..<4 only: the range a thread gets.
        for (centerA, centerB, second) in [(nil, nil, false), (centers, centers, false), (nil, centers, true)] as [([Double]?, [Double]?, Bool)] {
            var (sums, products) = ([Double](repeating: 9, count: channels), [Double](repeating: 9, count: channels))
            var (sumsReference, productsReference) = (sums, products)
            T._kernelChannelMoments(a, second ? b : nil, batch: batch, channels: channels, plane: plane, firstChannel: 1,
                                    channelCount: 3, centerA: centerA, centerB: centerB, sums: &sums, products: &products)
            Kernels.channelMomentsLoop(a, second ? b : nil, batch: batch, channels: channels, plane: plane, firstChannel: 1,
                                       channelCount: 3, centerA: centerA, centerB: centerB, sums: &sumsReference,
                                       products: &productsReference)
            expectSameBits(sums, sumsReference, "channel sums, \(T.self), centered \(centerA != nil), b \(second)")
            expectSameBits(products, productsReference, "channel products, \(T.self), centered \(centerA != nil), b \(second)")
        }

        let scale = values(channels, seed: 35, as: T.self).map { $0.isFinite ? $0 : 0.5 }
        let shift = values(channels, seed: 36, as: T.self).map { $0.isFinite ? $0 : 0.25 }
        var (y, yReference) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
        T._kernelChannelAffine(x: a, y: &y, batch: batch, channels: channels, plane: plane, firstChannel: 1, channelCount: 3,
                               scale: scale, shift: shift)
        Kernels.channelAffineLoop(x: a, y: &yReference, batch: batch, channels: channels, plane: plane, firstChannel: 1,
                                  channelCount: 3, scale: scale, shift: shift)
        expectSameBits(y, yReference, "channel affine, \(T.self)")

        let meanGradient = values(channels, seed: 37, as: T.self).map { $0.isFinite ? $0 : 0 }
        let mean = values(channels, seed: 38, as: T.self).map { $0.isFinite ? $0 : 1 }
        let k = values(channels, seed: 39, as: T.self).map { $0.isFinite ? $0 : 2 }
        for accumulate in [false, true] {
            var (dX, dXReference) = (b, b)
            T._kernelBatchNormBackward(dY: b, x: a, dX: &dX, batch: batch, channels: channels, plane: plane, firstChannel: 1,
                                       channelCount: 3, meanGradient: meanGradient, mean: mean, k: k, scale: scale,
                                       accumulate: accumulate)
            Kernels.batchNormBackwardLoop(dY: b, x: a, dX: &dXReference, batch: batch, channels: channels, plane: plane,
                                          firstChannel: 1, channelCount: 3, meanGradient: meanGradient, mean: mean, k: k,
                                          scale: scale, accumulate: accumulate)
            expectSameBits(dX, dXReference, "batch norm backward, \(T.self), accumulate \(accumulate)")
        }
    }

    @Test func reluKernelsMatchTheSwiftLoops() {
        checkRelu(Float.self)
        checkRelu(Double.self)
    }

    private func checkLayerNorm<T: TensorScalar>(_: T.Type) {
        // Row sizes with ragged tails after eight partial sums and any vector width; rows offset far
        // from 0 (the moments are taken about each row's first value); NaN and ∞ in one row.
        for (index, size) in [1, 7, 8, 37, 128].enumerated() {
            let rows = 5, count = rows * size
            var x = values(count, seed: UInt64(90 + index), as: T.self).map { $0.isFinite ? $0 : 1 }
            for j in 0..<size { x[size + j] += 1000 }
            if size > 2 { (x[2 * size], x[2 * size + 1]) = (.nan, .infinity) }
            let weight = values(size, seed: 95, as: T.self).map { $0.isFinite ? $0 : 2 }
            let bias = values(size, seed: 96, as: T.self).map { $0.isFinite ? $0 : -1 }
            let g = values(count, seed: UInt64(97 + index), as: T.self).map { $0.isFinite ? $0 : 0.5 }
            for (affine, label) in [(true, "affine"), (false, "plain")] {
                let comment = "layer norm, \(T.self), size \(size), \(label)"
                var (xHat, xHatReference) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
                var (rstd, rstdReference) = ([T](repeating: 7, count: rows), [T](repeating: 7, count: rows))
                var (y, yReference) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        let (w, b) = affine ? (w.baseAddress, b.baseAddress) : (nil, nil)
                        T._kernelLayerNorm(x, rows: rows, size: size, epsilon: 1e-5, normalized: &xHat, reciprocals: &rstd,
                                           weight: w, bias: b, output: &y)
                        Kernels.layerNormLoop(x, rows: rows, size: size, epsilon: 1e-5, normalized: &xHatReference,
                                              reciprocals: &rstdReference, weight: w, bias: b, output: &yReference)
                    }
                }
                expectSameBits(xHat + rstd + y, xHatReference + rstdReference + yReference, "\(comment), forward")
                let finite = xHatReference.map { $0.isFinite ? $0 : 0 }
                var (dX, dXReference) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
                var (dW, dWReference) = ([T](repeating: 0, count: size), [T](repeating: 0, count: size))
                var (dB, dBReference) = ([T](repeating: 0, count: size), [T](repeating: 0, count: size))
                weight.withUnsafeBufferPointer { w in
                    let w = affine ? w.baseAddress : nil
                    T._kernelLayerNormBackward(g, normalized: finite, reciprocals: rstd, weight: w, rows: rows, size: size, dX: &dX)
                    Kernels.layerNormBackwardLoop(g, normalized: finite, reciprocals: rstd, weight: w, rows: rows, size: size,
                                                  dX: &dXReference)
                }
                T._kernelLayerNormParameters(g, normalized: finite, rows: rows, size: size, first: 0, count: size, dWeight: &dW,
                                             dBias: &dB)
                Kernels.layerNormParametersLoop(g, normalized: finite, rows: rows, size: size, first: 0, count: size,
                                                dWeight: &dWReference, dBias: &dBReference)
                expectSameBits(dX + dW + dB, dXReference + dWReference + dBReference, "\(comment), backward")
            }
        }
    }

    @Test func layerNormKernelsMatchTheSwiftLoops() {
        checkLayerNorm(Float.self)
        checkLayerNorm(Double.self)
    }

    private func checkDropout<T: TensorScalar>(_: T.Type) {
        // Counts around the kernel's chunk of 512 elements, odd and even; p = 0 keeps everything.
        for (index, count) in [0, 1, 2, 3, 511, 512, 513, 1025, 2048].enumerated() {
            for probability in [0.0, 0.25, 0.9] {
                let x = values(count, seed: UInt64(70 + index), as: T.self)
                let comment = "dropout, \(T.self), \(count) values, p \(probability)"
                var (generator, referenceGenerator) = (RandomGenerator(seed: 5), RandomGenerator(seed: 5))
                var (y, reference) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
                var (keep, referenceKeep) = ([UInt8](repeating: 9, count: count), [UInt8](repeating: 9, count: count))
                Kernels.dropout(x: x, y: &y, keep: &keep, count: count, probability: probability, generator: &generator)
                Kernels.dropoutLoop(x: x, y: &reference, keep: &referenceKeep, count: count, probability: probability,
                                    generator: &referenceGenerator)
                expectSameBits(y, reference, "\(comment)")
                #expect(keep == referenceKeep && generator == referenceGenerator, "\(comment): masks or generators differ")
                // In place and without the mask: the same values, the same next draw.
                var inPlace = x
                var thirdGenerator = RandomGenerator(seed: 5)
                inPlace.withUnsafeMutableBufferPointer { buffer in
                    Kernels.dropout(x: buffer.baseAddress!, y: buffer.baseAddress!, keep: nil, count: count, probability: probability,
                                    generator: &thirdGenerator)
                }
                expectSameBits(inPlace, reference, "\(comment), in place")
                #expect(thirdGenerator == referenceGenerator, "\(comment): the generator advanced differently in place")
                // With a residual added, with and without the mask.
                let residual = values(count, seed: UInt64(85 + index), as: T.self)
                for keeping in [true, false] {
                    var (g, referenceG) = (RandomGenerator(seed: 6), RandomGenerator(seed: 6))
                    var (sum, referenceSum) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
                    var (k, referenceK) = ([UInt8](repeating: 9, count: count), [UInt8](repeating: 9, count: count))
                    k.withUnsafeMutableBufferPointer { k in
                        referenceK.withUnsafeMutableBufferPointer { referenceK in
                            Kernels.dropout(x: x, residual: residual, y: &sum, keep: keeping ? k.baseAddress : nil, count: count,
                                            probability: probability, generator: &g)
                            Kernels.dropoutLoop(x: x, residual: residual, y: &referenceSum, keep: keeping ? referenceK.baseAddress : nil,
                                                count: count, probability: probability, generator: &referenceG)
                        }
                    }
                    expectSameBits(sum, referenceSum, "\(comment), residual, mask kept \(keeping)")
                    #expect(k == referenceK && g == referenceG, "\(comment), residual: masks or generators differ")
                }
                let dY = values(count, seed: UInt64(80 + index), as: T.self), factor = T(1 / (1 - probability))
                var (dX, dXReference) = ([T](repeating: 7, count: count), [T](repeating: 7, count: count))
                T._kernelDropoutBackward(dY: dY, keep: keep, dX: &dX, count: count, factor: factor)
                Kernels.dropoutBackwardLoop(dY: dY, keep: keep, dX: &dXReference, count: count, factor: factor)
                expectSameBits(dX, dXReference, "\(comment), backward")
            }
        }
    }

    @Test func dropoutKernelsMatchTheSwiftLoops() {
        checkDropout(Float.self)
        checkDropout(Double.self)
    }

    private func checkConvolution<T: TensorScalar>(_: T.Type) {
        // Strides, dilations and paddings that leave rows and columns partly or wholly in the padding.
        let cases: [(input: [Int], kernel: [Int], stride: [Int], padding: [Int], dilation: [Int])] = [
            ([3, 7, 9], [3, 3], [1, 1], [1, 1], [1, 1]), ([3, 8, 6], [3, 2], [2, 3], [2, 1], [1, 2]),
            ([2, 5, 5], [5, 5], [1, 1], [4, 4], [1, 1]), ([2, 9, 4], [2, 3], [3, 1], [0, 2], [3, 1]),
        ]
        for (index, c) in cases.enumerated() {
            let g = convolutionGeometry(op: "test", input: [1] + c.input, weight: [4, c.input[0]] + c.kernel, bias: nil,
                                        stride: c.stride, padding: .explicit(c.padding), dilation: c.dilation, groups: 1)
            let rows = g.inChannels * g.height.kernel * g.width.kernel
            let image = values(g.inChannels * g.inputPlane, seed: UInt64(40 + index), as: T.self)
            var (columns, reference) = ([T](repeating: 7, count: rows * g.outputPlane), [T](repeating: 7, count: rows * g.outputPlane))
            T._kernelIm2col(image: image, columns: &columns, firstChannel: 1, channelCount: g.inChannels - 1, window: g.window)
            Kernels.im2colLoop(image: image, columns: &reference, firstChannel: 1, channelCount: g.inChannels - 1, geometry: g)
            expectSameBits(columns, reference, "im2col, case \(index), \(T.self)")
            let dColumns = values(rows * g.outputPlane, seed: UInt64(50 + index), as: T.self)
            var dX = values(g.inChannels * g.inputPlane, seed: UInt64(60 + index), as: T.self), dXReference = dX
            T._kernelCol2im(columns: dColumns, image: &dX, firstChannel: 1, channelCount: g.inChannels - 1, window: g.window)
            Kernels.col2imLoop(columns: dColumns, image: &dXReference, firstChannel: 1, channelCount: g.inChannels - 1, geometry: g)
            expectSameBits(dX, dXReference, "col2im, case \(index), \(T.self)")
        }
    }

    @Test func convolutionKernelsMatchTheSwiftLoops() {
        checkConvolution(Float.self)
        checkConvolution(Double.self)
    }

    @Test func normalizationKernelsMatchTheSwiftLoops() {
        checkNormalization(Float.self)
        checkNormalization(Double.self)
    }

    /// Double has no C LSTM cell: its binding is the Swift loop.
    @Test func doubleLSTMCellIsTheSwiftLoop() {
        let (batch, h) = (2, 9)
        let gates = values(batch * 4 * h, seed: 40, as: Double.self), previous = values(batch * h, seed: 41, as: Double.self)
        var (g, cell, tanhCell, hidden) = (gates, [Double](repeating: 0, count: batch * h), [Double](repeating: 0, count: batch * h),
                                           [Double](repeating: 0, count: batch * h))
        var (gReference, cellReference, tanhReference, hiddenReference) = (g, cell, tanhCell, hidden)
        Double._kernelLSTMCell(gates: &g, previousCell: previous, cell: &cell, tanhCell: &tanhCell, hidden: &hidden,
                               batch: batch, size: h, units: 0..<h)
        Kernels.lstmCellLoop(gates: &gReference, previousCell: previous, cell: &cellReference, tanhCell: &tanhReference,
                             hidden: &hiddenReference, batch: batch, size: h, units: 0..<h)
        expectSameBits(g + cell + tanhCell + hidden, gReference + cellReference + tanhReference + hiddenReference, "LSTM, Double")
    }

    /// Double's GELU binding is the exact Swift loop, bit for bit.
    @Test func doubleGELUIsTheSwiftLoop() {
        let x = values(1000, seed: 50, as: Double.self).map { $0 * 8 }, dY = values(1000, seed: 51, as: Double.self)
        var (y, yReference, dX, dXReference, cdf, cdfReference) = (x, x, x, x, x, x)
        Double._kernelGELU(x: x, y: &y, cdf: &cdf, count: x.count)
        Kernels.geluLoop(x: x, y: &yReference, cdf: &cdfReference, count: x.count)
        Double._kernelGELUBackward(x: x, cdf: cdf, dY: dY, dX: &dX, count: x.count)
        Kernels.geluBackwardLoop(x: x, cdf: cdfReference, dY: dY, dX: &dXReference, count: x.count)
        expectSameBits(y + cdf + dX, yReference + cdfReference + dXReference, "GELU, Double")
        // Φ = ½·(1 + erf(x/√2)) exactly as the loop forms it.
        expectSameBits(cdf, x.map { 0.5 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }, "GELU's Φ, Double")
    }

    /// Float's vectorized GELU is within 4 ulps of x·Φ(x), and its gradient within 4 ulps of the
    /// larger of its terms Φ(x) and |x·φ(x)| (times |dy|; the two cancel near x = −0.75), over a
    /// dense sweep of [−20, 20], random points, and the edges: ±0, subnormal results far in the
    /// negative tail, ±∞ and NaN as the formula gives them. The reference is Φ by `erfc` in Double,
    /// which, unlike 1 + erf, keeps its digits in the negative tail.
    @Test func floatGELUIsWithinFourUlpsOfTheExactValue() {
        var x: [Float] = stride(from: -20.0, through: 20.0, by: 1.0 / 1024).map { Float($0) }
        x += values(4096, seed: 52, as: Float.self).map { $0 * 6 }
        x += [0, -0, 1e-30, -1e-30, Float.leastNonzeroMagnitude, -13.5, -14, -30, 30, 1e30, -1e30, .infinity, -.infinity, .nan]
        let dY = (0..<x.count).map { Float(1 + ($0 % 7)) / 4 }
        var (y, dX) = ([Float](repeating: 0, count: x.count), [Float](repeating: 0, count: x.count))
        var (cdf, yWithoutCDF) = ([Float](repeating: 0, count: x.count), [Float](repeating: 0, count: x.count))
        Float._kernelGELU(x: x, y: &y, cdf: &cdf, count: x.count)
        Float._kernelGELU(x: x, y: &yWithoutCDF, cdf: nil, count: x.count)
        expectSameBits(yWithoutCDF, y, "GELU without keeping Φ")
        Float._kernelGELUBackward(x: x, cdf: cdf, dY: dY, dX: &dX, count: x.count)
        /// Within 4 ulps (at least of the smallest subnormal) of `scale` rounded to Float.
        func close(_ actual: Float, _ exact: Double, scale: Double) -> Bool {
            if exact.isNaN { return actual.isNaN }
            if exact.isInfinite { return actual == Float(exact) }
            return abs(Double(actual) - exact) <= 4 * Double(max(Float(scale).magnitude.ulp, Float.leastNonzeroMagnitude))
        }
        var bad: [String] = []
        for i in x.indices {
            let v = Double(x[i]), cdf = 0.5 * Foundation.erfc(-v / 2.0.squareRoot())
            let xDensity = v * Foundation.exp(-v * v / 2) / (2 * Double.pi).squareRoot()
            if !close(y[i], v * cdf, scale: v * cdf) { bad.append("GELU(\(x[i])) = \(y[i]), exact \(v * cdf)") }
            let gradient = Double(dY[i]) * (cdf + xDensity), scale = Double(abs(dY[i])) * max(cdf, abs(xDensity))
            if !close(dX[i], gradient, scale: scale) { bad.append("GELU'(\(x[i])) = \(dX[i]), exact \(gradient)") }
        }
        #expect(bad.isEmpty, "\(bad.count) values off: \(bad.prefix(3))")
    }

    /// Float's attention softmax rows are within 1e-6 (relative) of the Double loop on the same
    /// scores, causal or not, and the weight rows recompute the forward's weights bit for bit from
    /// the saved log-sum-exps; Double's bindings are the Swift loops.
    @Test(arguments: [false, true]) func attentionSoftmaxRows(causal: Bool) {
        let (rows, keys, scale) = (5, 37, 0.3)
        let (visible0, step) = causal ? (3, 1) : (keys, 0)
        let scores = values(rows * keys, seed: 60, as: Float.self).map { $0.isFinite ? $0 * 4 : 1 }
        var (weights, lse) = (scores, [Float](repeating: 0, count: rows))
        Float._kernelAttentionSoftmaxRows(&weights, rows: rows, keys: keys, visible0: visible0, step: step, scale: Float(scale),
                                          logSumExp: &lse)
        var recomputed = scores
        Float._kernelAttentionWeightRows(&recomputed, rows: rows, keys: keys, visible0: visible0, step: step, scale: Float(scale),
                                         logSumExp: lse)
        expectSameBits(recomputed, weights, "recomputed weights")
        var (exact, exactLSE) = (scores.map(Double.init), [Double](repeating: 0, count: rows))
        Kernels.attentionSoftmaxRowsLoop(&exact, rows: rows, keys: keys, visible0: visible0, step: step, scale: scale, logSumExp: &exactLSE)
        let far = weights.indices.filter { abs(Double(weights[$0]) - exact[$0]) > 1e-6 * exact[$0] + 1e-30 }
        #expect(far.isEmpty, "\(far.count) weights off, the first \(far.first.map { "\(weights[$0]) vs \(exact[$0])" } ?? "")")
        for r in 0..<rows {
            let visible = min(visible0 + step * r, keys)
            #expect(weights[(r * keys + visible)..<((r + 1) * keys)].allSatisfy { $0 == 0 }, "row \(r): hidden keys get 0")
            #expect(abs(Double(lse[r]) - exactLSE[r]) <= 1e-6 * abs(exactLSE[r]), "row \(r) log-sum-exp")
        }
        var (doubleWeights, doubleLSE) = (scores.map(Double.init), [Double](repeating: 0, count: rows))
        Double._kernelAttentionSoftmaxRows(&doubleWeights, rows: rows, keys: keys, visible0: visible0, step: step, scale: scale,
                                           logSumExp: &doubleLSE)
        expectSameBits(doubleWeights + doubleLSE, exact + exactLSE, "Double binding")
    }
}
