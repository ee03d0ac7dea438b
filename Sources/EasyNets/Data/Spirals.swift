import RealModule

/// Two interleaved spirals in the plane, a classic non-linearly-separable toy problem.
public enum Spirals {
    /// `pointsPerClass` points of each class: class 0 on the spiral r = t/(3π), θ = t for
    /// t ∈ [0.5, 3π], class 1 on the same spiral turned by π, each point moved by Gaussian noise of
    /// standard deviation `noise`.
    ///
    /// - Returns: features (2·pointsPerClass, 2) and labels 0 or 1, classes alternating.
    public static func make<Scalar: TensorScalar>(
        pointsPerClass: Int, noise: Double = 0.02, seed: UInt64 = 0, as: Scalar.Type = Scalar.self
    ) -> (features: Tensor<Scalar>, labels: [Int]) {
        require(pointsPerClass > 1, "Spirals.make: needs at least 2 points per class")
        var generator = RandomGenerator(seed: seed)
        var values: [Scalar] = []
        var labels: [Int] = []
        let turns = 3 * Double.pi
        for i in 0..<pointsPerClass {
            let t = 0.5 + (turns - 0.5) * Double(i) / Double(pointsPerClass - 1)
            let r = t / turns
            for label in 0..<2 {
                let angle = t + Double(label) * Double.pi
                values.append(Scalar(r * Double.cos(angle) + noise * generator.nextNormal()))
                values.append(Scalar(r * Double.sin(angle) + noise * generator.nextNormal()))
                labels.append(label)
            }
        }
        return (Tensor(values, shape: [2 * pointsPerClass, 2]), labels)
    }
}
