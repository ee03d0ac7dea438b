import EasyNets

/// Folding nodes whose inputs are all known: constants, and the shape arithmetic PyTorch emits
/// around `Shape` of the data (where entries stand for the batch extent).
extension ONNXImporter {
    mutating func fold(_ node: Onnx_NodeProto, location: String) throws {
        let result: ONNXSymbol
        switch node.opType {
        case "Constant": result = .constant(try constantAttribute(node, location: location))
        case "Identity":
            guard let value = input(node, 0) else { throw ONNXError(location: location, reason: "Identity needs an input") }
            result = value
        case "Shape": result = try shape(node, location: location)
        case "Gather": result = try gather(node, location: location)
        case "Unsqueeze": result = try unsqueeze(node, location: location)
        case "Concat": result = try concat(node, location: location)
        case "ConstantOfShape":
            let value = node.attribute.first { $0.name == "value" }
            if let value, value.hasT {
                let constant = try ONNXConstant(value.t, location: location)
                guard constant.count == 1, constant.floats[0] == 0 else {
                    throw ONNXError(location: location, reason: "only ConstantOfShape with value 0 is supported (initial states of recurrent layers)")
                }
            }
            guard input(node, 0) != nil else { throw ONNXError(location: location, reason: "ConstantOfShape needs a shape") }
            result = .zeros
        case "Expand":
            guard case .constant(let value)? = input(node, 0), value.floats.allSatisfy({ $0 == 0 }) else {
                throw ONNXError(location: location, reason: "only Expand of zeros is supported (initial states of recurrent layers)")
            }
            result = .zeros
        case "Slice": result = try slice(node, location: location)
        case "Transpose": result = try transpose(node, location: location)
        default:
            throw ONNXError(location: location, reason: "operator \(node.opType) on constants is not supported; \(Self.supportedOperators)")
        }
        guard let output = node.output.first, !output.isEmpty else { throw ONNXError(location: location, reason: "the node has no output") }
        try requireOnlyFirstOutputUsed(node, location: location)
        symbols[output] = result
    }

    private func constantAttribute(_ node: Onnx_NodeProto, location: String) throws -> ONNXConstant {
        guard node.attribute.count == 1, let attribute = node.attribute.first else {
            throw ONNXError(location: location, reason: "Constant needs exactly one attribute")
        }
        switch attribute.name {
        case "value": return try ONNXConstant(attribute.t, location: "\(location), attribute \"value\"")
        case "value_float": return ONNXConstant(shape: [], values: .floats([attribute.f]))
        case "value_floats": return ONNXConstant(shape: [attribute.floats.count], values: .floats(attribute.floats))
        case "value_int": return ONNXConstant(shape: [], values: .ints([attribute.i]))
        case "value_ints": return ONNXConstant(shape: [attribute.ints.count], values: .ints(attribute.ints))
        default:
            throw ONNXError(location: location, reason: "Constant's attribute \"\(attribute.name)\" is not supported; supported: value, value_float(s), value_int(s)")
        }
    }

    /// The graph's shape of the data, the batch entry symbolic unless the input fixes it.
    private func shape(_ node: Onnx_NodeProto, location: String) throws -> ONNXSymbol {
        let dims: [ONNXDim]
        var symbol = input(node, 0)
        // An elementwise function has its data's shape.
        if case .elementwise(let function)? = symbol { symbol = symbols[function.base] }
        switch symbol {
        case .activation(let value)?:
            let batchAxis: Int
            switch value.layout {
            case .plain: batchAxis = value.batchAxis
            case .recurrent: batchAxis = 2
            case .recurrentTransposed: batchAxis = 1
            }
            dims = value.graphShape.enumerated().map { axis, extent in axis == batchAxis && !fixedBatch ? .batch : .fixed(Int64(extent)) }
        case .constant(let value)?: dims = value.shape.map { .fixed(Int64($0)) }
        default: throw ONNXError(location: location, reason: "Shape of this value is not supported")
        }
        let rank = dims.count
        func clamp(_ axis: Int64) -> Int { Int(max(0, min(Int64(rank), axis < 0 ? axis + Int64(rank) : axis))) }
        let start = clamp(node.attribute.first { $0.name == "start" }?.i ?? 0)
        let end = clamp(node.attribute.first { $0.name == "end" }?.i ?? Int64(rank))
        return Self.symbol(start < end ? Array(dims[start..<end]) : [], scalar: false)
    }

    /// `dims` as a constant when no entry is the batch extent.
    private static func symbol(_ dims: [ONNXDim], scalar: Bool) -> ONNXSymbol {
        var fixed: [Int64] = []
        for dim in dims {
            guard case .fixed(let value) = dim else { return .dims(dims, scalar: scalar) }
            fixed.append(value)
        }
        return .constant(ONNXConstant(shape: scalar ? [] : [fixed.count], values: .ints(fixed)))
    }

    /// The entries of a 1-D vector of integers or dims, and whether it is a scalar.
    private func vector(_ symbol: ONNXSymbol?, location: String) throws -> (dims: [ONNXDim], scalar: Bool)? {
        switch symbol {
        case .dims(let dims, let scalar)?: return (dims, scalar)
        case .constant(let value)? where value.shape.count <= 1:
            guard case .ints(let ints) = value.values else { return nil }
            return (ints.map { .fixed($0) }, value.shape.isEmpty)
        default: return nil
        }
    }

    private func gather(_ node: Onnx_NodeProto, location: String) throws -> ONNXSymbol {
        let axis = node.attribute.first { $0.name == "axis" }?.i ?? 0
        let indices = try constantInput(node, 1, "Gather's indices", location: location)
        guard let data = try vector(input(node, 0), location: location), axis == 0 || axis == -1, indices.shape.count <= 1 else {
            throw ONNXError(location: location, reason: "only Gather of entries of a 1-D integer vector (shape arithmetic) is supported")
        }
        var gathered: [ONNXDim] = []
        for index in indices.integers {
            let position = index < 0 ? index + Int64(data.dims.count) : index
            guard position >= 0 && position < Int64(data.dims.count) else {
                throw ONNXError(location: location, reason: "index \(index) is out of range for \(data.dims.count) entries")
            }
            gathered.append(data.dims[Int(position)])
        }
        return Self.symbol(gathered, scalar: indices.shape.isEmpty)
    }

    private func unsqueeze(_ node: Onnx_NodeProto, location: String) throws -> ONNXSymbol {
        let axes = try node.input.count > 1 ? constantInput(node, 1, "Unsqueeze's axes", location: location).integers
            : (node.attribute.first { $0.name == "axes" }?.ints ?? [])
        if let data = try vector(input(node, 0), location: location), data.scalar, axes == [0] || axes == [-1] {
            return Self.symbol(data.dims, scalar: false)
        }
        guard case .constant(var value)? = input(node, 0) else {
            throw ONNXError(location: location, reason: "only Unsqueeze of constants and of a scalar of shape arithmetic is supported")
        }
        let rank = value.shape.count + axes.count
        let positions = Set(axes.map { $0 < 0 ? Int($0) + rank : Int($0) })
        guard rank <= 64, positions.count == axes.count, positions.allSatisfy({ (0..<rank).contains($0) }) else {
            throw ONNXError(location: location, reason: "Unsqueeze's axes \(axes) are not valid for shape \(value.shape)")
        }
        var extents = value.shape.makeIterator()
        value.shape = (0..<rank).map { positions.contains($0) ? 1 : extents.next() ?? 1 }
        return .constant(value)
    }

    private func concat(_ node: Onnx_NodeProto, location: String) throws -> ONNXSymbol {
        let axis = node.attribute.first { $0.name == "axis" }?.i ?? 0
        var dims: [ONNXDim] = []
        for index in node.input.indices {
            guard axis == 0 || axis == -1, let part = try vector(input(node, index), location: location), !part.scalar else {
                throw ONNXError(location: location, reason: "only Concat of 1-D integer vectors (shape arithmetic) is supported")
            }
            dims += part.dims
        }
        return Self.symbol(dims, scalar: false)
    }

    /// A constant with its axes permuted (a weight transposed for `MatMul`).
    private func transpose(_ node: Onnx_NodeProto, location: String) throws -> ONNXSymbol {
        guard case .constant(let value)? = input(node, 0) else {
            throw ONNXError(location: location, reason: "only Transpose of constants is folded")
        }
        let rank = value.shape.count
        let perm = node.attribute.first { $0.name == "perm" }?.ints.map(Int.init) ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else {
            throw ONNXError(location: location, reason: "Transpose's perm \(perm) is not a permutation of the \(rank) axes of shape \(value.shape)")
        }
        let shape = perm.map { value.shape[$0] }
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * value.shape[axis + 1] }
        var order: [Int] = []
        order.reserveCapacity(value.count)
        var index = [Int](repeating: 0, count: rank)
        for _ in 0..<value.count {
            order.append(zip(index, perm).reduce(0) { $0 + $1.0 * strides[$1.1] })
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        switch value.values {
        case .floats(let v): return .constant(ONNXConstant(shape: shape, values: .floats(order.map { v[$0] })))
        case .ints(let v): return .constant(ONNXConstant(shape: shape, values: .ints(order.map { v[$0] })))
        }
    }

    private func slice(_ node: Onnx_NodeProto, location: String) throws -> ONNXSymbol {
        if case .zeros? = input(node, 0) { return .zeros }
        guard let data = try vector(input(node, 0), location: location), !data.scalar else {
            throw ONNXError(location: location, reason: "only Slice of zeros or of a 1-D integer vector (shape arithmetic) is supported")
        }
        let starts = try constantInput(node, 1, "Slice's starts", location: location).integers
        let ends = try constantInput(node, 2, "Slice's ends", location: location).integers
        let axes = try input(node, 3) != nil ? constantInput(node, 3, "Slice's axes", location: location).integers : [0]
        let steps = try input(node, 4) != nil ? constantInput(node, 4, "Slice's steps", location: location).integers : [1]
        guard starts.count == 1, ends.count == 1, axes == [0] || axes == [-1], steps == [1] else {
            throw ONNXError(location: location, reason: "only a Slice of one range with step 1 of a 1-D vector is supported")
        }
        let count = Int64(data.dims.count)
        func clamp(_ value: Int64) -> Int { Int(max(0, min(count, value < 0 ? max(value, -count) + count : value))) }
        let (start, end) = (clamp(starts[0]), clamp(ends[0]))
        return Self.symbol(start < end ? Array(data.dims[start..<end]) : [], scalar: false)
    }
}
