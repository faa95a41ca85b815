/// The Gram matrices of feature maps, `F·Fᵀ` with `F` the features of each sample reshaped to
/// `[C, H·W]`: `[N, C, H, W]` → `[N, C, C]`, the channel correlations that style losses compare.
///
/// Unnormalised: neural-style divides by `C·H·W`, other formulations by `H·W`; callers choose.
public func gramMatrix(_ features: Tensor) -> Tensor {
    precondition(features.rank == 4, "gramMatrix needs [N, C, H, W], got \(features.shape)")
    let (batch, channels) = (features.shape[0], features.shape[1])
    let pixels = features.shape[2] * features.shape[3]
    let input = features.plain()
    let xs = input.basePointer
    let result = Tensor.uninitialized([batch, channels, channels])
    let gram = result.basePointer
    for item in 0..<batch {
        BLAS.gram(n: channels, k: pixels, xs + item * channels * pixels, gram + item * channels * channels)
    }
    return Tensor.record(result, inputs: [input]) { grad in
        // dF = (dG + dGᵀ)·F.
        let g = grad.plain()
        let gs = g.basePointer
        let symmetric = Tensor.uninitialized([batch, channels, channels])
        let s = symmetric.basePointer
        for item in 0..<batch {
            let offset = item * channels * channels
            for i in 0..<channels {
                for j in 0..<channels {
                    s[offset + i * channels + j] = gs[offset + i * channels + j] + gs[offset + j * channels + i]
                }
            }
        }
        let gradient = Tensor.uninitialized(input.shape)
        let dx = gradient.basePointer
        for item in 0..<batch {
            BLAS.gemm(transposingA: false, transposingB: false, m: channels, n: pixels, k: channels,
                      s + item * channels * channels, lda: channels, xs + item * channels * pixels, ldb: pixels,
                      dx + item * channels * pixels, ldc: pixels)
        }
        return withExtendedLifetime((g, symmetric)) { [gradient] }
    }
}
