import EasyNets

extension PermuteDescription: ONNXExportable {
    /// `Transpose` with perm = the layer's axes. The batch axis must stay first: the export keeps it
    /// symbolic at axis 0, so a permutation that moves it throws ``ONNXError``.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let rank = input.shape.count
        guard axes.count == rank else { throw graph.error("Permute's axes \(axes) do not match the input shape \(input.shape)") }
        let perm = axes.map { $0 < 0 ? $0 + rank : $0 }
        guard perm.first == 0 else {
            throw graph.error("Permute's axes \(axes) move the batch axis, which an export keeps first (its symbolic axis 0)")
        }
        return ONNXValue(graph.apply("Transpose", input.name, attributes: [.ints("perm", perm)]), shape: perm.map { input.shape[$0] })
    }
}
