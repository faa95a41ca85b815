/// The Gram matrices of feature maps, `F·Fᵀ` with `F` the features of each sample reshaped to
/// `[C, H·W]`: `[N, C, H, W]` → `[N, C, C]`, the channel correlations that style losses compare.
///
/// Unnormalised: neural-style divides by `C·H·W`, other formulations by `H·W`; callers choose.
public func gramMatrix(_ features: Tensor) -> Tensor {
    precondition(features.rank == 4, "gramMatrix needs [N, C, H, W], got \(features.shape)")
    let input = features.plain()
    let result = input.backend.gram(input)
    return Tensor.record(result, inputs: [input]) { grad in
        // dF = (dG + dGᵀ)·F.
        let (batch, channels) = (input.shape[0], input.shape[1])
        let symmetric = grad + grad.transposed()
        let rows = input.reshaped([batch, channels, input.count / max(batch * channels, 1)])
        return [Tensor.matmul(symmetric, rows).reshaped(input.shape)]
    }
}
