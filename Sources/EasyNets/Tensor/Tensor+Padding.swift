// Padding and cropping of trailing axes, PyTorch's `F.pad`: each output element either reads one
// input element (its backward adds the output gradient there) or is the constant fill (no gradient).

/// How ``Tensor/padded(_:mode:value:)`` fills the new elements.
public enum PaddingMode: Sendable, Hashable, CaseIterable {
    /// A constant value.
    case constant
    /// The mirror image of the elements next to the edge, the edge itself excluded:
    /// `[1, 2, 3]` padded by 2 on both sides is `[3, 2, 1, 2, 3, 2, 1]`. Widths stay below the extent.
    case reflect
    /// Copies of the edge element: `[1, 2, 3]` becomes `[1, 1, 1, 2, 3, 3, 3]`.
    case replicate
    /// Wrapping around: `[1, 2, 3]` becomes `[2, 3, 1, 2, 3, 1, 2]`. Widths are at most the extent
    /// left after cropping by the negative widths.
    case circular
}

extension Tensor {
    /// This tensor padded on its trailing axes, PyTorch's `F.pad(self, widths, mode, value)`:
    /// `widths` holds (before, after) pairs, the last axis's pair first, so `[1, 2]` adds one
    /// element before and two after along the last axis and `[1, 2, 3, 4]` also three before and
    /// four after along the one before it. Negative widths remove elements in every mode.
    ///
    /// With ``PaddingMode/constant`` the new elements are `value`. ``PaddingMode/reflect`` mirrors
    /// the axis as it is before cropping and needs widths below its extent;
    /// ``PaddingMode/replicate`` copies the edge element of the axis before cropping;
    /// ``PaddingMode/circular`` wraps around the axis after cropping and needs widths at most
    /// that cropped extent (`[2, -1]` on `[0, 1, 2, 3, 4]` is `[2, 3, 0, 1, 2, 3]`), as PyTorch.
    /// Differentiable: each element's gradient is the sum over the output elements that copy it.
    public func padded(_ widths: [Int], mode: PaddingMode = .constant, value: Scalar = 0) -> Tensor {
        let op = "Tensor.padded"
        require(widths.count % 2 == 0 && widths.count / 2 <= rank,
                "\(op): \(widths.count) widths for shape \(shape); needs (before, after) pairs for at most \(rank) axes")
        // before[d], after[d] per axis of this tensor, from F.pad's last-axis-first order.
        var before = [Int](repeating: 0, count: rank), after = before
        for pair in 0..<(widths.count / 2) {
            (before[rank - 1 - pair], after[rank - 1 - pair]) = (widths[2 * pair], widths[2 * pair + 1])
        }
        var outShape = shape
        for d in 0..<rank {
            outShape[d] = shape[d] + before[d] + after[d]
            require(outShape[d] >= 0, "\(op): widths \(widths) leave a negative extent on axis \(d) of shape \(shape)")
            guard mode != .constant, before[d] != 0 || after[d] != 0 else { continue }
            let largest = Swift.max(before[d], after[d])
            switch mode {
            case .reflect:
                require(largest < shape[d], "\(op): reflect width \(largest) in \(widths) must be below extent \(shape[d]) "
                        + "of axis \(d) of shape \(shape)")
            case .replicate:
                require(shape[d] > 0, "\(op): replicate needs a nonempty axis \(d), shape is \(shape)")
            case .circular:
                let cropped = shape[d] - Swift.max(-before[d], 0) - Swift.max(-after[d], 0)
                require(largest <= cropped, "\(op): circular width \(largest) in \(widths) exceeds extent \(cropped) of axis \(d) "
                        + "of shape \(shape) after cropping, wrapping around more than once")
            case .constant:
                break
            }
        }
        // The input offset each output element reads, or −1 for the constant fill.
        let strides = contiguousStrides(shape)
        let offsets = rowMajorOffsets(outShape) { _, position in
            var offset = 0
            for d in 0..<position.count {
                var i = position[d] - before[d]
                let n = shape[d]
                switch mode {
                case .constant: if i < 0 || i >= n { return -1 }
                case .reflect: if i < 0 { i = -i } else if i >= n { i = 2 * (n - 1) - i }
                case .replicate: i = Swift.min(Swift.max(i, 0), n - 1)
                case .circular:
                    // Wrap within the cropped axis [start, start + m).
                    let start = Swift.max(-before[d], 0), m = n - start - Swift.max(-after[d], 0)
                    let q = position[d] - Swift.max(before[d], 0)
                    i = start + (q % m + m) % m
                }
                offset += i * strides[d]
            }
            return offset
        }
        let result = Tensor(uninitializedShape: outShape)
        let (source, target) = (storage.base, result.storage.base)
        for (flat, offset) in offsets.enumerated() { target[flat] = offset < 0 ? value : source[offset] }
        return result.recorded("pad", inputs: [node]) { [node, count] dY in
            node?.withGradientBuffer { gradient, accumulate in
                if !accumulate { zeroFill(gradient, count: count) }
                let incoming = dY.storage.base
                for (flat, offset) in offsets.enumerated() where offset >= 0 { gradient[offset] += incoming[flat] }
            }
        }
    }
}
