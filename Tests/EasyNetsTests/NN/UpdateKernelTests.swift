import Testing
@testable import EasyNets

/// The steady-state SGD momentum loops run in C, compiled for the CPU's widest vectors; they must
/// round exactly as the Swift loops (no fused multiply-adds), whichever clone the CPU gets.
@Suite struct UpdateKernelTests {
    func random<T: TensorScalar>(_ count: Int, _ generator: inout RandomGenerator, as _: T.Type) -> [T] {
        Tensor<T>.normal([count], using: &generator).scalars
    }

    func checkDense<T: TensorScalar>(_: T.Type, nesterov: Bool, dampening: Double) {
        var generator = RandomGenerator(seed: 21)
        let n = 1037  // a ragged tail after any vector width
        let g = random(n, &generator, as: T.self), p0 = random(n, &generator, as: T.self), b0 = random(n, &generator, as: T.self)
        var (pC, bC, pSwift, bSwift) = (p0, b0, p0, b0)
        UpdateKernels.sgd(p: &pC, g: g, buffer: &bC, firstStep: false, n: n, learningRate: 0.05, momentum: 0.9,
                          dampening: dampening, nesterov: nesterov, weightDecay: 0)
        UpdateKernels.sgdLoop(p: &pSwift, g: g, buffer: &bSwift, firstStep: false, n: n, learningRate: 0.05, momentum: 0.9,
                              dampening: dampening, nesterov: nesterov, weightDecay: 0)
        #expect(pC == pSwift && bC == bSwift, "\(T.self), nesterov \(nesterov), dampening \(dampening)")
        #expect(pC != p0 && bC != b0)
    }

    func checkOuter<T: TensorScalar>(_: T.Type, nesterov: Bool) {
        var generator = RandomGenerator(seed: 22)
        let (rows, columns) = (7, 131)
        let column = random(rows, &generator, as: T.self), row = random(columns, &generator, as: T.self)
        let p0 = random(rows * columns, &generator, as: T.self), b0 = random(rows * columns, &generator, as: T.self)
        var (pC, bC, pSwift, bSwift) = (p0, b0, p0, b0)
        UpdateKernels.sgdOuterProduct(p: &pC, buffer: &bC, column: column, row: row, rows: rows, columns: columns,
                                      learningRate: 0.05, momentum: 0.9, dampening: 0.25, nesterov: nesterov)
        UpdateKernels.sgdOuterProductLoop(p: &pSwift, buffer: &bSwift, column: column, row: row, rows: rows, columns: columns,
                                          learningRate: 0.05, momentum: 0.9, dampening: 0.25, nesterov: nesterov)
        #expect(pC == pSwift && bC == bSwift, "\(T.self), nesterov \(nesterov)")
        #expect(pC != p0 && bC != b0)
    }

    @Test func wideVectorLoopsRoundAsTheSwiftLoops() {
        for nesterov in [false, true] {
            for dampening in [0, 0.3] {
                checkDense(Float.self, nesterov: nesterov, dampening: dampening)
                checkDense(Double.self, nesterov: nesterov, dampening: dampening)
            }
            checkOuter(Float.self, nesterov: nesterov)
            checkOuter(Double.self, nesterov: nesterov)
        }
    }
}
