internal import CDNNL

/// OpenBLAS, run one call per thread of the engine's OpenMP team.
///
/// Debian's default OpenBLAS brings a pthread pool of its own, whose idle threads spin in `sched_yield` for
/// a while after every call, through the oneDNN convolutions that follow. On two cores the two pools took
/// turns slowing each other: a style-transfer iteration at 512 px ran 0.80–0.95 s with OpenBLAS threaded
/// and 0.76–0.79 s with it single-threaded. So OpenBLAS runs single-threaded, and these functions split
/// the work across `parallelFor`'s threads, the same ones oneDNN uses.
enum BLAS {
    /// Set once, before the first call.
    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// Fewest multiply-adds worth a thread of their own.
    private static let grainMACs = 1 << 20

    /// Row-major `C = op(A)·op(B)` for `op(A)` `[m, k]` and `op(B)` `[k, n]`, split over the larger of
    /// `m` and `n`. Leading dimensions are those of the matrices as stored.
    static func gemm(transposingA: Bool, transposingB: Bool, m: Int, n: Int, k: Int,
                     _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                     _ c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = singleThreaded
        func call(m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
            cblas_sgemm(CblasRowMajor, transposingA ? CblasTrans : CblasNoTrans, transposingB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), 0, c, Int32(max(ldc, 1)))
        }
        if m >= n {
            // Rows i… of op(A) start at row i of A, or at column i when A is stored transposed.
            parallelFor(m, grain: max(1, grainMACs / max(n * k, 1))) { rows in
                let i = rows.lowerBound
                call(m: rows.count, n: n, a: a + (transposingA ? i : i * lda), b: b, c: c + i * ldc)
            }
        } else {
            parallelFor(n, grain: max(1, grainMACs / max(m * k, 1))) { columns in
                let j = columns.lowerBound
                call(m: m, n: columns.count, a: a, b: b + (transposingB ? j * ldb : j), c: c + j)
            }
        }
    }

    /// The full symmetric `C = A·Aᵀ` of row-major `A` `[n, k]`: SSYRK (half of SGEMM's work) over a slice of
    /// the `k` columns per thread, the slices' triangles summed, then mirrored.
    static func gram(n: Int, k: Int, _ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        _ = singleThreaded
        let workers = min(Parallelism.threads, max(1, k * n * n / 2 / grainMACs))
        let slice = (k + workers - 1) / workers
        let partials = workers > 1 ? UnsafeMutablePointer<Float>.allocate(capacity: (workers - 1) * n * n) : nil
        defer { partials?.deallocate() }
        parallelFor(workers, grain: 1) { indices in
            for worker in indices {
                let start = min(k, worker * slice), columns = min(k, start + slice) - start
                let out = worker == 0 ? c : partials! + (worker - 1) * n * n
                cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(columns), 1,
                            a + start, Int32(max(k, 1)), 0, out, Int32(max(n, 1)))
            }
        }
        for i in 0..<n {
            for j in i..<n {
                var sum = c[i * n + j]
                for worker in 1..<workers { sum += partials![(worker - 1) * n * n + i * n + j] }
                c[i * n + j] = sum
                c[j * n + i] = sum
            }
        }
    }
}
