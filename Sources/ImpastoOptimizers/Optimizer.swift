import ImpastoTensor

/// Updates parameters in place from their gradients, one step at a time, with the update formulas and
/// defaults of `torch.optim` (its single-tensor implementations, which are what it runs on the CPU).
///
/// Hyperparameters are `Double`, as the Python floats torch keeps them in are; each update rounds them to
/// `Float` where torch hands them to a float32 kernel, so `1 - beta2` is `Float(0.001)`, not
/// `1 - Float(0.999)` (which is off by 1.3e-5 relative).
///
/// ```swift
/// let optimizer = Adam(parameters: [weight, bias], learningRate: 1e-3)
/// for batch in batches {
///     let gradients = loss(batch).backward()
///     optimizer.step(gradients)
/// }
/// ```
public protocol Optimizer: AnyObject {
    /// The tensors this optimizer updates in place, in the order they were given.
    var parameters: [Tensor] { get }
    /// The step size, which schedules may change between steps.
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient in `gradients`. A parameter without one
    /// is left alone, state included, as torch skips parameters whose `.grad` is `None`.
    func step(_ gradients: Gradients)
}

extension Optimizer {
    /// Runs `update` on each parameter that received a gradient, with the parameter's index, its elements
    /// (written in place) and the gradient's elements.
    func forEachParameter(with gradients: Gradients,
                          _ update: (Int, UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void) {
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = gradients[parameter] else { continue }
            precondition(gradient.shape == parameter.shape,
                         "gradient of shape \(gradient.shape) for a parameter of shape \(parameter.shape)")
            gradient.withUnsafeBufferPointer { g in
                parameter.mutate { p in update(index, p, g) }
            }
        }
    }
}

/// Checks what every optimizer needs of its parameters: float32 leaves that ask for gradients.
func validated(_ parameters: [Tensor]) -> [Tensor] {
    for parameter in parameters {
        precondition(parameter.dtype == .f32, "optimizers update float32 parameters, got \(parameter.dtype)")
        precondition(parameter.requiresGrad, "a parameter of shape \(parameter.shape) does not require gradients")
    }
    return parameters
}

/// torch's `lerp_` for float32: `start + weight · (end - start)`, computed from the nearer end so that
/// weight 1 lands exactly on `end`.
@inline(__always)
func lerp(_ start: Float, _ end: Float, _ weight: Float) -> Float {
    weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// The gradient with torch's L2 weight decay, `g + decay · p`; skipped at 0 as torch does, so that an
/// infinite parameter does not turn its gradient into NaN.
@inline(__always)
func decayed(_ gradient: Float, _ parameter: Float, _ decay: Float) -> Float {
    decay == 0 ? gradient : gradient + decay * parameter
}

/// `√x`, vectorizable: on Linux `Float.squareRoot()` keeps a call to `sqrtf` for negative arguments
/// (which sets errno), and that call stops LLVM from vectorizing the loop. Negative `x` gives NaN either way.
@inline(__always)
func squareRoot(_ x: Float) -> Float {
    (x < 0 ? .nan : x).squareRoot()
}
