// Matrix products on OpenBLAS's SGEMM: one call per matrix of a broadcast batch, reading transposed and
// sliced operands where they lie.

extension CPUBackend {
    func matrixProduct(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor {
        let (m, n, k, batch) = MatrixProductGeometry(a, transposingA: transposingA, b, transposingB: transposingB).sizes
        let x = MatrixOperand(a, batch: batch), y = MatrixOperand(b, batch: batch)
        return withExtendedLifetime((x.tensor, y.tensor)) {
            Tensor(shape: batch + [m, n]) { out in
                let os = out.baseAddress!
                var position = StridedOffsets(shape: batch, strides: [x.batchStrides, y.batchStrides])
                for item in 0..<batch.reduce(1, *) {
                    BLAS.gemm(transposingA: transposingA != x.isSwapped, transposingB: transposingB != y.isSwapped,
                              m: m, n: n, k: k, x.base + position.offsets[0], lda: x.leading,
                              y.base + position.offsets[1], ldb: y.leading, os + item * m * n, ldc: n)
                    position.advance()
                }
            }
        }
    }

    func gram(_ features: Tensor) -> Tensor {
        let (batch, channels) = (features.shape[0], features.shape[1])
        let pixels = features.shape[2] * features.shape[3]
        let input = features.plain()
        let result = Tensor.uninitialized([batch, channels, channels])
        let (xs, gram) = (input.basePointer, result.basePointer)
        withExtendedLifetime(input) {
            for item in 0..<batch {
                BLAS.gram(n: channels, k: pixels, xs + item * channels * pixels, gram + item * channels * channels)
            }
        }
        return result
    }
}


/// How SGEMM reads one operand of a batched product where it lies: a row-major matrix with a leading
/// dimension (rows may be padded, as in a slice), or one stored transposed (a `transposed()` view), read
/// with BLAS's transpose flag instead of being copied. Other views are copied first.
private struct MatrixOperand {
    /// The tensor read: the operand itself, or its row-major copy.
    let tensor: Tensor
    let base: UnsafeMutablePointer<Float>
    let leading: Int
    /// Whether the matrix is stored transposed (column-major).
    let isSwapped: Bool
    /// Element offsets between matrices along the product's batch (0 where this operand broadcasts).
    let batchStrides: [Int]

    init(_ operand: Tensor, batch: [Int]) {
        var tensor = operand.readableInPlace ? operand : operand.plain()
        var strides = tensor.elementStrides
        let (rows, columns) = (tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1])
        let (rowStride, columnStride) = (strides[tensor.rank - 2], strides[tensor.rank - 1])
        if columnStride == 1 && rowStride >= max(columns, 1) {
            (leading, isSwapped) = (rowStride, false)
        } else if rowStride == 1 && columnStride >= max(rows, 1) {
            (leading, isSwapped) = (columnStride, true)
        } else {
            tensor = tensor.contiguous()
            strides = Tensor.strides(of: tensor.shape)
            (leading, isSwapped) = (max(columns, 1), false)
        }
        self.tensor = tensor
        base = tensor.viewBase
        batchStrides = broadcastStrides(Array(tensor.shape.dropLast(2)), strides: Array(strides.dropLast(2)), to: batch)
    }
}
