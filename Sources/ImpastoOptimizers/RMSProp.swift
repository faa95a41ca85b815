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

    private final class State {
        let squareAverage: FloatBuffer
        let gradientAverage, momentumBuffer: FloatBuffer?

        init(count: Int, centered: Bool, momentum: Bool) {
            squareAverage = FloatBuffer(count: count)
            gradientAverage = centered ? FloatBuffer(count: count) : nil
            momentumBuffer = momentum ? FloatBuffer(count: count) : nil
        }
    }

    /// Running averages per parameter, allocated at its first step.
    private var states: [State?]

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
        forEachParameter(with: gradients) { index, p, g in
            let state = states[index] ?? State(count: p.count, centered: centered, momentum: momentum > 0)
            states[index] = state
            let v = state.squareAverage.base, mean = state.gradientAverage?.base, b = state.momentumBuffer?.base
            // Updates the squared-gradient average of element `i` and returns its gradient.
            @inline(__always) func updateAverage(_ i: Int) -> Float {
                let d = decayed(g[i], p[i], decay)
                v[i] = v[i] * alpha + weight * d * d
                return d
            }
            // The centred denominator: the gradient average of element `i` taken in, `√(v - ḡ²) + ε`.
            @inline(__always) func centredSigma(_ i: Int, _ d: Float, _ mean: UnsafeMutablePointer<Float>) -> Float {
                mean[i] = lerp(mean[i], d, weight)
                return squareRoot(v[i] + -1 * mean[i] * mean[i]) + eps
            }
            Loop.forEachChunk(p.count) { range in
                // One loop per variant: a store under a condition keeps LLVM from vectorizing a loop.
                switch (mean, b) {
                case (nil, nil):
                    for i in range {
                        let d = updateAverage(i)
                        p[i] += rate * d / (squareRoot(v[i]) + eps)
                    }
                case let (mean?, nil):
                    for i in range {
                        let d = updateAverage(i)
                        p[i] += rate * d / centredSigma(i, d, mean)
                    }
                case let (nil, b?):
                    for i in range {
                        let d = updateAverage(i)
                        b[i] = b[i] * mu + d / (squareRoot(v[i]) + eps)
                        p[i] += rate * b[i]
                    }
                case let (mean?, b?):
                    for i in range {
                        let d = updateAverage(i)
                        b[i] = b[i] * mu + d / centredSigma(i, d, mean)
                        p[i] += rate * b[i]
                    }
                }
            }
        }
    }
}
