import EasyNets
import Foundation

extension MultiheadAttentionDescription: ONNXExportable {
    /// Self-attention written out: `Transpose` to (N, L, E) unless batch-first, the in-projection
    /// `in_proj_weight` sliced per query, key and value (`Slice`, `Transpose`, `MatMul`, `Add`),
    /// `bias_k` and `bias_v` appended (`Expand`, `Concat`), heads split (`Reshape`, `Transpose`),
    /// rotary embedding (`Range`, `Cos`, `Sin` in Float64, `Gather`, `Mul`, `Add`), zero attention
    /// (`ConstantOfShape`, `Concat`), `softmax(q·kᵀ/√d)·v` (`MatMul`, `Mul`, `Softmax`), heads
    /// joined and `out_proj` applied. Dropout is left out, as in inference.
    public func exportONNX(_ input: ONNXValue, to graph: inout ONNXGraphBuilder) throws -> ONNXValue {
        guard (keySize ?? embeddingSize) == embeddingSize && (valueSize ?? embeddingSize) == embeddingSize else {
            throw graph.error("self-attention needs key and value sizes equal to the embedding size \(embeddingSize)")
        }
        let shape = try graph.outputShape(of: self, for: input.shape)
        let attention = AttentionExport(size: embeddingSize, heads: headCount, bias: bias, keyValueBias: addKeyValueBias,
                                        zeroAttention: addZeroAttention, rotaryBase: rotaryBase, causal: false)
        let x = AttentionExport.batchMajor(input.name, batchFirst: batchFirst, graph: &graph)
        let y = try attention(query: x, memory: x, graph: &graph)
        return ONNXValue(AttentionExport.batchMajor(y, batchFirst: batchFirst, graph: &graph), shape: shape)
    }
}

/// Multi-head attention (PyTorch's `nn.MultiheadAttention` in inference) as ONNX operators, on
/// values laid out (N, L, E), with the state of the attention layer the graph's prefix points at
/// (`in_proj_weight`, `in_proj_bias`, `bias_k`, `bias_v`, `out_proj.weight`, `out_proj.bias`).
struct AttentionExport {
    /// The embedding size E.
    var size: Int
    /// The number of heads.
    var heads: Int
    /// Whether the projections have biases.
    var bias: Bool
    /// Whether `bias_k` and `bias_v` are appended to the keys and values.
    var keyValueBias: Bool
    /// Whether a zero key and value are appended after the heads are split.
    var zeroAttention: Bool
    /// The rotary embedding's base, or `nil`.
    var rotaryBase: Double?
    /// Whether query i attends to keys 0…i only.
    var causal: Bool

    /// `x` (L, N, E) as (N, L, E), or back; unchanged when batch-first.
    static func batchMajor(_ x: String, batchFirst: Bool, graph: inout ONNXGraphBuilder) -> String {
        batchFirst ? x : graph.apply("Transpose", x, attributes: [.ints("perm", [1, 0, 2])])
    }

    /// The queries of `query` (N, L, E) attending to the keys and values of `memory` (N, S, E):
    /// the output (N, L, E).
    func callAsFunction(query: String, memory: String, graph: inout ONNXGraphBuilder) throws -> String {
        let d = size / heads
        var (key, value) = (try project(memory, 1, graph: &graph), try project(memory, 2, graph: &graph))
        if keyValueBias {  // bias_k and bias_v (1, 1, E) appended to every sequence
            let shape = graph.apply("Concat", Self.extent(of: memory, axis: 0, graph: &graph), graph.constant(int64: [1, size]),
                                    attributes: [.int("axis", 0)])
            key = graph.apply("Concat", key, graph.apply("Expand", try graph.parameter("bias_k"), shape), attributes: [.int("axis", 1)])
            value = graph.apply("Concat", value, graph.apply("Expand", try graph.parameter("bias_v"), shape), attributes: [.int("axis", 1)])
        }
        var (queryHeads, keyHeads, valueHeads) = (split(try project(query, 0, graph: &graph), graph: &graph),
                                                  split(key, graph: &graph), split(value, graph: &graph))
        if let rotaryBase {
            queryHeads = rotated(queryHeads, base: rotaryBase, graph: &graph)
            keyHeads = rotated(keyHeads, base: rotaryBase, graph: &graph)
        }
        if zeroAttention {  // a zero key and value (N, heads, 1, d) appended
            let shape = graph.apply("Concat", Self.extent(of: memory, axis: 0, graph: &graph), graph.constant(int64: [heads, 1, d]),
                                    attributes: [.int("axis", 0)])
            let zeros = graph.apply("ConstantOfShape", shape, attributes: [.floatTensor("value", [0], shape: [1])])
            keyHeads = graph.apply("Concat", keyHeads, zeros, attributes: [.int("axis", 2)])
            valueHeads = graph.apply("Concat", valueHeads, zeros, attributes: [.int("axis", 2)])
        }
        // softmax(q·kᵀ·scale + mask)·v: (N, heads, L, S) scores.
        let keysTransposed = graph.apply("Transpose", keyHeads, attributes: [.ints("perm", [0, 1, 3, 2])])
        var scores = graph.apply("Mul", graph.apply("MatMul", queryHeads, keysTransposed), graph.constant(Float(1 / Double(d).squareRoot())))
        if causal { scores = graph.apply("Add", scores, causalMask(scores, graph: &graph)) }
        let attended = graph.apply("MatMul", graph.apply("Softmax", scores, attributes: [.int("axis", -1)]), valueHeads)
        let joined = graph.apply("Reshape", graph.apply("Transpose", attended, attributes: [.ints("perm", [0, 2, 1, 3])]),
                                 graph.constant(int64: [0, 0, size]))
        return try graph.nested("out_proj") { g in
            try LinearDescription(inputSize: size, outputSize: size, bias: bias).exportONNX(ONNXValue(joined, shape: [1, 1, size]), to: &g).name
        }
    }

    /// Projection `part` (0 query, 1 key, 2 value) of `x` (N, ·, E): `x`·W_partᵀ + b_part with
    /// W_part rows part·E ..< (part + 1)·E of `in_proj_weight`.
    private func project(_ x: String, _ part: Int, graph: inout ONNXGraphBuilder) throws -> String {
        let (starts, ends, axes) = (graph.constant(int64: [part * size]), graph.constant(int64: [(part + 1) * size]), graph.constant(int64: [0]))
        let weight = graph.apply("Slice", try graph.parameter("in_proj_weight"), starts, ends, axes)
        let projected = graph.apply("MatMul", x, graph.apply("Transpose", weight, attributes: [.ints("perm", [1, 0])]))
        guard bias else { return projected }
        return graph.apply("Add", projected, graph.apply("Slice", try graph.parameter("in_proj_bias"), starts, ends, axes))
    }

    /// `x` (N, ·, E) as heads (N, heads, ·, E/heads).
    private func split(_ x: String, graph: inout ONNXGraphBuilder) -> String {
        let reshaped = graph.apply("Reshape", x, graph.constant(int64: [0, 0, heads, size / heads]))
        return graph.apply("Transpose", reshaped, attributes: [.ints("perm", [0, 2, 1, 3])])
    }

    /// The extent of `x`'s axis `axis` (≥ 0) as a 1-D tensor of one element.
    static func extent(of x: String, axis: Int, graph: inout ONNXGraphBuilder) -> String {
        graph.apply("Slice", graph.apply("Shape", x), graph.constant(int64: [axis]), graph.constant(int64: [axis + 1]))
    }

    /// A 0-D 64-bit integer tensor of `value` (a `Range` bound, `Trilu`'s diagonal).
    static func scalar(_ value: Int, graph: inout ONNXGraphBuilder) -> String {
        graph.apply("Squeeze", graph.constant(int64: [value]), graph.constant(int64: [0]))
    }

    /// The causal mask (L, S) of `scores` (…, L, S): −∞ where key j comes after query i, else 0
    /// (`ConstantOfShape` and `Trilu`). Keys appended by `bias_k` or zero attention are never masked.
    private func causalMask(_ scores: String, graph: inout ONNXGraphBuilder) -> String {
        let shape = graph.apply("Slice", graph.apply("Shape", scores), graph.constant(int64: [-2]), graph.constant(int64: [Int(Int32.max)]))
        let infinities = graph.apply("ConstantOfShape", shape, attributes: [.floatTensor("value", [-.infinity], shape: [1])])
        let appended = (keyValueBias ? 1 : 0) + (zeroAttention ? 1 : 0)
        // Strictly above the diagonal.
        let mask = graph.apply("Trilu", infinities, Self.scalar(1, graph: &graph), attributes: [.int("upper", 1)])
        guard appended > 0 else { return mask }
        // Columns of appended keys are 0: keep the first S − appended columns, then pad with zeros.
        let kept = graph.apply("Slice", mask, graph.constant(int64: [0]), graph.constant(int64: [-appended]), graph.constant(int64: [1]))
        return graph.apply("Pad", kept, graph.constant(int64: [0, 0, 0, appended]))
    }

    /// `x` (N, heads, L, d) rotated by position along L (`RotaryEmbedding`'s interleaved pairs):
    /// x·cos + swapped(x)·(−sin, +sin). The angles are computed in Float64 as the library does,
    /// each frequency carried as the sum of two Float32 values.
    private func rotated(_ x: String, base: Double, graph: inout ONNXGraphBuilder) -> String {
        let d = size / heads
        let frequencies = (0..<d).map { 1 / pow(base, Double(2 * ($0 / 2)) / Double(d)) }
        let high = frequencies.map { Float($0) }
        let low = zip(frequencies, high).map { Float($0 - Double($1)) }
        let toDouble: [ONNXAttribute] = [.int("to", 11)], toFloat: [ONNXAttribute] = [.int("to", 1)]
        let frequency = graph.apply("Add", graph.apply("Cast", graph.constant(high, shape: [d]), attributes: toDouble),
                                    graph.apply("Cast", graph.constant(low, shape: [d]), attributes: toDouble))
        let length = graph.apply("Squeeze", Self.extent(of: x, axis: 2, graph: &graph), graph.constant(int64: [0]))
        let positions = graph.apply("Cast", graph.apply("Range", Self.scalar(0, graph: &graph), length, Self.scalar(1, graph: &graph)),
                                    attributes: toDouble)
        let angles = graph.apply("Mul", graph.apply("Unsqueeze", positions, graph.constant(int64: [1])), frequency)  // (L, d)
        let cosines = graph.apply("Cast", graph.apply("Cos", angles), attributes: toFloat)
        let signs = graph.constant((0..<d).map { $0 % 2 == 0 ? -1 : 1 }, shape: [d])
        let sines = graph.apply("Mul", graph.apply("Cast", graph.apply("Sin", angles), attributes: toFloat), signs)
        let pairs = graph.constant(int64: (0..<d).map { $0 % 2 == 0 ? $0 + 1 : $0 - 1 })
        let swapped = graph.apply("Gather", x, pairs, attributes: [.int("axis", 3)])
        return graph.apply("Add", graph.apply("Mul", x, cosines), graph.apply("Mul", swapped, sines))
    }
}
