/// The character-level language models of `easynets train --dataset text`: token ids (N, L) in,
/// next-character scores (N, vocabulary, L) out, the class axis second as `crossEntropy(logits:labels:)`
/// takes it (a final ``Permute``). Parameter names match the same `torch.nn.Sequential`.
public enum CharacterLanguageModel {
    /// The `char-lstm` preset: `Embedding(vocabulary, embedding) → LSTM(embedding → hidden,
    /// layers, batch first, dropout between layers) → Linear(hidden, vocabulary) → Permute`.
    public static func lstm(vocabularySize: Int, embedding: Int = 64, hidden: Int = 256, layers: Int = 1,
                            dropout: Double = 0) -> ModelDescription {
        require(vocabularySize >= 1 && embedding >= 1 && hidden >= 1 && layers >= 1,
                "CharacterLanguageModel.lstm: sizes must be positive, got vocabulary \(vocabularySize), embedding \(embedding), "
                + "hidden \(hidden), layers \(layers)")
        return .sequential(layers: [
            .embedding(count: vocabularySize, dimension: embedding),
            .recurrent(cell: .lstm, inputSize: embedding, hiddenSize: hidden, layerCount: layers, bias: true, batchFirst: true,
                       dropout: dropout, bidirectional: false),
            .linear(inputSize: hidden, outputSize: vocabularySize, bias: true),
            .permute(axes: [0, 2, 1]),
        ])
    }

    /// The `char-transformer` preset, a decoder-only Transformer: `Embedding(vocabulary, size) →
    /// LearnedPositionalEmbedding(contextLength, size) → layers × TransformerEncoderLayer(size,
    /// heads, 4·size, GELU, pre-norm, causal) → LayerNorm → Linear(size, vocabulary) → Permute`.
    /// It takes sequences of at most `contextLength` characters.
    public static func transformer(vocabularySize: Int, contextLength: Int, size: Int = 128, heads: Int = 4, layers: Int = 2,
                                   dropout: Double = 0.1) -> ModelDescription {
        require(vocabularySize >= 1 && contextLength >= 1 && size >= 1 && heads >= 1 && size % heads == 0 && layers >= 1,
                "CharacterLanguageModel.transformer: needs positive sizes and a size that splits into the heads, got vocabulary "
                + "\(vocabularySize), context \(contextLength), size \(size), heads \(heads), layers \(layers)")
        let block = ModelDescription.transformerEncoderLayer(
            modelSize: size, headCount: heads, feedForwardSize: 4 * size, dropout: dropout, activation: .gelu, layerNormEpsilon: 1e-5,
            batchFirst: true, normFirst: true, causal: true)
        return .sequential(layers: [
            .embedding(count: vocabularySize, dimension: size),
            .learnedPositionalEmbedding(maximumLength: contextLength, dimension: size, batchFirst: true),
        ] + Array(repeating: block, count: layers) + [
            .layerNorm(normalizedShape: [size], epsilon: 1e-5, elementwiseAffine: true),
            .linear(inputSize: size, outputSize: vocabularySize, bias: true),
            .permute(axes: [0, 2, 1]),
        ])
    }
}
