import EasyNets

/// Convolutions and pooling over one or two spatial axes.
extension ONNXImporter {
    /// The spatial attributes shared by Conv, ConvTranspose and the pools, checked for `axes`
    /// spatial axes: symmetric padding, no automatic padding.
    private func window(_ node: Onnx_NodeProto, axes: Int, kernel: [Int]?, location: String)
        throws -> (kernel: [Int], stride: [Int], padding: [Int], dilation: [Int]) {
        let autoPad = string(node, "auto_pad") ?? "NOTSET"
        guard autoPad == "NOTSET" || autoPad.isEmpty || (autoPad == "VALID" && (ints(node, "pads") ?? []).allSatisfy { $0 == 0 }) else {
            throw ONNXError(location: location, reason: "auto_pad \"\(autoPad)\" is not supported; supported: NOTSET (explicit pads), VALID")
        }
        guard let kernelShape = ints(node, "kernel_shape") ?? kernel, kernelShape.count == axes, kernel == nil || kernel == kernelShape else {
            throw ONNXError(location: location, reason: "kernel_shape must give \(axes) extents\(kernel.map { " matching the weight's \($0)" } ?? "")")
        }
        let stride = ints(node, "strides") ?? [Int](repeating: 1, count: axes)
        let dilation = ints(node, "dilations") ?? [Int](repeating: 1, count: axes)
        let pads = ints(node, "pads") ?? [Int](repeating: 0, count: 2 * axes)
        guard stride.count == axes, dilation.count == axes, pads.count == 2 * axes, Array(pads.prefix(axes)) == Array(pads.suffix(axes)) else {
            throw ONNXError(location: location, reason: "strides and dilations need \(axes) values and pads \(2 * axes) with the same padding at both ends "
                            + "(asymmetric padding is not supported), got strides \(stride), dilations \(dilation), pads \(pads)")
        }
        return (kernelShape, stride, Array(pads.prefix(axes)), dilation)
    }

    mutating func convolution(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let weight = try constantInput(node, 1, "Conv's weight", location: location)
        let axes = weight.shape.count - 2
        guard axes == 1 || axes == 2, value.shape.count == axes + 2, value.batchAxis == 0 else {
            throw ONNXError(location: location, reason: "Conv is supported over 1 or 2 spatial axes, on (N, C, L) or (N, C, H, W); weight shape \(weight.shape), input shape \(value.shape)")
        }
        let groups = Int(int(node, "group") ?? 1)
        let w = try window(node, axes: axes, kernel: Array(weight.shape.suffix(axes)), location: location)
        let (outChannels, inChannels) = (weight.shape[0], weight.shape[1].multipliedReportingOverflow(by: max(groups, 1)).partialValue)
        var state = ["weight": weight.tensor]
        if let b = input(node, 2) {
            guard case .constant(let bias) = b, bias.shape == [outChannels] else {
                throw ONNXError(location: location, reason: "Conv's bias must be a constant of shape [\(outChannels)]")
            }
            state["bias"] = bias.tensor
        }
        let description: any LayerDescription = axes == 2
            ? Conv2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: w.kernel, stride: w.stride, padding: .explicit(w.padding),
                                dilation: w.dilation, groups: groups, bias: state["bias"] != nil)
            : Conv1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: w.kernel[0], stride: w.stride[0],
                                padding: .explicit(w.padding), dilation: w.dilation[0], groups: groups, bias: state["bias"] != nil)
        return try append(description, value, state: state, location: location)
    }

    mutating func transposedConvolution(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let weight = try constantInput(node, 1, "ConvTranspose's weight", location: location)
        let axes = weight.shape.count - 2
        guard axes == 1 || axes == 2, value.shape.count == axes + 2, value.batchAxis == 0 else {
            throw ONNXError(location: location, reason: "ConvTranspose is supported over 1 or 2 spatial axes; weight shape \(weight.shape), input shape \(value.shape)")
        }
        guard int(node, "output_shape") == nil && ints(node, "output_shape") == nil else {
            throw ONNXError(location: location, reason: "ConvTranspose's output_shape is not supported; give pads and output_padding")
        }
        let groups = Int(int(node, "group") ?? 1)
        let w = try window(node, axes: axes, kernel: Array(weight.shape.suffix(axes)), location: location)
        let outputPadding = ints(node, "output_padding") ?? [Int](repeating: 0, count: axes)
        guard outputPadding.count == axes else { throw ONNXError(location: location, reason: "output_padding needs \(axes) values") }
        let (inChannels, outChannels) = (weight.shape[0], weight.shape[1].multipliedReportingOverflow(by: max(groups, 1)).partialValue)
        var state = ["weight": weight.tensor]
        if let b = input(node, 2) {
            guard case .constant(let bias) = b, bias.shape == [outChannels] else {
                throw ONNXError(location: location, reason: "ConvTranspose's bias must be a constant of shape [\(outChannels)]")
            }
            state["bias"] = bias.tensor
        }
        let description: any LayerDescription = axes == 2
            ? ConvTranspose2dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: w.kernel, stride: w.stride, padding: w.padding,
                                         outputPadding: outputPadding, dilation: w.dilation, groups: groups, bias: state["bias"] != nil)
            : ConvTranspose1dDescription(inChannels: inChannels, outChannels: outChannels, kernelSize: w.kernel[0], stride: w.stride[0],
                                         padding: w.padding[0], outputPadding: outputPadding[0], dilation: w.dilation[0], groups: groups,
                                         bias: state["bias"] != nil)
        return try append(description, value, state: state, location: location)
    }

    mutating func pooling(_ node: Onnx_NodeProto, _ value: ONNXActivation, location: String) throws -> ONNXActivation {
        let axes = value.shape.count - 2
        guard axes == 1 || axes == 2, value.batchAxis == 0 else {
            throw ONNXError(location: location, reason: "\(node.opType) is supported on (N, C, L) and (N, C, H, W), the input has shape \(value.shape)")
        }
        let w = try window(node, axes: axes, kernel: nil, location: location)
        let ceilMode = (int(node, "ceil_mode") ?? 0) != 0
        let description: any LayerDescription
        if node.opType == "MaxPool" {
            guard (int(node, "storage_order") ?? 0) == 0 else { throw ONNXError(location: location, reason: "MaxPool's storage_order 1 is not supported") }
            description = axes == 2
                ? MaxPool2dDescription(kernelSize: w.kernel, stride: w.stride, padding: w.padding, dilation: w.dilation, ceilMode: ceilMode)
                : MaxPool1dDescription(kernelSize: w.kernel[0], stride: w.stride[0], padding: w.padding[0], dilation: w.dilation[0], ceilMode: ceilMode)
        } else {
            guard w.dilation.allSatisfy({ $0 == 1 }) else { throw ONNXError(location: location, reason: "AveragePool with dilations is not supported") }
            let countIncludePad = (int(node, "count_include_pad") ?? 0) != 0
            description = axes == 2
                ? AvgPool2dDescription(kernelSize: w.kernel, stride: w.stride, padding: w.padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
                : AvgPool1dDescription(kernelSize: w.kernel[0], stride: w.stride[0], padding: w.padding[0], ceilMode: ceilMode,
                                       countIncludePad: countIncludePad)
        }
        return try append(description, value, location: location)
    }
}
