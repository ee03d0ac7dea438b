import Testing
@testable import EasyNets

/// PyTorch's outputs, indices and gradients for padding, the scatter, scatter-reduce and index ops,
/// boolean masks, einsum and interpolation (`scripts/fixtures/make_indexing_fixture.py`, float64).
struct IndexingFixture {
    struct Case: OpFixtureCase {
        let inputs: [EncodedTensor]
        let ints: [EncodedTensor]
        let outputs: [EncodedTensor]
        let indices: [EncodedTensor]
        let upstream: [EncodedTensor]
        let gradients: [EncodedTensor]
        let axis: Int?, widths: [Int]?, size: [Int]?
        let value: Double?
        let scale: [Double]?
        let mode: String?, equation: String?, op: String?
        let alignCorners: Bool?, includeSelf: Bool?

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

    /// Runs `op` on the case's inputs against PyTorch's values, indices and gradients (``checkOpFixture``).
    func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
               _ op: (Case, [Tensor<Double>]) -> (values: [Tensor<Double>], indices: [IndexTensor])) {
        checkOpFixture(name, cases[name], zeroWithoutGradients: false, sourceLocation: sourceLocation, op)
    }
}
