extension Layer {
    /// A table of the model's layers: each layer's name, output shape and parameter count, and
    /// the total and trainable (not frozen) parameter counts, found by running one forward pass (without gradients, in evaluation mode) on
    /// zeros of `inputShape` (include the batch axis, e.g. `[1, 784]`).
    ///
    /// A ``Sequential`` gets one row per layer; any other layer one row for itself, since its
    /// sublayers need not run one after another.
    public func summary(inputShape: [Int]) -> String {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        var rows: [(String, String, String)] = [("Layer", "Output shape", "Parameters")]
        withoutGradients {
            var x = Tensor<Scalar>.zeros(inputShape)
            let parts: [(String, any Layer<Scalar>)] = self is Sequential<Scalar> ? sublayers : [("", self)]
            for (name, layer) in parts {
                x = layer(x)
                let label = name.isEmpty ? layer.summaryName : "\(name): \(layer.summaryName)"
                rows.append((label, "\(x.shape)", "\(layer.parameterCount)"))
            }
        }
        let widths = (rows.map(\.0.count).max()!, rows.map(\.1.count).max()!, rows.map(\.2.count).max()!)
        func line(_ row: (String, String, String)) -> String {
            row.0 + String(repeating: " ", count: widths.0 - row.0.count) + "  "
                + row.1 + String(repeating: " ", count: widths.1 - row.1.count) + "  "
                + String(repeating: " ", count: widths.2 - row.2.count) + row.2
        }
        let rule = String(repeating: "─", count: widths.0 + widths.1 + widths.2 + 4)
        var text = [line(rows[0]), rule] + rows.dropFirst().map(line)
        text.append(rule)
        text.append("Total parameters: \(parameterCount)")
        text.append("Trainable parameters: \(trainableParameterCount)")
        return text.joined(separator: "\n")
    }
}
