import ImpastoTensor

/// Stochastic gradient descent with optional momentum, dampening, L2 weight decay and Nesterov momentum:
/// `torch.optim.SGD`.
///
/// With gradient `g` and parameter `p`: `g += weightDecay · p`; with momentum, `b = g` on the first step
/// and `b = momentum · b + (1 - dampening) · g` after, then `g = nesterov ? g + momentum · b : b`;
/// finally `p -= learningRate · g`.
public final class SGD: Optimizer {
    /// The tensors updated in place.
    public let parameters: [Tensor]
    /// The step size.
    public var learningRate: Double
    /// The momentum factor; 0 turns momentum off.
    public let momentum: Double
    /// How much of each new gradient the momentum buffer takes in less than all of it.
    public let dampening: Double
    /// The L2 penalty added to the gradients.
    public let weightDecay: Double
    /// Whether to use Nesterov's look-ahead form of momentum.
    public let nesterov: Bool
    /// One momentum buffer per parameter, allocated at its first step.
    private var momentumBuffers: [Tensor?]

    /// An SGD optimizer over `parameters` with torch's defaults.
    public init(parameters: [Tensor], learningRate: Double = 1e-3, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(learningRate >= 0, "invalid learning rate \(learningRate)")
        precondition(momentum >= 0, "invalid momentum \(momentum)")
        precondition(weightDecay >= 0, "invalid weight decay \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = validated(parameters)
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one SGD update to each parameter that has a gradient.
    public func step(_ gradients: Gradients) {
        let rate = Float(-learningRate), decay = Float(weightDecay), nesterov = nesterov
        let mu = Float(momentum), keep = Float(1 - dampening)
        forEachParameter(with: gradients) { index, parameter, gradient in
            let isFirst = momentumBuffers[index] == nil
            let buffer = momentum == 0 ? nil : momentumBuffers[index] ?? Tensor(zeros: parameter.shape)
            momentumBuffers[index] = buffer
            OptimizerKernels.sgd(parameter, gradient: gradient, momentumBuffer: buffer, isFirstStep: isFirst, rate: rate,
                                 decay: decay, momentum: mu, keep: keep, nesterov: nesterov)
        }
    }
}
