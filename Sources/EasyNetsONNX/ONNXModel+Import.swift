import EasyNets

extension ONNXModel {
    /// The extents of the graph's first input that is not an initializer, `nil` for a symbolic
    /// one (the batch axis), or an empty array when the graph has no input.
    public var inputShape: [Int?] {
        let initializers = Set(proto.graph.initializer.map(\.name))
        guard let input = proto.graph.input.first(where: { !initializers.contains($0.name) }) else { return [] }
        return input.type.tensorType.shape.dim.map { dim in
            if case .dimValue(let extent)? = dim.value, extent >= 0, extent <= Int64(Int32.max) { return Int(extent) }
            return nil
        }
    }

    /// The model as an EasyNets model description and its state dict under PyTorch's names
    /// (`0.weight`, `3.running_mean`), with the description in the metadata (`model`) as
    /// ``Layer/saveState(toFile:)`` writes it, so the state is a checkpoint the `easynets` tool reads.
    ///
    /// The graph must be a chain of supported operators from its one input to its one output,
    /// with residual connections around parts of it: `Gemm` and `MatMul` become `linear`; `Conv`
    /// and `ConvTranspose` become `conv2d`, `conv1d`, `convTranspose2d` or `convTranspose1d`;
    /// `Add`, `Sub`, `Mul` and `Div` by constants after those and the normalizations fold into
    /// their weight and bias; `Add(x, f(x))` becomes `residual`; `BatchNormalization`,
    /// `LayerNormalization`, the activations, pools, `Flatten`, `Reshape` (flattening trailing
    /// axes), `Transpose` (`permute`), `LSTM` and `GRU` (`recurrent`, their gates reordered to
    /// PyTorch's, consecutive ones stacked into one layer and a batch-first pair of transposes
    /// folded into it); an elementwise formula (GELU spelled out with `Erf`, SiLU as x·`Sigmoid`(x))
    /// becomes the activation whose values it gives; `Dropout` and `Identity` vanish; shape
    /// arithmetic on constants (`Shape`, `Gather`, `Unsqueeze`, `Concat`, `Constant`,
    /// `ConstantOfShape`) is folded. The input's batch axis may be symbolic; every other extent
    /// must be fixed.
    ///
    /// Throws ``ONNXError`` naming the node (name and operator) for an unsupported operator,
    /// attribute or dynamic shape, with the list of what is supported.
    public func importedModel() throws -> (description: ModelDescription, state: SafeTensorsFile) {
        var importer = try ONNXImporter(try ONNXGraphContents(proto, source: source))
        return try importer.run()
    }

    /// The model built as a ``Sequential`` of `Scalar` and loaded with the imported state
    /// (``importedModel()``), in training mode as every new model is; call ``Layer/eval()`` to
    /// compute what the exporting framework computes in inference.
    public func importedSequential<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) throws -> Sequential<Scalar> {
        let (description, state) = try importedModel()
        do {
            return try Sequential<Scalar>(description, loadingStateFrom: state, path: source)
        } catch let error as ModelDescriptionError {
            throw ONNXError(location: source, reason: error.description)
        } catch let error as CheckpointError {
            throw ONNXError(location: source, reason: "the imported parameters do not fit the layers: \(error)")
        }
    }
}
