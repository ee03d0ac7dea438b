/// Resizing of (N, C, L) or (N, C, H, W) input, PyTorch's `nn.Upsample`: to a fixed spatial
/// ``size`` or by a ``scaleFactor`` (extent n becomes ⌊n·factor⌋, positions map through 1/factor),
/// with ``InterpolationMode/nearest`` (either rank), ``InterpolationMode/linear`` ((N, C, L)) or
/// ``InterpolationMode/bilinear`` ((N, C, H, W)); `alignCorners` for the interpolating modes. One
/// value of `size` or `scaleFactor` applies to every spatial axis. Built on
/// ``Tensor/interpolated(size:mode:alignCorners:)`` and
/// ``Tensor/interpolated(scaleFactors:mode:alignCorners:)``, which give the backward pass. No
/// parameters. As in PyTorch, the input needs its batch axis.
public final class Upsample<Scalar: TensorScalar>: Layer {
    /// The output's spatial extents (one value for every axis), or `nil` when scaling.
    public let size: [Int]?
    /// The factors the spatial extents are multiplied by (one value for every axis), or `nil`
    /// when resizing to ``size``.
    public let scaleFactor: [Double]?
    /// How output elements are computed.
    public let mode: InterpolationMode
    /// Whether the corner elements of input and output coincide (linear and bilinear modes).
    public let alignCorners: Bool
    public var isTraining = true

    /// Resizes to `size`: one extent per spatial axis, or one for all of them.
    public convenience init(size: [Int], mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        self.init(UpsampleDescription(size: size, mode: mode, alignCorners: alignCorners))
    }

    /// Scales every spatial axis by `scaleFactor`.
    public convenience init(scaleFactor: Double, mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        self.init(scaleFactors: [scaleFactor], mode: mode, alignCorners: alignCorners)
    }

    /// Scales each spatial axis by its factor in `scaleFactors` (one for all of them is allowed).
    public convenience init(scaleFactors: [Double], mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        self.init(UpsampleDescription(scaleFactor: scaleFactors, mode: mode, alignCorners: alignCorners))
    }

    private init(_ description: UpsampleDescription) {
        description.requireValid()
        (size, scaleFactor, mode, alignCorners) = (description.size, description.scaleFactor, description.mode, description.alignCorners)
    }

    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        let description = UpsampleDescription(size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners)
        if let problem = description.inputProblem(input.shape) { programmerError("Upsample: \(problem)") }
        let spatial = input.rank - 2
        if let size {
            return input.interpolated(size: size.count == 1 ? Array(repeating: size[0], count: spatial) : size, mode: mode,
                                      alignCorners: alignCorners)
        }
        let factors = scaleFactor ?? [1]
        return input.interpolated(scaleFactors: factors.count == 1 ? Array(repeating: factors[0], count: spatial) : factors, mode: mode,
                                  alignCorners: alignCorners)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] { [] }

    public var summaryName: String {
        "Upsample(" + (size.map { "size \($0)" } ?? "scale \(scaleFactor ?? [])") + ", \(mode.name)"
            + (alignCorners ? ", align corners" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(UpsampleDescription(size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners))
    }
}

extension InterpolationMode: Codable {
    /// PyTorch's name of the mode: `"nearest"`, `"linear"` or `"bilinear"`.
    public var name: String {
        switch self {
        case .nearest: return "nearest"
        case .linear: return "linear"
        case .bilinear: return "bilinear"
        }
    }

    /// Reads the mode from its name.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let mode = InterpolationMode.allCases.first(where: { $0.name == name }) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown interpolation mode \"\(name)\"; "
                                                   + "one of \(InterpolationMode.allCases.map(\.name))")
        }
        self = mode
    }

    /// Writes the mode's name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// The description of an ``Upsample`` layer.
public struct UpsampleDescription: LayerDescription {
    public static let kind = "upsample"
    public static let defaultFields = #"{"mode":"nearest","alignCorners":false,"size":null,"scaleFactor":null}"#
    /// The output's spatial extents, each in 1...``maximumWindowExtent`` (one value for every axis);
    /// exactly one of `size` and `scaleFactor` is given.
    public var size: [Int]?
    /// The scale factors, each finite, > 0 and at most ``maximumWindowExtent`` (one value for every axis).
    public var scaleFactor: [Double]?
    /// How output elements are computed.
    public var mode: InterpolationMode
    /// Whether the corner elements of input and output coincide; linear and bilinear modes only.
    public var alignCorners: Bool

    /// A description of resizing to `size` or by `scaleFactor` (give exactly one).
    public init(size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: InterpolationMode = .nearest, alignCorners: Bool = false) {
        (self.size, self.scaleFactor, self.mode, self.alignCorners) = (size, scaleFactor, mode, alignCorners)
    }

    /// The spatial axes the mode works on: 1 or 2 for nearest, 1 for linear, 2 for bilinear.
    private var spatialAxes: ClosedRange<Int> {
        switch mode {
        case .nearest: return 1...2
        case .linear: return 1...1
        case .bilinear: return 2...2
        }
    }

    public func problem() -> String? {
        switch (size, scaleFactor) {
        case (nil, nil), (.some, .some):
            return "Upsample needs exactly one of size and scaleFactor, got size \(size.map { "\($0)" } ?? "nil"), "
                + "scaleFactor \(scaleFactor.map { "\($0)" } ?? "nil")"
        case (let size?, nil) where !(1...spatialAxes.upperBound).contains(size.count)
                                    || !size.allSatisfy((1...maximumWindowExtent).contains):
            return "Upsample's size must be 1 to \(spatialAxes.upperBound) value(s) in 1...\(maximumWindowExtent) for mode "
                + "\(mode.name), got \(size)"
        case (nil, let factors?) where !(1...spatialAxes.upperBound).contains(factors.count)
                                       || !factors.allSatisfy({ $0 > 0 && $0 <= Double(maximumWindowExtent) }):
            return "Upsample's scaleFactor must be 1 to \(spatialAxes.upperBound) value(s) in (0, \(maximumWindowExtent)] for mode "
                + "\(mode.name), got \(factors)"
        default:
            return alignCorners && mode == .nearest ? "Upsample's alignCorners needs mode linear or bilinear, got nearest" : nil
        }
    }

    public var stateCount: Int? { 0 }

    /// Why an input of `shape` cannot be resized (its rank for the mode, the number of sizes or
    /// factors, an empty output), or `nil`.
    func inputProblem(_ shape: [Int]) -> String? {
        let spatial = shape.count - 2
        guard spatialAxes.contains(spatial) else {
            return "mode \(mode.name) takes " + (mode == .nearest ? "(N, C, L) or (N, C, H, W)" : mode == .linear ? "(N, C, L)" : "(N, C, H, W)")
                + ", the input has shape \(shape)"
        }
        guard shape[2...].allSatisfy({ $0 >= 1 }) else { return "the input shape \(shape) has an empty spatial axis" }
        if let size, size.count != 1 && size.count != spatial {
            return "size \(size) for the input shape \(shape) needs 1 or \(spatial) values"
        }
        if let scaleFactor {
            guard scaleFactor.count == 1 || scaleFactor.count == spatial else {
                return "scaleFactor \(scaleFactor) for the input shape \(shape) needs 1 or \(spatial) values"
            }
            let extents = output(shape)
            if !extents.allSatisfy({ $0 >= 1 }) { return "scaleFactor \(scaleFactor) makes an empty output \(extents) of the input shape \(shape)" }
        }
        return nil
    }

    /// The output's spatial extents for an input of `shape` (whose problems were checked).
    private func output(_ shape: [Int]) -> [Int] {
        let extents = Array(shape[2...])
        if let size { return size.count == 1 ? extents.map { _ in size[0] } : size }
        let factors = scaleFactor ?? [1]
        return extents.indices.map { Int((Double(extents[$0]) * factors[factors.count == 1 ? 0 : $0]).rounded(.down)) }
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        if let problem = inputProblem(shape) { throw inference.error("Upsample's \(problem)") }
        return Array(shape.prefix(2)) + output(shape)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        if let size { return Upsample<Scalar>(size: size, mode: mode, alignCorners: alignCorners) }
        return Upsample<Scalar>(scaleFactors: scaleFactor ?? [1], mode: mode, alignCorners: alignCorners)
    }
}

extension ModelDescription {
    /// An ``Upsample`` layer: give exactly one of `size` and `scaleFactor`.
    public static func upsample(size: [Int]? = nil, scaleFactor: [Double]? = nil, mode: InterpolationMode = .nearest,
                                alignCorners: Bool = false) -> ModelDescription {
        .layer(UpsampleDescription(size: size, scaleFactor: scaleFactor, mode: mode, alignCorners: alignCorners))
    }
}
