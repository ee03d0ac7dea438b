import RealModule

// Per-element kernels. Every loop over a tensor's scalars lives in the Kernels files, over unsafe
// pointers: unary ops (Kernels+Unary.swift), binary ops with broadcasting (Kernels+Binary.swift),
// reductions (Kernels+Reductions.swift), recurrent cells (Kernels+Recurrent.swift), and copies
// and random fills (here). Each kernel is generic but pre-specialized for Float and Double
// (`@_specialize`), so a call from unspecialized generic code dispatches once per tensor to a
// concrete, vectorizable loop. Loops that run in C are reached through TensorScalar's `_kernel…`
// requirements (Float+Kernels.swift, Double+Kernels.swift); their Swift loops stay as references.

enum Kernels {
    // MARK: Scalar functions

    /// xʸ with C's `pow` semantics. RealModule's `pow(x, y)` is NaN for every negative x and for 0⁰;
    /// its integer-exponent overload gives (−2)³ = −8 and 0⁰ = 1, as C, NumPy and PyTorch do.
    @inline(__always)
    static func power<T: TensorScalar>(_ x: T, _ y: T) -> T {
        if let k = Int(exactly: y) { return T.pow(x, k) }
        return T.pow(x, y)
    }

    @inline(__always)
    static func stableSigmoid<T: TensorScalar>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }

    /// log(1 + eˣ) as max(x, 0) + log1p(e^−|x|).
    @inline(__always)
    static func softplus<T: TensorScalar>(_ x: T) -> T {
        Swift.max(x, 0) + T.log(onePlus: T.exp(-Swift.abs(x)))
    }

    // MARK: Copies

    /// Gathers `x` (source strides permuted to output order) into contiguous `out` of `shape`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func stridedCopy<T: TensorScalar>(
        _ x: UnsafePointer<T>, strides: [Int], _ out: UnsafeMutablePointer<T>, shape: [Int]
    ) {
        let zero = [Int](repeating: 0, count: shape.count)
        // Reuse the broadcasting walker: x·1 is exact (keeps −0 and NaN payload-free values).
        var one = T(1)
        binary(.multiply, x, stridesA: strides, &one, stridesB: zero, out, shape: shape)
    }

    /// Fills `out` with uniform values in [low, high).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func fillUniform<T: TensorScalar>(
        _ out: UnsafeMutablePointer<T>, _ n: Int, low: T, high: T, generator: inout RandomGenerator
    ) {
        let width = high - low
        for i in 0..<n {
            var v = low + width * T(generator.nextUnitDouble())
            if v >= high { v = low }  // rounding to Float can reach `high`
            out[i] = v
        }
    }

    /// Fills `out` with normal values of the given mean and standard deviation.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func fillNormal<T: TensorScalar>(
        _ out: UnsafeMutablePointer<T>, _ n: Int, mean: T, standardDeviation: T,
        generator: inout RandomGenerator
    ) {
        for i in 0..<n { out[i] = mean + standardDeviation * T(generator.nextNormal()) }
    }
}
