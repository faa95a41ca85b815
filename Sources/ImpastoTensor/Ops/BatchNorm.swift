/// Batch normalization over the channels (dimension 1) of `input`, as PyTorch's `batch_norm`.
///
/// In training mode each channel is normalized by the batch's own mean and (biased) variance, and
/// `runningMean` / `runningVariance`, when given, move towards them in place by `momentum`, the
/// variance unbiased, exactly as PyTorch updates them. Otherwise the running statistics normalize and
/// are left alone. `weight` and `bias` (`[C]`, optional) scale and shift the result. Works in the
/// input's layout and type; differentiable in the input, weight and bias in both modes.
public func batchNorm(_ input: Tensor, runningMean: Tensor?, runningVariance: Tensor?, weight: Tensor?,
                      bias: Tensor?, training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5) -> Tensor {
    precondition(input.rank >= 2, "batchNorm: input \(input.shape) has no channel dimension")
    let channels = input.shape[1]
    for (name, tensor) in [("runningMean", runningMean), ("runningVariance", runningVariance),
                           ("weight", weight), ("bias", bias)] {
        precondition(tensor == nil || tensor!.shape == [channels],
                     "batchNorm: \(name) \(tensor!.shape) for input \(input.shape)")
    }
    precondition(training || (runningMean != nil && runningVariance != nil),
                 "batchNorm: inference needs running statistics")
    return input.backend.batchNorm(input, BatchNormParameters(
        runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias, training: training,
        momentum: momentum, epsilon: epsilon))
}
