import Testing
@testable import EasyNets

/// The steady-state SGD momentum loops and the default Adam, AdamW, RMSProp and Adagrad loops run
/// in C, compiled for the CPU's widest vectors; they must round exactly as the Swift loops (no
/// fused multiply-adds), whichever clone the CPU gets.
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

    func checkAdam<T: TensorScalar>(_: T.Type, step: Int, decoupledWeightDecay: Double = 0) {
        var generator = RandomGenerator(seed: 23)
        let n = 1037
        let g = random(n, &generator, as: T.self), p0 = random(n, &generator, as: T.self), m0 = random(n, &generator, as: T.self)
        let v0 = random(n, &generator, as: T.self).map { $0 * $0 }
        var (pC, mC, vC, pSwift, mSwift, vSwift) = (p0, m0, v0, p0, m0, v0)
        let decoupled = decoupledWeightDecay != 0
        UpdateKernels.adam(p: &pC, g: g, m: &mC, v: &vC, vMax: nil, n: n, step: step, learningRate: 1e-3, beta1: 0.9,
                           beta2: 0.999, epsilon: 1e-8, weightDecay: decoupledWeightDecay, decoupledWeightDecay: decoupled)
        UpdateKernels.adamLoop(p: &pSwift, g: g, m: &mSwift, v: &vSwift, vMax: nil, n: n, step: step, learningRate: 1e-3,
                               beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: decoupledWeightDecay,
                               decoupledWeightDecay: decoupled)
        #expect(pC == pSwift && mC == mSwift && vC == vSwift, "\(T.self), step \(step), AdamW decay \(decoupledWeightDecay)")
        #expect(pC != p0 && mC != m0 && vC != v0)
    }

    func checkRMSPropAndAdagrad<T: TensorScalar>(_: T.Type) {
        var generator = RandomGenerator(seed: 24)
        let n = 1037
        let g = random(n, &generator, as: T.self), p0 = random(n, &generator, as: T.self)
        let s0 = random(n, &generator, as: T.self).map { $0 * $0 }
        var (pC, sC, pSwift, sSwift) = (p0, s0, p0, s0)
        UpdateKernels.rmsProp(p: &pC, g: g, squareAverage: &sC, gradientAverage: nil, buffer: nil, n: n, learningRate: 1e-2,
                              alpha: 0.99, epsilon: 1e-8, weightDecay: 0, momentum: 0)
        UpdateKernels.rmsPropLoop(p: &pSwift, g: g, squareAverage: &sSwift, gradientAverage: nil, buffer: nil, n: n,
                                  learningRate: 1e-2, alpha: 0.99, epsilon: 1e-8, weightDecay: 0, momentum: 0)
        #expect(pC == pSwift && sC == sSwift, "RMSProp, \(T.self)")
        (pC, sC, pSwift, sSwift) = (p0, s0, p0, s0)
        UpdateKernels.adagrad(p: &pC, g: g, sum: &sC, n: n, step: 7, learningRate: 1e-2, learningRateDecay: 0.1, epsilon: 1e-10,
                              weightDecay: 0)
        UpdateKernels.adagradLoop(p: &pSwift, g: g, sum: &sSwift, n: n, step: 7, learningRate: 1e-2, learningRateDecay: 0.1,
                                  epsilon: 1e-10, weightDecay: 0)
        #expect(pC == pSwift && sC == sSwift, "Adagrad, \(T.self)")
        #expect(pC != p0 && sC != s0)
    }

    @Test func wideVectorLoopsRoundAsTheSwiftLoops() {
        checkRMSPropAndAdagrad(Float.self)
        checkRMSPropAndAdagrad(Double.self)
        for step in [1, 2, 1000] {
            for decay in [0, 0.01] {
                checkAdam(Float.self, step: step, decoupledWeightDecay: decay)
                checkAdam(Double.self, step: step, decoupledWeightDecay: decay)
            }
        }
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
