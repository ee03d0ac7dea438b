import Synchronization
import Testing
@testable import EasyNets

/// Elementwise kernels split across threads give exactly the serial results.
@Suite(.serialized) struct ParallelismTests {
    func run(threads: Int, _ body: () -> [[Float]]) -> [[Float]] {
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
        #expect(serial == parallel)
        #expect(serial == uneven)
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
}
