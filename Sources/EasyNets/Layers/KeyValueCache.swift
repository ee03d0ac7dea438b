/// The keys and values one attention layer computed for a sequence's earlier positions, kept so
/// that incremental decoding attends each new query to them instead of recomputing them.
///
/// Keys are (N·heads, S, d) and values (N·heads, S, dᵥ) for the S positions so far, in the
/// per-head layout ``MultiheadAttention`` attends in; keys are stored after the layer's rotary
/// embedding, if it has one. ``MultiheadAttention/attendIncrementally(_:cache:outputCount:)``
/// appends to it. The positions live in buffers of ``capacity`` positions that grow in blocks of
/// 64 and are written in place, so a step copies only its own positions, and attention reads
/// the buffers whole with the unused positions masked: their sizes, and so the buffers of a
/// step's products, change only once every 64 positions.
public final class KeyValueCache<Scalar: TensorScalar> {
    /// The positions the buffers grow by.
    static var blockLength: Int { 64 }
    /// The keys, (N·heads, capacity, d); positions from ``count`` on are unused.
    private(set) var keyBuffer: Tensor<Scalar>?
    /// The values, (N·heads, capacity, dᵥ); positions from ``count`` on are unused (finite).
    private(set) var valueBuffer: Tensor<Scalar>?
    /// The number of positions S held.
    public private(set) var count = 0

    /// An empty cache.
    public init() {}

    /// The positions the buffers hold before they grow (a multiple of 64; 0 before the first append).
    public var capacity: Int { keyBuffer?.shape[1] ?? 0 }

    /// The keys of the positions so far, (N·heads, S, d), as a copy, or `nil` when empty.
    public var keys: Tensor<Scalar>? { count == 0 ? nil : keyBuffer?.sliced(along: 1, 0..<count) }
    /// The values of the positions so far, (N·heads, S, dᵥ), as a copy, or `nil` when empty.
    public var values: Tensor<Scalar>? { count == 0 ? nil : valueBuffer?.sliced(along: 1, 0..<count) }

    /// Appends the keys (N·heads, l, d) and values (N·heads, l, dᵥ) of `l` further positions. Not
    /// recorded by autodiff.
    public func append(keys newKeys: Tensor<Scalar>, values newValues: Tensor<Scalar>) {
        let held = count == 0 ? nil : (keyBuffer.map { [$0.shape[0], $0.shape[2]] }, valueBuffer.map { $0.shape[2] })
        require(newKeys.rank == 3 && newValues.rank == 3 && newKeys.shape[0...1] == newValues.shape[0...1]
                && (held.map { $0.0 == [newKeys.shape[0], newKeys.shape[2]] && $0.1 == newValues.shape[2] } ?? true),
                "KeyValueCache.append: keys \(newKeys.shape) and values \(newValues.shape) do not extend the cache's "
                + "keys \(keys?.shape ?? []) and values \(values?.shape ?? [])")
        let (rows, length) = (newKeys.shape[0], newKeys.shape[1])
        if count == 0 && (keyBuffer?.shape[0] != rows || keyBuffer?.shape[2] != newKeys.shape[2]
                          || valueBuffer?.shape[2] != newValues.shape[2]) {
            (keyBuffer, valueBuffer) = (nil, nil)  // another batch or head size: start afresh
        }
        if count + length > capacity {
            let blocks = (count + length + Self.blockLength - 1) / Self.blockLength
            keyBuffer = Self.grown(keyBuffer, rows: rows, size: newKeys.shape[2], count: count, capacity: blocks * Self.blockLength)
            valueBuffer = Self.grown(valueBuffer, rows: rows, size: newValues.shape[2], count: count, capacity: blocks * Self.blockLength)
        }
        Self.write(newKeys, into: &keyBuffer!, at: count)
        Self.write(newValues, into: &valueBuffer!, at: count)
        count += length
    }

    /// A zero buffer of `capacity` positions holding the first `count` positions of `buffer`.
    private static func grown(_ buffer: Tensor<Scalar>?, rows: Int, size: Int, count: Int, capacity: Int) -> Tensor<Scalar> {
        var result = Tensor<Scalar>.zeros([rows, capacity, size])
        if let buffer, count > 0 { write(buffer.sliced(along: 1, 0..<count), into: &result, at: 0) }
        return result
    }

    /// Copies `x` (rows, l, size) into positions `position` ..< `position` + l of `buffer` (rows, capacity, size).
    private static func write(_ x: Tensor<Scalar>, into buffer: inout Tensor<Scalar>, at position: Int) {
        let (rows, length, size, capacity) = (x.shape[0], x.shape[1], x.shape[2], buffer.shape[1])
        x.withUnsafeBufferPointer { source in
            buffer.withUnsafeMutableBufferPointer { destination in
                for row in 0..<rows {
                    copyScalars(to: destination.baseAddress! + (row * capacity + position) * size,
                                from: source.baseAddress! + row * length * size, count: length * size)
                }
            }
        }
    }

    /// Empties the cache, for a new sequence; the buffers stay for reuse.
    public func removeAll() { count = 0 }
}

extension MultiheadAttention {
    /// `x` (…, L, d) rotated by ``rotaryEmbedding`` as positions `offset` ..< `offset` + L, or `x` without one.
    func rotated(_ x: Tensor<Scalar>, offset: Int = 0) -> Tensor<Scalar> {
        rotaryEmbedding.map { $0(x, offset: offset) } ?? x
    }

    /// Causal self-attention of a sequence's next positions, given the keys and values of the earlier
    /// ones in `cache`: the new positions' keys and values join the cache, and each new query
    /// attends to every cached position and to the new positions up to its own. Fed a sequence in
    /// pieces, it gives what ``attend(query:key:value:keyPaddingMask:needWeights:attentionMask:averageAttentionWeights:isCausal:)`` with
    /// `isCausal` gives for the whole sequence at the same positions (no dropout: the layer must be
    /// in evaluation mode or have dropout 0). For inference: it runs without recording gradients,
    /// so its output carries none. Self-attention only: key and value sizes E, without
    /// `addKeyValueBias` or `addZeroAttention`.
    ///
    /// - Parameters:
    ///   - input: the l new positions, (l, N, E), or (N, l, E) with `batchFirst`; they are positions
    ///     `cache.count` ..< `cache.count` + l (the rotary embedding's positions too).
    ///   - cache: the earlier positions' keys and values, from this layer only, with the same batch.
    ///   - outputCount: how many of the last new positions to compute outputs for (all by default);
    ///     the keys and values of all of them are cached either way.
    /// - Returns: the outputs of the last `outputCount` positions, (outputCount, N, E) or (N, outputCount, E).
    public func attendIncrementally(_ input: Tensor<Scalar>, cache: KeyValueCache<Scalar>, outputCount: Int? = nil) -> Tensor<Scalar> {
        withoutGradients {
            let e = embeddingSize, heads = headCount, d = embeddingSize / headCount
            require(input.rank == 3 && input.shape[2] == e,
                    "MultiheadAttention.attendIncrementally: input shape \(input.shape) is not " + (batchFirst ? "(N, l, \(e))" : "(l, N, \(e))"))
            require(!isTraining || dropout == 0, "MultiheadAttention.attendIncrementally: dropout \(dropout) in training mode; call eval() first")
            let x = batchFirst ? input.permuted([1, 0, 2]) : input  // (l, N, E)
            let (length, batch, past) = (x.shape[0], x.shape[1], cache.count)
            let outputs = outputCount ?? length
            require((1...max(length, 1)).contains(outputs) && length >= 1,
                    "MultiheadAttention.attendIncrementally: \(outputs) outputs of \(length) new positions")
            require(past == 0 || cache.keyBuffer?.shape[0] == batch * heads,
                    "MultiheadAttention.attendIncrementally: the cache holds \(cache.keyBuffer?.shape[0] ?? 0) rows, not batch \(batch) × "
                    + "\(heads) heads")
            require(keySize == e && valueSize == e && keyBias == nil && !addZeroAttention,
                    "MultiheadAttention.attendIncrementally: self-attention without kdim, vdim, addKeyValueBias or addZeroAttention only")
            let weight = inputProjectionWeight!.value, bias = inputProjectionBias?.value
            /// Projection `part` (0 query, 1 key, 2 value) of x, as (N·heads, length, d).
            func project(_ x: Tensor<Scalar>, _ part: Int) -> Tensor<Scalar> {
                let rows = (part * e)..<((part + 1) * e)
                let projected = linear(x, weight: weight.sliced(along: 0, rows), bias: bias?.sliced(along: 0, rows))
                return projected.reshaped(to: [x.shape[0], batch * heads, d]).permuted([1, 0, 2])
            }
            let firstOutput = length - outputs  // among the new positions
            let query = rotated(project(outputs == length ? x : x.sliced(along: 0, firstOutput..<length), 0), offset: past + firstOutput)
            cache.append(keys: rotated(project(x, 1), offset: past), values: project(x, 2))
            // Query i is position past + firstOutput + i: the keys after it, and the cache's unused positions, are masked.
            let capacity = cache.capacity
            var masked = [Scalar](repeating: 0, count: outputs * capacity)
            for i in 0..<outputs {
                for j in (past + firstOutput + i + 1)..<capacity { masked[i * capacity + j] = -.infinity }
            }
            let attention = attentionWeights(query: query, key: cache.keyBuffer!, mask: Tensor(masked, shape: [outputs, capacity]),
                                             isCausal: false, scale: nil)
            let joined = matmul(attention, cache.valueBuffer!).permuted([1, 0, 2]).reshaped(to: [outputs, batch, e])
            let output = outputProjection(joined)
            return batchFirst ? output.permuted([1, 0, 2]) : output
        }
    }
}

extension TransformerEncoderLayer {
    /// The block applied causally to a sequence's next positions, its attention reading and
    /// extending `cache` (see ``MultiheadAttention/attendIncrementally(_:cache:outputCount:)``):
    /// fed a sequence in pieces, it gives what ``encode(_:mask:keyPaddingMask:isCausal:)`` with
    /// `isCausal` gives for the whole sequence. Runs without dropout: the block must be in
    /// evaluation mode or have dropout 0. For inference: it runs without recording gradients.
    ///
    /// - Parameters:
    ///   - input: the l new positions, (l, N, E), or (N, l, E) with `batchFirst`.
    ///   - cache: this block's cache of the earlier positions.
    ///   - outputCount: how many of the last new positions to compute outputs for (all by default).
    /// - Returns: the outputs of the last `outputCount` positions.
    public func encodeIncrementally(_ input: Tensor<Scalar>, cache: KeyValueCache<Scalar>, outputCount: Int? = nil) -> Tensor<Scalar> {
        withoutGradients {
            require(!isTraining || dropout == 0, "TransformerEncoderLayer.encodeIncrementally: dropout \(dropout) in training mode; call eval() first")
            let axis = selfAttention.batchFirst ? 1 : 0
            require(input.rank == 3, "TransformerEncoderLayer.encodeIncrementally: input shape \(input.shape) is not three-dimensional")
            let length = input.shape[axis], outputs = outputCount ?? input.shape[axis]
            let residual = outputs == length ? input : input.sliced(along: axis, (length - outputs)..<length)
            func feedForward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
                let hidden = linear1(x)
                return linear2(activation == .relu ? relu(hidden) : gelu(hidden))
            }
            if normFirst {
                let attended = residual + selfAttention.attendIncrementally(norm1(input), cache: cache, outputCount: outputs)
                return attended + feedForward(norm2(attended))
            }
            let attended = norm1(residual + selfAttention.attendIncrementally(input, cache: cache, outputCount: outputs))
            return norm2(attended + feedForward(attended))
        }
    }
}
