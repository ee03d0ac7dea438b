import Testing
@testable import EasyNets

// A shape mismatch stops the process with a message naming the op and both shapes.
// Each case runs in a child process (an exit test); `expectMessage` reads what it wrote to stderr.

@Suite("Shape mismatches stop with the op and both shapes")
struct ShapeMismatchTests {
    // MARK: Elementwise and shape ops

    @Test func multiply() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]) * Tensor<Double>.zeros([3, 2])
        }
        expectMessage(result, names: ["multiply", "[2, 3]", "[3, 2]"])
    }

    @Test func powerWithTensorExponent() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = pow(Tensor<Double>.ones([4]), Tensor<Double>.ones([5]))
        }
        expectMessage(result, names: ["pow", "[4]", "[5]"])
    }

    @Test func comparison() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Float>.zeros([2, 2]) .< Tensor<Float>.zeros([3])
        }
        expectMessage(result, names: [".<", "[2, 2]", "[3]"])
    }

    @Test func select() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.select(where: .ones([2, 2]), .zeros([2, 2]), else: .zeros([2, 3]))
        }
        expectMessage(result, names: ["Tensor.select", "[2, 2]", "[2, 3]"])
    }

    @Test func concatenated() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.concatenated([.zeros([2, 3]), .zeros([2, 4])], along: 0)
        }
        expectMessage(result, names: ["Tensor.concatenated", "[2, 3]", "[2, 4]"])
    }

    @Test func reshaped() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).reshaped(to: [4, 2])
        }
        expectMessage(result, names: ["Tensor.reshaped", "[2, 3]", "[4, 2]"])
    }

    @Test func broadcasted() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([3, 2]).broadcasted(to: [3, 4])
        }
        expectMessage(result, names: ["Tensor.broadcasted(to:)", "[3, 2]", "[3, 4]"])
    }

    // MARK: Products

    @Test func matrixTimesVector() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor<Double>.zeros([2, 3]), Tensor<Double>.zeros([4]))
        }
        expectMessage(result, names: ["matmul", "[2, 3]", "[4]"])
    }

    @Test func transposedProduct() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor<Float>.zeros([2, 3]), Tensor<Float>.zeros([3, 2]), transposeB: true)
        }
        expectMessage(result, names: ["matmul", "[2, 3]", "[3, 2]ᵀ"])
    }

    @Test func batchedProduct() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor<Double>.zeros([2, 3, 4]), Tensor<Double>.zeros([2, 5, 6]))
        }
        expectMessage(result, names: ["matmul", "[2, 3, 4]", "[2, 5, 6]"])
    }

    @Test func batchSizes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor<Double>.zeros([2, 3, 4]), Tensor<Double>.zeros([3, 4, 5]))
        }
        expectMessage(result, names: ["matmul", "[2, 3, 4]", "[3, 4, 5]"])
    }

    @Test func stackedShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.stacked([Tensor<Double>.zeros([2, 3]), Tensor<Double>.zeros([3, 2])])
        }
        expectMessage(result, names: ["Tensor.stacked", "[2, 3]", "[3, 2]"])
    }

    @Test func sliceOutOfBounds() async {
        let beyond = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).sliced(along: 1, 6...)
        }
        expectMessage(beyond, names: ["Tensor.sliced", "axis 1", "[2, 5]"])
        let step = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).sliced(along: 1, 0..<2, step: 0)
        }
        expectMessage(step, names: ["Tensor.sliced", "step must be at least 1"])
    }

    @Test func sortingAndStructuralOps() async {
        let axis = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).argsort(along: 2)
        }
        expectMessage(axis, names: ["Tensor.argsort", "axis 2", "rank 2"])
        let k = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).topk(6, along: -1)
        }
        expectMessage(k, names: ["Tensor.topk", "k = 6", "[2, 5]"])
        let counts = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).repeated([3])
        }
        expectMessage(counts, names: ["Tensor.repeated", "[2, 5]"])
        let diagonal = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).diagonal(axis1: 1, axis2: -1)
        }
        expectMessage(diagonal, names: ["Tensor.diagonal", "axis 1", "[2, 5]"])
        let distance = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = cdist(Tensor<Double>.zeros([2, 5]), Tensor<Double>.zeros([3, 4]))
        }
        expectMessage(distance, names: ["cdist", "[2, 5]", "[3, 4]"])
    }

    @Test func splitSizes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).split(sizes: [2, 2], along: 1)
        }
        expectMessage(result, names: ["Tensor.split", "[2, 2]", "[2, 5]"])
    }

    @Test func labelsPerPosition() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(logits: Tensor<Double>.zeros([2, 4, 3]), labels: [0, 1])
        }
        expectMessage(result, names: ["crossEntropy", "[2, 4, 3]", "[2, 3]"])
    }

    @Test func indexOutOfRange() async {
        let gather = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).gathered(along: 1, indices: IndexTensor([0, 3], shape: [2, 1]))
        }
        expectMessage(gather, names: ["Tensor.gathered", "index 3", "[2, 3]"])
        let embedding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Embedding<Double>(5, 2)(IndexTensor([1, 7]))
        }
        expectMessage(embedding, names: ["Embedding", "index 7", "0..<5"])
        let labels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = crossEntropy(logits: Tensor<Double>.zeros([2, 4, 3]), labels: IndexTensor([0, 1, 2, 3, 0, 1], shape: [3, 2]))
        }
        expectMessage(labels, names: ["crossEntropy", "[3, 2]", "[2, 4, 3]", "[2, 3]"])
    }

    @Test func recurrentInputAndStates() async {
        let input = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.lstm, inputSize: 4, hiddenSize: 3)(Tensor<Double>.zeros([5, 2, 6]))
        }
        expectMessage(input, names: ["LSTM", "[5, 2, 6]", "4"])
        let state = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.gru, inputSize: 4, hiddenSize: 3)
                .run(Tensor<Double>.zeros([5, 2, 4]), initialState: RecurrentState(hidden: Tensor<Double>.zeros([1, 3, 3])))
        }
        expectMessage(state, names: ["GRU", "[1, 3, 3]", "[1, 2, 3]"])
    }

    @Test func attentionShapes() async {
        let input = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            _ = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, using: &generator)(Tensor<Double>.zeros([5, 2, 6]))
        }
        expectMessage(input, names: ["MultiheadAttention", "[5, 2, 6]", "8"])
        let padding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let x = Tensor<Double>.zeros([5, 2, 8])
            _ = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, using: &generator)
                .attend(query: x, key: x, value: x, keyPaddingMask: .zeros([2, 4]))
        }
        expectMessage(padding, names: ["MultiheadAttention", "key padding mask", "[2, 4]", "(2, 5)"])
    }

    // MARK: Layers and losses

    @Test func linear() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 0)
            _ = Linear<Double>(3, 4, using: &generator)(Tensor.zeros([5, 2]))
        }
        expectMessage(result, names: ["linear", "[5, 2]", "[4, 3]"])
    }

    /// A command-line tool's choice: the message on one line, exit status 1, no crash report.
    @Test func exitWithMessageEndsWithStatus1() async {
        let result = await #expect(processExitsWith: .exitCode(1), observing: [\.standardErrorContent]) {
            ProgrammerErrors.exitWithMessage()
            _ = Tensor<Float>.zeros([2, 3]) + Tensor<Float>.zeros([3, 2])
        }
        let message = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.hasPrefix("error: ") && message.hasSuffix("\n") && message.dropLast().contains("\n") == false, "\(message)")
        expectMessage(result, names: ["[2, 3]", "[3, 2]"])
    }

    @Test func groupNorm() async {
        let input = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GroupNorm<Float>(groupCount: 2, channelCount: 4)(.zeros([3, 5, 2]))
        }
        expectMessage(input, names: ["GroupNorm", "[3, 5, 2]", "(N, 4, …)"])
        let groups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = GroupNorm<Float>(groupCount: 3, channelCount: 4)
        }
        expectMessage(groups, names: ["GroupNorm", "4 channels", "3 groups"])
    }

    @Test func layerNorm() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LayerNorm<Double>([4])(Tensor.zeros([3, 5]))
        }
        expectMessage(result, names: ["LayerNorm", "[3, 5]", "[4]"])
    }

    @Test func residual() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 0)
            _ = Residual<Double>(Linear(4, 2, using: &generator))(Tensor.zeros([3, 4]))
        }
        expectMessage(result, names: ["Residual", "[3, 2]", "[3, 4]"])
    }

    @Test func regressionLoss() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = meanSquaredError(Tensor<Double>.zeros([4, 1]), Tensor<Double>.zeros([4]))
        }
        expectMessage(result, names: ["meanSquaredError", "[4, 1]", "[4]"])
    }

    @Test func binaryCrossEntropyOnLogits() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = binaryCrossEntropy(logits: Tensor<Float>.zeros([8]), Tensor<Float>.zeros([8, 1]))
        }
        expectMessage(result, names: ["binaryCrossEntropy(logits:)", "[8]", "[8, 1]"])
    }

    @Test func lossWeightsAndVariances() async {
        let positiveWeight = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = binaryCrossEntropy(logits: Tensor<Double>.zeros([4, 3]), Tensor.zeros([4, 3]), positiveWeight: Tensor.ones([4]))
        }
        expectMessage(positiveWeight, names: ["binaryCrossEntropy(logits:)", "positiveWeight", "[4]", "[4, 3]"])
        let variance = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = gaussianNegativeLogLikelihood(Tensor<Double>.zeros([4, 3]), target: Tensor.zeros([4, 3]), variance: Tensor.ones([3]))
        }
        expectMessage(variance, names: ["gaussianNegativeLogLikelihood", "[3]", "[4, 3]"])
    }

    @Test func lossLabelsOutOfRange() async {
        let margin = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = multiMarginLoss(Tensor<Double>.zeros([2, 3]), labels: [0, 3])
        }
        expectMessage(margin, names: ["multiMarginLoss", "label 3", "[2, 3]"])
        let ctc = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(logProbabilities: Tensor<Double>.zeros([5, 1, 3]), targets: IndexTensor([1, 0], shape: [1, 2]),
                        inputLengths: [5], targetLengths: [2])
        }
        expectMessage(ctc, names: ["ctcLoss", "label 0", "blank 0"])
        let ctcBatch = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(logProbabilities: Tensor<Double>.zeros([5, 2, 3]), targets: IndexTensor([1, 2], shape: [1, 2]),
                        inputLengths: [5, 5], targetLengths: [2, 2])
        }
        expectMessage(ctcBatch, names: ["ctcLoss", "[1, 2]", "[5, 2, 3]"])
    }

    @Test func parameterAssign() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            Parameter(Tensor<Double>.zeros([2, 3])).assign(Tensor.zeros([3, 2]))
        }
        expectMessage(result, names: ["Parameter.assign", "[3, 2]", "[2, 3]"])
    }

    // MARK: Image layers

    @Test func convolutionWithTheWrongChannelCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d<Float>(3, 8, kernelSize: 3)(Tensor.zeros([2, 1, 28, 28]))
        }
        expectMessage(result, names: ["conv2d", "[2, 1, 28, 28]", "[8, 3, 3, 3]", "takes 3"])
    }

    @Test func kernelLargerThanThePaddedInput() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d<Float>(1, 4, kernelSize: 7, padding: 1)(Tensor.zeros([1, 1, 4, 4]))
        }
        expectMessage(result, names: ["conv2d", "kernel 7×7", "[1, 1, 4, 4]"])
    }

    @Test func imageModelFedFlatVectors() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d<Float>(1, 4, kernelSize: 3)(Tensor.zeros([16, 784]))
        }
        expectMessage(result, names: ["conv2d", "(N, C, H, W)", "[16, 784]"])
    }

    @Test func poolingAndBatchNormOnTheWrongShapes() async {
        let pool = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool2d<Float>(2)(Tensor.zeros([16, 784]))
        }
        expectMessage(pool, names: ["maxPool2d", "(N, C, H, W)", "[16, 784]"])
        let norm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = BatchNorm2d<Float>(8)(Tensor.zeros([2, 4, 5, 5]))
        }
        expectMessage(norm, names: ["BatchNorm2d", "[2, 4, 5, 5]", "(N, 8, H, W)"])
    }

    // MARK: Sequences

    @Test func sequencesOfDifferentLengthsAndLabelsThatDoNotFitTheirShape() async {
        let stacked = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.stacked([Tensor<Float>.zeros([4, 2]), Tensor<Float>.zeros([3, 2])])
        }
        expectMessage(stacked, names: ["Tensor.stacked: tensor 1 has shape [3, 2], tensor 0 [4, 2]",
                                       "sequences of different lengths need Tensor.paddedSequences"])
        let attention = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let layer = MultiheadAttention<Float>(embeddingSize: 4, headCount: 2, batchFirst: true, using: &generator)
            _ = layer.attend(query: .zeros([2, 3, 4]), key: .zeros([2, 5, 4]), value: .zeros([2, 4, 4]))
        }
        expectMessage(attention, names: ["MultiheadAttention", "key [2, 5, 4] and value [2, 4, 4] do not match"])
        let padding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let layer = MultiheadAttention<Float>(embeddingSize: 4, headCount: 2, batchFirst: true, using: &generator)
            let x = Tensor<Float>.zeros([2, 5, 4])
            _ = layer.attend(query: x, key: x, value: x, keyPaddingMask: .zeros([2, 4]))
        }
        expectMessage(padding, names: ["MultiheadAttention", "key padding mask shape [2, 4] is not (2, 5)"])
        let labels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Dataset(features: Tensor<Float>.zeros([2, 3]), labels: [1, 2, 3, 4, 5], labelShape: [3])
        }
        expectMessage(labels, names: ["Dataset: 5 labels for 2 examples of labels [3]"])
        let permute = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Permute<Float>([0, 2, 1])(Tensor.zeros([2, 3]))
        }
        expectMessage(permute, names: ["Permute", "[0, 2, 1]", "[2, 3]"])
    }

    @Test func incrementalDecodingAndRotaryEmbeddings() async {
        let cache = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let cache = KeyValueCache<Double>()
            cache.append(keys: .zeros([4, 2, 3]), values: .zeros([4, 2, 3]))
            cache.append(keys: .zeros([2, 1, 3]), values: .zeros([2, 1, 3]))
        }
        expectMessage(cache, names: ["KeyValueCache.append", "keys [2, 1, 3]", "keys [4, 2, 3]"])
        let input = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let layer = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, using: &generator)
            layer.eval()
            _ = layer.attendIncrementally(.zeros([1, 2, 6]), cache: KeyValueCache())
        }
        expectMessage(input, names: ["MultiheadAttention.attendIncrementally", "[1, 2, 6]", "(l, N, 8)"])
        let batch = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let layer = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, using: &generator)
            layer.eval()
            let cache = KeyValueCache<Double>()
            _ = layer.attendIncrementally(.zeros([3, 2, 8]), cache: cache)
            _ = layer.attendIncrementally(.zeros([1, 3, 8]), cache: cache)
        }
        expectMessage(batch, names: ["MultiheadAttention.attendIncrementally", "the cache holds 4 rows, not batch 3 × 2 heads"])
        let training = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let block = TransformerEncoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 8, dropout: 0.1, causal: true,
                                                        using: &generator)
            _ = block.encodeIncrementally(.zeros([2, 1, 8]), cache: KeyValueCache())
        }
        expectMessage(training, names: ["TransformerEncoderLayer.encodeIncrementally", "dropout 0.1 in training mode"])
        let beyond = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = try Sequential<Double>(CharacterLanguageModel.transformer(vocabularySize: 4, contextLength: 3, size: 4, heads: 2,
                                                                                    layers: 1))
            model.eval()
            let decoder = try IncrementalDecoder(model: model)
            _ = decoder(Tensor([0, 1], shape: [1, 2]))
            _ = decoder(Tensor([2, 3], shape: [1, 2]))
        }
        expectMessage(beyond, names: ["IncrementalDecoder", "positions 2..<4 exceed the model's 3 positions"])
        let rotary = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RotaryEmbedding(dimension: 4)(Tensor<Float>.zeros([2, 3, 6]))
        }
        expectMessage(rotary, names: ["RotaryEmbedding", "[2, 3, 6]", "(…, L, 4)"])
        let odd = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RotaryEmbedding(dimension: 5)
        }
        expectMessage(odd, names: ["RotaryEmbedding needs an even head size", "head size 5"])
    }
}

@Suite("Indexing ops stop with the op and the offending index or shape")
struct IndexingErrorTests {
    @Test func scatterIndexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).scattering(along: 1, indices: IndexTensor([0, 3], shape: [1, 2]), values: .ones([1, 2]))
        }
        expectMessage(result, names: ["Tensor.scattering", "index 3", "0..<3", "[2, 3]"])
    }

    @Test func scatterIndicesTooLarge() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).scatterAdding(along: 0, indices: IndexTensor([0, 0, 0, 0], shape: [1, 4]), values: .ones([1, 4]))
        }
        expectMessage(result, names: ["Tensor.scatterAdding", "[1, 4]", "[2, 3]"])
    }

    @Test func indexSelectOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).indexSelecting(along: 0, indices: IndexTensor([-1]))
        }
        expectMessage(result, names: ["Tensor.indexSelecting", "index -1", "0..<2"])
    }

    @Test func indexAddValuesShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).indexAdding(along: 1, indices: IndexTensor([0, 1]), values: .ones([2, 3]))
        }
        expectMessage(result, names: ["Tensor.indexAdding", "[2, 3]", "[2, 2]"])
    }

    @Test func maskShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).selecting(mask: .ones([3, 2]))
        }
        expectMessage(result, names: ["Tensor.selecting", "[3, 2]", "[2, 3]"])
    }

    @Test func assignedValuesCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).assigning(.ones([4]), where: .ones([2, 3]))
        }
        expectMessage(result, names: ["Tensor.assigning", "[4]", "6 selected"])
    }

    @Test func reflectPaddingTooWide() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).padded([3, 0], mode: .reflect)
        }
        expectMessage(result, names: ["Tensor.padded", "reflect width 3", "extent 3"])
    }
}

@Suite("Malformed einsum equations stop with the equation")
struct EinsumErrorTests {
    @Test func operandCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ij,jk->ik", Tensor<Double>.zeros([2, 3]))
        }
        expectMessage(result, names: ["einsum", "\"ij,jk->ik\"", "names 2 operands, got 1"])
    }

    @Test func extentsDisagree() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ij,jk->ik", Tensor<Double>.zeros([2, 3]), Tensor<Double>.zeros([4, 2]))
        }
        expectMessage(result, names: ["einsum", "letter \"j\"", "3 and 4"])
    }

    @Test func unknownOutputLetter() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ij->iz", Tensor<Double>.zeros([2, 3]))
        }
        expectMessage(result, names: ["einsum", "output letter \"z\""])
    }

    @Test func ellipsis() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("...ij->...ji", Tensor<Double>.zeros([2, 3]))
        }
        expectMessage(result, names: ["einsum", "\".\"", "no ellipsis"])
    }
}

@Suite("Interpolation stops with the mode and the shape")
struct InterpolationErrorTests {
    @Test func bilinearNeedsFourAxes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([1, 2, 3]).interpolated(size: [4], mode: .bilinear)
        }
        expectMessage(result, names: ["Tensor.interpolated", "bilinear", "[1, 2, 3]"])
    }

    @Test func sizePerSpatialAxis() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([1, 2, 3, 3]).interpolated(size: [4])
        }
        expectMessage(result, names: ["Tensor.interpolated", "size [4]", "[1, 2, 3, 3]"])
    }
}
