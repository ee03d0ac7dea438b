import Testing
@testable import EasyNets

// At |x| = 1e3 and 1e4 the naive formulas overflow (e¹⁰⁰⁰ = ∞) or cancel. The expected values are
// the exact results rounded to the element type: e.g. σ(−1e4) ≈ e^(−1e4) is far below the
// smallest subnormal, so it rounds to 0, and softplus(1e4) = 1e4 + log1p(e^(−1e4)) rounds to 1e4.

private let points: [Double] = [1e4, -1e4, 1e3, -1e3, 0]
private let log2 = 0.6931471805599453

/// `op` applied to `points` in precision `T`, with the gradient of its sum.
private func valueAndGradient<T: TensorScalar>(
    _: T.Type, _ op: (Tensor<T>) -> Tensor<T>
) -> (value: [Double], gradient: [Double]) {
    var x = Tensor<T>(points.map { T($0) })
    x.requiresGradient = true
    let y = op(x)
    y.sum().backward()
    return (y.scalars.map(Double.init), x.gradient?.scalars.map(Double.init) ?? [])
}

/// Expects finite values equal to `expected` within a couple of roundings in `T`.
private func expectExact<T: TensorScalar>(
    _: T.Type, _ actual: [Double], _ expected: [Double], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectAllFinite(actual, "\(what) in \(T.self)", sourceLocation: sourceLocation)
    expectClose(actual, expected, tolerance: 2 * Double(T.ulpOfOne), "\(what) in \(T.self)",
                sourceLocation: sourceLocation)
}

@Suite("Numerical stability at large |x|")
struct StabilityTests {
    @Test func sigmoid() {
        check(Float.self)
        check(Double.self)
        func check<T: TensorScalar>(_ type: T.Type) {
            let (value, gradient) = valueAndGradient(type) { EasyNets.sigmoid($0) }
            expectExact(type, value, [1, 0, 1, 0, 0.5], "σ")
            #expect(value.allSatisfy { $0 >= 0 && $0 <= 1 })
            expectExact(type, gradient, [0, 0, 0, 0, 0.25], "σ'")
        }
    }

    @Test func softplus() {
        check(Float.self)
        check(Double.self)
        func check<T: TensorScalar>(_ type: T.Type) {
            let (value, gradient) = valueAndGradient(type) { EasyNets.softplus($0) }
            expectExact(type, value, [1e4, 0, 1e3, 0, log2], "softplus")
            expectExact(type, gradient, [1, 0, 1, 0, 0.5], "softplus' = σ")
        }
    }

    @Test func logSigmoid() {
        check(Float.self)
        check(Double.self)
        func check<T: TensorScalar>(_ type: T.Type) {
            let (value, gradient) = valueAndGradient(type) { EasyNets.logSigmoid($0) }
            expectExact(type, value, [0, -1e4, 0, -1e3, -log2], "log σ")
            expectExact(type, gradient, [0, 1, 0, 1, 0.5], "(log σ)' = σ(−x)")
        }
    }

    @Test func logSumExp() {
        check(Float.self)
        check(Double.self)
        func check<T: TensorScalar>(_ type: T.Type) {
            // Each row reduced along axis 1, with its exact value and softmax gradient.
            let rows: [([Double], Double, [Double])] = [
                ([1e4, 1e4], 1e4 + log2, [0.5, 0.5]),
                ([-1e4, -1e4], -1e4 + log2, [0.5, 0.5]),
                ([1e4, -1e4], 1e4, [1, 0]),
                ([1e3, 0], 1e3, [1, 0]),
                ([-1e3, 1e3], 1e3, [0, 1]),
                ([0, 0], log2, [0.5, 0.5]),
            ]
            var x = Tensor<T>(rows.flatMap { $0.0 }.map { T($0) }, shape: [rows.count, 2])
            x.requiresGradient = true
            let y = x.logSumExp(along: 1)
            y.sum().backward()
            expectExact(type, y.scalars.map(Double.init), rows.map(\.1), "logSumExp")
            expectExact(type, x.gradient?.scalars.map(Double.init) ?? [], rows.flatMap(\.2), "softmax")
            // Over all axes at once, and over a long row of equal large values.
            expectExact(type, [Double(Tensor<T>([T(1e4), T(1e4), T(-1e4)]).logSumExp().scalar)], [1e4 + log2], "all axes")
            expectExact(type, [Double(Tensor<T>(filledWith: T(-1e4), shape: [1000]).logSumExp().scalar)],
                        [-1e4 + 6.907755278982137], "1000 equal entries: log 1000 − 1e4")
        }
    }

    @Test func logSumExpOfInfinities() {
        // A row of −∞ has log Σ eˣ = −∞; a +∞ entry gives +∞ (the shift must not make them NaN).
        let x = Tensor<Double>([[-.infinity, -.infinity], [.infinity, 0], [-.infinity, 1]])
        let y = x.logSumExp(along: 1).scalars
        #expect(y[0] == -.infinity)
        #expect(y[1] == .infinity)
        #expect(y[2] == 1)
    }
}
