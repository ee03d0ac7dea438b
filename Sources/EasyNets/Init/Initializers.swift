/// Weight initializers, as `torch.nn.init`. Each fills a new tensor of `shape` from a seedable
/// generator. Fans follow PyTorch: for shape (out, in, k…) fan-in = in·Πk and fan-out = out·Πk.
public enum Initializer<Scalar: TensorScalar> {
    /// The nonlinearity a layer feeds, for the recommended gain (`torch.nn.init.calculate_gain`).
    public enum Nonlinearity: Sendable {
        case linear, sigmoid, tanh, relu, selu
        case leakyRelu(negativeSlope: Double)

        /// 1 for linear and sigmoid, 5/3 for tanh, √2 for ReLU, √(2/(1 + a²)) for leaky ReLU,
        /// 3/4 for SELU.
        public var gain: Double {
            switch self {
            case .linear, .sigmoid: return 1
            case .tanh: return 5.0 / 3
            case .relu: return 2.0.squareRoot()
            case .selu: return 0.75
            case .leakyRelu(let a): return (2 / (1 + a * a)).squareRoot()
            }
        }
    }

    /// Which fan the Kaiming initializers preserve the variance of.
    public enum FanMode: Sendable { case fanIn, fanOut }

    /// (fan-in, fan-out) of a weight shape.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        require(shape.count >= 2, "Initializer.fans: needs at least 2 axes, shape is \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// All zeros.
    public static func zeros(_ shape: [Int]) -> Tensor<Scalar> { .zeros(shape) }
    /// All ones.
    public static func ones(_ shape: [Int]) -> Tensor<Scalar> { .ones(shape) }
    /// Every element `value`.
    public static func constant(_ shape: [Int], value: Scalar) -> Tensor<Scalar> { Tensor(filledWith: value, shape: shape) }

    /// U(low, high).
    public static func uniform(_ shape: [Int], low: Scalar = 0, high: Scalar = 1,
                               using generator: inout RandomGenerator) -> Tensor<Scalar> {
        .uniform(shape, low: low, high: high, using: &generator)
    }

    /// N(mean, std²).
    public static func normal(_ shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1,
                              using generator: inout RandomGenerator) -> Tensor<Scalar> {
        .normal(shape, mean: mean, standardDeviation: standardDeviation, using: &generator)
    }

    /// Glorot/Xavier uniform: U(−a, a) with a = gain·√(6/(fan-in + fan-out)).
    public static func xavierUniform(_ shape: [Int], gain: Double = 1, using generator: inout RandomGenerator) -> Tensor<Scalar> {
        let (fanIn, fanOut) = fans(shape)
        let bound = Scalar(gain * (6 / Double(fanIn + fanOut)).squareRoot())
        return .uniform(shape, low: -bound, high: bound, using: &generator)
    }

    /// Glorot/Xavier normal: N(0, σ²) with σ = gain·√(2/(fan-in + fan-out)).
    public static func xavierNormal(_ shape: [Int], gain: Double = 1, using generator: inout RandomGenerator) -> Tensor<Scalar> {
        let (fanIn, fanOut) = fans(shape)
        let std = Scalar(gain * (2 / Double(fanIn + fanOut)).squareRoot())
        return .normal(shape, standardDeviation: std, using: &generator)
    }

    /// He/Kaiming uniform: U(−b, b) with b = gain·√(3/fan).
    public static func kaimingUniform(_ shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu(negativeSlope: 0),
                                      using generator: inout RandomGenerator) -> Tensor<Scalar> {
        let bound = Scalar(nonlinearity.gain * (3 / Double(fan(shape, mode))).squareRoot())
        return .uniform(shape, low: -bound, high: bound, using: &generator)
    }

    /// He/Kaiming normal: N(0, σ²) with σ = gain/√fan.
    public static func kaimingNormal(_ shape: [Int], mode: FanMode = .fanIn, nonlinearity: Nonlinearity = .leakyRelu(negativeSlope: 0),
                                     using generator: inout RandomGenerator) -> Tensor<Scalar> {
        let std = Scalar(nonlinearity.gain / Double(fan(shape, mode)).squareRoot())
        return .normal(shape, standardDeviation: std, using: &generator)
    }

    /// LeCun normal: N(0, 1/fan-in) (the SELU initialization).
    public static func lecunNormal(_ shape: [Int], using generator: inout RandomGenerator) -> Tensor<Scalar> {
        .normal(shape, standardDeviation: Scalar(1 / Double(fans(shape).fanIn).squareRoot()), using: &generator)
    }

    /// LeCun uniform: U(−b, b) with b = √(3/fan-in).
    public static func lecunUniform(_ shape: [Int], using generator: inout RandomGenerator) -> Tensor<Scalar> {
        let bound = Scalar((3 / Double(fans(shape).fanIn)).squareRoot())
        return .uniform(shape, low: -bound, high: bound, using: &generator)
    }

    /// A (semi-)orthogonal matrix scaled by `gain`, from the QR factorization (LAPACKE `?geqrf`)
    /// of a standard normal matrix, with signs fixed by R's diagonal so the result is uniformly
    /// distributed (as `torch.nn.init.orthogonal_`). Trailing axes are flattened into columns.
    public static func orthogonal(_ shape: [Int], gain: Double = 1, using generator: inout RandomGenerator) throws -> Tensor<Scalar> {
        require(shape.count >= 2, "Initializer.orthogonal: needs at least 2 axes, shape is \(shape)")
        let rows = shape[0], columns = shape.dropFirst().reduce(1, *)
        var matrix = Tensor<Scalar>.normal([rows, columns], using: &generator)
        if rows < columns { matrix = matrix.transposed() }
        let (q, r) = try matrix.qrDecomposition()
        let p = Swift.min(rows, columns)
        let signs = Tensor<Scalar>((0..<p).map { r[$0, $0] < 0 ? -1 : 1 }, shape: [1, p])
        var result = q * signs
        if rows < columns { result = result.transposed() }
        return (result * Scalar(gain)).reshaped(to: shape)
    }

    private static func fan(_ shape: [Int], _ mode: FanMode) -> Int {
        let (fanIn, fanOut) = fans(shape)
        return mode == .fanIn ? fanIn : fanOut
    }
}
