/// Random changes to training images that keep their class, applied by a ``DataLoader`` to each
/// example of each batch with draws from the loader's seeded generator, so an epoch (and a resumed
/// one) sees the same changes every run.
public struct ImageAugmentation: Sendable, Equatable {
    /// Shifts each image by up to this many pixels along each axis, filling with zeros: a random
    /// crop of the image padded by this much on every side.
    public var maximumShift: Int
    /// Mirrors each image left to right with probability ½.
    public var horizontalFlip: Bool

    /// An augmentation of random shifts up to `maximumShift` pixels and optional horizontal flips.
    public init(maximumShift: Int = 0, horizontalFlip: Bool = false) {
        require(maximumShift >= 0, "ImageAugmentation: maximumShift must not be negative, got \(maximumShift)")
        (self.maximumShift, self.horizontalFlip) = (maximumShift, horizontalFlip)
    }

    /// One example's draw: its shift along height and width, and whether it is mirrored.
    struct Draw: Equatable {
        var dy: Int, dx: Int, flip: Bool
    }

    func draw(using generator: inout RandomGenerator) -> Draw {
        let span = UInt64(2 * maximumShift + 1)
        let dy = maximumShift > 0 ? Int(generator.next() % span) - maximumShift : 0
        let dx = maximumShift > 0 ? Int(generator.next() % span) - maximumShift : 0
        return Draw(dy: dy, dx: dx, flip: horizontalFlip && generator.next() & 1 == 1)
    }

    /// Image i of `images` (N, C, H, W) moved by `draws[i]`: output (y, x) reads input
    /// (y + dy, x′ + dx), x′ mirrored when flipped, 0 outside the image.
    @inline(never)
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func apply<Scalar: TensorScalar>(_ draws: [Draw], to images: Tensor<Scalar>) -> Tensor<Scalar> {
        let (channels, height, width) = (images.shape[1], images.shape[2], images.shape[3])
        let result = Tensor<Scalar>.zeros(images.shape)
        let source = images.storage.base, target = result.storage.base
        for (i, draw) in draws.enumerated() {
            for c in 0..<channels {
                let plane = (i * channels + c) * height * width
                for y in 0..<height {
                    let sy = y + draw.dy
                    guard sy >= 0 && sy < height else { continue }
                    for x in 0..<width {
                        let sx = (draw.flip ? width - 1 - x : x) + draw.dx
                        if sx >= 0 && sx < width { target[plane + y * width + x] = source[plane + sy * width + sx] }
                    }
                }
            }
        }
        return result
    }
}

