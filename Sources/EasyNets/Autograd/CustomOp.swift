/// What a custom op's forward closure returns: the output, and the tensors its backward needs.
///
/// As PyTorch's `ctx.save_for_backward`: save only what the backward reads (ReLU a mask, a product
/// its operands). Saved tensors are off the tape.
public struct CustomOpForward<Scalar: TensorScalar> {
    /// The op's result.
    public var output: Tensor<Scalar>
    /// The values handed to the backward closure, in order.
    public var saved: [Tensor<Scalar>]

    /// An output and the values its backward needs.
    public init(output: Tensor<Scalar>, saved: [Tensor<Scalar>] = []) {
        self.output = output
        self.saved = saved
    }
}

extension Tensor {
    /// A differentiable op defined by a forward and a backward closure, as PyTorch's
    /// `torch.autograd.Function`.
    ///
    /// `forward` receives `inputs` cut from the tape and computes the output without recording
    /// (ops inside it leave no trace); what it saves is handed to `backward`. When any input
    /// requires gradients, the output joins the tape as one op named `name`. ``backward()`` later
    /// calls `backward` with the saved tensors and ∂L/∂output (the output's shape), and it returns
    /// one gradient per input, in order, each of that input's shape, or `nil` for an input it gives
    /// no gradient. The gradients add into the inputs' gradients as any op's do. `backward` runs
    /// without recording, once per backward pass, and only when the output was used.
    ///
    /// A backward that returns the wrong number of gradients or a gradient of the wrong shape is a
    /// programmer error: it stops with a message naming the op and the shapes.
    ///
    /// - Parameters:
    ///   - name: the op's name in error messages.
    ///   - inputs: the op's operands.
    ///   - forward: computes the output from the inputs and names the values to save.
    ///   - backward: maps the saved values and ∂L/∂output to ∂L/∂input for each input.
    public static func custom(
        name: String, inputs: [Tensor],
        forward: ([Tensor]) -> CustomOpForward<Scalar>,
        backward: @escaping (_ saved: [Tensor], _ outputGradient: Tensor) -> [Tensor?]
    ) -> Tensor {
        let result = withoutGradients { forward(inputs.map(\.detached)) }
        let output = result.output.detached
        let saved = result.saved.map(\.detached)
        let nodes = inputs.map(\.node)
        let shapes = inputs.map(\.shape)  // not the inputs: the tape keeps only what backward reads
        return output.recorded(name, inputs: nodes) { dOut in
            let gradients = backward(saved, dOut)
            require(gradients.count == shapes.count,
                    "backward of custom op \(name): returned \(gradients.count) gradients for \(shapes.count) inputs")
            for (index, gradient) in gradients.enumerated() {
                guard let gradient, let node = nodes[index] else { continue }
                require(gradient.shape == shapes[index],
                        "backward of custom op \(name): gradient \(index) has shape \(gradient.shape), "
                        + "input \(index) has shape \(shapes[index]) (output gradient \(dOut.shape))")
                node.accumulate(gradient.detached)
            }
        }
    }
}
