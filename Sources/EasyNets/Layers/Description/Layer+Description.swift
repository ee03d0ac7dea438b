import Foundation

extension Layer {
    /// This model's description, or an error naming the first layer (by its dotted path) that the
    /// description format does not cover, such as a custom layer.
    public func describe() throws -> ModelDescription {
        try describe(self, path: "")
    }

    private func describe(_ layer: any Layer<Scalar>, path: String) throws -> ModelDescription {
        func child(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
        if let sequential = layer as? Sequential<Scalar> {
            return .sequential(layers: try sequential.layers.enumerated().map { try describe($1, path: child(String($0))) })
        }
        if let residual = layer as? Residual<Scalar> {
            return .residual(block: try describe(residual.block, path: child("block")))
        }
        guard let description = layer.layerDescription else {
            throw ModelDescriptionError(layer: path.isEmpty ? "the model" : "layer \(path)",
                                        reason: "\(layer.summaryName) cannot be described; only the library's layers can")
        }
        return description
    }
}

extension Sequential {
    /// The model `description` describes (a `.sequential` description), weights drawn from a
    /// generator seeded with `seed`, the k-th dropout layer seeded with `seed + 1000 + k`. Throws for
    /// a description that is not a sequence or that ``ModelDescription/problem(scalarSize:)`` rejects.
    public convenience init(_ description: ModelDescription, seed: UInt64 = 0) throws {
        guard case .sequential = description else {
            throw ModelDescriptionError(layer: "the model", reason: "the outermost layer must be a sequential model")
        }
        if let problem = description.problem(scalarSize: MemoryLayout<Scalar>.size) {
            throw ModelDescriptionError(layer: "the model", reason: problem)
        }
        var generator = RandomGenerator(seed: seed)
        var dropoutSeed = seed &+ 1000
        self.init(description.makeSequential(as: Scalar.self, using: &generator, dropoutSeed: &dropoutSeed).layers)
    }
}


extension ModelDescription {
    /// The description a checkpoint or state dict carries, or `nil` when it carries none (a state
    /// dict exported from PyTorch, say): every file EasyNets writes for a model of the library's
    /// layers carries one (metadata `model`); files from earlier versions of `easynets train`
    /// carry an MLP configuration (`extra.model`). Validated as ``init(json:source:)`` does, so a
    /// command checks it against its data and the memory limit before any layer exists.
    public init?(checkpoint file: SafeTensorsFile, path: String = "<memory>") throws {
        if let json = file.metadata["model"] {
            try self.init(json: Array(json.utf8), source: path)
        } else if let legacy = file.metadata["extra.model"] {
            self = try MultilayerPerceptron.Configuration(json: legacy, path: path).modelDescription
        } else {
            return nil
        }
    }

    /// The number of class scores the model gives for `data`'s examples (for value targets, the
    /// values it gives per example), or an error naming `modelSource` and `dataName` when the
    /// model cannot take them (another feature count, or features that are not indices of a
    /// leading ``Embedding``), when the data's labels go beyond its classes, or when its output
    /// does not have the shape of the data's value targets: the check that a model fits a
    /// dataset, made before the model is built.
    @discardableResult
    public func checkFits<Scalar: TensorScalar>(_ data: Dataset<Scalar>, modelSource: String, dataName: String) throws -> Int {
        let output: [Int]
        if case .sequential(let layers) = self, let count = layers.first?.layer(as: EmbeddingDescription.self)?.count,
           let bad = data.features.scalars.first(where: { !($0 >= 0 && $0 < Scalar(count) && $0.rounded() == $0) }) {
            throw ModelDescriptionError(layer: modelSource, reason: "the model starts with an embedding of \(count) rows, "
                                        + "but \(dataName) has the feature value \(bad), which is not a row index")
        }
        // Batches of two and three: a shape that fits one batch size only (LayerNorm over the batch
        // axis, say) fails for the other.
        do {
            output = try outputShape(for: [2] + data.exampleShape)
            let other = try outputShape(for: [3] + data.exampleShape)
            guard other.dropFirst() == output.dropFirst(), other.first == 3, output.first == 2 else {
                throw ModelDescriptionError(layer: "the model", reason: "its output shape depends on the batch size "
                                            + "(\(output) for a batch of 2, \(other) for 3)")
            }
        } catch let error as ModelDescriptionError {
            throw ModelDescriptionError(layer: modelSource, reason: "the model cannot take the "
                                        + (data.features.rank == 2 ? "\(data.featureCount) features" : "examples of shape \(data.exampleShape)")
                                        + " of \(dataName): \(error)")
        }
        if case .values = data.targets {
            guard Array(output.dropFirst()) == data.labelShape else {
                throw ModelDescriptionError(layer: modelSource, reason: "the model gives outputs of shape \(Array(output.dropFirst())) "
                                            + "per example, but the targets of \(dataName) are values of shape \(data.labelShape) per example")
            }
            return output.dropFirst().reduce(1, *)
        }
        guard output.count == 2 + data.labelShape.count, Array(output.dropFirst(2)) == data.labelShape else {
            let expected = "(N, classes" + data.labelShape.map { ", \($0)" }.joined() + ")"
            throw ModelDescriptionError(layer: modelSource, reason: "the model gives scores of shape \(output.dropFirst()) per batch "
                                        + "(after the batch axis), but the labels of \(dataName) need scores \(expected)")
        }
        guard data.classCount <= output[1] else {
            throw ModelDescriptionError(layer: modelSource, reason: "the model gives \(output[1]) class scores, "
                                        + "but \(dataName) has labels up to \(data.classCount - 1)")
        }
        return output[1]
    }
}

extension Sequential {
    /// The model `description` describes, loaded with the weights of `file` (under `model.` in a
    /// training checkpoint, at the top level in a state dict); `path` names the file in errors.
    public convenience init(_ description: ModelDescription, loadingStateFrom file: SafeTensorsFile, path: String = "<memory>") throws {
        do { try self.init(description) } catch let error as ModelDescriptionError {
            throw ModelDescriptionError(layer: path, reason: error.description)
        }
        let prefix = file.metadata["format"] == "easynets-training-checkpoint" ? "model." : ""
        try loadState(from: file, prefix: prefix, path: path)
    }

    /// The model a checkpoint or state dict describes (``ModelDescription/init(checkpoint:path:)``),
    /// rebuilt and loaded with its weights, or `nil` when the file carries no description.
    public static func loadModel(from file: SafeTensorsFile, path: String = "<memory>") throws -> Sequential? {
        guard let description = try ModelDescription(checkpoint: file, path: path) else { return nil }
        return try Sequential(description, loadingStateFrom: file, path: path)
    }
}
