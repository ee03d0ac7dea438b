/// The default convolutional classifier for small images (the `easynets train --model cnn`
/// preset): two blocks of `Conv2d 3×3 (padding 1) → BatchNorm2d → ReLU → MaxPool2d 2`, with 32
/// then 64 channels, then `Flatten → Linear → ReLU → Dropout → Linear` to the classes. Its
/// parameter names match the same `torch.nn.Sequential`.
public enum ConvolutionalNetwork {
    /// The preset's description for images of `imageShape` (channels, height, width; height and
    /// width at least 4) and `classes` classes, with `hidden` units in the dense layer.
    public static func description(imageShape: [Int] = FashionMNIST.imageShape, classes: Int = 10, hidden: Int = 128,
                                   dropout: Double = 0.3) -> ModelDescription {
        require(imageShape.count == 3 && imageShape[0] >= 1 && imageShape[1] >= 4 && imageShape[2] >= 4,
                "ConvolutionalNetwork: imageShape must be (channels, height ≥ 4, width ≥ 4), got \(imageShape)")
        func block(_ inChannels: Int, _ outChannels: Int) -> [ModelDescription] {
            [.conv2d(inChannels: inChannels, outChannels: outChannels, kernelSize: [3, 3], stride: [1, 1], padding: .explicit([1, 1]),
                     dilation: [1, 1], groups: 1, bias: false),
             .batchNorm2d(featureCount: outChannels, epsilon: 1e-5, momentum: 0.1, affine: true),
             .relu,
             .maxPool2d(kernelSize: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false)]
        }
        let flat = 64 * (imageShape[1] / 4) * (imageShape[2] / 4)
        return .sequential(layers: block(imageShape[0], 32) + block(32, 64) + [
            .flatten(startAxis: 1),
            .linear(inputSize: flat, outputSize: hidden, bias: true), .relu, .dropout(probability: dropout),
            .linear(inputSize: hidden, outputSize: classes, bias: true),
        ])
    }
}

extension Dataset {
    /// The dataset shaped for `model`'s input: flat examples become images of `imageShape` when the
    /// model starts with an image layer (``ModelDescription/takesImages``), and images become flat
    /// rows when it does not. Throws when the model takes images and the data has no image shape.
    public func shaped(for model: ModelDescription, imageShape: [Int]?, dataName: String) throws -> Dataset {
        if model.takesImages {
            if features.rank == 4 { return self }
            guard let imageShape, imageShape.reduce(1, *) == featureCount else {
                throw ModelDescriptionError(layer: dataName, reason: "the model takes images (N, C, H, W), but these examples "
                                            + "are \(featureCount) features without an image shape")
            }
            return reshapingExamples(to: imageShape)
        }
        return features.rank == 2 ? self : reshapingExamples(to: [featureCount])
    }
}
