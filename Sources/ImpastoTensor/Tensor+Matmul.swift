/// Matrix products on OpenBLAS's SGEMM (see `BLAS`).
extension Tensor {
    /// `a @ b` as `torch.matmul`: the last two dimensions multiply as matrices and the leading ones are a
    /// batch that broadcasts (`[b, 1, m, k] @ [h, k, n]` is `[b, h, m, n]`); a 1-D operand is a row vector
    /// on the left and a column vector on the right, its dimension dropped from the result.
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        matmul(a, transposingA: false, b, transposingB: false)
    }

    /// `op(a) @ op(b)` where `op` transposes the last two dimensions when asked, without copying.
    public static func matmul(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor {
        precondition(a.rank >= 1 && b.rank >= 1, "matmul of \(a.shape) and \(b.shape)")
        let vectorA = a.rank == 1, vectorB = b.rank == 1
        let left = vectorA ? a.reshaped([1, a.count]) : a, right = vectorB ? b.reshaped([b.count, 1]) : b
        let product = batchedMatmul(left, transposingA: transposingA && !vectorA, right,
                                    transposingB: transposingB && !vectorB)
        guard vectorA || vectorB else { return product }
        var shape = product.shape
        if vectorB { shape.removeLast() }
        if vectorA { shape.remove(at: shape.count - (vectorB ? 1 : 2)) }
        return product.reshaped(shape)
    }

    /// The rank ≥ 2 case: one SGEMM per matrix of the broadcast batch.
    private static func batchedMatmul(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor {
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposingA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposingB ? (bc, br) : (br, bc)
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape)\(transposingA ? "ᵀ" : "") @ \(b.shape)\(transposingB ? "ᵀ" : "")")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = batchA == batchB ? batchA : broadcastShape(batchA, batchB)
        let x = MatrixOperand(a, batch: batch), y = MatrixOperand(b, batch: batch)
        let result = Tensor(shape: batch + [m, n]) { out in
            let os = out.baseAddress!
            var position = StridedOffsets(shape: batch, strides: [x.batchStrides, y.batchStrides])
            for item in 0..<batch.reduce(1, *) {
                BLAS.gemm(transposingA: transposingA != x.isSwapped, transposingB: transposingB != y.isSwapped,
                          m: m, n: n, k: k, x.base + position.offsets[0], lda: x.leading,
                          y.base + position.offsets[1], ldb: y.leading, os + item * m * n, ldc: n)
                position.advance()
            }
        }
        let (xs, ys) = (x.tensor, y.tensor)
        return record(result, inputs: [a, b]) { g in
            // d(op(A)) = G @ op(B)ᵀ and d(op(B)) = op(A)ᵀ @ G, then undo op; broadcast batches sum back.
            let ga: Tensor? = a.requiresGrad
                ? (transposingA ? batchedMatmul(ys, transposingA: transposingB, g, transposingB: true)
                                : batchedMatmul(g, transposingA: false, ys, transposingB: !transposingB))
                    .summed(toShape: a.shape)
                : nil
            let gb: Tensor? = b.requiresGrad
                ? (transposingB ? batchedMatmul(g, transposingA: true, xs, transposingB: transposingA)
                                : batchedMatmul(xs, transposingA: !transposingA, g, transposingB: false))
                    .summed(toShape: b.shape)
                : nil
            return [ga, gb]
        }
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
