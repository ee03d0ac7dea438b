import Foundation
import Testing
import EasyNets  // not @testable: the article's code must work through the public API alone

// The Swift blocks of the article "Autoencoders and sequence-to-sequence models"
// (EncoderDecoderModels.md), as written there (see DocumentationBlocks.swift), with assertions
// against counts made by hand and against the untrained models.

@Suite("Article: Autoencoders and sequence-to-sequence models")
struct EncoderDecoderModelsDocumentationTests {
    /// The U-Net-style autoencoder: its parameters counted by hand, its output shape, and a
    /// reconstruction error that training cuts more than tenfold.
    @Test func uNetAutoencoder() {
        // Documentation block: EncoderDecoderModels.md #1
        /// One level of a U-Net: features at full resolution, a pooled level below them, a transposed
        /// convolution back up, and the full-resolution features joined to the upsampled ones.
        final class TinyUNet<Scalar: TensorScalar>: Layer {
            let down = Sequential<Scalar> {
                Conv2d(1, 8, kernelSize: 3, padding: 1, paddingMode: .reflect); GroupNorm(groupCount: 2, channelCount: 8); ReLU()
            }
            let pool = MaxPool2d<Scalar>(2)
            let bottom = Sequential<Scalar> {
                Conv2d(8, 16, kernelSize: 3, padding: 1); InstanceNorm2d(16, affine: true); ReLU()
            }
            let up = ConvTranspose2d<Scalar>(16, 8, kernelSize: 2, stride: 2)   // doubles the height and width
            let head = Conv2d<Scalar>(16, 1, kernelSize: 1)                      // skip and upsampled channels → 1
            var isTraining = true

            func callAsFunction(_ images: Tensor<Scalar>) -> Tensor<Scalar> {
                let skip = down(images)
                let upsampled = up(bottom(pool(skip)))
                return head(Tensor.concatenated([skip, upsampled], along: 1))
            }

            var sublayers: [(name: String, layer: any Layer<Scalar>)] {
                [("down", down), ("bottom", bottom), ("up", up), ("head", head)]
            }
        }

        RandomGenerator.seedShared(0)
        let unet = TinyUNet<Float>()
        var generator = RandomGenerator(seed: 1)
        let images = Tensor<Float>.uniform([16, 1, 8, 8], using: &generator)
        let optimizer = Adam(unet.trainableParameters, learningRate: 1e-2)
        let firstLoss = meanSquaredError(unet(images), images).scalar
        for _ in 0..<200 {
            let loss = meanSquaredError(unet(images), images)
            optimizer.zeroGradients()
            loss.backward()
            optimizer.step()
        }
        let lastLoss = meanSquaredError(unet(images), images).scalar
        print(unet.parameterCount, firstLoss, lastLoss)   // 1833, and an error that falls from about 0.5 below 0.001

        // down: 3×3 conv 1→8 (72 + 8) and group norm (8 + 8); bottom: 3×3 conv 8→16 (1152 + 16)
        // and instance norm (16 + 16); up: 2×2 transposed conv 16→8 (512 + 8); head: 1×1 conv 16→1 (16 + 1).
        #expect(unet.parameterCount == (72 + 8) + (8 + 8) + (1152 + 16) + (16 + 16) + (512 + 8) + (16 + 1))
        #expect(unet(images).shape == [16, 1, 8, 8])
        #expect(firstLoss.isFinite && lastLoss < firstLoss / 10)
    }

    /// The encoder-decoder Transformer: greedy decoding of sequences it never saw gets nearly
    /// every digit right, where the untrained model is at chance (1 in 6).
    @Test func sequenceReversal() {
        // Documentation block: EncoderDecoderModels.md #2
        /// Reverses sequences of digits 0..<6: the encoder reads the digits, and the decoder writes them
        /// back to front, each position seeing only the digits written before it (a causal target).
        struct Reverser {
            static var start: Int { 6 }           // the token that starts every target
            let embedding = Embedding<Float>(7, 32)
            let positions = SinusoidalPositionalEncoding<Float>(dimension: 32)
            let transformer: Transformer<Float>
            let output = Linear<Float>(32, 6)

            init(using generator: inout RandomGenerator) {
                transformer = Transformer(modelSize: 32, headCount: 4, encoderLayerCount: 1, decoderLayerCount: 1,
                                          feedForwardSize: 64, dropout: 0, batchFirst: true, using: &generator)
            }

            var layers: [any Layer<Float>] { [embedding, transformer, output] }

            /// Logits (N, T, 6) for source tokens (N, S) and target tokens (N, T).
            func logits(source: IndexTensor, target: IndexTensor) -> Tensor<Float> {
                output(transformer(source: positions(embedding(source)), target: positions(embedding(target)), targetIsCausal: true))
            }
        }

        /// `count` random sequences of 5 digits, their reversals, and the decoder's input: the start
        /// token followed by the reversal without its last digit.
        func reversals(_ count: Int, using generator: inout RandomGenerator) -> (source: IndexTensor, target: IndexTensor, labels: [Int]) {
            var source: [Int] = [], target: [Int] = [], labels: [Int] = []
            for _ in 0..<count {
                let digits = (0..<5).map { _ in Int(generator.next() % 6) }
                source += digits
                labels += digits.reversed()
                target += [Reverser.start] + digits.reversed().dropLast()
            }
            return (IndexTensor(source, shape: [count, 5]), IndexTensor(target, shape: [count, 5]), labels)
        }

        RandomGenerator.seedShared(0)
        var generator = RandomGenerator(seed: 2)
        let reverser = Reverser(using: &generator)
        let optimizer = Adam(reverser.layers.flatMap { $0.trainableParameters }, learningRate: 3e-3)
        for _ in 0..<300 {
            let batch = reversals(32, using: &generator)
            let logits = reverser.logits(source: batch.source, target: batch.target)
            let loss = crossEntropy(logits: logits.reshaped(to: [-1, 6]), labels: batch.labels)
            optimizer.zeroGradients()
            loss.backward()
            optimizer.step()
        }

        // Greedy decoding of new sequences: one position at a time, each from the digits written so far.
        let test = reversals(100, using: &generator)
        var written = [[Int]](repeating: [Reverser.start], count: 100)
        for position in 0..<5 {
            let logits = reverser.logits(source: test.source, target: IndexTensor(written.flatMap { $0 }, shape: [100, position + 1]))
            let next = logits.sliced(along: 1, position..<(position + 1)).reshaped(to: [100, 6]).argmax(along: 1)
            for row in 0..<100 { written[row].append(next[row]) }
        }
        let correct = zip(written.flatMap { $0.dropFirst() }, test.labels).filter { $0 == $1 }.count
        print(correct)   // digits right out of 500: all or nearly all

        #expect(correct >= 475)   // ≥ 95% of 500 digits
        // The same decoding by the model as first drawn gets about a sixth right.
        var fresh = RandomGenerator(seed: 2)
        let untrained = Reverser(using: &fresh)
        let guesses = untrained.logits(source: test.source, target: test.target).reshaped(to: [-1, 6]).argmax(along: 1)
        #expect(zip(guesses, test.labels).filter { $0 == $1 }.count < 200)
    }
}
