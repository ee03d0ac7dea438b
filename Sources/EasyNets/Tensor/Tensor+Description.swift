extension Tensor: CustomStringConvertible {
    /// Nested-bracket values (abbreviated with `...` past 1000 elements) followed by the shape.
    public var description: String {
        let summarize = count > 1000
        var text = ""
        withUnsafeBufferPointer { buffer in
            formatAxis(0, offset: 0, buffer: buffer, summarize: summarize, indent: 1, into: &text)
        }
        let grad = node == nil ? "" : ", requiresGradient: true"
        return "Tensor<\(Scalar.self)>(\(text), shape: \(shape)\(grad))"
    }

    private func formatAxis(
        _ axis: Int, offset: Int, buffer: UnsafeBufferPointer<Scalar>, summarize: Bool, indent: Int,
        into text: inout String
    ) {
        if axis == rank {
            text += "\(buffer[offset])"
            return
        }
        let extent = shape[axis]
        let stride = shape[(axis + 1)...].reduce(1, *)
        let edge = 3
        let indices: [Int?] = summarize && extent > 2 * edge
            ? Array(0..<edge) + [nil] + Array((extent - edge)..<extent)
            : Array(0..<extent)
        text += "["
        for (position, index) in indices.enumerated() {
            if position > 0 {
                text += axis == rank - 1 ? ", " : ",\n" + String(repeating: " ", count: indent)
            }
            if let index {
                formatAxis(axis + 1, offset: offset + index * stride, buffer: buffer, summarize: summarize,
                           indent: indent + 1, into: &text)
            } else {
                text += "..."
            }
        }
        text += "]"
    }
}
