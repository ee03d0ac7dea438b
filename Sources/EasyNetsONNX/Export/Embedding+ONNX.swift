import EasyNets
import Foundation

// Lookup tables and position codes as ONNX operators of opset 17: an embedding is a `Gather` of
// rows, a position code an `Add` of a table's leading rows.

extension EmbeddingDescription: ONNXExportable {
    /// `Cast` of the (Float) ids to int64, then `Gather` of rows of `weight` along axis 0. With
    /// `maxNorm`, the rows are renormalized first as a lookup in EasyNets would (each row whose norm
    /// exceeds `maxNorm` scaled by `maxNorm / (norm + 1e-7)`); the table is then an initializer
    /// "weight.renormalized" when that changed some row.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        let table = try lookupTable(&graph)
        let ids = graph.apply("Cast", input.name, attributes: [.int("to", Int(Onnx_TensorProto.DataType.int64.rawValue))])
        return ONNXValue(graph.node("Gather", [table, ids], [.int("axis", 0)])[0], shape: input.shape + [dimension])
    }

    /// The initializer the rows come from: `weight`, or the renormalized table under a derived name.
    private func lookupTable(_ graph: inout ONNXGraphBuilder) throws -> String {
        let weight = try graph.state("weight")
        guard weight.shape == [count, dimension] else {
            throw graph.error("the embedding's weight has shape \(weight.shape), expected [\(count), \(dimension)]")
        }
        guard let maxNorm else { return try graph.parameter("weight") }
        var rows = weight.scalars
        var changed = false
        for row in 0..<count {
            let range = (row * dimension)..<((row + 1) * dimension)
            let norm = rowNorm(rows[range])
            guard norm > maxNorm else { continue }
            let scale = Float(maxNorm / (norm + 1e-7))
            for i in range { rows[i] *= scale }
            changed = true
        }
        guard changed else { return try graph.parameter("weight") }
        return graph.addInitializer(graph.prefix + "weight.renormalized", values: rows, shape: [count, dimension])
    }

    /// The `normType`-norm of one row, accumulated in Double as EasyNets' lookup computes it.
    private func rowNorm(_ values: ArraySlice<Float>) -> Double {
        if normType == .infinity { return values.reduce(0) { Swift.max($0, abs(Double($1))) } }
        if normType == 2 { return values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        return pow(values.reduce(0) { $0 + pow(abs(Double($1)), normType) }, 1 / normType)
    }
}

extension SinusoidalPositionalEncodingDescription: ONNXExportable {
    /// Batch first, `Add` of the code of the input's L positions, a constant "code" of (L, E)
    /// computed as EasyNets computes it. Sequence first, L is the symbolic axis 0, so the graph
    /// computes the code for it in Double (`Shape`, `Range`, `Pow`, `Div`, `Sin`, `Cos`), rounds it
    /// to Float (`Cast`) and adds it over the batch axis (`Unsqueeze`).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard input.shape.count == 3 && input.shape[2] == dimension else {
            throw graph.error("SinusoidalPositionalEncoding takes (…, …, \(dimension)), the input has shape \(input.shape)")
        }
        if batchFirst {
            let length = input.shape[1]
            let code = SinusoidalPositionalEncoding<Float>(dimension: dimension).code(length: length)
            let name = graph.addInitializer(graph.prefix + "code", values: code.scalars, shape: [length, dimension])
            return ONNXValue(graph.apply("Add", input.name, name), shape: input.shape)
        }
        let code = graph.apply("Unsqueeze", symbolicLengthCode(of: input.name, to: &graph), graph.constant(int64: [1]))
        return ONNXValue(graph.apply("Add", input.name, code), shape: input.shape)
    }

    /// The code (L, E) of L = the extent of axis 0 of `input`: angle p / 10000^((f − f mod 2)/E) in
    /// Double, sin on even features and cos on odd ones, rounded to Float.
    private func symbolicLengthCode(of input: String, to graph: inout ONNXGraphBuilder) -> String {
        func double(_ values: [Float], shape: [Int], _ graph: inout ONNXGraphBuilder) -> String {
            graph.apply("Cast", graph.constant(values, shape: shape), attributes: [.int("to", Int(Onnx_TensorProto.DataType.double.rawValue))])
        }
        let length = graph.apply("Shape", input, attributes: [.int("start", 0), .int("end", 1)])
        let limit = graph.apply("Cast", graph.apply("Squeeze", length, graph.constant(int64: [0])),
                                attributes: [.int("to", Int(Onnx_TensorProto.DataType.double.rawValue))])
        let positions = graph.apply("Range", double([0], shape: [], &graph), limit, double([1], shape: [], &graph))
        let column = graph.apply("Unsqueeze", positions, graph.constant(int64: [1]))  // (L, 1)
        let features = 0..<dimension
        let exponents = graph.apply("Div", double(features.map { Float($0 - $0 % 2) }, shape: [dimension], &graph),
                                    double([Float(dimension)], shape: [], &graph))
        let denominators = graph.apply("Pow", double([10000], shape: [], &graph), exponents)
        let angles = graph.apply("Div", column, denominators)  // (L, E)
        let even = double(features.map { $0 % 2 == 0 ? 1 : 0 }, shape: [dimension], &graph)
        let odd = double(features.map { $0 % 2 == 0 ? 0 : 1 }, shape: [dimension], &graph)
        let code = graph.apply("Add", graph.apply("Mul", graph.apply("Sin", angles), even),
                               graph.apply("Mul", graph.apply("Cos", angles), odd))
        return graph.apply("Cast", code, attributes: [.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))])
    }
}

extension LearnedPositionalEmbeddingDescription: ONNXExportable {
    /// `Add` of the first L rows of `weight` (`Slice`). Batch first, L is static; sequence first,
    /// L is the symbolic axis 0, so the rows are sliced to the input's `Shape` and added over the
    /// batch axis (`Unsqueeze`).
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard input.shape.count == 3 && input.shape[2] == dimension && input.shape[batchFirst ? 1 : 0] <= maximumLength else {
            throw graph.error("LearnedPositionalEmbedding takes \(batchFirst ? "(N, L" : "(L, N"), \(dimension)) with L ≤ \(maximumLength), "
                              + "the input has shape \(input.shape)")
        }
        let weight = try graph.parameter("weight")
        let (start, axis) = (graph.constant(int64: [0]), graph.constant(int64: [0]))
        if batchFirst {
            let rows = graph.apply("Slice", weight, start, graph.constant(int64: [input.shape[1]]), axis)
            return ONNXValue(graph.apply("Add", input.name, rows), shape: input.shape)
        }
        let length = graph.apply("Shape", input.name, attributes: [.int("start", 0), .int("end", 1)])
        let rows = graph.apply("Slice", weight, start, length, axis)
        let code = graph.apply("Unsqueeze", rows, graph.constant(int64: [1]))
        return ONNXValue(graph.apply("Add", input.name, code), shape: input.shape)
    }
}

