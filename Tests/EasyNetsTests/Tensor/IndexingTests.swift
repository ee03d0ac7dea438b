import Testing
@testable import EasyNets

/// Padding, scatter, scatter-add, index-add, index-select, mask selection and assignment and
/// nonzero: values, indices and gradients against PyTorch in Double, central differences, and
/// Float smoke tests.
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
    }

    @Test func scatterOpsMatchPyTorch() {
        let names = fixture.names("scatter")
        #expect(names.count == 8)
        for name in names {
            fixture.check(name) { c, x in
                let indices = c.index(0)
                return name.hasPrefix("scatteradd_")
                    ? ([x[0].scatterAdding(along: c.axis!, indices: indices, values: x[1])], [])
                    : ([x[0].scattering(along: c.axis!, indices: indices, values: x[1])], [])
            }
        }
    }

    @Test func indexAddAndSelectMatchPyTorch() {
        let names = fixture.names("indexadd_") + fixture.names("indexselect_")
        #expect(names.count == 6)
        for name in names {
            fixture.check(name) { c, x in
                name.hasPrefix("indexadd_")
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
                adding ? $0[0].scatterAdding(along: 1, indices: indices, values: $0[1])
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

    @Test func floatRunsTheSameCode() {
        let x = Tensor<Float>([[1, 2, 3], [4, 5, 6]])
        var leaf = x
        leaf.requiresGradient = true
        leaf.indexSelecting(along: 1, indices: IndexTensor([2, 2, 0])).sum().backward()
        #expect(leaf.gradient?.scalars == [1, 0, 2, 1, 0, 2])
        #expect(x.scatterAdding(along: 0, indices: IndexTensor([1, 1, 0], shape: [1, 3]), values: .ones([1, 3])).scalars
                == [1, 2, 4, 5, 6, 6])
    }
}
