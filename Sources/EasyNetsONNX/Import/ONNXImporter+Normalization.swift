import EasyNets

/// Normalization layers, and the operators that only move or regroup the data's axes.
extension ONNXImporter {
    mutating func batchNormalization(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        guard (int(node, "training_mode") ?? 0) == 0 else {
            throw ONNXError(location: location, reason: "BatchNormalization in training mode is not supported")
        }
        guard (2...4).contains(value.shape.count), value.batchAxis == 0 else {
            throw ONNXError(location: location, reason: "BatchNormalization is supported on (N, C), (N, C, L) and (N, C, H, W), the input has shape \(value.shape)")
        }
        let features = value.shape[1]
        var state: [String: Tensor<Float>] = [:]
        for (index, name) in [(1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")] {
            let tensor = try constantInput(node, index, "BatchNormalization's \(name)", location: location)
            guard tensor.shape == [features] else {
                throw ONNXError(location: location, reason: "BatchNormalization's \(name) has shape \(tensor.shape); \(features) channels need [\(features)]")
            }
            state[name] = tensor.tensor
        }
        state["num_batches_tracked"] = Tensor([0], shape: [])
        let epsilon = Self.decimal(float(node, "epsilon") ?? 1e-5)
        // ONNX keeps (1 - PyTorch's momentum) of the running statistics.
        let momentum = ((1 - Self.decimal(float(node, "momentum") ?? 0.9)) * 1e6).rounded() / 1e6
        let description: any LayerDescription = value.shape.count == 4
            ? BatchNorm2dDescription(featureCount: features, epsilon: epsilon, momentum: momentum)
            : BatchNorm1dDescription(featureCount: features, epsilon: epsilon, momentum: momentum)
        return try append(description, value, state: state, integerState: ["num_batches_tracked"], location: location)
    }

    mutating func layerNormalization(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let rank = value.shape.count
        let axis = Int(clamping: int(node, "axis") ?? -1)
        let start = axis < 0 ? axis + rank : axis
        guard start >= 1, start < rank, value.batchAxis < start else {
            throw ONNXError(location: location, reason: "LayerNormalization's axis \(axis) must leave the batch axis out, the input has shape \(value.shape)")
        }
        let normalizedShape = Array(value.shape[start...])
        guard let count = InputLimits.elementCount(normalizedShape) else {
            throw ONNXError(location: location, reason: "LayerNormalization's normalized shape \(normalizedShape) overflows")
        }
        let scale = try constantInput(node, 1, "LayerNormalization's scale", location: location)
        guard scale.count == count, scale.shape.count <= normalizedShape.count else {
            throw ONNXError(location: location, reason: "LayerNormalization's scale has shape \(scale.shape); it must have \(count) values (shape \(normalizedShape))")
        }
        var bias = [Float](repeating: 0, count: count)
        if input(node, 2) != nil {
            let b = try constantInput(node, 2, "LayerNormalization's bias", location: location)
            guard b.count == count else { throw ONNXError(location: location, reason: "LayerNormalization's bias has \(b.count) values, \(count) expected") }
            bias = b.floats
        }
        let state = ["weight": Tensor(scale.floats, shape: normalizedShape), "bias": Tensor(bias, shape: normalizedShape)]
        let description = LayerNormDescription(normalizedShape: normalizedShape, epsilon: Self.decimal(float(node, "epsilon") ?? 1e-5))
        return try append(description, value, state: state, location: location)
    }

    mutating func transpose(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let rank = value.graphShape.count
        let perm = ints(node, "perm") ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else {
            throw ONNXError(location: location, reason: "Transpose's perm \(perm) is not a permutation of the \(rank) axes")
        }
        switch value.layout {
        case .recurrent(let d, let h):
            guard perm == [0, 2, 1, 3] else {
                throw ONNXError(location: location, reason: "only Transpose with perm [0, 2, 1, 3] of an LSTM or GRU output is supported")
            }
            return ONNXActivation(shape: value.shape, batchAxis: 1, layout: .recurrentTransposed(directions: d, hidden: h))
        case .recurrentTransposed:
            throw ONNXError(location: location, reason: "this Transpose of an LSTM or GRU output is not supported; a Reshape to (L, N, D·H) must come first")
        case .plain:
            if perm == Array(0..<rank) { return value }
            var result = try append(PermuteDescription(axes: perm), value, location: location)
            result.batchAxis = perm.firstIndex(of: value.batchAxis) ?? 0
            return result
        }
    }

    /// A reshape that flattens trailing axes becomes a `flatten` layer; the reshape of a
    /// recurrent node's transposed output to (L, N, D·H) is what the recurrent layer gives already.
    mutating func reshape(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let shape = value.graphShape
        let batchAxis: Int
        switch value.layout {
        case .plain: batchAxis = value.batchAxis
        case .recurrent: batchAxis = 2
        case .recurrentTransposed: batchAxis = 1
        }
        let target: [ONNXDim]
        switch input(node, 1) {
        case .dims(let dims, let scalar)? where !scalar: target = dims
        case .constant(let constant)? where constant.shape.count == 1: target = constant.integers.map { .fixed($0) }
        default: throw ONNXError(location: location, reason: "Reshape's shape must be a 1-D constant or folded from the input's shape")
        }
        let allowZero = (int(node, "allowzero") ?? 0) != 0
        // The new shape, with the batch extent's axis found from 0 (copy), the batch entry or a fixed batch.
        var result: [Int] = []
        var newBatchAxis: Int?
        var inferred: Int?
        for (axis, dim) in target.enumerated() {
            switch dim {
            case .batch:
                newBatchAxis = axis
                result.append(shape[batchAxis])
            case .fixed(0) where !allowZero:
                guard axis < shape.count else { throw ONNXError(location: location, reason: "Reshape copies axis \(axis), which the input (shape \(shape)) does not have") }
                if axis == batchAxis { newBatchAxis = axis }
                result.append(shape[axis])
            case .fixed(-1):
                guard inferred == nil else { throw ONNXError(location: location, reason: "Reshape's shape has two -1 entries") }
                inferred = axis
                result.append(1)
            case .fixed(let extent):
                guard extent >= 0, extent <= Int64(Int32.max) else { throw ONNXError(location: location, reason: "Reshape's shape has the entry \(extent)") }
                if fixedBatch && axis == 0 && Int(extent) == batchExtent && batchAxis == 0 { newBatchAxis = 0 }
                result.append(Int(extent))
            }
        }
        guard let total = InputLimits.elementCount(shape), let known = InputLimits.elementCount(result) else {
            throw ONNXError(location: location, reason: "Reshape's sizes overflow")
        }
        if let inferred {
            guard known > 0, total % known == 0 else { throw ONNXError(location: location, reason: "Reshape cannot give \(total) values the shape \(target)") }
            result[inferred] = total / known
        }
        guard InputLimits.elementCount(result) == total else {
            throw ONNXError(location: location, reason: "Reshape to \(result) does not keep the input's \(total) values (shape \(shape))")
        }
        guard let newBatchAxis else {
            throw ONNXError(location: location, reason: "Reshape's shape fixes the batch extent; a reshape must keep the batch axis (0 or the input's own batch extent)")
        }
        switch value.layout {
        case .recurrentTransposed(let d, let h):
            guard result == [shape[0], shape[1], d * h], newBatchAxis == 1 else {
                throw ONNXError(location: location, reason: "only a Reshape of an LSTM or GRU output to (L, N, D·H) is supported")
            }
            return ONNXActivation(shape: value.shape, batchAxis: 1, layout: .plain)
        case .recurrent:
            throw ONNXError(location: location, reason: "a Reshape of an LSTM or GRU output must follow its Transpose")
        case .plain:
            guard batchAxis == 0, newBatchAxis == 0 else {
                throw ONNXError(location: location, reason: "only reshapes that keep the batch axis first are supported")
            }
            if result == shape { return value }
            for start in 1..<max(shape.count, 2) where Array(shape.prefix(start)) == Array(result.prefix(start)) && result.count == start + 1 {
                return try append(FlattenDescription(startAxis: start), value, location: location)
            }
            throw ONNXError(location: location, reason: "Reshape from \(shape) to \(result) is not supported; supported: reshapes that flatten trailing axes")
        }
    }
}
