import Testing
@testable import EasyNets

/// PyTorch's outputs, indices and gradients for padding, the scatter and index ops, boolean masks,
/// einsum and interpolation (`scripts/fixtures/make_indexing_fixture.py`, float64).
struct IndexingFixture {
    struct Case: Decodable {
        let inputs: [EncodedTensor]
        let ints: [EncodedTensor]
        let outputs: [EncodedTensor]
        let indices: [EncodedTensor]
        let upstream: [EncodedTensor]
        let gradients: [EncodedTensor]
        let axis: Int?, widths: [Int]?, size: [Int]?
        let value: Double?
        let scale: [Double]?
        let mode: String?, equation: String?
        let alignCorners: Bool?

        /// Integer input `i` as an ``IndexTensor``.
        func index(_ i: Int) -> IndexTensor { IndexTensor(ints[i].values.map { Int($0) }, shape: ints[i].shape) }
        /// Integer input `i` as a mask of 0s and 1s.
        var mask: Tensor<Double> { ints[0].tensor }
    }

    struct Cases: Decodable { let cases: [String: Case] }

    let cases: [String: Case]
    init() throws { cases = try loadFixture("indexing_ops.json", as: Cases.self).cases }

    /// The names of the cases that start with `prefix`, sorted.
    func names(_ prefix: String) -> [String] { cases.keys.filter { $0.hasPrefix(prefix) }.sorted() }

    /// Runs `op` on the case's inputs, compares its values and indices with PyTorch's to 1e-10,
    /// then the gradients of Σ output·upstream.
    func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
               _ op: (Case, [Tensor<Double>]) -> (values: [Tensor<Double>], indices: [IndexTensor])) {
        guard let c = cases[name] else {
            Issue.record("no fixture case \(name)", sourceLocation: sourceLocation)
            return
        }
        let inputs = c.inputs.map(\.leaf)
        let (values, indices) = op(c, inputs)
        #expect(values.count == c.outputs.count && indices.count == c.indices.count,
                "\(name): \(values.count) values and \(indices.count) index outputs, PyTorch \(c.outputs.count) and \(c.indices.count)",
                sourceLocation: sourceLocation)
        for (output, expected) in zip(values, c.outputs) {
            expectClose(output.detached, expected.tensor, tolerance: 1e-10, "\(name) output", sourceLocation: sourceLocation)
        }
        for (output, expected) in zip(indices, c.indices) {
            #expect(output.shape == expected.shape, "\(name) index shape", sourceLocation: sourceLocation)
            #expect(output.values == expected.values.map { Int($0) }, "\(name) indices", sourceLocation: sourceLocation)
        }
        guard values.contains(where: { $0.requiresGradient }) else { return }
        let total = zip(values, c.upstream).map { ($0 * $1.tensor).sum() }.reduce(Tensor<Double>(0)) { $0 + $1 }
        total.backward()
        for (input, expected) in zip(inputs, c.gradients) {
            expectClose(input.gradient ?? .zeros(input.shape), expected.tensor, tolerance: 1e-10, "\(name) gradient",
                        sourceLocation: sourceLocation)
        }
    }
}
