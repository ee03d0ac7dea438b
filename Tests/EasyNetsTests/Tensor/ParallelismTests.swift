import Synchronization
import Testing
@_spi(Benchmark) @testable import EasyNets

/// EasyNets' own kernels split across threads give exactly the serial results; BLAS products
/// agree with the one-thread results within their rounding error.
@Suite(.serialized) struct ParallelismTests {
    func run<T>(threads: Int, _ body: () -> [[T]]) -> [[T]] {
        let saved = Parallelism.threadCount
        Parallelism.threadCount = threads
        defer { Parallelism.threadCount = saved }
        return body()
    }

    @Test func splitKernelsMatchSerialBitForBit() {
        let n = Parallelism.minimumParallelCount * 2 + 7  // uneven chunks
        func compute() -> [[Float]] {
            var x = randomTensor([n], in: -3...3, seed: 1) as Tensor<Float>
            let y = randomTensor([n], in: -3...3, seed: 2) as Tensor<Float>
            x.requiresGradient = true
            let out = gelu(tanh(x) * y + y) - relu(x)
            (out * y).sum().backward()
            let parameter = Parameter(randomTensor([n], seed: 3) as Tensor<Float>)
            let sgd = SGD([parameter], learningRate: 0.1, momentum: 0.9)
            let adamParameter = Parameter(randomTensor([n], seed: 4) as Tensor<Float>)
            let adam = Adam([adamParameter], learningRate: 0.01)
            for _ in 0..<2 {
                sgd.zeroGradients(); adam.zeroGradients()
                (square(parameter.value) * y).sum().backward()
                (square(adamParameter.value) * y).sum().backward()
                sgd.step(); adam.step()
            }
            return [out.scalars, x.gradient!.scalars, parameter.value.scalars, adamParameter.value.scalars]
        }
        let serial = run(threads: 1, compute)
        let parallel = run(threads: 2, compute)
        let uneven = run(threads: 3, compute)
        for (index, values) in serial.enumerated() {
            expectEqualScalars(parallel[index], values, "result \(index) at 2 threads")
            expectEqualScalars(uneven[index], values, "result \(index) at 3 threads")
        }
        #expect(Parallelism.forEachChunk(Parallelism.minimumParallelCount - 1) { _, _ in } == false)
        // With 3 threads a large count really splits, into chunks that tile 0..<n exactly.
        let covered = Mutex<[Range<Int>]>([])
        let split = run(threads: 3) {
            [[Parallelism.forEachChunk(n) { start, count in covered.withLock { $0.append(start..<(start + count)) } } ? 1 : 0]]
        }
        #expect(split == [[1]])
        let ranges = covered.withLock { $0.sorted { $0.lowerBound < $1.lowerBound } }
        #expect(ranges.count == 3 && ranges.first?.lowerBound == 0 && ranges.last?.upperBound == n)
        #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
    }

    /// Dropout of a large tensor splits across threads, each part drawing from the generator
    /// advanced to its first element: the values, masks and generator's next state are those of
    /// the serial reference loop at any thread count.
    @Test func dropoutSplitAcrossThreadsMatchesSerialBitForBit() {
        let n = Parallelism.minimumParallelCount * 2 + 7  // odd, and uneven parts at 3 threads
        let x = randomTensor([n], in: -3...3, seed: 21) as Tensor<Float>
        let residual = randomTensor([n], in: -3...3, seed: 22) as Tensor<Float>
        var referenceGenerator = RandomGenerator(seed: 23)
        var reference = [Float](repeating: 0, count: n), referenceKeep = [UInt8](repeating: 0, count: n)
        Kernels.dropoutLoop(x: x.scalars, residual: residual.scalars, y: &reference, keep: &referenceKeep, count: n,
                            probability: 0.3, generator: &referenceGenerator)
        for threads in [1, 2, 3] {
            let results = run(threads: threads) { () -> [[Float]] in
                var generator = RandomGenerator(seed: 23)
                var y = [Float](repeating: 0, count: n), keep = [UInt8](repeating: 9, count: n)
                Kernels.dropout(x: x.scalars, residual: residual.scalars, y: &y, keep: &keep, count: n, probability: 0.3,
                                generator: &generator)
                return [y, keep.map { Float($0) }, [Float(generator == referenceGenerator ? 1 : 0)]]
            }
            expectEqualScalars(results[0], reference, "dropout values at \(threads) threads")
            #expect(results[1] == referenceKeep.map { Float($0) }, "dropout masks at \(threads) threads")
            #expect(results[2] == [1], "the generator's state after dropout at \(threads) threads")
        }
    }

    /// Convolutions split their image blocks across threads (each block's products on one thread,
    /// the weight gradient summed block by block in order): the same bits at 1, 2 and 3 threads.
    @Test func convolutionImageBlocksMatchSerialBitForBit() {
        func compute() -> [[Float]] {
            var results: [[Float]] = []
            for (input, weight, padding) in [([19, 4, 12, 12], [8, 4, 3, 3], 1), ([19, 16, 24, 24], [16, 16, 1, 1], 0)] {
                var x = randomTensor(input, seed: 1) as Tensor<Float>, w = randomTensor(weight, seed: 2) as Tensor<Float>
                x.requiresGradient = true; w.requiresGradient = true
                let y = conv2d(x, weight: w, padding: .explicit([padding, padding]))
                (y * y).sum().backward()
                results += [y.scalars, x.gradient!.scalars, w.gradient!.scalars]
            }
            return results
        }
        let serial = run(threads: 1, compute)
        for threads in [2, 3] {
            for (index, values) in run(threads: threads, compute).enumerated() {
                expectEqualScalars(values, serial[index], "convolution result \(index) at \(threads) threads")
            }
        }
    }

    /// Self-attention's heads split across threads (each range of heads issuing its own products)
    /// give the one-thread outputs and gradients bit for bit, dropout included: each head's products
    /// are the same calls, and its masks come from a generator of its own.
    @Test func attentionHeadsSplitAcrossThreadsMatchSerialBitForBit() {
        let (batch, length, size, heads) = (4, 96, 16, 4)
        #expect(batch * heads * length * length >= Parallelism.minimumParallelCount)  // enough work to split
        func compute() -> [[Float]] {
            var generator = RandomGenerator(seed: 11)
            let layer = MultiheadAttention<Float>(embeddingSize: size, headCount: heads, dropout: 0.2, batchFirst: true, seed: 5,
                                                  using: &generator)
            var x = Tensor<Float>.normal([batch, length, size], using: &generator)
            x.requiresGradient = true
            let output = layer.attend(query: x, key: x, value: x, needWeights: false, isCausal: true).output
            (output * output).sum().backward()
            return [output.scalars, x.gradient!.scalars] + layer.trainableParameters.map { $0.gradient!.scalars }
        }
        let serial = run(threads: 1, compute), parallel = run(threads: 2, compute), uneven = run(threads: 3, compute)
        for (index, values) in serial.enumerated() {
            expectEqualScalars(parallel[index], values, "attention result \(index) at 2 threads")
            expectEqualScalars(uneven[index], values, "attention result \(index) at 3 threads")
        }
    }

    /// An LSTM's steps split across threads in lockstep (each thread a share of the cell units and
    /// of the output columns) give the one-thread outputs, final states and gradients to Double
    /// rounding: full and packed batches, both directions of time, with and without a projection.
    /// Only the products' sums may group differently (see the next tests); the cells are the same.
    @Test func lstmStepsSplitAcrossThreadsMatchSerial() {
        let (batch, hidden, projection, length) = (64, 128, 64, 6)
        for threads in [2, 3] {  // the steps are large enough to split at these thread counts
            #expect(run(threads: threads) { [[Double(Parallelism.lockstepParts(stepWork: batch * 4 * hidden * projection))]] } == [[Double(threads)]])
        }
        func compute() -> [[Double]] {
            var generator = RandomGenerator(seed: 31)
            var results: [[Double]] = []
            for projectionSize in [0, projection] {
                let layer = Recurrent<Double>(.lstm, inputSize: 5, hiddenSize: hidden, bidirectional: true, projectionSize: projectionSize,
                                              using: &generator)
                var x = Tensor<Double>.normal([length, batch, 5], using: &generator)
                x.requiresGradient = true
                for lengths in [nil, (0..<batch).map { length - $0 % length }] {
                    let (output, state) = layer.run(x, lengths: lengths)
                    let weights = Tensor<Double>.normal(output.shape, using: &generator)
                    ((output * weights).sum() + (state.hidden * state.hidden).sum() + (state.cell! * state.cell!).sum()).backward()
                    results += [output.scalars, state.hidden.scalars, state.cell!.scalars, x.gradient!.scalars]
                    results += layer.parameters.map { $0.parameter.gradient!.scalars }
                    x.zeroGradient()
                    layer.zeroGradients()
                }
            }
            return results
        }
        let serial = run(threads: 1, compute)
        for threads in [2, 3] {
            for (index, values) in run(threads: threads, compute).enumerated() {
                expectClose(values, serial[index], tolerance: 1e-12, "LSTM result \(index) at \(threads) threads")
            }
        }
    }

    /// Each product gets threads for its work only: batch-1 products and small layers run on one
    /// thread whatever the limit; large ones get up to the limit.
    @Test func productsGetThreadsByTheirWork() {
        // The decision alone, for a given limit: OpenBLAS's thread setting and the limit are
        // process-wide, and other suites run products at the same time.
        func threadsAfter(limit: Int, m: Int, n: Int, k: Int) -> Int {
            MatrixProduct.threadCount(m: m, n: n, k: k, limit: limit) ?? 0
        }
        // The online step's products (gemv, ger) and the 10-wide output layer: one thread.
        #expect(threadsAfter(limit: 2, m: 1, n: 256, k: 784) == 1)
        #expect(threadsAfter(limit: 2, m: 256, n: 784, k: 1) == 1)
        #expect(threadsAfter(limit: 2, m: 128, n: 10, k: 128) == 1)
        // The hidden layers at batch 128: both threads; a 4 M-element matrix-vector product too.
        #expect(threadsAfter(limit: 2, m: 128, n: 256, k: 784) == 2)
        #expect(threadsAfter(limit: 2, m: 1, n: 2048, k: 2048) == 2)
        // The limit caps it, and a large limit is used only as far as the work goes.
        #expect(threadsAfter(limit: 1, m: 128, n: 256, k: 784) == 1)
        #expect(threadsAfter(limit: 3, m: 128, n: 256, k: 784) == 3)
        let perThread = Parallelism.minimumProductWorkPerThread
        #expect(Parallelism.threads(forWork: 128 * 256 * 784, perThread: perThread, limit: 64) == 49)
        #expect(Parallelism.threads(forWork: Int.max, perThread: perThread, limit: 64) == 64)
        #expect(threadsAfter(limit: 2, m: 0, n: 5, k: 5) == 0 && threadsAfter(limit: 2, m: 5, n: 5, k: 0) == 0)
    }

    /// A product split across threads agrees with the one-thread result to within the product's
    /// own rounding error, not bit for bit: OpenBLAS may group the sums differently at another
    /// thread count (Debian's OpenBLAS 0.3.21 does on AMD Zen). Either result is within
    /// γₖ·(|A|·|B|) of the exact product elementwise, γₖ = k·u/(1 − k·u) for inner dimension k and
    /// unit roundoff u (Higham), so the two are within twice that of each other.
    @Test func productsAtAnyThreadCountAgreeWithinRounding() {
        let a = randomTensor([256, 300], seed: 5) as Tensor<Float>, b = randomTensor([300, 520], seed: 6) as Tensor<Float>
        let v = randomTensor([1, 2048], seed: 7) as Tensor<Float>, w = randomTensor([2048, 2048], seed: 8) as Tensor<Float>
        let products: [(name: String, left: Tensor<Float>, right: Tensor<Float>)] = [
            ("(256, 300)·(300, 520)", a, b), ("(1, 2048)·(2048, 2048)", v, w), ("(300, 256)·(256, 300)", a.transposed(), a),
        ]
        func compute() -> [[Float]] { products.map { matmul($0.left, $0.right).scalars } }
        let one = run(threads: 1, compute)
        for threads in [2, 3] {
            let split = run(threads: threads, compute)
            for (index, product) in products.enumerated() {
                let k = product.left.shape[1]
                let u = Double(Float.ulpOfOne) / 2, gamma = Double(k) * u / (1 - Double(k) * u)
                let magnitude = matmul(asDouble(abs(product.left)), asDouble(abs(product.right)))
                expectWithinBounds(split[index].map(Double.init), one[index].map(Double.init),
                                   bounds: magnitude.scalars.map { 2 * gamma * $0 }, shape: magnitude.shape,
                                   "2·γₖ·(|A|·|B|), k = \(k)", "\(product.name) at \(threads) threads")
            }
        }
    }

    /// A product large enough to run as shares (``MatrixProduct/shares(m:n:k:threads:)``), split
    /// by rows of C and by columns, with either operand transposed and beta = 1, is within the
    /// rounding bound γₖ₊₁·(|A|·|B| + |C₀|) of the exact result, computed in Double by hand.
    @Test func productsRunAsSharesMatchTheExactResult() {
        // Products just below either bound (4096 rows or columns, 2²⁴ multiply-adds) stay whole.
        #expect(MatrixProduct.shares(m: 4095, n: 8, k: 1 << 20, threads: 3).parts == 1)
        #expect(MatrixProduct.shares(m: 4096, n: 8, k: 511, threads: 3).parts == 1)
        for (m, n, k) in [(4100, 9, 460), (7, 4200, 600)] {
            let shares = MatrixProduct.shares(m: m, n: n, k: k, threads: 3)
            #expect(shares.parts == 3 && shares.byRows == (m > n), "\(m)×\(n)×\(k) runs as \(shares)")
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = (randomTensor([m * k], seed: 11) as Tensor<Float>).scalars
                    let b = (randomTensor([k * n], seed: 12) as Tensor<Float>).scalars
                    let c0 = (randomTensor([m * n], seed: 13) as Tensor<Float>).scalars
                    let computed = run(threads: 3) { () -> [[Float]] in
                        var c = c0
                        a.withUnsafeBufferPointer { a in
                            b.withUnsafeBufferPointer { b in
                                c.withUnsafeMutableBufferPointer { c in
                                    MatrixProduct.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                       a: a.baseAddress!, b: b.baseAddress!, beta: 1, c: c.baseAddress!)
                                }
                            }
                        }
                        return [c]
                    }[0]
                    var exact = [Double](repeating: 0, count: m * n), bounds = exact
                    let u = Double(Float.ulpOfOne) / 2, gamma = Double(k + 1) * u / (1 - Double(k + 1) * u)
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = Double(c0[i * n + j]), magnitude = abs(sum)
                            for p in 0..<k {
                                let x = Double(transposeA ? a[p * m + i] : a[i * k + p])
                                let y = Double(transposeB ? b[j * k + p] : b[p * n + j])
                                sum += x * y
                                magnitude += abs(x * y)
                            }
                            exact[i * n + j] = sum
                            bounds[i * n + j] = gamma * magnitude
                        }
                    }
                    expectWithinBounds(computed.map(Double.init), exact, bounds: bounds, shape: [m, n], "γₖ₊₁·(|A|·|B| + |C₀|)",
                                       "(\(m), \(k))·(\(k), \(n)), transposeA \(transposeA), transposeB \(transposeB)")
                }
            }
        }
    }
}
