import Testing
import Foundation
@testable import EasyNets

/// Sort, argsort, top-k, max/min with indices, argmax/argmin, cumulative sums, products and
/// log-sum-exps, triangles, repeat/tile, flip, roll, diagonal and outer products: values, indices
/// and gradients against PyTorch in Double (ties and zeros included), central differences, and
/// Float smoke tests.
@Suite struct SortingAndStructureTests {
    let fixture: ExtraOpsFixture
    init() throws { fixture = try ExtraOpsFixture() }

    @Test func sortingMatchesStableTorchSort() {
        let names = fixture.names("sort_")
        #expect(names.count == 12)
        for name in names {
            fixture.check(name) { c, x in
                let (values, indices) = x[0].sorted(along: c.axis!, descending: c.descending!)
                #expect(x[0].argsort(along: c.axis!, descending: c.descending!) == indices)
                return ([values], [indices])
            }
        }
    }

    @Test func topkTakesTheSortedFirstK() {
        let names = fixture.names("topk_")
        #expect(names.count == 8)
        for name in names {
            fixture.check(name) { c, x in
                let (values, indices) = x[0].topk(c.k!, along: c.axis!, largest: c.largest!)
                return ([values], [indices])
            }
        }
    }

    @Test func maxAndMinWithIndicesSendTheGradientToTheFirstWinner() {
        let names = fixture.names("max_") + fixture.names("min_")
        #expect(names.count == 24)
        for name in names {
            fixture.check(name) { c, x in
                let (values, indices) = name.hasPrefix("max_")
                    ? x[0].maxWithIndices(along: c.axis!, keepingDims: c.keepdim!)
                    : x[0].minWithIndices(along: c.axis!, keepingDims: c.keepdim!)
                return ([values], [indices])
            }
        }
        for name in fixture.names("argmax_") + fixture.names("argmin_") {
            fixture.check(name) { c, x in
                let indices = name.hasPrefix("argmax_") ? x[0].argmax(along: c.axis!, keepingDims: false)
                                                        : x[0].argmin(along: c.axis!, keepingDims: false)
                #expect(indices.values == (name.hasPrefix("argmax_") ? x[0].argmax(along: c.axis!) : x[0].argmin(along: c.axis!)))
                return ([], [indices])
            }
        }
    }

    @Test func cumulativeOpsMatchPyTorchWithZeros() {
        let names = fixture.names("cumsum_") + fixture.names("cumprod_") + fixture.names("logcumsumexp_")
        #expect(names.count == 19)
        for name in names {
            fixture.check(name) { c, x in
                if name.hasPrefix("cumsum_") { return ([x[0].cumsum(along: c.axis!)], []) }
                if name.hasPrefix("cumprod_") { return ([x[0].cumprod(along: c.axis!)], []) }
                return ([x[0].logcumsumexp(along: c.axis!)], [])
            }
        }
    }

    @Test func logcumsumexpIsFiniteForLargeInputs() {
        let x = Tensor<Double>([1000, 1000, -1000, 999])
        expectClose(x.logcumsumexp(along: 0), Tensor([1000, 1000 + Foundation.log(2.0), 1000 + Foundation.log(2.0),
                                                     1000 + Foundation.log(2 + Foundation.exp(-1.0))]), tolerance: 1e-12)
    }

    @Test func structuralOpsMatchPyTorch() {
        for name in fixture.names("tril_") + fixture.names("triu_") {
            fixture.check(name) { c, x in ([name.hasPrefix("tril_") ? x[0].tril(offset: c.offset!) : x[0].triu(offset: c.offset!)], []) }
        }
        for name in fixture.names("repeat_") { fixture.check(name) { c, x in ([x[0].repeated(c.counts!)], []) } }
        for name in fixture.names("tile_") { fixture.check(name) { c, x in ([x[0].tiled(c.counts!)], []) } }
        for name in fixture.names("flip_") { fixture.check(name) { c, x in ([x[0].flipped(axes: c.axes!)], []) } }
        for name in fixture.names("roll_") { fixture.check(name) { c, x in ([x[0].rolled(shifts: c.shifts!, axes: c.axes!)], []) } }
        for name in fixture.names("diagonal_") {
            fixture.check(name) { c, x in ([x[0].diagonal(offset: c.offset!, axis1: c.axis1!, axis2: c.axis2!)], []) }
        }
        for name in ["outer", "outer_1"] { fixture.check(name) { _, x in ([outer(x[0], x[1])], []) } }
        #expect(fixture.names("tril_").count == 5 && fixture.names("diagonal_").count == 6 && fixture.names("roll_").count == 4)
    }

    @Test func gradientsMatchFiniteDifferences() {
        let x = randomTensor([3, 4, 2], seed: 31)
        expectGradientsMatch([x]) { $0[0].cumprod(along: 1) }
        expectGradientsMatch([x]) { $0[0].logcumsumexp(along: -1) }
        expectGradientsMatch([x]) { $0[0].sorted(along: 1, descending: true).values }
        expectGradientsMatch([x]) { $0[0].topk(2, along: 1).values }
        expectGradientsMatch([x]) { $0[0].diagonal(offset: 1, axis1: 1, axis2: 0) }
        expectGradientsMatch([x]) { $0[0].repeated([2, 1, 3]).rolled(shifts: [1], axes: [0]) }
        expectGradientsMatch([randomTensor([4], seed: 2), randomTensor([3], seed: 3)]) { outer($0[0], $0[1]) }
    }

    @Test func floatSmoke() {
        var x = Tensor<Float>([[3, 1, 2], [0, 5, 0]])
        x.requiresGradient = true
        let (values, indices) = x.sorted(along: 1)
        #expect(values.scalars == [1, 2, 3, 0, 0, 5] && indices.values == [1, 2, 0, 0, 2, 1])
        #expect(x.topk(1, along: 1).indices.values == [0, 1])
        #expect(x.maxWithIndices(along: 0).indices.values == [0, 1, 0])
        #expect(x.cumsum(along: 1).scalars == [3, 4, 6, 0, 5, 5])
        #expect(x.cumprod(along: 0).scalars == [3, 1, 2, 0, 5, 0])
        #expect(x.tril().scalars == [3, 0, 0, 0, 5, 0] && x.triu(offset: 1).scalars == [0, 1, 2, 0, 0, 0])
        #expect(x.flipped(axes: [1]).scalars == [2, 1, 3, 0, 5, 0] && x.rolled(shifts: [1], axes: [1]).scalars == [2, 3, 1, 0, 0, 5])
        #expect(x.diagonal().scalars == [3, 5] && x.tiled([2]).shape == [2, 6])
        #expect(outer(Tensor<Float>([1, 2]), Tensor<Float>([3, 4, 5])).scalars == [3, 4, 5, 6, 8, 10])
        x.cumprod(along: 1).sum().backward()
        // ∂/∂x₀ = 1 + x₁ + x₁x₂, ∂/∂x₁ = x₀ + x₀x₂, ∂/∂x₂ = x₀x₁ on each row.
        let expected: [Float] = [4, 9, 3, 6, 0, 0]
        #expect(x.gradient!.scalars == expected)
    }
}
