import Foundation
import Testing
import EasyNets

@Suite("Convolutional networks examples")
struct ConvolutionalNetworksDocumentationTests {
    /// The cnn preset written out, one epoch on 256 augmented images.
    @Test func cnnPreset() throws {
        // Documentation block: ConvolutionalNetworks.md #1
        let images = try FashionMNIST.load(.train, as: Float.self).prefix(256).reshapingExamples(to: FashionMNIST.imageShape)
        RandomGenerator.seedShared(0)
        let model = Sequential<Float> {
            Conv2d(1, 32, kernelSize: 3, padding: 1, bias: false); BatchNorm2d(32); ReLU(); MaxPool2d(2)
            Conv2d(32, 64, kernelSize: 3, padding: 1, bias: false); BatchNorm2d(64); ReLU(); MaxPool2d(2)
            Flatten(); Linear(3136, 128); ReLU(); Dropout(probability: 0.3, seed: 1); Linear(128, 10)
        }
        let loader = DataLoader(images, batchSize: 64, augmentation: ImageAugmentation(maximumShift: 1), seed: 1)
        let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 1e-3), loader: loader)
        try trainer.fit(epochs: 1)
        print(model.summary(inputShape: [1, 1, 28, 28]))

        #expect(images.features.shape == [256, 1, 28, 28])
        #expect(try model.describe() == ConvolutionalNetwork.description())
        #expect(trainer.step == 256 / 64 && trainer.history.count == 1 && trainer.history[0].trainLoss.isFinite)
        // Shapes: a 3×3 convolution with padding 1 keeps 28×28, each 2×2 pooling halves it.
        let summary = model.summary(inputShape: [1, 1, 28, 28])
        for shape in ["[1, 32, 28, 28]", "[1, 32, 14, 14]", "[1, 64, 14, 14]", "[1, 64, 7, 7]", "[1, \(64 * 7 * 7)]", "[1, 10]"] {
            #expect(summary.contains(shape), "\(shape) in \(summary)")
        }
        // Parameters: two bias-free convolutions, two BatchNorms (weight and bias), two Linear layers.
        let total = 32 * 1 * 9 + 2 * 32 + 64 * 32 * 9 + 2 * 64 + (3136 * 128 + 128) + (128 * 10 + 10)
        #expect(model.parameterCount == total && summary.contains("Total parameters: \(total)"))
    }

    /// A strided, padded convolution against its definition, by loops.
    @Test func convolutionByDefinition() throws {
        // Documentation block: ConvolutionalNetworks.md #2
        var generator = RandomGenerator(seed: 0)
        let conv = Conv2d<Double>(2, 3, kernelSize: 3, stride: 2, padding: 1)
        let image = Tensor<Double>.uniform([1, 2, 5, 5], using: &generator)
        let output = conv(image)
        print(output.shape)                           // [1, 3, 3, 3]

        // out[o][y][x] = b[o] + Σ_c Σ_i Σ_j w[o][c][i][j] · in[c][2y − 1 + i][2x − 1 + j], zeros outside.
        let side = (5 + 2 * 1 - 3) / 2 + 1
        #expect(output.shape == [1, 3, side, side])
        let w = conv.weight.value, b = try #require(conv.bias).value, x = image
        var expected: [Double] = []
        for o in 0..<3 {
            for y in 0..<side {
                for xPosition in 0..<side {
                    var sum = b[o]
                    for c in 0..<2 {
                        for i in 0..<3 {
                            for j in 0..<3 {
                                let (row, column) = (2 * y - 1 + i, 2 * xPosition - 1 + j)
                                if (0..<5).contains(row) && (0..<5).contains(column) { sum += w[o, c, i, j] * x[0, c, row, column] }
                            }
                        }
                    }
                    expected.append(sum)
                }
            }
        }
        expectClose(output.scalars, expected, tolerance: 1e-12)
    }

    /// A transposed convolution and a bilinear upsampling against their definitions, by loops.
    @Test func upsamplingByDefinition() throws {
        // Documentation block: ConvolutionalNetworks.md #3
        var generator = RandomGenerator(seed: 0)
        let features = Tensor<Double>.uniform([1, 3, 4, 4], using: &generator)
        let transposed = ConvTranspose2d<Double>(3, 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
        print(transposed(features).shape)             // [1, 2, 8, 8]
        let resized = Upsample<Double>(scaleFactor: 2, mode: .bilinear)(features)
        print(resized.shape)                          // [1, 3, 8, 8]

        // out[o][2y − 1 + i][2x − 1 + j] += w[c][o][i][j] · in[c][y][x] where inside the 8×8 output, plus b[o].
        let output = transposed(features)
        #expect(output.shape == [1, 2, 8, 8] && resized.shape == [1, 3, 8, 8])
        let w = transposed.weight.value, b = try #require(transposed.bias).value
        #expect(w.shape == [3, 2, 3, 3])
        var expected = [Double](repeating: 0, count: 2 * 64)
        for o in 0..<2 { for p in 0..<64 { expected[o * 64 + p] = b[o] } }
        for c in 0..<3 {
            for y in 0..<4 {
                for x in 0..<4 {
                    for o in 0..<2 {
                        for i in 0..<3 {
                            for j in 0..<3 {
                                let (row, column) = (2 * y - 1 + i, 2 * x - 1 + j)
                                if (0..<8).contains(row) && (0..<8).contains(column) {
                                    expected[(o * 8 + row) * 8 + column] += w[c, o, i, j] * features[0, c, y, x]
                                }
                            }
                        }
                    }
                }
            }
        }
        expectClose(output.scalars, expected, tolerance: 1e-12)
        // Bilinear at scale 2: output position o reads source (o + ½)/2 − ½, clamped at 0, between its two neighbours.
        func taps(_ o: Int) -> (Int, Int, Double) {
            let source = max((Double(o) + 0.5) / 2 - 0.5, 0), low = Int(source)
            return (low, min(low + 1, 3), source - Double(low))
        }
        var bilinear: [Double] = []
        for c in 0..<3 {
            for row in 0..<8 {
                for column in 0..<8 {
                    let (r0, r1, a) = taps(row), (c0, c1, t) = taps(column)
                    let top = (1 - t) * features[0, c, r0, c0] + t * features[0, c, r0, c1]
                    let bottom = (1 - t) * features[0, c, r1, c0] + t * features[0, c, r1, c1]
                    bilinear.append((1 - a) * top + a * bottom)
                }
            }
        }
        expectClose(resized.scalars, bilinear, tolerance: 1e-12)
    }
}
