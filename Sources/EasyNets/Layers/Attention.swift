import RealModule

/// Scaled dot-product attention, PyTorch's `F.scaled_dot_product_attention`:
/// `softmax(q·kᵀ·scale + mask)·v`, as two batched products.
///
/// - Parameters:
///   - query: (…, L, E); the leading axes of the three operands broadcast.
///   - key: (…, S, E).
///   - value: (…, S, Ev).
///   - mask: added to the scores, broadcast to (…, L, S): 0 where a query may attend, −∞ where
///     not (a float mask as PyTorch's).
///   - isCausal: query i attends to keys 0…i only (with L = S, PyTorch's `is_causal`).
///   - scale: the scores' factor; 1/√E by default.
/// - Returns: (…, L, Ev). A query with every key masked gets NaN, as in PyTorch.
public func scaledDotProductAttention<Scalar>(
    query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>, mask: Tensor<Scalar>? = nil, isCausal: Bool = false,
    scale: Double? = nil
) -> Tensor<Scalar> {
    matmul(attentionWeights(query: query, key: key, mask: mask, isCausal: isCausal, scale: scale), value)
}

/// The attention weights `softmax(q·kᵀ·scale + mask)` of ``scaledDotProductAttention(query:key:value:mask:isCausal:scale:)``.
func attentionWeights<Scalar>(query: Tensor<Scalar>, key: Tensor<Scalar>, mask: Tensor<Scalar>?, isCausal: Bool, scale: Double?)
    -> Tensor<Scalar> {
    require(query.rank >= 2 && key.rank >= 2 && query.shape.last == key.shape.last,
            "scaledDotProductAttention: query \(query.shape) and key \(key.shape) must be (…, L, E) and (…, S, E)")
    let (length, sourceLength) = (query.shape[query.rank - 2], key.shape[key.rank - 2])
    var scores = matmul(query, key, transposeB: true) * Scalar(scale ?? 1 / Double(query.shape.last!).squareRoot())
    if isCausal {
        scores = scores.maskedFilled(where: causalMask(rows: length, columns: sourceLength, masked: 1), with: -.infinity)
    }
    if let mask { scores = scores + mask }
    // No query or no key: nothing to normalize (softmax's reduction needs a nonempty axis).
    return scores.count == 0 ? scores : softmax(scores, along: -1)
}

/// The (rows, columns) mask of causal attention: `masked` where column j comes after row i (j > i),
/// 0 elsewhere.
func causalMask<Scalar: TensorScalar>(rows: Int, columns: Int, masked: Scalar) -> Tensor<Scalar> {
    var mask = Tensor<Scalar>.zeros([rows, columns])
    mask.withUnsafeMutableBufferPointer { values in
        for i in 0..<rows where i + 1 < columns {
            let row = values.baseAddress! + i * columns
            for j in (i + 1)..<columns { row[j] = masked }
        }
    }
    return mask
}

/// A mask on attention scores, in either of the two forms PyTorch's `nn.MultiheadAttention` takes.
public enum AttentionMask<Scalar: TensorScalar> {
    /// A boolean mask as 0 and 1: nonzero where a query may not attend (PyTorch's `True`).
    case boolean(Tensor<Scalar>)
    /// A float mask added to the scores: 0 where a query may attend, −∞ where it may not.
    case additive(Tensor<Scalar>)

    /// The mask's tensor, in its own form.
    public var tensor: Tensor<Scalar> {
        switch self {
        case .boolean(let mask), .additive(let mask): return mask
        }
    }

    /// The mask as added to the scores: a boolean mask becomes −∞ where nonzero and 0 elsewhere.
    public var additiveTensor: Tensor<Scalar> {
        switch self {
        case .boolean(let mask): return Tensor.zeros(mask.shape).maskedFilled(where: mask, with: -.infinity)
        case .additive(let mask): return mask
        }
    }
}

/// Multi-head attention, PyTorch's `nn.MultiheadAttention`: query, key and value are projected to
/// E features, split into `headCount` heads of E/heads features, attended per head as batched gemm
/// (`softmax(q·kᵀ/√(E/heads) + mask)·v`), joined and projected by `out_proj` (a ``Linear``).
///
/// With key and value sizes equal to E the projections are the rows of `in_proj_weight` (3E, E);
/// otherwise they are `q_proj_weight` (E, E), `k_proj_weight` (E, kdim) and `v_proj_weight`
/// (E, vdim). `in_proj_bias` (3E) holds the three biases. `bias_k` and `bias_v` (1, 1, E) append a
/// learned key and value to every sequence (`addKeyValueBias`), and `addZeroAttention` appends a
/// zero key and value after projection. Parameter names and initialization are PyTorch's
/// (Xavier-uniform projections, zero biases, Xavier-normal `bias_k` and `bias_v`). With a
/// ``rotaryEmbedding`` each head's queries and keys are rotated by position (RoPE) before the
/// scores, an option PyTorch's layer lacks.
///
/// Self-attention (one tensor as query, key and value) with no mask but the causal one, no
/// appended keys, no rotary embedding and no weights asked for takes a faster path with the same
/// values: the three projections as one product, and the heads as one op that reads them in place
/// and keeps memory for one block of scores (see <doc:Speed>).
public final class MultiheadAttention<Scalar: TensorScalar>: Layer, StochasticLayer {
    /// The embedding size E.
    public let embeddingSize: Int
    /// The key features kdim (E unless given).
    public let keySize: Int
    /// The value features vdim (E unless given).
    public let valueSize: Int
    /// The number of heads (dividing E).
    public let headCount: Int
    /// Whether inputs and output put the batch axis first: (N, L, E) instead of (L, N, E).
    public let batchFirst: Bool
    /// The dropout probability on the attention weights in training.
    public let dropout: Double
    /// Whether a zero key and value are appended to every sequence after projection.
    public let addZeroAttention: Bool
    /// The query, key and value projections stacked, (3E, E), when key and value sizes are E; else `nil`.
    public let inputProjectionWeight: Parameter<Scalar>?
    /// The query projection (E, E) when key or value size differs from E; else `nil`.
    public let queryProjectionWeight: Parameter<Scalar>?
    /// The key projection (E, kdim) when key or value size differs from E; else `nil`.
    public let keyProjectionWeight: Parameter<Scalar>?
    /// The value projection (E, vdim) when key or value size differs from E; else `nil`.
    public let valueProjectionWeight: Parameter<Scalar>?
    /// The three projections' biases, (3E), or `nil`.
    public let inputProjectionBias: Parameter<Scalar>?
    /// The key appended to every projected key sequence, (1, 1, E), or `nil`.
    public let keyBias: Parameter<Scalar>?
    /// The value appended to every projected value sequence, (1, 1, E), or `nil`.
    public let valueBias: Parameter<Scalar>?
    /// The output projection.
    public let outputProjection: Linear<Scalar>
    /// The generator dropout masks come from.
    public var generator: RandomGenerator
    public var isTraining = true
    /// The rotary position embedding of each head's queries and keys, or `nil` for none.
    public let rotaryEmbedding: RotaryEmbedding?
    /// Whether self-attention without masks other than the causal one runs its heads as one op
    /// (``selfAttentionHeads(_:heads:batchFirst:isCausal:dropout:generator:)``); the tests turn it
    /// off to compare with the general path.
    var allowsFusedHeads = true

    /// Attention over `embeddingSize` features in `headCount` heads, drawn from `source`; keys of
    /// `keySize` and values of `valueSize` features (E when `nil`), with PyTorch's options; with a
    /// `rotaryBase`, queries and keys are rotated by a ``RotaryEmbedding`` of that base.
    public init(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true, addKeyValueBias: Bool = false,
                addZeroAttention: Bool = false, keySize: Int? = nil, valueSize: Int? = nil, batchFirst: Bool = false, seed: UInt64 = 0,
                rotaryBase: Double? = nil, using source: inout RandomGenerator) {
        MultiheadAttentionDescription(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias,
                                      addKeyValueBias: addKeyValueBias, addZeroAttention: addZeroAttention, keySize: keySize,
                                      valueSize: valueSize, batchFirst: batchFirst, rotaryBase: rotaryBase).requireValid()
        rotaryEmbedding = rotaryBase.map { RotaryEmbedding(dimension: embeddingSize / headCount, base: $0) }
        let e = embeddingSize
        (self.embeddingSize, self.keySize, self.valueSize) = (e, keySize ?? e, valueSize ?? e)
        (self.headCount, self.batchFirst, self.dropout, self.addZeroAttention) = (headCount, batchFirst, dropout, addZeroAttention)
        if self.keySize == e && self.valueSize == e {
            inputProjectionWeight = Parameter(Initializer<Scalar>.xavierUniform([3 * e, e], using: &source))
            (queryProjectionWeight, keyProjectionWeight, valueProjectionWeight) = (nil, nil, nil)
        } else {
            inputProjectionWeight = nil
            queryProjectionWeight = Parameter(Initializer<Scalar>.xavierUniform([e, e], using: &source))
            keyProjectionWeight = Parameter(Initializer<Scalar>.xavierUniform([e, self.keySize], using: &source))
            valueProjectionWeight = Parameter(Initializer<Scalar>.xavierUniform([e, self.valueSize], using: &source))
        }
        inputProjectionBias = bias ? Parameter(.zeros([3 * e])) : nil
        outputProjection = Linear(e, e, bias: bias, using: &source)
        outputProjection.bias?.assign(.zeros([e]))
        if addKeyValueBias {
            keyBias = Parameter(Initializer<Scalar>.xavierNormal([1, 1, e], using: &source))
            valueBias = Parameter(Initializer<Scalar>.xavierNormal([1, 1, e], using: &source))
        } else {
            (keyBias, valueBias) = (nil, nil)
        }
        generator = RandomGenerator(seed: seed)
    }

    /// Self-attention of `input` (the ``Layer`` entry point), without the attention weights.
    public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
        attend(query: input, key: input, value: input, needWeights: false).output
    }

    /// Attends `query` to `key` and `value`, as PyTorch's `forward`.
    ///
    /// - Parameters:
    ///   - query: (L, N, E), (N, L, E) with `batchFirst`, or unbatched (L, E).
    ///   - key: (S, N, kdim), (N, S, kdim) with `batchFirst`, or unbatched (S, kdim).
    ///   - value: (S, N, vdim), (N, S, vdim) with `batchFirst`, or unbatched (S, vdim).
    ///   - keyPaddingMask: (N, S), or (S) unbatched: the keys each sequence ignores (boolean) or
    ///     what is added to their scores.
    ///   - needWeights: whether to return the attention weights.
    ///   - attentionMask: (L, S), or (N·heads, L, S) ((heads, L, S) unbatched), boolean or additive.
    ///   - averageAttentionWeights: whether the weights are averaged over the heads.
    ///   - isCausal: query i attends to keys 0…i only (PyTorch takes this only as a hint that
    ///     `attentionMask` is causal; here it applies the mask itself, with or without one).
    /// - Returns: the output, shaped as `query` with E features, and with `needWeights` the
    ///   attention weights after dropout: (N, L, S) averaged or (N, heads, L, S) per head, without
    ///   N unbatched; S counts an appended bias key and zero key.
    public func attend(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>, keyPaddingMask: AttentionMask<Scalar>? = nil,
                       needWeights: Bool = true, attentionMask: AttentionMask<Scalar>? = nil, averageAttentionWeights: Bool = true,
                       isCausal: Bool = false) -> (output: Tensor<Scalar>, weights: Tensor<Scalar>?) {
        let e = embeddingSize, heads = headCount, d = embeddingSize / headCount
        let batched = query.rank == 3
        for (name, t, size) in [("query", query, e), ("key", key, keySize), ("value", value, valueSize)] {
            require((t.rank == 3 || t.rank == 2) && t.shape[t.rank - 1] == size, "MultiheadAttention: \(name) shape \(t.shape) is not "
                    + (batchFirst ? "(N, L, \(size))" : "(L, N, \(size))") + " or unbatched (L, \(size))")
        }
        require(key.rank == query.rank && value.rank == query.rank,
                "MultiheadAttention: query \(query.shape), key \(key.shape) and value \(value.shape) are not all batched or all unbatched")
        if allowsFusedHeads && attentionMask == nil && keyPaddingMask == nil && !needWeights && inputProjectionWeight != nil
            && keyBias == nil && !addZeroAttention && rotaryEmbedding == nil && query.storage === key.storage
            && key.storage === value.storage && query.node === key.node && key.node === value.node && query.shape == key.shape
            && key.shape == value.shape {
            return (fusedSelfAttention(query, isCausal: isCausal), nil)
        }
        // (L, N, E) throughout, as PyTorch computes it.
        func sequenceFirst(_ x: Tensor<Scalar>) -> Tensor<Scalar> { !batched ? x.unsqueezed(axis: 1) : batchFirst ? x.permuted([1, 0, 2]) : x }
        let (q, k, v) = (sequenceFirst(query), sequenceFirst(key), sequenceFirst(value))
        let (length, batch, sourceLength) = (q.shape[0], q.shape[1], k.shape[0])
        require(k.shape[0] == v.shape[0] && k.shape[1] == batch && v.shape[1] == batch,
                "MultiheadAttention: query \(query.shape), key \(key.shape) and value \(value.shape) do not match")

        var mask = attentionMask.map { m -> Tensor<Scalar> in
            let additive = m.additiveTensor
            require(additive.shape == [length, sourceLength] || additive.shape == [batch * heads, length, sourceLength],
                    "MultiheadAttention: attention mask shape \(additive.shape) is not (\(length), \(sourceLength)) or "
                    + "(\(batch * heads), \(length), \(sourceLength))")
            return additive
        }
        if isCausal {
            let future = causalMask(rows: length, columns: sourceLength, masked: -Scalar.infinity)
            mask = mask.map { $0 + future } ?? future
        }
        if let keyPaddingMask {
            let additive = keyPaddingMask.additiveTensor
            require(additive.shape == (batched ? [batch, sourceLength] : [sourceLength]),
                    "MultiheadAttention: key padding mask shape \(additive.shape) is not " + (batched ? "(\(batch), \(sourceLength))" : "(\(sourceLength))"))
            let padding = additive.reshaped(to: [batch, 1, 1, sourceLength]).broadcasted(to: [batch, heads, 1, sourceLength])
                .reshaped(to: [batch * heads, 1, sourceLength])
            mask = mask.map { $0 + padding } ?? padding
        }
        /// The mask with a zero column for an appended key.
        func widened(_ mask: Tensor<Scalar>) -> Tensor<Scalar> {
            Tensor.concatenated([mask, .zeros(Array(mask.shape.dropLast()) + [1])], along: -1)
        }

        let bias = inputProjectionBias?.value
        /// Projection `part` (0 query, 1 key, 2 value) of x (·, N, ·) to (·, N, E).
        func project(_ x: Tensor<Scalar>, _ part: Int) -> Tensor<Scalar> {
            let rows = (part * e)..<((part + 1) * e)
            let weight = inputProjectionWeight?.value.sliced(along: 0, rows)
                ?? [queryProjectionWeight, keyProjectionWeight, valueProjectionWeight][part]!.value
            return linear(x, weight: weight, bias: bias?.sliced(along: 0, rows))
        }
        var (projectedKey, projectedValue) = (project(k, 1), project(v, 2))
        if let keyBias, let valueBias {
            projectedKey = Tensor.concatenated([projectedKey, keyBias.value.broadcasted(to: [1, batch, e])], along: 0)
            projectedValue = Tensor.concatenated([projectedValue, valueBias.value.broadcasted(to: [1, batch, e])], along: 0)
            mask = mask.map(widened)
        }
        /// (·, N, E) as (N·heads, ·, d).
        func split(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x.reshaped(to: [x.shape[0], batch * heads, d]).permuted([1, 0, 2]) }
        var (keyHeads, valueHeads) = (rotated(split(projectedKey)), split(projectedValue))
        if addZeroAttention {
            keyHeads = Tensor.concatenated([keyHeads, .zeros([batch * heads, 1, d])], along: 1)
            valueHeads = Tensor.concatenated([valueHeads, .zeros([batch * heads, 1, d])], along: 1)
            mask = mask.map(widened)
        }

        var attention = attentionWeights(query: rotated(split(project(q, 0))), key: keyHeads, mask: mask, isCausal: false, scale: nil)
        if isTraining, dropout > 0 { attention = EasyNets.dropout(attention, probability: dropout, using: &generator) }
        let joined = matmul(attention, valueHeads).permuted([1, 0, 2]).reshaped(to: [length, batch, e])
        let output = outputProjection(joined)
        var weights: Tensor<Scalar>?
        if needWeights {  // after dropout, as PyTorch
            let perHead = attention.reshaped(to: [batch, heads, length, keyHeads.shape[1]])
            let shaped = averageAttentionWeights ? perHead.mean(alongAxes: [1]) : perHead
            weights = batched ? shaped : shaped.squeezed(axis: 0)
        }
        return (!batched ? output.squeezed(axis: 1) : batchFirst ? output.permuted([1, 0, 2]) : output, weights)
    }

    /// Self-attention of `x` in its own layout, the three projections as one product and the
    /// heads as ``selfAttentionHeads(_:heads:batchFirst:isCausal:dropout:generator:)``.
    private func fusedSelfAttention(_ x: Tensor<Scalar>, isCausal: Bool) -> Tensor<Scalar> {
        let batched = x.rank == 3
        let input = batched ? x : x.unsqueezed(axis: 1)  // unbatched (L, E) as (L, 1, E)
        let projected = linear(input, weight: inputProjectionWeight!.value, bias: inputProjectionBias?.value)
        let joined = selfAttentionHeads(projected, heads: headCount, batchFirst: batched && batchFirst, isCausal: isCausal,
                                        dropout: isTraining ? dropout : 0, generator: &generator)
        let output = outputProjection(joined)
        return batched ? output : output.squeezed(axis: 1)
    }

    public var parameters: [(name: String, parameter: Parameter<Scalar>)] {
        let named: [(String, Parameter<Scalar>?)] = [
            ("in_proj_weight", inputProjectionWeight), ("q_proj_weight", queryProjectionWeight), ("k_proj_weight", keyProjectionWeight),
            ("v_proj_weight", valueProjectionWeight), ("in_proj_bias", inputProjectionBias), ("bias_k", keyBias), ("bias_v", valueBias),
        ]
        return named.compactMap { name, parameter in parameter.map { (name: name, parameter: $0) } }
    }

    public var sublayers: [(name: String, layer: any Layer<Scalar>)] { [("out_proj", outputProjection)] }

    public var summaryName: String {
        "MultiheadAttention(\(embeddingSize), \(headCount) heads"
            + (keySize != embeddingSize || valueSize != embeddingSize ? ", kdim \(keySize), vdim \(valueSize)" : "") + ")"
    }

    public var layerDescription: ModelDescription? {
        .layer(MultiheadAttentionDescription(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout,
                                             bias: inputProjectionBias != nil, addKeyValueBias: keyBias != nil,
                                             addZeroAttention: addZeroAttention, keySize: keySize == embeddingSize ? nil : keySize,
                                             valueSize: valueSize == embeddingSize ? nil : valueSize, batchFirst: batchFirst,
                                             rotaryBase: rotaryEmbedding?.base))
    }
}

/// The description of a ``MultiheadAttention`` layer; built from a model description, it takes one
/// dropout seed, and as a layer of a model it is self-attention (key and value sizes E).
public struct MultiheadAttentionDescription: LayerDescription {
    public static let kind = "multiheadAttention"
    public static let defaultFields = #"{"dropout":0,"bias":true,"batchFirst":false,"addKeyValueBias":false,"addZeroAttention":false,"keySize":null,"valueSize":null,"rotaryBase":null}"#
    /// The embedding size E, at least 1 and a multiple of the head count.
    public var embeddingSize: Int
    /// The number of heads, at least 1.
    public var headCount: Int
    /// The dropout probability on the attention weights in training, in [0, 1).
    public var dropout: Double
    /// Whether the projections have biases.
    public var bias: Bool
    /// Whether a learned key and value (`bias_k`, `bias_v`) are appended to every sequence.
    public var addKeyValueBias: Bool
    /// Whether a zero key and value are appended to every sequence.
    public var addZeroAttention: Bool
    /// The key features kdim, at least 1; `nil` for E.
    public var keySize: Int?
    /// The value features vdim, at least 1; `nil` for E.
    public var valueSize: Int?
    /// Whether input and output put the batch axis first.
    public var batchFirst: Bool
    /// The base of the rotary position embedding of queries and keys (finite, > 0; the head size
    /// must then be even), or `nil` for none. Absent from the JSON when `nil`.
    public var rotaryBase: Double?

    /// A description of attention over `embeddingSize` features in `headCount` heads.
    public init(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true, addKeyValueBias: Bool = false,
                addZeroAttention: Bool = false, keySize: Int? = nil, valueSize: Int? = nil, batchFirst: Bool = false,
                rotaryBase: Double? = nil) {
        (self.embeddingSize, self.headCount, self.dropout, self.bias, self.batchFirst) = (embeddingSize, headCount, dropout, bias, batchFirst)
        (self.addKeyValueBias, self.addZeroAttention, self.keySize, self.valueSize) = (addKeyValueBias, addZeroAttention, keySize, valueSize)
        self.rotaryBase = rotaryBase
    }

    private enum CodingKeys: String, CodingKey {
        case embeddingSize, headCount, dropout, bias, addKeyValueBias, addZeroAttention, keySize, valueSize, batchFirst, rotaryBase
    }

    /// Decodes a description; the options added to the format later (`addKeyValueBias`,
    /// `addZeroAttention`, `keySize`, `valueSize`, `rotaryBase`) may be missing and take their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(embeddingSize: try c.decode(Int.self, forKey: .embeddingSize), headCount: try c.decode(Int.self, forKey: .headCount),
                  dropout: try c.decode(Double.self, forKey: .dropout), bias: try c.decode(Bool.self, forKey: .bias),
                  addKeyValueBias: try c.decodeIfPresent(Bool.self, forKey: .addKeyValueBias) ?? false,
                  addZeroAttention: try c.decodeIfPresent(Bool.self, forKey: .addZeroAttention) ?? false,
                  keySize: try c.decodeIfPresent(Int.self, forKey: .keySize), valueSize: try c.decodeIfPresent(Int.self, forKey: .valueSize),
                  batchFirst: try c.decode(Bool.self, forKey: .batchFirst),
                  rotaryBase: try c.decodeIfPresent(Double.self, forKey: .rotaryBase))
    }

    public func problem() -> String? {
        embeddingSize < 1 || headCount < 1 || embeddingSize % headCount != 0 || !(dropout >= 0 && dropout < 1)
            || (keySize ?? 1) < 1 || (valueSize ?? 1) < 1
            ? "MultiheadAttention needs a size ≥ 1 that splits into heads ≥ 1, dropout in [0, 1) and key and value sizes ≥ 1, got "
                + "\(embeddingSize), \(headCount) heads, dropout \(dropout), kdim \(keySize ?? embeddingSize), vdim \(valueSize ?? embeddingSize)"
            : rotaryBase != nil && (addKeyValueBias || addZeroAttention)
            ? "MultiheadAttention's rotary embedding does not combine with addKeyValueBias or addZeroAttention"
            : rotaryBase.flatMap { RotaryEmbedding.problem(dimension: embeddingSize / headCount, base: $0) }
    }

    /// The projections (in_proj (3E, E), or q, k and v ones), out_proj (E, E), their biases, and bias_k and bias_v.
    public var stateCount: Int? {
        let e = embeddingSize
        return CheckedCount.sum([CheckedCount.product(e, e), CheckedCount.product(e, keySize ?? e), CheckedCount.product(e, valueSize ?? e),
                                 CheckedCount.product(e, e), bias ? CheckedCount.product(e, 4) : 0,
                                 addKeyValueBias ? CheckedCount.product(e, 2) : 0])
    }

    public func outputShape(for shape: [Int], inference: inout ShapeInference) throws -> [Int] {
        guard (keySize ?? embeddingSize) == embeddingSize && (valueSize ?? embeddingSize) == embeddingSize else {
            throw inference.error("attention with key size \(keySize ?? embeddingSize) and value size \(valueSize ?? embeddingSize) "
                                  + "cannot attend its input of size \(embeddingSize) to itself")
        }
        return try selfAttentionOutputShape(shape, size: embeddingSize, heads: headCount, batchFirst: batchFirst, inference: &inference)
    }

    public func makeLayer<Scalar: TensorScalar>(as: Scalar.Type, context: inout LayerBuildContext) -> any Layer<Scalar> {
        MultiheadAttention<Scalar>(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias,
                                   addKeyValueBias: addKeyValueBias, addZeroAttention: addZeroAttention, keySize: keySize,
                                   valueSize: valueSize, batchFirst: batchFirst, seed: context.takeSeed(), rotaryBase: rotaryBase,
                                   using: &context.generator)
    }
}

extension ModelDescription {
    /// A ``MultiheadAttention`` layer.
    public static func multiheadAttention(embeddingSize: Int, headCount: Int, dropout: Double = 0, bias: Bool = true,
                                          addKeyValueBias: Bool = false, addZeroAttention: Bool = false, keySize: Int? = nil,
                                          valueSize: Int? = nil, batchFirst: Bool = false, rotaryBase: Double? = nil) -> ModelDescription {
        .layer(MultiheadAttentionDescription(embeddingSize: embeddingSize, headCount: headCount, dropout: dropout, bias: bias,
                                             addKeyValueBias: addKeyValueBias, addZeroAttention: addZeroAttention, keySize: keySize,
                                             valueSize: valueSize, batchFirst: batchFirst, rotaryBase: rotaryBase))
    }
}

/// Self-attention keeps its (L, N, E) or (N, L, E) input's shape; its scores are (N, heads, L, L).
func selfAttentionOutputShape(_ shape: [Int], size: Int, heads: Int, batchFirst: Bool, inference: inout ShapeInference) throws -> [Int] {
    guard shape.count == 3 && shape[2] == size else {
        throw inference.error("attention of size \(size) takes \(batchFirst ? "(N, L" : "(L, N"), \(size)), the input has shape \(shape)")
    }
    let length = shape[batchFirst ? 1 : 0], batch = shape[batchFirst ? 0 : 1]
    try inference.noteBuffer([batch, heads, length, length], "the attention scores")
    return shape
}
