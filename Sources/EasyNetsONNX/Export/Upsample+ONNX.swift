import EasyNets

extension UpsampleDescription: ONNXExportable {
    /// `Resize` where ONNX's coordinate arithmetic picks exactly EasyNets' source positions:
    ///
    /// - nearest by a whole factor k on every axis: `Resize` by scales k, `asymmetric` coordinates,
    ///   `floor` rounding (output o reads input ⌊o / k⌋);
    /// - linear and bilinear to a ``size``: `Resize` to sizes (the batch and channel extents read by
    ///   `Shape`, joined to the spatial ones by `Concat`), `align_corners` or `half_pixel`
    ///   coordinates (`half_pixel`, not `pytorch_half_pixel`, because EasyNets maps an output of
    ///   extent 1 to the input's middle as PyTorch does);
    /// - linear and bilinear by whole factors: `Resize` by those scales.
    ///
    /// Any other resize, whose float coordinates could round to another element or another output
    /// extent, is written axis by axis as EasyNets computes it: a `Gather` of the source elements
    /// (nearest), or two `Gather`s weighted by constants and added (`Mul`, `Add`).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let outputShape = try graph.outputShape(of: self, for: input.shape)
        let extents = Array(input.shape.dropFirst(2)), outputs = Array(outputShape.dropFirst(2))
        let factors = scaleFactor.map { given in given.count == 1 ? extents.map { _ in given[0] } : given }
        // Source coordinate per output step, as EasyNets maps positions: n/size, or 1/factor.
        let coordinateScales = factors?.map { 1 / $0 } ?? zip(extents, outputs).map { Double($0) / Double($1) }
        let taps = extents.indices.map {
            resizeTaps(input: extents[$0], output: outputs[$0], scale: coordinateScales[$0], nearest: mode == .nearest,
                       alignCorners: alignCorners)
        }
        let whole = extents.indices.map { axis -> Int? in
            guard outputs[axis] % extents[axis] == 0 else { return nil }
            let k = outputs[axis] / extents[axis]
            return (factors.map { $0[axis] == Double(k) } ?? true) ? k : nil
        }
        if mode == .nearest {
            let exact = extents.indices.allSatisfy { axis in
                whole[axis].map { k in taps[axis].enumerated().allSatisfy { $1.first == $0 / k } } ?? false
            }
            if exact {
                let attributes: [ONNXAttribute] = [.string("mode", "nearest"), .string("coordinate_transformation_mode", "asymmetric"),
                                                   .string("nearest_mode", "floor")]
                let scales = graph.constant([1, 1] + whole.map { Float($0 ?? 1) }, shape: [outputShape.count])
                return ONNXValue(graph.node("Resize", [input.name, "", scales], attributes)[0], shape: outputShape)
            }
        } else if size != nil || whole.allSatisfy({ $0 != nil }) {
            let attributes: [ONNXAttribute] = [.string("mode", "linear"),
                                               .string("coordinate_transformation_mode", alignCorners ? "align_corners" : "half_pixel")]
            if size != nil {
                let leading = graph.apply("Shape", input.name, attributes: [.int("start", 0), .int("end", 2)])
                let sizes = graph.node("Concat", [leading, graph.constant(int64: outputs)], [.int("axis", 0)])[0]
                return ONNXValue(graph.node("Resize", [input.name, "", "", sizes], attributes)[0], shape: outputShape)
            }
            let scales = graph.constant([1, 1] + whole.map { Float($0 ?? 1) }, shape: [outputShape.count])
            return ONNXValue(graph.node("Resize", [input.name, "", scales], attributes)[0], shape: outputShape)
        }
        var x = input
        for (offset, axisTaps) in taps.enumerated() {
            x = resized(x, axis: 2 + offset, taps: axisTaps, to: &graph)
        }
        return x
    }
}

/// One output position's sources along an axis: the elements it reads and their weights.
struct ResizeTap: Equatable {
    var first: Int
    var second: Int
    var firstWeight: Float
    var secondWeight: Float
}

/// The sources of each of `output` positions resized from `input` along one axis, as EasyNets'
/// `interpolated` computes them: nearest reads `min(⌊o·scale⌋, input − 1)`; linear interpolates at
/// `o·(input − 1)/(output − 1)` with `alignCorners`, else at `max((o + ½)·scale − ½, 0)`.
func resizeTaps(input n: Int, output size: Int, scale: Double, nearest: Bool, alignCorners: Bool) -> [ResizeTap] {
    (0..<size).map { o in
        if nearest {
            let i = size == n ? o : min(Int((Double(o) * scale).rounded(.down)), n - 1)
            return ResizeTap(first: i, second: i, firstWeight: 1, secondWeight: 0)
        }
        let source = alignCorners ? (size > 1 ? Double(n - 1) / Double(size - 1) : 0) * Double(o) : max(scale * (Double(o) + 0.5) - 0.5, 0)
        let i = Int(source)
        let lambda = source - Double(i)
        return ResizeTap(first: i, second: i < n - 1 ? i + 1 : i, firstWeight: Float(1 - lambda), secondWeight: Float(lambda))
    }
}

/// `x` resized along `axis` by `taps`: a `Gather` of each position's first source, and where a
/// second source has weight, both `Gather`s weighted (`Mul`, weights along `axis`) and added.
private func resized(_ x: ONNXValue, axis: Int, taps: [ResizeTap], to graph: inout ONNXGraphBuilder) -> ONNXValue {
    let identity = taps.count == x.shape[axis] && taps.enumerated().allSatisfy { $1.first == $0 && $1.firstWeight == 1 && $1.secondWeight == 0 }
    if identity { return x }
    var shape = x.shape
    shape[axis] = taps.count
    let gather = { (indices: [Int], graph: inout ONNXGraphBuilder) in
        graph.apply("Gather", x.name, graph.constant(int64: indices), attributes: [.int("axis", axis)])
    }
    let first = gather(taps.map(\.first), &graph)
    if taps.allSatisfy({ $0.secondWeight == 0 && $0.firstWeight == 1 }) { return ONNXValue(first, shape: shape) }
    // Weights of shape (output, 1, …): one per position along `axis`, broadcast over the axes after it.
    let weightShape = [taps.count] + Array(repeating: 1, count: x.shape.count - 1 - axis)
    let second = gather(taps.map(\.second), &graph)
    let weightedFirst = graph.apply("Mul", first, graph.constant(taps.map(\.firstWeight), shape: weightShape))
    let weightedSecond = graph.apply("Mul", second, graph.constant(taps.map(\.secondWeight), shape: weightShape))
    return ONNXValue(graph.apply("Add", weightedFirst, weightedSecond), shape: shape)
}
