import ImpastoTensor

/// RMSProp (Hinton's lecture 6e) with optional momentum, centring and L2 weight decay: `torch.optim.RMSprop`.
///
/// With gradient `g` (plus `weightDecay · p`): `v = α · v + (1 - α) · g²`; centred, `ḡ = lerp(ḡ, g, 1 - α)`
/// and `σ = √(v - ḡ²) + ε`, otherwise `σ = √v + ε`; with momentum `b = momentum · b + g / σ` and
/// `p -= lr · b`, otherwise `p -= lr · g / σ`.
public final class RMSProp: Optimizer {
    /// The tensors updated in place.
    public let parameters: [Tensor]
    /// The step size.
    public var learningRate: Double
    /// The smoothing constant of the squared-gradient average.
    public let alpha: Double
    /// Added to the denominator for numerical stability.
    public let epsilon: Double
    /// The L2 penalty added to the gradients.
    public let weightDecay: Double
    /// The momentum factor; 0 turns momentum off.
    public let momentum: Double
    /// Whether to normalise by the estimated variance of the gradient rather than its second moment.
    public let centered: Bool

    final class State {
        let squareAverage: Tensor
        let gradientAverage, momentumBuffer: Tensor?

        init(shape: [Int], centered: Bool, momentum: Bool) {
            squareAverage = Tensor(zeros: shape)
            gradientAverage = centered ? Tensor(zeros: shape) : nil
            momentumBuffer = momentum ? Tensor(zeros: shape) : nil
        }
    }

    /// Running averages per parameter, allocated at its first step.
    var states: [State?]

    /// An RMSProp optimizer over `parameters` with torch's defaults.
    public init(parameters: [Tensor], learningRate: Double = 1e-2, alpha: Double = 0.99, epsilon: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        precondition(learningRate >= 0, "invalid learning rate \(learningRate)")
        precondition(epsilon >= 0, "invalid epsilon \(epsilon)")
        precondition(momentum >= 0, "invalid momentum \(momentum)")
        precondition(weightDecay >= 0, "invalid weight decay \(weightDecay)")
        precondition(alpha >= 0, "invalid alpha \(alpha)")
        self.parameters = validated(parameters)
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        states = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one RMSProp update to each parameter that has a gradient.
    public func step(_ gradients: Gradients) {
        let rate = Float(-learningRate), decay = Float(weightDecay), eps = Float(epsilon)
        let alpha = Float(alpha), weight = Float(1 - self.alpha), mu = Float(momentum)
        forEachParameter(with: gradients) { index, parameter, gradient in
            let state = states[index] ?? State(shape: parameter.shape, centered: centered, momentum: momentum > 0)
            states[index] = state
            OptimizerKernels.rmsprop(parameter, gradient: gradient, squareAverage: state.squareAverage,
                                     gradientAverage: state.gradientAverage, momentumBuffer: state.momentumBuffer,
                                     rate: rate, decay: decay, epsilon: eps, alpha: alpha, weight: weight, momentum: mu)
        }
    }
}
