import Foundation
import ImpastoTensor

/// The ways `impasto explain` attributes a network's score to the pixels of its input, as captum computes them.
public enum AttributionMethod: String, CaseIterable, Sendable {
    /// Simonyan, Vedaldi and Zisserman 2014: |∂score/∂input| (captum's `Saliency(abs=True)`).
    case saliency
    /// Zeiler and Fergus 2014: the gradient with ReLU's backward rule replaced by a ReLU of the gradient
    /// (captum's `Deconvolution`).
    case deconvnet
    /// Springenberg et al. 2015: the gradient where both the input and the gradient of each ReLU are positive
    /// (captum's `GuidedBackprop`).
    case guided
    /// Selvaraju et al. 2017: the last feature map weighted by its spatially averaged gradient and summed over
    /// channels (captum's `LayerGradCam`, not rectified: negative evidence stays visible until drawn).
    case gradcam
    /// Sundararajan, Taly and Yan 2017: (input − baseline) times the gradient integrated along the straight path
    /// from a black baseline, by Gauss–Legendre quadrature (captum's `IntegratedGradients` defaults).
    case integrated
}

/// Attributions of a differentiable score. Each function takes the score as a closure of the network input, so
/// one implementation serves every network; ReLU's backward rule is swapped for guided backpropagation and
/// deconvnet by the engine's scoped override, not by copies of the network.
public enum Attribution {
    /// ∂score/∂input at `input`, with `rule` as ReLU's backward rule. `score` maps `[N, …]` inputs to per-sample
    /// scores `[N]` (or one scalar); samples do not interact, so the gradient of their sum is each one's.
    public static func gradient(of score: (Tensor) -> Tensor, at input: Tensor,
                                rule: BackwardRules.ReLU = .standard) -> Tensor {
        let leaf = input.detached().requiringGradient()
        return BackwardRules.$relu.withValue(rule) {
            let total = score(leaf).sum()
            return total.backward()[leaf] ?? Tensor(zeros: input.shape)
        }
    }

    /// Saliency, deconvnet or guided backpropagation: `[N, C, H, W]`, like the input.
    public static func backpropagation(_ method: AttributionMethod, of score: (Tensor) -> Tensor,
                                       at input: Tensor) -> Tensor {
        switch method {
        case .saliency: gradient(of: score, at: input).abs()
        case .deconvnet: gradient(of: score, at: input, rule: .deconvnet)
        case .guided: gradient(of: score, at: input, rule: .guided)
        case .gradcam, .integrated: preconditionFailure("\(method) is not a modified backpropagation")
        }
    }

    /// Integrated gradients of a one-sample `input` `[1, …]` from `baseline` (zeros when nil), with `steps`
    /// Gauss–Legendre nodes evaluated `batchSize` at a time, so memory stays that of `batchSize` forward and
    /// backward passes whatever the number of steps.
    public static func integratedGradients(of score: (Tensor) -> Tensor, at input: Tensor, baseline: Tensor? = nil,
                                           steps: Int = 50, batchSize: Int = 10) -> Tensor {
        precondition(input.shape.first == 1 && steps >= 1 && batchSize >= 1,
                     "integrated gradients of one sample, ≥ 1 step and batch: \(input.shape), \(steps), \(batchSize)")
        let baseline = baseline ?? Tensor(zeros: input.shape)
        let path = withoutGradients { input - baseline }
        let (nodes, weights) = gaussLegendre(steps)
        var integral = Tensor(zeros: input.shape)
        for start in stride(from: 0, to: steps, by: batchSize) {
            let chunk = start..<min(start + batchSize, steps)
            let points = withoutGradients {
                concat(chunk.map { baseline + path * Float(nodes[$0]) }, axis: 0)
            }
            let gradients = gradient(of: score, at: points)
            integral = withoutGradients {
                chunk.enumerated().reduce(integral) { sum, item in
                    sum + gradients.sliced(axis: 0, item.offset..<item.offset + 1) * Float(weights[item.element])
                }
            }
        }
        return withoutGradients { path * integral }
    }

    /// Grad-CAM on the feature map `features` `[1, K, h, w]`, `head` mapping it to the score: Σₖ αₖ Aₖ with αₖ the
    /// mean of ∂score/∂Aₖ, `[1, 1, h, w]`.
    public static func gradCAM(features: Tensor, head: (Tensor) -> Tensor) -> Tensor {
        let weights = gradient(of: head, at: features).mean(alongAxes: [2, 3], keepingDimensions: true)
        return withoutGradients { (weights * features).sum(alongAxes: [1], keepingDimensions: true) }
    }

    /// The `count` Gauss–Legendre nodes and weights mapped to [0, 1] (nodes ascending, weights summing to 1), as
    /// captum's `gausslegendre` approximation takes them from NumPy's `leggauss`: Newton's method on the Legendre
    /// polynomial from Chebyshev-like starting points, to double precision.
    public static func gaussLegendre(_ count: Int) -> (nodes: [Double], weights: [Double]) {
        precondition(count >= 1, "Gauss–Legendre needs at least one node")
        var nodes = [Double](repeating: 0, count: count), weights = nodes
        let n = Double(count)
        for i in 0..<(count + 1) / 2 {
            var x = cos(Double.pi * (Double(i) + 0.75) / (n + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                // P_n(x) and P_n'(x) by the three-term recurrence.
                var (previous, current) = (1.0, x)
                for k in stride(from: 2.0, through: n, by: 1) {
                    (previous, current) = (current, ((2 * k - 1) * x * current - (k - 1) * previous) / k)
                }
                derivative = n * (x * current - previous) / (x * x - 1)
                let step = current / derivative
                x -= step
                if abs(step) < 1e-15 { break }
            }
            let weight = 2 / ((1 - x * x) * derivative * derivative)
            // x is the i-th largest root; mirror it for the smallest.
            nodes[count - 1 - i] = 0.5 * (1 + x)
            nodes[i] = 0.5 * (1 - x)
            weights[i] = 0.5 * weight
            weights[count - 1 - i] = 0.5 * weight
        }
        return (nodes, weights)
    }
}
