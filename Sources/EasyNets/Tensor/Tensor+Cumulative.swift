// Cumulative ops along an axis: running sums, products and log-sum-exps. Each lane along the axis
// is scanned in order; backward scans the upstream gradient the other way.

extension Tensor {
    /// Runs `body(start, stride, length)` for every lane along `axis` (normalized).
    func forEachLane(along axis: Int, _ body: (_ start: Int, _ stride: Int, _ length: Int) -> Void) {
        let (outer, length, inner) = lanes(along: axis)
        for o in 0..<outer {
            for j in 0..<inner { body(o * length * inner + j, inner, length) }
        }
    }

    /// The scan's axis, checked; a 0-D tensor is scanned as one element.
    private func scanAxis(_ axis: Int, op: String) -> Int {
        rank == 0 ? 0 : normalizedAxis(axis, rank: rank, op: op)
    }

    /// The forward pass of a scan: `y[k] = combine(y[k − 1], x[k])` along each lane, from `initial`.
    private func scanned(along axis: Int, from initial: Scalar, _ combine: (Scalar, Scalar) -> Scalar) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let (x, y) = (storage.base, result.storage.base)
        forEachLane(along: axis) { start, stride, length in
            var running = initial
            for k in 0..<length {
                running = combine(running, x[start + k * stride])
                y[start + k * stride] = running
            }
        }
        return result
    }

    /// Running sums along `axis`: `y[k] = x[0] + … + x[k]` (`torch.cumsum`). The gradient is the
    /// running sum of the upstream gradient taken from the end.
    public func cumsum(along axis: Int) -> Tensor {
        let axis = scanAxis(axis, op: "Tensor.cumsum")
        if rank == 0 { return unchangedResult }
        return scanned(along: axis, from: 0, +).recorded("cumsum", inputs: [node]) { [node, shape] dY in
            let dX = Tensor(uninitializedShape: shape)
            let (g, d) = (dY.storage.base, dX.storage.base)
            dX.forEachLane(along: axis) { start, stride, length in
                var total: Scalar = 0
                for k in (0..<length).reversed() {
                    total += g[start + k * stride]
                    d[start + k * stride] = total
                }
            }
            node?.accumulate(dX)
        }
    }

    /// Running products along `axis`: `y[k] = x[0] · … · x[k]` (`torch.cumprod`). The gradient
    /// `∂L/∂x[i] = Σ_{k ≥ i} dY[k] · Π_{j ≤ k, j ≠ i} x[j]` is formed without dividing by `x`, so
    /// it is right where inputs are zero.
    public func cumprod(along axis: Int) -> Tensor {
        let axis = scanAxis(axis, op: "Tensor.cumprod")
        if rank == 0 { return unchangedResult }
        let result = scanned(along: axis, from: 1, *)
        guard Tensor.needsRecording(self) else { return result }
        let saved = detached
        return result.recorded("cumprod", inputs: [node]) { [node, shape] dY in
            let dX = Tensor(uninitializedShape: shape)
            let (x, g, d) = (saved.storage.base, dY.storage.base, dX.storage.base)
            dX.forEachLane(along: axis) { start, stride, length in
                var before: Scalar = 1  // Π_{j < i} x[j]
                for i in 0..<length {
                    // Σ_{k ≥ i} dY[k] · before · Π_{i < j ≤ k} x[j], without dividing by x[i].
                    var total: Scalar = 0, running = before
                    for k in i..<length {
                        if k > i { running *= x[start + k * stride] }
                        total += g[start + k * stride] * running
                    }
                    d[start + i * stride] = total
                    before *= x[start + i * stride]
                }
            }
            node?.accumulate(dX)
        }
    }

    /// Running log-sum-exps along `axis`: `y[k] = log(exp(x[0]) + … + exp(x[k]))`
    /// (`torch.logcumsumexp`), each step as `max + log1p(exp(−|a − b|))` so it is finite for any
    /// finite input. The gradient is `∂L/∂x[i] = Σ_{k ≥ i} dY[k] · exp(x[i] − y[k])`.
    public func logcumsumexp(along axis: Int) -> Tensor {
        let axis = scanAxis(axis, op: "Tensor.logcumsumexp")
        if rank == 0 { return unchangedResult }
        let result = scanned(along: axis, from: -.infinity) { total, v in
            let high = Swift.max(total, v), low = Swift.min(total, v)
            return high == -.infinity ? high : high + Scalar.log(onePlus: Scalar.exp(low - high))
        }
        guard Tensor.needsRecording(self) else { return result }
        let saved = detached, output = result.detached
        return result.recorded("logcumsumexp", inputs: [node]) { [node, shape] dY in
            let dX = Tensor(uninitializedShape: shape)
            let (x, y, g, d) = (saved.storage.base, output.storage.base, dY.storage.base, dX.storage.base)
            dX.forEachLane(along: axis) { start, stride, length in
                for i in 0..<length {
                    var total: Scalar = 0
                    let xi = x[start + i * stride]
                    for k in i..<length { total += g[start + k * stride] * Scalar.exp(xi - y[start + k * stride]) }
                    d[start + i * stride] = total
                }
            }
            node?.accumulate(dX)
        }
    }
}
