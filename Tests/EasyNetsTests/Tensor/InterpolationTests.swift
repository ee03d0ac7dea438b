import Testing
@testable import EasyNets

/// Nearest, linear and bilinear resizing, with and without aligned corners, by size and by scale
/// factor: values and gradients against PyTorch in Double, central differences, and Float.
@Suite struct InterpolationTests {
    let fixture: IndexingFixture
    init() throws { fixture = try IndexingFixture() }

    static func mode(_ name: String) -> InterpolationMode {
        switch name {
        case "linear": .linear
        case "bilinear": .bilinear
        default: .nearest
        }
    }

    @Test func interpolationMatchesPyTorch() {
        let names = fixture.names("interp_")
        #expect(names.count == 25)
        for name in names {
            fixture.check(name) { c, x in
                let mode = Self.mode(c.mode!)
                if let scale = c.scale {
                    return ([x[0].interpolated(scaleFactors: scale, mode: mode, alignCorners: c.alignCorners!)], [])
                }
                return ([x[0].interpolated(size: c.size!, mode: mode, alignCorners: c.alignCorners!)], [])
            }
        }
    }

    @Test func gradientsMatchCentralDifferences() {
        var generator = RandomGenerator(seed: 53)
        let x = Tensor<Double>.normal([2, 2, 3, 4], using: &generator)
        for alignCorners in [false, true] {
            let result = checkGradients(of: { $0[0].interpolated(size: [5, 7], mode: .bilinear, alignCorners: alignCorners) }, at: [x])
            #expect(result.maxRelativeError < 1e-6, "alignCorners \(alignCorners): \(result)")
        }
        let nearest = checkGradients(of: { $0[0].upsampled(by: 2) }, at: [x])
        #expect(nearest.maxRelativeError < 1e-6, "\(nearest)")
    }

    @Test func floatUpsamplesBetweenCorners() {
        let x = Tensor<Float>([0, 3], shape: [1, 1, 2])
        #expect(x.upsampled(by: 2, mode: .linear, alignCorners: true).scalars == [0, 1, 2, 3])
        #expect(x.upsampled(by: 2, mode: .linear).scalars == [0, 0.75, 2.25, 3])
        #expect(x.upsampled(by: 2).scalars == [0, 0, 3, 3])
    }
}
