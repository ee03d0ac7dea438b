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

    @Test func recurrentLengths() async {
        let count = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.lstm, inputSize: 4, hiddenSize: 3).run(Tensor<Double>.zeros([5, 2, 4]), lengths: [5, 2, 1])
        }
        expectMessage(count, names: ["LSTM", "3 lengths", "batch of 2", "[5, 2, 4]"])
        let long = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.gru, inputSize: 4, hiddenSize: 3, batchFirst: true).run(Tensor<Double>.zeros([2, 5, 4]), lengths: [5, 6])
        }
        expectMessage(long, names: ["GRU", "sequence 1 has length 6", "5 steps", "[2, 5, 4]"])
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.tanh, inputSize: 4, hiddenSize: 3).run(Tensor<Double>.zeros([5, 2, 4]), lengths: [0, 5])
        }
        expectMessage(empty, names: ["RNN", "sequence 0 has length 0", "at least 1", "[5, 2, 4]"])
        let unbatched = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.lstm, inputSize: 4, hiddenSize: 3).run(Tensor<Double>.zeros([5, 4]), lengths: [5])
        }
        expectMessage(unbatched, names: ["LSTM", "batched input", "[5, 4]"])
        let mask = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.sequenceLengths(paddingMask: Tensor([0, 1, 0, 0, 0, 0], shape: [2, 3]))
        }
        expectMessage(mask, names: ["Tensor.sequenceLengths", "row 0", "[2, 3]", "padded at the end"])
    }

    @Test func recurrentProjection() async {
        let gru = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.gru, inputSize: 4, hiddenSize: 3, projectionSize: 2)
        }
        expectMessage(gru, names: ["GRU", "projectionSize 2", "only an LSTM"])
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.lstm, inputSize: 4, hiddenSize: 3, projectionSize: 3)
        }
        expectMessage(size, names: ["LSTM", "0..<hiddenSize 3", "got 3"])
        let state = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Recurrent<Double>(.lstm, inputSize: 4, hiddenSize: 3, projectionSize: 2)
                .run(Tensor<Double>.zeros([5, 2, 4]), initialState: RecurrentState(hidden: .zeros([1, 2, 3]), cell: .zeros([1, 2, 3])))
        }
        expectMessage(state, names: ["LSTM", "initial hidden state shape [1, 2, 3]", "[1, 2, 2]", "P)"])
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
                .attend(query: x, key: x, value: x, keyPaddingMask: .boolean(.zeros([2, 4])))
        }
        expectMessage(padding, names: ["MultiheadAttention", "key padding mask", "[2, 4]", "(2, 5)"])
        let keySize = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let x = Tensor<Double>.zeros([5, 2, 8])
            _ = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, keySize: 3, using: &generator).attend(query: x, key: x, value: x)
        }
        expectMessage(keySize, names: ["MultiheadAttention", "key shape [5, 2, 8]", "(L, N, 3)"])
        let mask = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            let x = Tensor<Double>.zeros([5, 8])
            _ = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, using: &generator)
                .attend(query: x, key: x, value: x, attentionMask: .boolean(.zeros([4, 5, 5])))
        }
        expectMessage(mask, names: ["MultiheadAttention", "attention mask shape [4, 5, 5]", "(5, 5)", "(2, 5, 5)"])
        let unbatched = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            _ = MultiheadAttention<Double>(embeddingSize: 8, headCount: 2, using: &generator)
                .attend(query: .zeros([5, 8]), key: .zeros([5, 1, 8]), value: .zeros([5, 1, 8]))
        }
        expectMessage(unbatched, names: ["MultiheadAttention", "[5, 8]", "[5, 1, 8]", "all batched or all unbatched"])
        let decoder = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            _ = TransformerDecoderLayer<Double>(modelSize: 8, headCount: 2, feedForwardSize: 4, using: &generator)
                .decode(.zeros([5, 2, 8]), memory: .zeros([6, 3, 8]))
        }
        expectMessage(decoder, names: ["TransformerDecoderLayer", "target [5, 2, 8]", "memory [6, 3, 8]"])
        let transformer = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            _ = Transformer<Double>(modelSize: 8, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 1, feedForwardSize: 4,
                                    batchFirst: true, using: &generator)(source: .zeros([2, 5, 8]), target: .zeros([3, 4, 8]))
        }
        expectMessage(transformer, names: ["Transformer", "source [2, 5, 8]", "target [3, 4, 8]"])
        let stack = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = RandomGenerator(seed: 1)
            _ = TransformerEncoder<Double>([TransformerEncoderLayer(modelSize: 8, headCount: 2, using: &generator),
                                            TransformerEncoderLayer(modelSize: 8, headCount: 4, using: &generator)])
        }
        expectMessage(stack, names: ["TransformerEncoder", "differ"])
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

    @Test func instanceNorm() async {
        let oneD = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm1d<Double>(4)(Tensor.zeros([2, 3, 5]))
        }
        expectMessage(oneD, names: ["InstanceNorm1d", "[2, 3, 5]", "(N, 4, L)"])
        let twoD = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm2d<Float>(3)(Tensor.zeros([2, 3, 4]))
        }
        expectMessage(twoD, names: ["InstanceNorm2d", "[2, 3, 4]", "(N, 3, H, W)"])
        let onePosition = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = InstanceNorm2d<Double>(3)(Tensor.zeros([2, 3, 1, 1]))
        }
        expectMessage(onePosition, names: ["InstanceNorm2d", "more than one position", "[2, 3, 1, 1]"])
    }

    @Test func rmsNorm() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = RMSNorm<Double>([2, 4])(Tensor.zeros([3, 4, 2]))
        }
        expectMessage(result, names: ["RMSNorm", "[3, 4, 2]", "[2, 4]"])
    }

    @Test func untrackedBatchNormNeedsABatch() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let layer = BatchNorm1d<Double>(3, trackRunningStats: false)
            layer.eval()
            _ = layer(Tensor.zeros([1, 3]))
        }
        expectMessage(result, names: ["BatchNorm1d", "more than one value per channel", "[1, 3]"])
    }

    @Test func oneDimensionalAndAdaptivePooling() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = MaxPool1d<Double>(2)(Tensor.zeros([2, 3, 4, 4]))
        }
        expectMessage(rank, names: ["maxPool1d", "(N, C, L)", "[2, 3, 4, 4]"])
        let kernel = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AvgPool1d<Float>(5)(Tensor.zeros([2, 3, 4]))
        }
        expectMessage(kernel, names: ["avgPool1d", "kernel 5", "[2, 3, 4]"])
        let adaptive = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveMaxPool2d<Double>(outputSize: [2, 2])(Tensor.zeros([4, 5]))
        }
        expectMessage(adaptive, names: ["adaptiveMaxPool2d", "(N, C, H, W)", "[4, 5]"])
        let adaptive1d = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = AdaptiveAvgPool1d<Double>(outputSize: 2)(Tensor.zeros([4, 5, 6, 7]))
        }
        expectMessage(adaptive1d, names: ["adaptiveAvgPool1d", "(N, C, L)", "[4, 5, 6, 7]"])
    }

    @Test func embeddingOptions() async {
        let padding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Embedding<Double>(5, 2, paddingIndex: 5)
        }
        expectMessage(padding, names: ["Embedding", "paddingIndex 5", "-5..<5"])
        let norm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Embedding<Double>(5, 2, maxNorm: 1, normType: 0)
        }
        expectMessage(norm, names: ["Embedding", "normType", "0.0"])
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
        let ctcUnbatched = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(logProbabilities: Tensor<Double>.zeros([5, 3]), targets: IndexTensor([1, 2]),
                        inputLengths: [5, 5], targetLengths: [2])
        }
        expectMessage(ctcUnbatched, names: ["ctcLoss", "2 input lengths", "[5, 3]"])
        let ctcFrames = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ctcLoss(logProbabilities: Tensor<Double>.zeros([5, 1, 3]), targets: IndexTensor([1, 2]),
                        inputLengths: [6], targetLengths: [2])
        }
        expectMessage(ctcFrames, names: ["ctcLoss", "input length 6", "0...5", "[5, 1, 3]"])
    }

    @Test func marginLossShapes() async {
        let cosine = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = cosineEmbeddingLoss(Tensor<Double>.zeros([3, 4]), Tensor.zeros([3, 4]), target: Tensor.ones([]))
        }
        expectMessage(cosine, names: ["cosineEmbeddingLoss", "[3, 4]", "[]"])
        let cosineRows = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = cosineEmbeddingLoss(Tensor<Double>.zeros([3, 4]), Tensor.zeros([2, 4]), target: Tensor.ones([3]))
        }
        expectMessage(cosineRows, names: ["cosineEmbeddingLoss", "[3, 4]", "[2, 4]"])
        let ranking = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = marginRankingLoss(Tensor<Double>.zeros([3, 4]), Tensor.zeros([4]), target: Tensor.ones([3, 4]))
        }
        expectMessage(ranking, names: ["marginRankingLoss", "[3, 4]", "[4]", "one rank"])
        let triplet = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = tripletMarginLoss(anchor: Tensor<Double>.zeros([3, 4]), positive: Tensor.zeros([2, 4]), negative: Tensor.zeros([3, 4]))
        }
        expectMessage(triplet, names: ["tripletMarginLoss", "[3, 4]", "[2, 4]"])
        let hinge = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = hingeEmbeddingLoss(Tensor<Double>.zeros([3, 4]), target: Tensor.ones([3]))
        }
        expectMessage(hinge, names: ["hingeEmbeddingLoss", "[3, 4]", "[3]"])
        let multi = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = multiMarginLoss(Tensor<Double>.zeros([4]), labels: [0, 1])
        }
        expectMessage(multi, names: ["multiMarginLoss", "2 labels", "[4]"])
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

    @Test func transposedConvolutionsOnTheWrongShapes() async {
        let channels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d<Float>(3, 8, kernelSize: 3)(Tensor.zeros([2, 1, 5, 5]))
        }
        expectMessage(channels, names: ["convTranspose2d", "[2, 1, 5, 5]", "[3, 8, 3, 3]", "takes 3"])
        let flat = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose1d<Float>(2, 2, kernelSize: 3)(Tensor.zeros([2, 2, 1, 5]))
        }
        expectMessage(flat, names: ["convTranspose1d", "(N, C, L) or (C, L)", "[2, 2, 1, 5]"])
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d<Float>(1, 1, kernelSize: 1, padding: 2)(Tensor.zeros([1, 1, 3, 3]))
        }
        expectMessage(empty, names: ["convTranspose2d", "[1, 1, 3, 3]", "empty output [-1, -1]"])
        let size = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d<Float>(1, 1, kernelSize: 3, stride: 2)(Tensor.zeros([1, 1, 4, 4]), outputSize: [9, 11])
        }
        expectMessage(size, names: ["ConvTranspose2d", "outputSize [9, 11]", "[1, 1, 4, 4]", "extent 11 is outside 9...10"])
        let outputPadding = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = ConvTranspose2d<Float>(1, 1, kernelSize: 3, stride: 2, outputPadding: 2)
        }
        expectMessage(outputPadding, names: ["ConvTranspose2d's outputPadding [2, 2]", "stride [2, 2]", "dilation [1, 1]"])
    }

    @Test func paddingModeWiderThanTheInput() async {
        let reflect = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d<Float>(1, 1, kernelSize: 3, padding: 3, paddingMode: .reflect)(Tensor.zeros([1, 1, 3, 5]))
        }
        expectMessage(reflect, names: ["Conv2d", "reflect padding 3 must be below the input's extent 3", "[1, 1, 3, 5]"])
        let circular = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv1d<Float>(1, 1, kernelSize: 3, padding: .explicit([4]), paddingMode: .circular)(Tensor.zeros([2, 1, 3]))
        }
        expectMessage(circular, names: ["Conv1d", "circular padding 4 must be at most the input's extent 3", "[2, 1, 3]"])
    }

    @Test func upsampleOnTheWrongShapes() async {
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Upsample<Float>(scaleFactor: 2, mode: .bilinear)(Tensor.zeros([2, 3, 4]))
        }
        expectMessage(rank, names: ["Upsample", "mode bilinear takes (N, C, H, W)", "[2, 3, 4]"])
        let sizes = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Upsample<Float>(size: [4, 5])(Tensor.zeros([2, 3, 4]))
        }
        expectMessage(sizes, names: ["Upsample", "size [4, 5]", "[2, 3, 4]"])
        let rule = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Upsample<Float>(scaleFactor: 2, alignCorners: true)
        }
        expectMessage(rule, names: ["Upsample's alignCorners needs mode linear or bilinear"])
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
            _ = layer.attend(query: x, key: x, value: x, keyPaddingMask: .boolean(.zeros([2, 4])))
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
            _ = Tensor<Double>.zeros([2, 3]).scattering(along: 0, indices: IndexTensor([0, 0, 0, 0], shape: [1, 4]), values: .ones([1, 4]),
                                                        reduce: .sum)
        }
        expectMessage(result, names: ["Tensor.scattering(reduce:)", "[1, 4]", "[2, 3]"])
    }

    @Test func scatterReduceIndexOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).scattering(along: 0, indices: IndexTensor([2], shape: [1, 1]), values: .ones([1, 1]),
                                                        reduce: .amax, includeSelf: false)
        }
        expectMessage(result, names: ["Tensor.scattering(reduce:)", "index 2", "0..<2", "[2, 3]"])
    }

    @Test func scatterScalarIndicesTooLarge() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).scattering(along: 1, indices: IndexTensor([0, 0, 0], shape: [3, 1]), value: 1)
        }
        expectMessage(result, names: ["Tensor.scattering", "[3, 1]", "[2, 3]"])
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

    @Test func leadingMaskShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).selecting(mask: .ones([3]))
        }
        expectMessage(result, names: ["Tensor.selecting", "[3]", "leading axes [2]", "[2, 3]"])
    }

    @Test func assignedMaskDoesNotBroadcastToSelf() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([1, 3]).assigning(0, where: .ones([2, 3]))
        }
        expectMessage(result, names: ["Tensor.assigning", "[2, 3]", "[1, 3]"])
    }

    @Test func assignedSliceShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).assigning(.ones([2]), where: .ones([2]))
        }
        expectMessage(result, names: ["Tensor.assigning", "[2]", "[2, 3]"])
    }

    @Test func assignedValuesCount() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).assigning(.ones([4]), where: .ones([2, 3]))
        }
        expectMessage(result, names: ["Tensor.assigning", "[4]", "[6]", "[2, 3]"])
    }

    @Test func reflectPaddingTooWide() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 3]).padded([3, 0], mode: .reflect)
        }
        expectMessage(result, names: ["Tensor.padded", "reflect width 3", "extent 3"])
    }

    @Test func reflectPaddingTooWideWhileCropping() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).padded([5, -3], mode: .reflect)
        }
        expectMessage(result, names: ["Tensor.padded", "reflect width 5", "extent 5", "[2, 5]"])
    }

    @Test func circularPaddingWiderThanTheCroppedAxis() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor<Double>.zeros([2, 5]).padded([3, -3], mode: .circular)
        }
        expectMessage(result, names: ["Tensor.padded", "circular width 3", "extent 2", "[2, 5]"])
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

    @Test func twoEllipses() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("...i...->i", Tensor<Double>.zeros([2, 3]))
        }
        expectMessage(result, names: ["einsum", "more than one ellipsis"])
    }

    @Test func strayDot() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("i.j->ij", Tensor<Double>.zeros([2, 3]))
        }
        expectMessage(result, names: ["einsum", "\".\"", "one ellipsis"])
    }

    @Test func ellipsisAxesDisagree() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("...i,...i->...", Tensor<Double>.zeros([2, 3]), Tensor<Double>.zeros([4, 3]))
        }
        expectMessage(result, names: ["einsum", "ellipsis axes", "2 and 4", "[2, 3]", "[4, 3]"])
    }

    @Test func diagonalExtentsDisagree() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("ii->i", Tensor<Double>.zeros([1, 3]))
        }
        expectMessage(result, names: ["einsum", "letter \"i\" repeats", "[1, 3]", "1 and 3"])
    }

    @Test func tooFewAxesForTheLetters() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = einsum("...ijk->i", Tensor<Double>.zeros([2, 3]))
        }
        expectMessage(result, names: ["einsum", "labels 3 axes", "[2, 3]"])
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

@Suite("L-BFGS and the trainer's moving average stop on misuse with the reason")
struct ReevaluatingOptimizerErrorTests {
    @Test func lbfgsStepNeedsTheClosure() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            LBFGS([Parameter(Tensor<Double>([1]))]).step()
        }
        expectMessage(result, names: ["LBFGS.step()", "step(evaluating:)"])
    }

    @Test func lbfgsOptionsAreChecked() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = LBFGS([Parameter(Tensor<Double>([1]))], historySize: 0)
        }
        expectMessage(result, names: ["LBFGS", "historySize", "0"])
    }

    @Test func lbfgsHasOneGroupOfFixedParameters() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let lbfgs = LBFGS([Parameter(Tensor<Double>([1]))])
            lbfgs.groups = lbfgs.groups + lbfgs.groups
        }
        expectMessage(result, names: ["LBFGS.groups", "fixed"])
    }

    @Test func aMovingAverageIsNotAlsoAnObserver() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = Linear<Double>(1, 1)
            let data = Dataset(features: Tensor<Double>([1, 2], shape: [2, 1]), targets: Tensor<Double>([1, 2], shape: [2, 1]))
            let trainer = Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                                  loader: DataLoader(data, batchSize: 2), loss: .meanSquaredError)
            let average = ExponentialMovingAverage(of: model)
            trainer.movingAverage = average
            trainer.observers = [average]
            _ = try? trainer.fit(epochs: 1)
        }
        expectMessage(result, names: ["Trainer", "movingAverage", "twice"])
    }
}
