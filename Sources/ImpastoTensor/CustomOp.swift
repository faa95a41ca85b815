/// An operation defined outside the engine, forward and backward together (candle's `CustomOp`): a model
/// that needs an op the engine lacks, or a faster fused kernel, plugs in here and autograd treats it like any
/// built-in op.
///
/// `forward` runs with gradient recording off, so whatever it computes internally is not traced; `backward`
/// gets the inputs, the output it produced and the gradient of the objective with respect to that output, and
/// returns one gradient per input (nil for an input that needs none).
public protocol CustomOp {
    /// Names the op in error messages.
    var name: String { get }
    func forward(_ inputs: [Tensor]) -> Tensor
    func backward(_ inputs: [Tensor], output: Tensor, gradient: Tensor) -> [Tensor?]
}

extension Tensor {
    /// `op` applied to `inputs`, recorded for `backward()` when gradients are on and an input asks for them.
    public static func apply(_ op: some CustomOp, _ inputs: [Tensor]) -> Tensor {
        let output = withoutGradients { op.forward(inputs) }
        // Detached copies are what the rule keeps: the output holding itself through its rule would be a cycle.
        let savedInputs = inputs.map { $0.detached() }, savedOutput = output.detached()
        return record(output, inputs: inputs) { gradient in
            let gradients = op.backward(savedInputs, output: savedOutput, gradient: gradient)
            precondition(gradients.count == inputs.count,
                         "\(op.name).backward returned \(gradients.count) gradients for \(inputs.count) inputs")
            for (gradient, input) in zip(gradients, inputs) {
                if let gradient {
                    precondition(gradient.shape == input.shape,
                                 "\(op.name).backward returned a gradient of shape \(gradient.shape) for an input of shape \(input.shape)")
                }
            }
            return gradients
        }
    }
}

/// Backward rules a scope can swap for another, read when `backward()` runs: CNN explanations replace how
/// ReLU passes gradients back (Springenberg et al.'s guided backpropagation, Zeiler and Fergus' deconvnet),
/// as captum does with module hooks.
///
///     let saliency = BackwardRules.$relu.withValue(.guided) { score.backward()[image] }
///
/// A task-local: jobs running side by side each keep their own rules.
public enum BackwardRules {
    /// How ReLU turns the gradient of its output `g` into the gradient of its input `x`.
    public enum ReLU: Sendable {
        /// `g · [x > 0]`, the derivative.
        case standard
        /// `max(g, 0) · [x > 0]`: only positive gradients, only where the input was positive.
        case guided
        /// `max(g, 0)`: only positive gradients, wherever the input was.
        case deconvnet
    }

    @TaskLocal public static var relu: ReLU = .standard
}
