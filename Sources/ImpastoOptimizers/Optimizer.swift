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
    /// Calls `update` with each parameter that received a gradient, its index and the gradient.
    func forEachParameter(with gradients: Gradients, _ update: (Int, Tensor, Tensor) -> Void) {
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = gradients[parameter] else { continue }
            precondition(gradient.shape == parameter.shape,
                         "gradient of shape \(gradient.shape) for a parameter of shape \(parameter.shape)")
            update(index, parameter, gradient)
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

/// Copies saved per-parameter state into `buffers` (named as torch names them: `exp_avg`, `square_avg`, …) of
/// parameter `index`, from `tensors` keyed `<index>.<name>`: how Adam and RMSprop resume.
///
/// - Throws: `ImpastoError.missingKey` or `.shapeMismatch` (naming `source`) when a buffer is absent or does not fit.
func restore(_ buffers: [(name: String, tensor: Tensor)], ofParameter index: Int, shape: [Int],
             from tensors: [String: Tensor], source: String) throws {
    for (name, buffer) in buffers {
        let key = "\(index).\(name)"
        guard let saved = tensors[key] else { throw ImpastoError.missingKey(key: key, source: source) }
        guard saved.shape == shape else {
            throw ImpastoError.shapeMismatch(key: key, expected: shape, actual: saved.shape)
        }
        buffer.assign(saved)
    }
}

