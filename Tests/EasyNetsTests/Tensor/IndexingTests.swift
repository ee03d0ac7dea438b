import Testing
@testable import EasyNets

/// Padding and cropping, scatter, scatter-add, scatter-reduce, index-add, index-select, mask
/// selection and assignment and nonzero: values, indices and gradients against PyTorch in Double,
/// central differences, and Float checks.
@Suite struct IndexingTests {
    let fixture: IndexingFixture
    init() throws { fixture = try IndexingFixture() }

    static func paddingMode(_ name: String) -> PaddingMode {
        switch name {
        case "reflect": .reflect
        case "replicate": .replicate
        case "circular": .circular
        default: .constant
        }
    }

    @Test func paddingMatchesFunctionalPad() {
        let names = fixture.names("pad_")
        #expect(names.count == 22)
        for name in names {
            fixture.check(name) { c, x in
                ([x[0].padded(c.widths!, mode: Self.paddingMode(c.mode!), value: c.value!)], [])
            }
        }
    }

    @Test func paddingExamples() {
        let x = Tensor<Float>([1, 2, 3])
        #expect(x.padded([2, 2], mode: .reflect).scalars == [3, 2, 1, 2, 3, 2, 1])
        #expect(x.padded([2, 2], mode: .replicate).scalars == [1, 1, 1, 2, 3, 3, 3])
        #expect(x.padded([2, 2], mode: .circular).scalars == [2, 3, 1, 2, 3, 1, 2])
        #expect(x.padded([1, -1], value: 9).scalars == [9, 1, 2])
        #expect(x.padded([]).scalars == [1, 2, 3])
        let y = Tensor<Float>([0, 1, 2, 3, 4])
        #expect(y.padded([2, -1], mode: .reflect).scalars == [2, 1, 0, 1, 2, 3])
        #expect(y.padded([2, -1], mode: .replicate).scalars == [0, 0, 0, 1, 2, 3])
        #expect(y.padded([2, -1], mode: .circular).scalars == [2, 3, 0, 1, 2, 3])
        #expect(y.padded([-1, 2], mode: .circular).scalars == [1, 2, 3, 4, 1, 2])
        #expect(y.padded([-2, -2], mode: .reflect).scalars == [2])
    }

    @Test func croppingMatchesFunctionalPad() {
        let names = fixture.names("padcrop_")
        #expect(names.count == 13)
        for name in names {
            fixture.check(name) { c, x in
                ([x[0].padded(c.widths!, mode: Self.paddingMode(c.mode!), value: c.value!)], [])
            }
        }
    }

    @Test func scatterOpsMatchPyTorch() {
        let names = fixture.names("scatter_") + fixture.names("scatteradd_") + fixture.names("scattervalue_")
        #expect(names.count == 11)
        for name in names {
            fixture.check(name) { c, x in
                let indices = c.index(0)
                if name.hasPrefix("scattervalue_") { return ([x[0].scattering(along: c.axis!, indices: indices, value: c.value!)], []) }
                return name.hasPrefix("scatteradd_")
                    ? ([x[0].scattering(along: c.axis!, indices: indices, values: x[1], reduce: .sum)], [])
                    : ([x[0].scattering(along: c.axis!, indices: indices, values: x[1])], [])
            }
        }
    }

    static func reduction(_ name: String) -> ScatterReduction {
        switch name {
        case "prod": .prod
        case "mean": .mean
        case "amax": .amax
        case "amin": .amin
        default: .sum
        }
    }

    /// Every mode with and without self, with ties for amax and amin and zeros for prod: PyTorch's
    /// values and its gradients (split among ties, exclusive products at zeros).
    @Test func scatterReduceMatchesPyTorch() {
        let names = fixture.names("scatterreduce_")
        #expect(names.count == 32)
        for name in names {
            fixture.check(name) { c, x in
                ([x[0].scattering(along: c.axis!, indices: c.index(0), values: x[1], reduce: Self.reduction(c.mode!),
                                  includeSelf: c.includeSelf!)], [])
            }
        }
    }

    @Test func indexAddAndSelectMatchPyTorch() {
        let names = fixture.names("indexadd_") + fixture.names("indexaddalpha_") + fixture.names("indexselect_")
        #expect(names.count == 8)
        for name in names {
            fixture.check(name) { c, x in
                if name.hasPrefix("indexaddalpha_") {
                    return ([x[0].indexAdding(along: c.axis!, indices: c.index(0), values: x[1], alpha: c.value!)], [])
                }
                return name.hasPrefix("indexadd_")
                    ? ([x[0].indexAdding(along: c.axis!, indices: c.index(0), values: x[1])], [])
                    : ([x[0].indexSelecting(along: c.axis!, indices: c.index(0))], [])
            }
        }
    }

    @Test func masksMatchPyTorch() {
        let names = fixture.names("mask") + fixture.names("nonzero_")
        #expect(names.count == 13)
        for name in names {
            fixture.check(name) { c, x in
                if name.hasPrefix("maskselect_") { return ([x[0].selecting(mask: c.mask)], []) }
                if name.hasPrefix("maskassignscalar_") { return ([x[0].assigning(c.value!, where: c.mask)], []) }
                if name.hasPrefix("maskassign_") { return ([x[0].assigning(x[1], where: c.mask)], []) }
                return ([], [c.mask.nonzero()])
            }
        }
    }

    /// Masks over the leading axes (`x[mask]`, `x[mask] = v` with v broadcast to the selection) and
    /// masks that broadcast (`masked_select`, `masked_fill` with a 0-D tensor, `masked_scatter`).
    @Test func broadcastMasksMatchPyTorch() {
        let names = fixture.names("boolmask_")
        #expect(names.count == 34)
        for name in names {
            fixture.check(name) { c, x in
                c.op == "select" ? ([x[0].selecting(mask: c.mask)], []) : ([x[0].assigning(x[1], where: c.mask)], [])
            }
        }
    }

    @Test func masksOverLeadingAxes() {
        let x = Tensor<Float>([[1, 2], [3, 4], [5, 6]])
        let rows = Tensor<Float>([1, 0, 1])
        #expect(x.selecting(mask: rows).shape == [2, 2])
        #expect(x.selecting(mask: rows).scalars == [1, 2, 5, 6])
        #expect(x.assigning(Tensor([9, 8]), where: rows).scalars == [9, 8, 3, 4, 9, 8])
        #expect(x.assigning(Tensor([[7], [8]]), where: rows).scalars == [7, 7, 3, 4, 8, 8])
        #expect(x.assigning(0, where: rows).scalars == [0, 0, 3, 4, 0, 0])
        #expect(x.assigning(0, where: Tensor([[0, 1]])).scalars == [1, 0, 3, 0, 5, 0])
        #expect(x.selecting(mask: Tensor([[0, 1]])).scalars == [2, 4, 6])
        #expect(x.selecting(mask: Tensor(1)).shape == [1, 3, 2])
    }

    @Test func masksFromComparisons() {
        let x = Tensor<Float>([[1, -2, 3], [-4, 5, -6]])
        let positive = x .> 0
        #expect(x.selecting(mask: positive).scalars == [1, 3, 5])
        #expect(x.assigning(Tensor(0), where: positive).scalars == [0, -2, 0, -4, 0, -6])
        #expect(x.assigning(Tensor([7, 8, 9]), where: positive).scalars == [7, -2, 8, -4, 9, -6])
        #expect(positive.nonzero() == IndexTensor([0, 0, 0, 2, 1, 1], shape: [3, 2]))
        #expect(Tensor<Float>(3).nonzero() == IndexTensor([], shape: [1, 0]))
    }

    @Test func gradientsMatchCentralDifferences() {
        var generator = RandomGenerator(seed: 41)
        let x = Tensor<Double>.normal([3, 4, 5], using: &generator)
        for mode in PaddingMode.allCases {
            let result = checkGradients(of: { $0[0].padded([2, 3, 1, 2], mode: mode) }, at: [x])
            #expect(result.maxRelativeError < 1e-6, "\(mode): \(result)")
        }
        let indices = IndexTensor([2, 0, 2, 1, 0, 0], shape: [1, 2, 3])
        let values = Tensor<Double>.normal([2, 2, 4], using: &generator)
        for adding in [false, true] {
            let result = checkGradients(of: {
                adding ? $0[0].scattering(along: 1, indices: indices, values: $0[1], reduce: .sum)
                       : $0[0].scattering(along: 2, indices: IndexTensor([4, 0, 3, 1, 2, 0], shape: [1, 2, 3]), values: $0[1])
            }, at: [x, values])
            #expect(result.maxRelativeError < 1e-6, "adding \(adding): \(result)")
        }
        let rows = IndexTensor([3, 0, 3])
        let added = checkGradients(of: { $0[0].indexAdding(along: 1, indices: rows, values: $0[1]) },
                                   at: [x, Tensor<Double>.normal([3, 3, 5], using: &generator)])
        #expect(added.maxRelativeError < 1e-6, "\(added)")
        let mask = x .> 0.2
        let count = Int(mask.sum().scalar)
        let assigned = checkGradients(of: { $0[0].assigning($0[1], where: mask) + $0[0].selecting(mask: mask).sum() },
                                      at: [x, Tensor<Double>.normal([count], using: &generator)])
        #expect(assigned.maxRelativeError < 1e-6, "\(assigned)")
    }

    @Test func newGradientsMatchCentralDifferences() {
        var generator = RandomGenerator(seed: 53)
        let x = Tensor<Double>.normal([3, 4, 5], using: &generator)
        for mode in PaddingMode.allCases {
            let result = checkGradients(of: { $0[0].padded([-1, 3, 2, -1], mode: mode) }, at: [x])
            #expect(result.maxRelativeError < 1e-6, "cropping \(mode): \(result)")
        }
        // Distinct values (no ties) and no zeros: the reductions are smooth there.
        let indices = IndexTensor([2, 0, 2, 1, 0, 0, 3, 3, 1, 2], shape: [1, 2, 5])
        let values = Tensor<Double>.normal([2, 3, 6], using: &generator)
        for reduce in ScatterReduction.allCases {
            for includeSelf in [true, false] {
                let result = checkGradients(of: {
                    $0[0].scattering(along: 1, indices: indices, values: $0[1], reduce: reduce, includeSelf: includeSelf)
                }, at: [x, values])
                #expect(result.maxRelativeError < 1e-6, "\(reduce) includeSelf \(includeSelf): \(result)")
            }
        }
        let scalar = checkGradients(of: { $0[0].scattering(along: 2, indices: indices, value: 3) }, at: [x])
        #expect(scalar.maxRelativeError < 1e-6, "\(scalar)")
        let added = checkGradients(of: { $0[0].indexAdding(along: 0, indices: IndexTensor([2, 2]), values: $0[1], alpha: -1.5) },
                                   at: [x, Tensor<Double>.normal([2, 4, 5], using: &generator)])
        #expect(added.maxRelativeError < 1e-6, "\(added)")
        let rows = Tensor<Double>([[1, 0, 0, 1], [0, 1, 1, 0], [1, 1, 0, 0]])
        let slices = checkGradients(of: { $0[0].assigning($0[1], where: rows) + $0[0].selecting(mask: rows).sum() },
                                    at: [x, Tensor<Double>.normal([5], using: &generator)])
        #expect(slices.maxRelativeError < 1e-6, "\(slices)")
        let columns = Tensor<Double>([1, 0, 1, 0, 0], shape: [1, 1, 5])
        let broadcast = checkGradients(of: { $0[0].assigning($0[1], where: columns) * $0[0].selecting(mask: columns).sum() },
                                       at: [x, Tensor<Double>.normal([], using: &generator)])
        #expect(broadcast.maxRelativeError < 1e-6, "\(broadcast)")
    }

    @Test func floatRunsTheSameCode() {
        let x = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
        var leaf = x
        leaf.requiresGradient = true
        leaf.indexSelecting(along: 1, indices: IndexTensor([2, 2, 0])).sum().backward()
        #expect(leaf.gradient?.scalars == [1, 0, 2, 1, 0, 2])
        #expect(x.scattering(along: 0, indices: IndexTensor([1, 1, 0], shape: [1, 3]), values: .ones([1, 3]), reduce: .sum).scalars
                == [1, 2, 4, 5, 6, 6])
        let indices = IndexTensor([0, 0, 1, 0], shape: [1, 4])
        let values = Tensor<Float>([[3, 1.5, 2.5, 3]])
        #expect(x.scattering(along: 1, indices: indices, values: values, reduce: .amax).scalars == [3, 2.5, 3, 4, 5, 6])
        #expect(x.scattering(along: 1, indices: indices, values: values, reduce: .amin, includeSelf: false).scalars
                == [1.5, 2.5, 3, 4, 5, 6])
        #expect(x.scattering(along: 1, indices: indices, values: values, reduce: .prod).scalars == [13.5, 5, 3, 4, 5, 6])
        #expect(x.scattering(along: 1, indices: indices, values: values, reduce: .mean).scalars == [2.125, 2.25, 3, 4, 5, 6])
        #expect(x.scattering(along: 1, indices: indices, value: -1).scalars == [-1, -1, 3, 4, 5, 6])
        // Ties share the gradient: 3 appears twice at element 0 (and not in this tensor).
        var source = values
        source.requiresGradient = true
        x.scattering(along: 1, indices: indices, values: source, reduce: .amax).sum().backward()
        #expect(source.gradient?.scalars == [0.5, 0, 1, 0.5])
    }
}
