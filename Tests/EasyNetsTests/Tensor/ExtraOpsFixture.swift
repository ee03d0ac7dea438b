import Testing
@testable import EasyNets

/// PyTorch's outputs, indices and gradients for the sorting, cumulative, structural, unary math
/// and norm ops (`scripts/fixtures/make_tensor_ops_extra_fixture.py`, float64).
struct ExtraOpsFixture {
    struct Case: OpFixtureCase {
        let inputs: [EncodedTensor]
        let outputs: [EncodedTensor]
        let indices: [EncodedTensor]
        let upstream: [EncodedTensor]
        let gradients: [EncodedTensor]
        let axis: Int?, k: Int?, offset: Int?, axis1: Int?, axis2: Int?, correction: Int?
        let descending: Bool?, largest: Bool?, keepdim: Bool?
        let counts: [Int]?, axes: [Int]?, shifts: [Int]?
        let p: Double?
        let op: String?
    }

    struct Cases: Decodable { let cases: [String: Case] }

    let cases: [String: Case]
    init() throws { cases = try loadFixture("tensor_ops_extra.json", as: Cases.self).cases }

    /// The names of the cases that start with `prefix`, sorted.
    func names(_ prefix: String) -> [String] { cases.keys.filter { $0.hasPrefix(prefix) }.sorted() }

    /// Runs `op` on the case's inputs against PyTorch's values, indices and gradients (``checkOpFixture``).
    func check(_ name: String, sourceLocation: SourceLocation = #_sourceLocation,
               _ op: (Case, [Tensor<Double>]) -> (values: [Tensor<Double>], indices: [IndexTensor])) {
        checkOpFixture(name, cases[name], zeroWithoutGradients: true, sourceLocation: sourceLocation, op)
    }
}
