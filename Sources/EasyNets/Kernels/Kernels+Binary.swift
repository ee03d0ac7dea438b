/// Elementwise binary ops (with broadcasting); comparisons give 1 or 0.
enum BinaryOp {
    case add, subtract, multiply, divide, power, maximum, minimum
    case less, lessEqual, greater, greaterEqual, equal, notEqual
}

extension Kernels {
    // MARK: Binary with broadcasting

    @inline(__always)
    static func apply<T: TensorScalar>(_ op: BinaryOp, _ a: T, _ b: T) -> T {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return power(a, b)
        case .maximum: return Swift.max(a, b)
        case .minimum: return Swift.min(a, b)
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .greaterEqual: return a >= b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        }
    }

    /// `out[i] = a[i ∘ strideA] op b[i ∘ strideB]` over `shape`; a stride of 0 broadcasts an axis.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func binary<T: TensorScalar>(
        _ op: BinaryOp, _ a: UnsafePointer<T>, stridesA: [Int], _ b: UnsafePointer<T>, stridesB: [Int],
        _ out: UnsafeMutablePointer<T>, shape: [Int]
    ) {
        let n = shape.reduce(1, *)
        guard n > 0 else { return }
        let contiguous = contiguousStrides(shape)
        if stridesA == contiguous && stridesB == contiguous {
            sameShapeBinary(op, a, b, out, n)  // memory-bound: one thread streams it fastest
            return
        }
        let rank = shape.count
        let inner = rank == 0 ? 1 : shape[rank - 1]
        let sa = rank == 0 ? 1 : stridesA[rank - 1]
        let sb = rank == 0 ? 1 : stridesB[rank - 1]
        var index = [Int](repeating: 0, count: Swift.max(rank - 1, 0))
        var offA = 0, offB = 0, o = 0
        while o < n {
            let pa = a + offA, pb = b + offB, po = out + o
            // The three common inner-loop layouts get loops the compiler can vectorize.
            switch (sa, sb, op) {
            case (1, 1, .add): for i in 0..<inner { po[i] = pa[i] + pb[i] }
            case (1, 1, .multiply): for i in 0..<inner { po[i] = pa[i] * pb[i] }
            case (1, 1, .subtract): for i in 0..<inner { po[i] = pa[i] - pb[i] }
            case (1, 0, .add): let v = pb[0]; for i in 0..<inner { po[i] = pa[i] + v }
            case (1, 0, .multiply): let v = pb[0]; for i in 0..<inner { po[i] = pa[i] * v }
            case (1, 1, _): for i in 0..<inner { po[i] = apply(op, pa[i], pb[i]) }
            case (1, 0, _): let v = pb[0]; for i in 0..<inner { po[i] = apply(op, pa[i], v) }
            case (0, 1, _): let v = pa[0]; for i in 0..<inner { po[i] = apply(op, v, pb[i]) }
            default: for i in 0..<inner { po[i] = apply(op, pa[i * sa], pb[i * sb]) }
            }
            o += inner
            // Odometer over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offA += stridesA[axis]
                offB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offA -= stridesA[axis] * shape[axis]
                offB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// `out[i] = a[i] op b[i]` for contiguous operands of one shape.
    @inline(__always)
    static func sameShapeBinary<T: TensorScalar>(
        _ op: BinaryOp, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ out: UnsafeMutablePointer<T>, _ n: Int
    ) {
        switch op {
        case .add: for i in 0..<n { out[i] = a[i] + b[i] }
        case .subtract: for i in 0..<n { out[i] = a[i] - b[i] }
        case .multiply: for i in 0..<n { out[i] = a[i] * b[i] }
        case .divide: for i in 0..<n { out[i] = a[i] / b[i] }
        default: for i in 0..<n { out[i] = apply(op, a[i], b[i]) }
        }
    }

    /// `out = mask ? a : b` elementwise (same shapes).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func select<T: TensorScalar>(
        _ mask: UnsafePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
        _ out: UnsafeMutablePointer<T>, _ n: Int
    ) {
        for i in 0..<n {
            let (u, v) = (a[i], b[i])  // both loaded: a select, not a branch (see Kernels.unary)
            out[i] = mask[i] != 0 ? u : v
        }
    }
}
