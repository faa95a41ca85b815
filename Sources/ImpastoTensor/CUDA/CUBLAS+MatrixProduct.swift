import Foundation

// Matrix products and Gram matrices on cuBLAS's strided-batched SGEMM (TF32 tensor cores unless
// IMPASTO_CUDA_TF32=0). cuBLAS is column-major: a row-major [r, c] matrix is its transpose there, so the
// row-major C = op(A)·op(B) is computed as Cᵀ = op(B)ᵀ·op(A)ᵀ, with the operands swapped and no copies.

extension CUDABackend {
    func matrixProduct(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor {
        let (m, n, k, batch) = MatrixProductGeometry(a, transposingA: transposingA, b, transposingB: transposingB).sizes
        let (ac, bc) = (a.shape[a.rank - 1], b.shape[b.rank - 1])
        let count = batch.reduce(1, *)
        guard m > 0 && n > 0 && count > 0 else { return Tensor(zeros: batch + [m, n]) }
        guard k > 0 else { return Tensor(zeros: batch + [m, n]) }
        let (x, strideA) = batchOperand(a, batch: batch), (y, strideB) = batchOperand(b, batch: batch)
        let out = output(batch + [m, n])
        let api = context.libraries.cublas
        context.serially {
            api.check(api.cublasSgemmStridedBatched(
                context.cublas, transposingB ? 1 : 0, transposingA ? 1 : 0, Int32(n), Int32(m), Int32(k), Scale.one,
                UnsafeRawPointer(y.address.floats()), Int32(bc), Int64(strideB),
                UnsafeRawPointer(x.address.floats()), Int32(ac), Int64(strideA), Scale.zero,
                out.address.floats(), Int32(n), Int64(m * n), Int32(count)), "cublasSgemmStridedBatched")
        }
        return withExtendedLifetime((x.tensor, y.tensor)) { out.tensor }
    }

    /// A row-major operand on the device and its element stride along a batch of `batch` matrices (0 when one
    /// matrix serves the whole batch; partly broadcast batches are expanded first).
    private func batchOperand(_ operand: Tensor, batch: [Int]) -> ((tensor: Tensor, address: CUdeviceptr), Int) {
        let matrix = operand.shape.suffix(2)
        let own = operand.shape.dropLast(2).reduce(1, *)
        if own == 1 { return (readable(operand), 0) }
        let padded = Array(repeating: 1, count: batch.count - (operand.rank - 2)) + operand.shape.dropLast(2)
        let full = padded == batch ? operand : operand.expanded(to: batch + matrix)
        return (readable(full), matrix.reduce(1, *))
    }

    func gram(_ features: Tensor) -> Tensor {
        let (batch, channels) = (features.shape[0], features.shape[1])
        let pixels = features.shape[2] * features.shape[3]
        guard batch > 0 && channels > 0 && pixels > 0 else { return Tensor(zeros: [batch, channels, channels]) }
        let f = readable(features)
        let out = output([batch, channels, channels])
        let api = context.libraries.cublas
        // Column-major, F's rows are the columns of a [pixels, channels] matrix: G = (that)ᵀ · (that).
        context.serially {
            api.check(api.cublasSgemmStridedBatched(
                context.cublas, 1, 0, Int32(channels), Int32(channels), Int32(pixels), Scale.one,
                UnsafeRawPointer(f.address.floats()), Int32(pixels), Int64(channels * pixels),
                UnsafeRawPointer(f.address.floats()), Int32(pixels), Int64(channels * pixels), Scale.zero,
                out.address.floats(), Int32(channels), Int64(channels * channels), Int32(batch)),
                      "cublasSgemmStridedBatched (Gram)")
        }
        return withExtendedLifetime(f.tensor) { out.tensor }
    }
}
