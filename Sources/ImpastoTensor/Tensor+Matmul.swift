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
        // Matrix offsets of each operand along the batch: its strides, 0 where it broadcasts.
        let stridesA = broadcastStrides(batchA, to: batch).map { $0 * ar * ac }
        let stridesB = broadcastStrides(batchB, to: batch).map { $0 * br * bc }
        let x = a.plain(), y = b.plain()
        let result = Tensor(shape: batch + [m, n]) { out in
            let xs = x.floatBuffer.baseAddress!, ys = y.floatBuffer.baseAddress!, os = out.baseAddress!
            var position = StridedOffsets(shape: batch, strides: [stridesA, stridesB])
            for item in 0..<batch.reduce(1, *) {
                BLAS.gemm(transposingA: transposingA, transposingB: transposingB, m: m, n: n, k: k,
                          xs + position.offsets[0], lda: ac, ys + position.offsets[1], ldb: bc,
                          os + item * m * n, ldc: n)
                position.advance()
            }
        }
        return record(result, inputs: [a, b]) { g in
            // d(op(A)) = G @ op(B)ᵀ and d(op(B)) = op(A)ᵀ @ G, then undo op; broadcast batches sum back.
            let ga: Tensor? = a.requiresGrad
                ? (transposingA ? batchedMatmul(y, transposingA: transposingB, g, transposingB: true)
                                : batchedMatmul(g, transposingA: false, y, transposingB: !transposingB))
                    .summed(toShape: a.shape)
                : nil
            let gb: Tensor? = b.requiresGrad
                ? (transposingB ? batchedMatmul(g, transposingA: true, x, transposingB: transposingA)
                                : batchedMatmul(x, transposingA: !transposingA, g, transposingB: false))
                    .summed(toShape: b.shape)
                : nil
            return [ga, gb]
        }
    }
}
