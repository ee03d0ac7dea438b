import Testing
@testable import EasyNets

/// Trigonometric, hyperbolic, error-function and rounding ops, atan2 and clamping with tensor
/// bounds, products, norms, standard deviations, cosine similarity and distances: outputs and
/// gradients against PyTorch in Double, central differences, and Float smoke tests.
@Suite struct MathAndNormTests {
    let fixture: ExtraOpsFixture
    init() throws { fixture = try ExtraOpsFixture() }

    let unary: [String: (Tensor<Double>) -> Tensor<Double>] = [
        "sin": sin, "cos": cos, "tan": tan, "asin": asin, "acos": acos, "atan": atan, "sinh": sinh, "cosh": cosh,
        "erf": erf, "erfinv": erfinv, "log1p": log1p, "expm1": expm1, "floor": floor, "ceil": ceil, "round": round,
    ]

    @Test func unaryMathMatchesPyTorch() {
        let names = fixture.names("unary_")
        #expect(names.count == unary.count)
        for name in names {
            fixture.check(name) { c, x in ([unary[c.op!]!(x[0])], []) }
        }
    }

    @Test func atan2AndTensorClampBroadcast() {
        for name in ["atan2_same", "atan2_broadcast"] { fixture.check(name) { _, x in ([atan2(x[0], x[1])], []) } }
        for name in ["clamp_tensor", "clamp_crossed"] { fixture.check(name) { _, x in ([x[0].clamped(min: x[1], max: x[2])], []) } }
    }

    @Test func productsNormsAndDeviationsMatchPyTorch() {
        for name in fixture.names("prod_") {
            fixture.check(name) { c, x in ([c.axis.map { x[0].prod(along: $0) } ?? x[0].prod()], []) }
        }
        let norms = fixture.names("norm_")
        #expect(norms.count == 33)
        for name in norms {
            fixture.check(name) { c, x in ([x[0].norm(p: c.p!, alongAxes: c.axes!, keepingDims: c.keepdim!)], []) }
        }
        fixture.check("frobenius") { _, x in ([x[0].frobeniusNorm()], []) }
        for name in fixture.names("std_") {
            fixture.check(name) { c, x in ([x[0].standardDeviation(alongAxes: c.axes!, correction: c.correction!)], []) }
        }
    }

    @Test func similaritiesAndDistancesMatchPyTorch() {
        for name in fixture.names("cosine_") { fixture.check(name) { c, x in ([cosineSimilarity(x[0], x[1], along: c.axis!)], []) } }
        for name in fixture.names("pairwise_") { fixture.check(name) { c, x in ([pairwiseDistance(x[0], x[1], p: c.p!)], []) } }
        let distances = fixture.names("cdist_")
        #expect(distances.count == 7)
        for name in distances { fixture.check(name) { c, x in ([cdist(x[0], x[1], p: c.p!)], []) } }
    }

    @Test func gradientsMatchFiniteDifferences() {
        let x = randomTensor([3, 4], in: -0.9...0.9, seed: 41)
        expectGradientsMatch([x]) { erfinv($0[0]) }
        expectGradientsMatch([x]) { asin($0[0]) * acos($0[0]) + tan($0[0]) }
        expectGradientsMatch([x, randomTensor([4], seed: 42)]) { atan2($0[0], $0[1]) }
        expectGradientsMatch([x]) { $0[0].prod(along: 1) }
        expectGradientsMatch([x]) { $0[0].norm(p: 3, along: 0) + $0[0].norm(along: 1).sum() }
        expectGradientsMatch([x, randomTensor([3, 4], seed: 43)]) { cosineSimilarity($0[0], $0[1], along: 1) }
        expectGradientsMatch([x, randomTensor([5, 4], seed: 44)]) { cdist($0[0], $0[1]) }
    }

    @Test func erfinvInvertsErf() {
        let y = Tensor<Double>([-5, -2.5, -0.3, 0, 1e-8, 0.7, 3, 5.5])
        expectClose(erfinv(erf(y)).sliced(along: 0, 1..<7), y.sliced(along: 0, 1..<7), tolerance: 1e-10)
        #expect(erfinv(Tensor<Double>([1, -1, 2])).scalars.map(\.isFinite) == [false, false, false])
    }

    @Test func floatSmoke() {
        var x = Tensor<Float>([[-1.5, 0.5, 2.5], [0.25, -0.75, 1]])
        x.requiresGradient = true
        #expect(round(x).scalars == [-2, 0, 2, 0, -1, 1] && floor(x).scalars == [-2, 0, 2, 0, -1, 1])
        #expect(ceil(x).scalars == [-1, 1, 3, 1, 0, 1])
        expectClose(asDouble(sin(x)), sin(asDouble(x)), tolerance: 1e-6)
        expectClose(asDouble(erfinv(x / 3)), erfinv(asDouble(x) / 3), tolerance: 1e-5)
        expectClose(asDouble(x.norm(along: 1)), asDouble(x).norm(along: 1), tolerance: 1e-6)
        expectClose(asDouble(cdist(x, x)), cdist(asDouble(x), asDouble(x)), tolerance: 1e-5)
        #expect(x.clamped(min: Tensor<Float>(0), max: Tensor<Float>([1, 1, 2])).scalars == [0, 0.5, 2, 0.25, 0, 1])
        x.prod().backward()
        #expect(x.gradient!.shape == [2, 3])
    }
}
