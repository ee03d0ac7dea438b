import Testing
@testable import EasyNets

/// Slicing on any axis, stack, split, chunk, `select` (torch.where) and masked fill with
/// broadcasting, matmul with broadcast batch axes, and cross-entropy / NLL on (N, C, d…):
/// outputs and gradients against PyTorch (`scripts/fixtures/make_tensor_ops_fixture.py`, in Double
/// to 1e-12), and gradients against central differences.
@Suite struct TensorOpsTests {
    struct Case: Decodable {
        let inputs: [EncodedTensor]
        let outputs: [EncodedTensor]
        let upstream: [EncodedTensor]
        let gradients: [EncodedTensor]
        let axis: Int?, start: Int?, end: Int?, step: Int?, size: Int?, sizes: [Int]?, count: Int?
        let mask: EncodedTensor?
        let indices: Indices?
        let value: Double?
        let transpose_b: Bool?
        let labels: [Int]?, reduction: String?, class_weights: [Double]?, ignore_index: Int?, label_smoothing: Double?
    }

    struct Indices: Decodable {
        let shape: [Int]
        let values: [Int]
        var tensor: IndexTensor { IndexTensor(values, shape: shape) }
    }

    struct Fixture: Decodable { let cases: [String: Case] }

    let fixture: Fixture
    init() throws { fixture = try loadFixture("tensor_ops.json", as: Fixture.self) }

    /// Runs `op` on the case's inputs and compares its outputs, then the gradients of
    /// Σ output·upstream, with PyTorch's.
    func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
               _ op: (Case, [Tensor<Double>]) -> [Tensor<Double>]) {
        guard let c = fixture.cases[name] else {
            Issue.record("no fixture case \(name)", sourceLocation: sourceLocation)
            return
        }
        let inputs = c.inputs.map(\.leaf)
        let outputs = op(c, inputs)
        #expect(outputs.count == c.outputs.count, "\(name): \(outputs.count) outputs, PyTorch \(c.outputs.count)",
                sourceLocation: sourceLocation)
        for (output, expected) in zip(outputs, c.outputs) {
            expectClose(output.detached, expected.tensor, tolerance: 1e-12, "\(name) output", sourceLocation: sourceLocation)
        }
        let total = zip(outputs, c.upstream).map { ($0 * $1.tensor).sum() }.reduce(Tensor<Double>(0)) { $0 + $1 }
        total.backward()
        for (input, expected) in zip(inputs, c.gradients) {
            expectClose(input.gradient ?? .zeros(input.shape), expected.tensor, tolerance: 1e-12, "\(name) gradient",
                        sourceLocation: sourceLocation)
        }
    }

    @Test func slicingOnAnyAxis() {
        for name in ["slice_axis1", "slice_last", "slice_empty"] {
            check(name) { c, x in [x[0].sliced(along: c.axis!, c.start!..<c.end!)] }
        }
        // x[:, 1:6:2], x[::2], x[:, 4:] and x[..., 1::3]: a step, and ranges open at the end.
        for name in ["slice_step", "slice_step_to_end", "slice_from", "slice_step_last"] {
            check(name) { c, x in
                if let end = c.end { return [x[0].sliced(along: c.axis!, c.start!..<end, step: c.step ?? 1)] }
                return [x[0].sliced(along: c.axis!, c.start!..., step: c.step ?? 1)]
            }
        }
    }

    /// Every kind of Swift range names the same positions as the half-open range it stands for.
    @Test func slicingTakesEveryRangeKind() {
        let x = randomTensor([3, 6, 2], seed: 9)
        #expect(x.sliced(along: 1, 1...3).scalars == x.sliced(along: 1, 1..<4).scalars)
        #expect(x.sliced(along: 1, ..<3).scalars == x.sliced(along: 1, 0..<3).scalars)
        #expect(x.sliced(along: 1, ...2).scalars == x.sliced(along: 1, 0..<3).scalars)
        #expect(x.sliced(along: 1, 2...).scalars == x.sliced(along: 1, 2..<6).scalars)
        #expect(x.sliced(along: 1, 6...).shape == [3, 0, 2])
        // A step larger than the range keeps its first position only.
        #expect(x.sliced(along: 1, 2..<5, step: 7).scalars == x.sliced(along: 1, 2..<3).scalars)
        #expect(x.sliced(along: 1, 2..., step: .max).scalars == x.sliced(along: 1, 2..<3).scalars)
    }

    @Test func stacking() {
        for name in ["stack_0", "stack_1", "stack_last"] {
            check(name) { c, x in [Tensor.stacked(x, along: c.axis!)] }
        }
    }

    @Test func splittingAndChunking() {
        check("split_size") { c, x in x[0].split(size: c.size!, along: c.axis!) }
        check("split_sizes") { c, x in x[0].split(sizes: c.sizes!, along: c.axis!) }
        check("chunk_3") { c, x in x[0].chunked(c.count!, along: c.axis!) }
        check("chunk_4_of_6") { c, x in x[0].chunked(c.count!, along: c.axis!) }  // PyTorch gives 3 pieces
        #expect(Tensor<Double>.zeros([0, 2]).chunked(3).map(\.shape) == [[0, 2], [0, 2], [0, 2]])
        #expect(Tensor<Double>.zeros([0, 2]).split(size: 2).map(\.shape) == [[0, 2]])
    }

    @Test func selectAndMaskedFillBroadcast() {
        check("where_broadcast") { c, x in [Tensor.select(where: c.mask!.tensor, x[0], else: x[1])] }
        check("masked_fill") { c, x in [x[0].maskedFilled(where: c.mask!.tensor, with: c.value!)] }
    }

    /// The gradient of `select` is exactly 0 on the side not chosen, even where the incoming
    /// gradient is infinite (multiplying by a 0/1 mask would give NaN), and a mask of 2 chooses
    /// like a mask of 1.
    @Test func selectGradientIsZeroWhereNotChosen() {
        var a = Tensor<Double>([1, 2, 3]), b = Tensor<Double>([4, 5, 6])
        a.requiresGradient = true
        b.requiresGradient = true
        let y = Tensor.select(where: Tensor([2, 0, 1]), a, else: b)
        #expect(y.scalars == [1, 5, 3])
        y.backward(seed: Tensor([.infinity, 7, 8]))
        #expect(a.gradient?.scalars == [.infinity, 0, 8])
        #expect(b.gradient?.scalars == [0, 7, 0])
    }

    @Test func gatherAndEmbeddingWithIndexTensors() {
        check("gather_axis1") { c, x in [x[0].gathered(along: c.axis!, indices: c.indices!.tensor)] }
        check("gather_last") { c, x in [x[0].gathered(along: c.axis!, indices: c.indices!.tensor)] }
        check("embedding") { c, x in
            let embedding = Embedding<Double>(6, 3)
            embedding.weight.value = x[0]  // the fixture's table, which collects the gradient
            return [embedding(c.indices!.tensor)]
        }
    }

    @Test func matmulBroadcastsBatchAxes() {
        for name in ["matmul_2d_3d", "matmul_4d_3d", "matmul_1d_3d", "matmul_3d_1d", "matmul_3d_2d", "matmul_4d_4d_broadcast"] {
            check(name) { _, x in [matmul(x[0], x[1])] }
        }
        check("matmul_3d_2d_transposed") { _, x in [matmul(x[0], x[1], transposeB: true)] }
    }

    @Test func classificationLossesOverPositions() {
        for reduction in ["mean", "sum", "none"] {
            let kind: LossReduction = reduction == "mean" ? .mean : reduction == "sum" ? .sum : LossReduction.none
            check("cross_entropy_ncl_\(reduction)") { c, x in [crossEntropy(logits: x[0], labels: c.labels!, reduction: kind)] }
            check("cross_entropy_ncl_full_\(reduction)") { c, x in
                [crossEntropy(logits: x[0], labels: c.labels!, classWeights: Tensor(c.class_weights!), ignoreIndex: c.ignore_index,
                              labelSmoothing: c.label_smoothing!, reduction: kind)]
            }
            check("nll_ncdd_\(reduction)") { c, x in
                [negativeLogLikelihood(x[0], labels: c.labels!, classWeights: Tensor(c.class_weights!), reduction: kind)]
            }
            check("nll_ncdd_\(reduction)") { c, x in  // the same labels as an IndexTensor of shape (N, d₁, d₂)
                [negativeLogLikelihood(x[0], labels: IndexTensor(c.labels!, shape: [2, 2, 2]), classWeights: Tensor(c.class_weights!),
                                       reduction: kind)]
            }
            check("cross_entropy_ncl_\(reduction)") { c, x in
                [crossEntropy(logits: x[0], labels: IndexTensor(c.labels!, shape: [2, 3]), reduction: kind)]
            }
        }
    }

    /// The same ops against central differences, on shapes of their own.
    @Test func gradientsMatchFiniteDifferences() {
        let x = randomTensor([3, 4, 5], seed: 1)
        expectGradientsMatch([x]) { $0[0].sliced(along: -2, 1..<3) * 1.5 }
        expectGradientsMatch([x]) { $0[0].sliced(along: 2, 1..., step: 2) * 1.5 }
        expectGradientsMatch([x, randomTensor([3, 4, 5], seed: 2)]) { Tensor.stacked($0, along: 2) }
        expectGradientsMatch([x]) { Tensor.concatenated($0[0].chunked(2, along: 1).reversed(), along: 1) }
        expectGradientsMatch([x]) { Tensor.concatenated($0[0].split(sizes: [2, 0, 3], along: 2).reversed(), along: 2) }
        let mask = Tensor<Double>(randomTensor([4, 1], seed: 3).scalars.map { $0 > 0 ? 1 : 0 }, shape: [4, 1])
        expectGradientsMatch([x, randomTensor([5], seed: 4)]) { Tensor.select(where: mask, $0[0], else: $0[1]) }
        expectGradientsMatch([x]) { $0[0].maskedFilled(where: mask, with: -2) }
        expectGradientsMatch([randomTensor([2, 1, 3, 4], seed: 5), randomTensor([3, 4, 2], seed: 6)]) { matmul($0[0], $0[1]) }
        expectGradientsMatch([randomTensor([4], seed: 7), randomTensor([2, 4, 3], seed: 8)]) { matmul($0[0], $0[1]) }
        expectGradientsMatch([x]) { $0[0].gathered(along: 2, indices: IndexTensor([4, 0, 0, 2, 1, 3], shape: [1, 2, 3])) }
        let labels = [0, 3, 2, 1, 3, 3, 0, 1, 2, 0, 1, 0, 2, 3, 1]  // one per position of (3, 5), 4 classes
        expectGradientsMatch([x]) { crossEntropy(logits: $0[0], labels: labels, labelSmoothing: 0.1) }
    }
}
