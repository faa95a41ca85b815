/// The record of one operation in the graph: the inputs that need gradients and the rule that maps the
/// output's gradient to theirs. The rule captures what it needs (inputs, saved activations) and is
/// dropped as soon as the backward pass has used it, which frees those intermediates.
final class GradNode {
    let inputs: [Tensor]
    var rule: ((Tensor) -> [Tensor?])?

    init(inputs: [Tensor], rule: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.rule = rule
    }
}

/// Whether operations record their history. Off inside `withoutGradients`.
public enum GradMode {
    @TaskLocal static var isEnabled = true

    /// True while operations record the graph.
    public static var enabled: Bool { isEnabled }
}

/// Whether an op on `inputs` records its backward rule now: gradients are on and some input asks for one.
/// A kernel with a faster path that records nothing (a fused or inference-only kernel) may take that path
/// exactly when this is false.
public func recordsGradient(_ inputs: [Tensor?]) -> Bool {
    GradMode.enabled && inputs.contains { $0?.requiresGrad == true }
}

/// Runs `body` without recording any graph: for inference, and for work inside optimizers.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false) { try body() }
}

/// Gradients computed by `Tensor.backward()`, looked up by the tensor they belong to.
public struct Gradients: @unchecked Sendable {
    private var storage: [ObjectIdentifier: (tensor: Tensor, gradient: Tensor)] = [:]

    init() {}

    mutating func set(_ gradient: Tensor, for tensor: Tensor) {
        storage[ObjectIdentifier(tensor)] = (tensor, gradient)
    }

    /// The gradient of the loss with respect to `tensor`, or nil when it did not take part or did not
    /// ask for one (`requiresGrad == false`).
    public subscript(_ tensor: Tensor) -> Tensor? {
        storage[ObjectIdentifier(tensor)]?.gradient
    }

    /// The number of tensors that received a gradient.
    public var count: Int { storage.count }
}

extension Tensor {
    /// Attaches the backward `rule` to `result` when any of `inputs` needs a gradient and recording is on.
    /// `rule` returns one gradient per input, in order (nil where an input needs none).
    static func record(_ result: Tensor, inputs: [Tensor], rule: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return result }
        result.requiresGrad = true
        result.gradNode = GradNode(inputs: inputs, rule: rule)
        return result
    }

    /// Computes the gradients of this tensor with respect to every leaf that has `requiresGrad` set.
    ///
    /// `seed` is the gradient of the final objective with respect to this tensor; it defaults to ones
    /// (this tensor is usually a scalar loss). The graph is consumed: each operation's saved tensors are
    /// released as soon as its rule has run, so calling `backward()` twice on the same graph is an error.
    public func backward(seed: Tensor? = nil) -> Gradients {
        precondition(requiresGrad, "backward() on a tensor that does not require gradients")
        let order = topologicallySorted()
        var pending: [ObjectIdentifier: Tensor] = [:]
        pending[ObjectIdentifier(self)] = seed ?? Tensor(repeating: 1, shape: shape)
        var gradients = Gradients()
        withoutGradients {
            for tensor in order.reversed() {
                guard let gradient = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                guard let node = tensor.gradNode else {
                    if tensor.requiresGrad { gradients.set(gradient, for: tensor) }
                    continue
                }
                guard let rule = node.rule else {
                    preconditionFailure("backward() through a graph that an earlier backward() consumed")
                }
                let inputGradients = rule(gradient)
                node.rule = nil
                tensor.gradNode = nil
                for (input, inputGradient) in zip(node.inputs, inputGradients) {
                    guard input.requiresGrad, let inputGradient else { continue }
                    precondition(inputGradient.shape == input.shape,
                                 "gradient shape \(inputGradient.shape) for input of shape \(input.shape)")
                    let key = ObjectIdentifier(input)
                    if let existing = pending[key] {
                        pending[key] = existing.adding(inputGradient)
                    } else {
                        pending[key] = inputGradient
                    }
                }
            }
        }
        return gradients
    }

    /// Every tensor reachable from this one through recorded operations, inputs before their users.
    private func topologicallySorted() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep graphs (long unrolled optimisations) must not overflow the stack.
        var stack: [(tensor: Tensor, expanded: Bool)] = [(self, false)]
        while let (tensor, expanded) = stack.popLast() {
            if expanded {
                order.append(tensor)
                continue
            }
            guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
            stack.append((tensor, true))
            for input in tensor.gradNode?.inputs ?? [] where input.requiresGrad
                && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }
}
