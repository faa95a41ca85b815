/// Matrix products (the CPU backend's are OpenBLAS's SGEMM, see `BLAS`).
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

    /// The rank ≥ 2 case.
    private static func batchedMatmul(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor {
        let k = a.shape[a.rank - (transposingA ? 2 : 1)], k2 = b.shape[b.rank - (transposingB ? 1 : 2)]
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape)\(transposingA ? "ᵀ" : "") @ \(b.shape)\(transposingB ? "ᵀ" : "")")
        _ = broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
        let result = a.backend.matrixProduct(a, transposingA: transposingA, b, transposingB: transposingB)
        return record(result, inputs: [a, b]) { g in
            // d(op(A)) = G @ op(B)ᵀ and d(op(B)) = op(A)ᵀ @ G, then undo op; broadcast batches sum back.
            let ga: Tensor? = a.requiresGrad
                ? (transposingA ? batchedMatmul(b, transposingA: transposingB, g, transposingB: true)
                                : batchedMatmul(g, transposingA: false, b, transposingB: !transposingB))
                    .summed(toShape: a.shape)
                : nil
            let gb: Tensor? = b.requiresGrad
                ? (transposingB ? batchedMatmul(g, transposingA: true, a, transposingB: transposingA)
                                : batchedMatmul(a, transposingA: !transposingA, g, transposingB: false))
                    .summed(toShape: b.shape)
                : nil
            return [ga, gb]
        }
    }
}
