import Foundation
import ImpastoTensor

/// Adam (Kingma & Ba, arXiv:1412.6980) with optional L2 weight decay and AMSGrad: `torch.optim.Adam`.
///
/// With gradient `g` (plus `weightDecay · p`) at step `t`: `m = lerp(m, g, 1 - β₁)`,
/// `v = β₂ · v + (1 - β₂) · g²` (AMSGrad: `v̂ = max(v̂, v)`, used in place of `v`),
/// `p -= (lr / (1 - β₁ᵗ)) · m / (√v / √(1 - β₂ᵗ) + ε)`: torch's bias correction, with the step size and
/// `√(1 - β₂ᵗ)` computed in `Double` as its single-tensor implementation does in Python.
public final class Adam: Optimizer {
    /// The tensors updated in place.
    public let parameters: [Tensor]
    /// The step size.
    public var learningRate: Double
    /// The decay rates of the first and second moment estimates.
    public let betas: (Double, Double)
    /// Added to the denominator for numerical stability.
    public let epsilon: Double
    /// The L2 penalty added to the gradients (not decoupled; that is AdamW).
    public let weightDecay: Double
    /// Whether to normalise by the largest second moment seen so far (AMSGrad).
    public let amsgrad: Bool

    final class State {
        var step: Double = 0
        let firstMoment, secondMoment: Tensor
        let maximumSecondMoment: Tensor?

        init(shape: [Int], amsgrad: Bool) {
            firstMoment = Tensor(zeros: shape)
            secondMoment = Tensor(zeros: shape)
            maximumSecondMoment = amsgrad ? Tensor(zeros: shape) : nil
        }
    }

    /// Moment estimates per parameter, allocated at its first step.
    var states: [State?]

    /// An Adam optimizer over `parameters` with torch's defaults.
    public init(parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false) {
        precondition(learningRate >= 0, "invalid learning rate \(learningRate)")
        precondition(epsilon >= 0, "invalid epsilon \(epsilon)")
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "invalid betas \(betas)")
        precondition(weightDecay >= 0, "invalid weight decay \(weightDecay)")
        self.parameters = validated(parameters)
        self.learningRate = learningRate
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        states = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one Adam update to each parameter that has a gradient.
    public func step(_ gradients: Gradients) {
        let decay = Float(weightDecay), eps = Float(epsilon)
        let weight1 = Float(1 - betas.0), beta2 = Float(betas.1), weight2 = Float(1 - betas.1)
        forEachParameter(with: gradients) { index, parameter, gradient in
            let state = states[index] ?? State(shape: parameter.shape, amsgrad: amsgrad)
            states[index] = state
            state.step += 1
            let stepSize = learningRate / (1 - pow(betas.0, state.step))
            OptimizerKernels.adam(parameter, gradient: gradient, firstMoment: state.firstMoment,
                                  secondMoment: state.secondMoment, maximumSecondMoment: state.maximumSecondMoment,
                                  rate: Float(-stepSize), correction2: Float(pow(1 - pow(betas.1, state.step), 0.5)),
                                  epsilon: eps, decay: decay, weight1: weight1, beta2: beta2, weight2: weight2)
        }
    }
}
