/// A fully connected layer, input · weightᵀ + bias, as PyTorch's `linear`: `input` is `[…, in]` (any
/// leading dimensions, or none), `weight` `[out, in]`, `bias` `[out]`; the result is plain float32
/// `[…, out]`. Each gradient is computed only when asked for.
public func linear(_ input: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
    precondition(input.rank >= 1 && weight.rank == 2 && input.shape.last == weight.shape[1],
                 "linear: input \(input.shape), weight \(weight.shape)")
    precondition(bias == nil || bias!.shape == [weight.shape[0]], "linear: bias \(bias!.shape) for weight \(weight.shape)")
    if input.rank == 2 { return input.backend.linear(input, weight: weight, bias: bias) }
    let rows = input.reshaped([input.count / max(weight.shape[1], 1), weight.shape[1]])
    return input.backend.linear(rows, weight: weight, bias: bias).reshaped(input.shape.dropLast() + [weight.shape[0]])
}

