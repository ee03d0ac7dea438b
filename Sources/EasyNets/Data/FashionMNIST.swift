import Foundation

/// Fashion-MNIST (Zalando): 28×28 grayscale clothing images in 10 classes, 60 000 for training and
/// 10 000 for testing, read from IDX files (gzip-compressed or not).
public enum FashionMNIST {
    /// Each image as (channels, height, width), for image models.
    public static let imageShape = [1, 28, 28]
    /// The folder Debian's `dataset-fashion-mnist` installs to.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// The command that installs the files there.
    public static let installCommand = "sudo apt-get install dataset-fashion-mnist"
    /// The class names, by label.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The training (60 000 images) or test (10 000 images) split.
    public enum Split: String, Sendable { case train, test }

    /// Loads a split: images flattened to 784 values and divided by 255 into [0, 1] (as
    /// torchvision's `ToTensor`), labels 0–9.
    public static func load<Scalar: TensorScalar>(
        _ split: Split, directory: String = defaultDirectory, as: Scalar.Type = Scalar.self
    ) throws -> Dataset<Scalar> {
        let prefix = split == .train ? "train" : "t10k"
        let imagesPath = try locate("\(prefix)-images-idx3-ubyte", in: directory)
        let labelsPath = try locate("\(prefix)-labels-idx1-ubyte", in: directory)
        let images = try IDXFile(contentsOfFile: imagesPath)
        let labels = try IDXFile(contentsOfFile: labelsPath)
        guard images.shape.count == 3, images.shape[1] == 28, images.shape[2] == 28, images.typeCode == 0x08 else {
            throw DataError(path: imagesPath, reason: "expected unsigned-byte images of shape (N, 28, 28), found shape \(images.shape)")
        }
        guard labels.shape == [images.shape[0]] else {
            throw DataError(path: labelsPath, reason: "expected \(images.shape[0]) labels, found shape \(labels.shape)")
        }
        let values = try labels.integers()
        if let bad = values.firstIndex(where: { $0 < 0 || $0 > 9 }) {
            throw DataError(path: labelsPath, location: "label \(bad)", reason: "label \(values[bad]) is outside 0–9")
        }
        let features = images.tensor(dividingBy: 255, as: Scalar.self).reshaped(to: [images.shape[0], 784])
        return Dataset(features: features, labels: values)
    }

    /// The path of `name` or `name.gz` in `directory`, or an error saying how to install the data.
    static func locate(_ name: String, in directory: String) throws -> String {
        for candidate in ["\(directory)/\(name).gz", "\(directory)/\(name)"]
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        let hint = directory == defaultDirectory
            ? "install it with: \(installCommand)"
            : "give a folder with the Fashion-MNIST IDX files, or install them with: \(installCommand)"
        throw DataError(path: "\(directory)/\(name).gz", reason: "Fashion-MNIST file not found; \(hint)")
    }
}
