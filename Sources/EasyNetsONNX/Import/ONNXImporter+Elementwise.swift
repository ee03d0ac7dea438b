import EasyNets
import Foundation

/// An elementwise function of one activation, built node by node until a node that is not
/// elementwise reads it: the spelled-out form of an activation (GELU's `Div`, `Erf`, `Add` and
/// `Mul`; SiLU's `Mul` of the data by its `Sigmoid`), identified then by its values.
struct ONNXElementwise {
    /// The activation it is a function of.
    var base: String
    /// The function, evaluated in Double.
    var function: (Double) -> Double
    /// The layer, when the function is one activation operator applied to the base itself.
    var layer: (any LayerDescription)?
    /// The nodes that make it up, for error messages.
    var nodes: [String]
    /// How many times its nodes read the base: when that is every read of the base in the graph,
    /// the formula is complete, and a node that reads it starts a new one if it is an activation.
    var baseReads: Int
}

/// Elementwise operators: activations, the arithmetic of spelled-out activations, scales and
/// biases folded into the layer before, and residual connections.
extension ONNXImporter {
    static let unaryOperators: Set = ["Relu", "LeakyRelu", "Elu", "Selu", "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "Softsign", "Gelu",
                                      "Erf", "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal"]
    static let binaryOperators: Set = ["Add", "Sub", "Mul", "Div", "Pow"]
    /// The most nodes an elementwise formula may have (a formula is evaluated as nested closures).
    static let formulaNodeLimit = 64

    /// The activation layers a spelled-out formula is compared with, and their functions.
    private static func activationCandidates() -> [(layer: any LayerDescription, function: (Double) -> Double)] {
        let seluAlpha = 1.6732632423543772848170429916717, seluScale = 1.0507009873554804934193349852946
        return [
            (ReLUDescription(), { max($0, 0) }),
            (LeakyReLUDescription(), { $0 > 0 ? $0 : 0.01 * $0 }),
            (ELUDescription(), { $0 > 0 ? $0 : expm1($0) }),
            (SELUDescription(), { seluScale * ($0 > 0 ? $0 : seluAlpha * expm1($0)) }),
            (SigmoidDescription(), sigmoid),
            (HardSigmoidDescription(), { min(max($0 / 6 + 0.5, 0), 1) }),
            (TanhDescription(), { tanh($0) }),
            (SoftplusDescription(), softplus),
            (GELUDescription(), gelu),
            (GELUDescription(tanhApproximation: true), geluTanh),
            (SiLUDescription(), { $0 * sigmoid($0) }),
            (MishDescription(), { $0 * tanh(softplus($0)) }),
        ]
    }

    private static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
    private static func softplus(_ x: Double) -> Double { x > 30 ? x : log1p(exp(x)) }
    private static func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.squareRoot())) }
    private static func geluTanh(_ x: Double) -> Double { 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }

    /// The activation whose function agrees with `function` on a grid over [-8, 8] within a
    /// relative 1e-5 (the constants of a spelled-out formula are Float), or `nil`.
    static func activation(matching function: (Double) -> Double) -> (any LayerDescription)? {
        let points = (0...128).map { Double($0) / 8 - 8 }
        let values = points.map(function)
        guard values.allSatisfy(\.isFinite) else { return nil }
        return activationCandidates().first { candidate in
            zip(points, values).allSatisfy { x, value in
                let expected = candidate.function(x)
                return abs(value - expected) <= 1e-5 * max(1, abs(expected))
            }
        }?.layer
    }

    /// An operator on the data that works element by element: a fold into the layer before, a
    /// step of a spelled-out activation, or a residual connection.
    mutating func importElementwise(_ node: Onnx_NodeProto, location: String) throws {
        guard let output = node.output.first, !output.isEmpty else { throw ONNXError(location: location, reason: "the node has no output") }
        try requireOnlyFirstOutputUsed(node, location: location)
        // A complete formula that computes an activation becomes its layer before another begins
        // (ELU then SELU are two layers, while the Sigmoid inside SiLU is not one).
        for name in node.input {
            if case .elementwise(let formula)? = symbols[name], formula.base == tip, formula.baseReads >= readers[formula.base, default: 0],
               formula.layer != nil || Self.activation(matching: formula.function) != nil {
                try materialize(name, location: location)
            }
        }
        let label = "\"\(node.name)\" (\(node.opType))"
        let arity = Self.unaryOperators.contains(node.opType) ? 1 : 2
        guard node.input.count == arity, node.input.allSatisfy({ !$0.isEmpty }) else {
            throw ONNXError(location: location, reason: "\(node.opType) needs \(arity) inputs, the node has \(node.input.count)")
        }
        if arity == 1 {
            let operand = try elementwiseOperand(node.input[0], location: location)
            let (unary, layer) = try Self.unaryFunction(node, location: location)
            let inner = operand.function
            symbols[output] = .elementwise(ONNXElementwise(base: operand.base, function: { unary(inner($0)) }, layer: operand.nodes.isEmpty ? layer : nil,
                                                           nodes: operand.nodes + [label], baseReads: operand.baseReads))
            return
        }
        let data = node.input.map { name -> Bool in
            switch symbols[name] { case .activation?, .elementwise?: return true; default: return false }
        }
        if data[0] && data[1] {
            let (a, b) = (try elementwiseOperand(node.input[0], location: location), try elementwiseOperand(node.input[1], location: location))
            if a.base != b.base {
                // x + f(x), f the chain of layers from x: a residual connection.
                guard node.opType == "Add" else {
                    throw ONNXError(location: location, reason: "\(node.opType) of two different values (\"\(node.input[0])\" and \"\(node.input[1])\") is not supported; "
                                    + "supported: Add as a residual connection x + f(x)")
                }
                for name in node.input { if case .elementwise? = symbols[name] { try materialize(name, location: location) } }
                let skip = node.input[0] == tip ? node.input[1] : node.input[0]
                try residual(skip: skip, output: output, location: location)
                return
            }
            let combine = Self.binaryFunction(node.opType)
            let (f, g) = (a.function, b.function)
            symbols[output] = .elementwise(ONNXElementwise(base: a.base, function: { combine(f($0), g($0)) }, layer: nil,
                                                           nodes: a.nodes + b.nodes + [label], baseReads: a.baseReads + b.baseReads))
            return
        }
        let dataIndex = data[0] ? 0 : 1
        let constant = try constantInput(node, 1 - dataIndex, "\(node.opType)'s other operand", location: location)
        if case .activation(let value)? = symbols[node.input[dataIndex]], node.opType != "Pow",
           try foldAffine(node, value, constant: constant, constantFirst: dataIndex == 1, output: output, location: location) {
            return
        }
        guard constant.count == 1, constant.shape.count <= 8 else {
            throw ONNXError(location: location, reason: "\(node.opType) by a constant of shape \(constant.shape) is supported only when it folds into the layer just before "
                            + "(Linear, Conv, ConvTranspose, BatchNormalization or LayerNormalization, per output channel or one value, its output read by this node only)")
        }
        let operand = try elementwiseOperand(node.input[dataIndex], location: location)
        let c = Double(constant.floats[0]), f = operand.function, combine = Self.binaryFunction(node.opType)
        let function: (Double) -> Double = dataIndex == 0 ? { combine(f($0), c) } : { combine(c, f($0)) }
        symbols[output] = .elementwise(ONNXElementwise(base: operand.base, function: function, layer: nil, nodes: operand.nodes + [label],
                                                       baseReads: operand.baseReads))
    }

    /// The value `name` as an elementwise function: an activation is the identity of itself.
    private func elementwiseOperand(_ name: String, location: String) throws -> ONNXElementwise {
        switch symbols[name] {
        case .elementwise(let value)?:
            guard value.nodes.count < Self.formulaNodeLimit else {
                throw ONNXError(location: location, reason: "the elementwise formula of \"\(value.base)\" has more than \(Self.formulaNodeLimit) nodes")
            }
            return value
        case .activation(let value)?:
            guard value.layout == .plain else {
                throw ONNXError(location: location, reason: "the output of a recurrent node must go through Squeeze or Transpose and Reshape first, as PyTorch exports it")
            }
            return ONNXElementwise(base: name, function: { $0 }, layer: nil, nodes: [], baseReads: 1)
        default: throw ONNXError(location: location, reason: "\"\(name)\" is not the model's data")
        }
    }

    /// Turns the elementwise function `name` into the activation layer it computes, after the
    /// layers so far; an error names its nodes when it computes none.
    mutating func materialize(_ name: String, location: String) throws {
        guard case .elementwise(let function)? = symbols[name] else { return }
        guard function.base == tip, case .activation(let value)? = symbols[function.base] else {
            throw ONNXError(location: location, reason: "it reads \"\(name)\", a function of \"\(function.base)\", which is not the output of the layer before; "
                            + "the graph must be a chain of layers (branches are not supported)")
        }
        var result: ONNXActivation
        if let layer = function.layer ?? Self.activation(matching: function.function) {
            result = try append(layer, value, location: location)
        } else if Self.isIdentity(function.function) {
            result = value
        } else {
            let names = ["ReLU", "LeakyReLU (0.01)", "ELU", "SELU", "Sigmoid", "HardSigmoid", "Tanh", "Softplus", "GELU", "GELU (tanh)", "SiLU", "Mish"]
            throw ONNXError(location: location, reason: "the nodes \(function.nodes.joined(separator: ", ")) compute a function of \"\(function.base)\" element by element "
                            + "that is none of the supported activations (\(names.joined(separator: ", "))), and they do not fold into the layer before")
        }
        result.position = layers.count
        symbols[name] = .activation(result)
        tip = name
        lastLayerOutput = name
    }

    private static func isIdentity(_ function: (Double) -> Double) -> Bool {
        (0...32).allSatisfy { i in let x = Double(i) / 2 - 8; return abs(function(x) - x) <= 1e-6 * max(1, abs(x)) }
    }

    /// `x + f(x)`, where f is the chain of layers from `skip` to the output of the layer before.
    private mutating func residual(skip: String, output: String, location: String) throws {
        guard case .activation(let input)? = symbols[skip], case .activation(let value)? = symbols[tip], skip != tip,
              input.layout == .plain, value.layout == .plain, input.shape == value.shape, input.batchAxis == value.batchAxis,
              input.position < layers.count else {
            throw ONNXError(location: location, reason: "Add of two values is supported as a residual connection x + f(x), with f(x) the output of the layer before, "
                            + "computed from x by a chain of layers, and of x's shape")
        }
        let block = Array(layers[input.position...])
        layers.removeSubrange(input.position...)
        layers.append(.residual(block))
        symbols[output] = .activation(ONNXActivation(shape: value.shape, batchAxis: value.batchAxis, layout: .plain, position: layers.count))
        tip = output
        lastLayerOutput = output
    }

    // MARK: Functions

    private static func binaryFunction(_ operator: String) -> (Double, Double) -> Double {
        switch `operator` {
        case "Add": return { $0 + $1 }
        case "Sub": return { $0 - $1 }
        case "Mul": return { $0 * $1 }
        case "Div": return { $0 / $1 }
        default: return { pow($0, $1) }
        }
    }

    /// The function of a unary operator, and the layer it is when applied to the data itself.
    private static func unaryFunction(_ node: Onnx_NodeProto, location: String) throws -> (function: (Double) -> Double, layer: (any LayerDescription)?) {
        func attribute(_ name: String, _ fallback: Float) -> Float { node.attribute.first { $0.name == name }?.f ?? fallback }
        switch node.opType {
        case "Relu": return ({ max($0, 0) }, ReLUDescription())
        case "LeakyRelu":
            let alpha = attribute("alpha", 0.01)
            return ({ $0 > 0 ? $0 : Double(alpha) * $0 }, LeakyReLUDescription(negativeSlope: decimal(alpha)))
        case "Elu":
            let alpha = attribute("alpha", 1)
            return ({ $0 > 0 ? $0 : Double(alpha) * expm1($0) }, ELUDescription(alpha: decimal(alpha)))
        case "Selu":
            let alpha = Double(attribute("alpha", 1.67326319217681884765625)), gamma = Double(attribute("gamma", 1.05070102214813232421875))
            let standard = abs(alpha - 1.6732632423543772) < 1e-6 && abs(gamma - 1.0507009873554805) < 1e-6
            return ({ gamma * ($0 > 0 ? $0 : alpha * expm1($0)) }, standard ? SELUDescription() : nil)
        case "Sigmoid": return (sigmoid, SigmoidDescription())
        case "HardSigmoid":
            let alpha = Double(attribute("alpha", 0.2)), beta = Double(attribute("beta", 0.5))
            let pytorch = abs(alpha - 1.0 / 6) < 1e-6 && beta == 0.5
            return ({ min(max(alpha * $0 + beta, 0), 1) }, pytorch ? HardSigmoidDescription() : nil)
        case "Tanh": return ({ tanh($0) }, TanhDescription())
        case "Softplus": return (softplus, SoftplusDescription())
        case "Softsign": return ({ $0 / (1 + abs($0)) }, nil)
        case "Gelu":
            let approximate = node.attribute.first { $0.name == "approximate" }.map { String(decoding: $0.s, as: UTF8.self) } ?? "none"
            guard approximate == "none" || approximate == "tanh" else {
                throw ONNXError(location: location, reason: "Gelu's approximate \"\(approximate)\" is not supported; supported: none, tanh")
            }
            return approximate == "tanh" ? (geluTanh, GELUDescription(tanhApproximation: true)) : (gelu, GELUDescription())
        case "Erf": return ({ erf($0) }, nil)
        case "Exp": return ({ exp($0) }, nil)
        case "Log": return ({ log($0) }, nil)
        case "Neg": return ({ -$0 }, nil)
        case "Abs": return ({ abs($0) }, nil)
        case "Sqrt": return ({ $0.squareRoot() }, nil)
        default: return ({ 1 / $0 }, nil)  // Reciprocal
        }
    }

    // MARK: Folding

    /// `Add`, `Sub`, `Mul` or `Div` of the previous layer's output by a constant (one value or one
    /// per output channel) folded into that layer's weights and bias, when nothing else reads
    /// the output. Returns whether it folded.
    private mutating func foldAffine(_ node: Onnx_NodeProto, _ value: ONNXActivation, constant: ONNXConstant, constantFirst: Bool,
                                     output: String, location: String) throws -> Bool {
        guard value.layout == .plain, tip == lastLayerOutput, node.input.contains(tip), readers[tip, default: 0] == 1,
              case .layer(var last)? = layers.last, let (axis, channels) = Self.outputChannels(of: last.description, rank: value.shape.count),
              constant.shape.count <= value.shape.count else { return false }
        let padded = [Int](repeating: 1, count: value.shape.count - constant.shape.count) + constant.shape
        guard padded.enumerated().allSatisfy({ $0.element == 1 || ($0.offset == axis && $0.element == channels) }) else { return false }
        let c = constant.floats
        func at(_ j: Int) -> Float { c.count == 1 ? c[0] : c[j] }
        let scale: (Int) -> Float, shift: (Int) -> Float
        switch (node.opType, constantFirst) {
        case ("Mul", _): (scale, shift) = (at, { _ in 0 })
        case ("Add", _): (scale, shift) = ({ _ in 1 }, at)
        case ("Sub", false): (scale, shift) = ({ _ in 1 }, { -at($0) })
        case ("Sub", true): (scale, shift) = ({ _ in -1 }, at)
        case ("Div", false): (scale, shift) = ({ 1 / at($0) }, { _ in 0 })
        default: return false
        }
        let shifts = node.opType == "Add" || node.opType == "Sub"
        // The weight's output channels: the first axis, but the second (per group) for transposed convolutions.
        if var weight = last.state["weight"] {
            let groups = (last.description as? ConvTranspose2dDescription)?.groups ?? (last.description as? ConvTranspose1dDescription)?.groups
            weight = Self.scalingChannels(of: weight, channels: channels, transposedGroups: groups, by: scale)
            last.state["weight"] = weight
        }
        if let bias = last.state["bias"] {
            last.state["bias"] = Tensor((0..<channels).map { bias.scalars[$0] * scale($0) + shift($0) }, shape: bias.shape)
        } else if shifts {
            guard Self.settingBias(of: &last.description) else { return false }
            last.state["bias"] = Tensor((0..<channels).map(shift), shape: [channels])
        }
        layers[layers.count - 1] = .layer(last)
        symbols[output] = .activation(value)
        tip = output
        lastLayerOutput = output
        return true
    }

    /// The axis of a layer's output that holds its output channels, and their count, for the
    /// layers a per-channel scale and shift fold into.
    private static func outputChannels(of layer: any LayerDescription, rank: Int) -> (axis: Int, channels: Int)? {
        switch layer {
        case let linear as LinearDescription: return (rank - 1, linear.outputSize)
        case let convolution as Conv2dDescription: return (1, convolution.outChannels)
        case let convolution as Conv1dDescription: return (1, convolution.outChannels)
        case let convolution as ConvTranspose2dDescription: return (1, convolution.outChannels)
        case let convolution as ConvTranspose1dDescription: return (1, convolution.outChannels)
        case let norm as BatchNorm2dDescription: return (1, norm.featureCount)
        case let norm as BatchNorm1dDescription: return (1, norm.featureCount)
        case let norm as LayerNormDescription where norm.normalizedShape.count == 1: return (rank - 1, norm.normalizedShape[0])
        default: return nil
        }
    }

    /// Gives a linear or convolution layer without bias a bias; false for other layers.
    private static func settingBias(of layer: inout any LayerDescription) -> Bool {
        switch layer {
        case var linear as LinearDescription: linear.bias = true; layer = linear
        case var convolution as Conv2dDescription: convolution.bias = true; layer = convolution
        case var convolution as Conv1dDescription: convolution.bias = true; layer = convolution
        case var convolution as ConvTranspose2dDescription: convolution.bias = true; layer = convolution
        case var convolution as ConvTranspose1dDescription: convolution.bias = true; layer = convolution
        default: return false
        }
        return true
    }

    /// `weight` with each output channel's values multiplied by `scale(channel)`: channel-major
    /// weights (linear, convolution, normalization), or a transposed convolution's
    /// (in, out / groups, kernel…) in `transposedGroups` groups.
    private static func scalingChannels(of weight: Tensor<Float>, channels: Int, transposedGroups: Int?, by scale: (Int) -> Float) -> Tensor<Float> {
        var values = weight.scalars
        guard channels > 0, !values.isEmpty else { return weight }
        if let groups = transposedGroups, groups > 0 {
            let (inputs, perGroup) = (weight.shape[0], channels / groups)
            let inputsPerGroup = max(inputs / groups, 1)
            let block = values.count / max(inputs * perGroup, 1)
            for i in 0..<inputs {
                for j in 0..<perGroup {
                    let factor = scale((i / inputsPerGroup) * perGroup + j), start = (i * perGroup + j) * block
                    for k in start..<start + block { values[k] *= factor }
                }
            }
        } else {
            let block = values.count / channels
            for channel in 0..<channels {
                let factor = scale(channel)
                for k in channel * block..<(channel + 1) * block { values[k] *= factor }
            }
        }
        return Tensor(values, shape: weight.shape)
    }
}
