/// Reductions along one axis.
enum ReductionOp { case sum, max, min }

extension Kernels {
    // MARK: Reductions

    /// Reduces the middle axis of an (outer, length, inner) array into (outer, inner).
    /// `length` must be positive for `.max` and `.min`.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func reduce<T: TensorScalar>(
        _ op: ReductionOp, _ x: UnsafePointer<T>, outer: Int, length: Int, inner: Int,
        _ y: UnsafeMutablePointer<T>
    ) {
        if length == 0 {
            zeroFill(y, count: outer * inner)
            return
        }
        for o in 0..<outer {
            let src = x + o * length * inner
            let dst = y + o * inner
            if inner == 1 {
                dst[0] = reduceContiguous(op, src, length)
                continue
            }
            dst.update(from: src, count: inner)
            for k in 1..<length {
                let row = src + k * inner
                switch op {
                case .sum: for j in 0..<inner { dst[j] += row[j] }
                case .max: for j in 0..<inner { dst[j] = row[j] > dst[j] || row[j].isNaN ? row[j] : dst[j] }
                case .min: for j in 0..<inner { dst[j] = row[j] < dst[j] || row[j].isNaN ? row[j] : dst[j] }
                }
            }
        }
    }

    /// Reduces `n ≥ 1` contiguous values. Sums use eight running partial sums (vectorizable and
    /// more accurate than one long chain); max and min propagate NaN.
    @inline(__always)
    static func reduceContiguous<T: TensorScalar>(_ op: ReductionOp, _ x: UnsafePointer<T>, _ n: Int) -> T {
        switch op {
        case .sum:
            var partial: (T, T, T, T, T, T, T, T) = (0, 0, 0, 0, 0, 0, 0, 0)
            var i = 0
            while i + 8 <= n {
                partial.0 += x[i]; partial.1 += x[i + 1]; partial.2 += x[i + 2]; partial.3 += x[i + 3]
                partial.4 += x[i + 4]; partial.5 += x[i + 5]; partial.6 += x[i + 6]; partial.7 += x[i + 7]
                i += 8
            }
            var total = ((partial.0 + partial.1) + (partial.2 + partial.3))
                + ((partial.4 + partial.5) + (partial.6 + partial.7))
            while i < n { total += x[i]; i += 1 }
            return total
        case .max:
            var best = x[0]
            for i in 1..<n where x[i] > best || x[i].isNaN { best = x[i]; if best.isNaN { break } }
            return best
        case .min:
            var best = x[0]
            for i in 1..<n where x[i] < best || x[i].isNaN { best = x[i]; if best.isNaN { break } }
            return best
        }
    }

    /// Index of the first maximum (or minimum) along the middle axis of (outer, length, inner).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func argExtreme<T: TensorScalar>(
        maximum: Bool, _ x: UnsafePointer<T>, outer: Int, length: Int, inner: Int
    ) -> [Int] {
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for j in 0..<inner {
                let base = x + o * length * inner + j
                var best = base[0], bestIndex = 0
                for k in 1..<Swift.max(length, 1) {
                    let v = base[k * inner]
                    if best.isNaN { break }
                    if v.isNaN || (maximum ? v > best : v < best) { best = v; bestIndex = k }
                }
                result[o * inner + j] = bestIndex
            }
        }
        return result
    }
}
