/// Matrix products on OpenBLAS's SGEMM (see `BLAS`).
extension Tensor {
    /// `a @ b` for rank-2 `[m, k] @ [k, n]`, or batched rank-3 `[b, m, k] @ [b, k, n]`.
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        matmul(a, transposingA: false, b, transposingB: false)
    }

    /// `op(a) @ op(b)` where `op` transposes the last two dimensions when asked, without copying.
    public static func matmul(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor {
        precondition(a.rank == b.rank && (a.rank == 2 || a.rank == 3), "matmul of \(a.shape) and \(b.shape)")
        let batched = a.rank == 3
        let batch = batched ? a.shape[0] : 1
        precondition(!batched || b.shape[0] == batch, "matmul batch sizes \(a.shape) and \(b.shape)")
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposingA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposingB ? (bc, br) : (br, bc)
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape)\(transposingA ? "ᵀ" : "") @ \(b.shape)\(transposingB ? "ᵀ" : "")")
        let x = a.plain(), y = b.plain()
        let result = Tensor(shape: batched ? [batch, m, n] : [m, n]) { out in
            let xs = x.floatBuffer.baseAddress!, ys = y.floatBuffer.baseAddress!, os = out.baseAddress!
            for item in 0..<batch {
                BLAS.gemm(transposingA: transposingA, transposingB: transposingB, m: m, n: n, k: k,
                          xs + item * ar * ac, lda: ac, ys + item * br * bc, ldb: bc, os + item * m * n, ldc: n)
            }
        }
        return record(result, inputs: [a, b]) { g in
            // d(op(A)) = G @ op(B)ᵀ and d(op(B)) = op(A)ᵀ @ G, then undo op.
            let ga: Tensor? = a.requiresGrad
                ? (transposingA ? matmul(y, transposingA: transposingB, g, transposingB: true)
                                : matmul(g, transposingA: false, y, transposingB: !transposingB))
                : nil
            let gb: Tensor? = b.requiresGrad
                ? (transposingB ? matmul(g, transposingA: true, x, transposingB: transposingA)
                                : matmul(x, transposingA: !transposingA, g, transposingB: false))
                : nil
            return [ga, gb]
        }
    }
}
