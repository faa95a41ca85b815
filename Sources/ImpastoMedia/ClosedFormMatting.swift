import Foundation

// Closed-form matting (Levin, Lischinski and Weiss, "A Closed-Form Solution to Natural Image Matting", TPAMI
// 2008). In every 3×3 window alpha is assumed an affine function of the colour; eliminating that function
// leaves a quadratic αᵀLα in the matting Laplacian L, whose entry for pixels i, j sums over the windows w
// holding both: δᵢⱼ − (1 + (Iᵢ − μ_w)ᵀ (Σ_w + ε/9 · 1)⁻¹ (Iⱼ − μ_w)) / 9.
//
// As pymatting 1.1's `estimate_alpha_cf` (the reference of the tests): trimap values above 0.9 are
// foreground, below 0.1 background, both fixed; the unknown pixels U solve L_UU α_U = −L_UK α_K, which only
// needs the windows that hold an unknown pixel. Conjugate gradients from zero, to pymatting's stopping rule
// (residual below 1e-7 of the right-hand side's norm), preconditioned by a threshold incomplete Cholesky
// factor as pymatting's `ichol` builds it (fill kept above 1e-4). On the 512×512 astronaut with rembg's
// trimap (29 221 unknown pixels) CG takes 7 iterations (pymatting: 7); with IC(0), the factor restricted to L_UU's own
// sparsity, it took 384, and SciPy's CG with a Jacobi preconditioner 1489 (trimap rebuilt in numpy, 29 312
// unknown).

/// Alpha from a photo and a trimap by closed-form matting, solved by preconditioned conjugate gradients.
public enum ClosedFormMatting {
    /// A solved matte.
    public struct Result: Sendable {
        /// Opacity per pixel, row-major, in [0, 1].
        public let alpha: [Float]
        /// Conjugate-gradient iterations run.
        public let iterations: Int
        /// Whether the residual met the tolerance within the iteration limit.
        public let converged: Bool
    }

    /// The alpha matte of `image` (RGB; gray is repeated, alpha ignored) where `trimap` (row-major, one value
    /// per pixel) fixes the pixels above 0.9 to 1 and below 0.1 to 0 and leaves the rest to the solver.
    /// `epsilon` regularises each window's colour covariance (pymatting's default 1e-7).
    public static func alpha(image: Image, trimap: [Float], epsilon: Double = 1e-7, tolerance: Double = 1e-7,
                             maxIterations: Int = 10_000) -> Result {
        precondition(trimap.count == image.width * image.height, "the trimap has \(trimap.count) values for \(image.width * image.height) pixels")
        var alpha = trimap.map(clampedSample)
        let unknown = trimap.indices.filter { trimap[$0] >= 0.1 && trimap[$0] <= 0.9 }
        guard !unknown.isEmpty, image.width >= 3, image.height >= 3 else {
            return Result(alpha: alpha, iterations: 0, converged: true)
        }
        let laplacian = MattingLaplacian(image: image.rgb(), trimap: trimap, unknown: unknown, epsilon: epsilon)
        let (solution, iterations, converged) = laplacian.solve(tolerance: tolerance, maxIterations: maxIterations)
        for (k, pixel) in unknown.enumerated() { alpha[pixel] = clampedSample(Float(solution[k])) }
        return Result(alpha: alpha, iterations: iterations, converged: converged)
    }
}

/// The rows of the matting Laplacian that belong to unknown pixels: L_UU as a sparse matrix (each pixel
/// meets the pixels up to two away) and the right-hand side −L_UK α_K.
struct MattingLaplacian {
    let matrix: SparseMatrix
    let rightHandSide: [Double]

    init(image: Image, trimap: [Float], unknown: [Int], epsilon: Double) {
        let width = image.width
        let colour = (0..<3).map { image.plane($0).map(Double.init) }
        var slot = [Int](repeating: -1, count: trimap.count)
        for (k, pixel) in unknown.enumerated() { slot[pixel] = k }
        // Row k's entry for the pixel (dx, dy) away is stencil[25 k + 5 (dy + 2) + dx + 2].
        var stencil = [Double](repeating: 0, count: 25 * unknown.count)
        var rightHandSide = [Double](repeating: 0, count: unknown.count)
        let pixel = { (centre: Int, k: Int) in centre + (k / 3 - 1) * width + k % 3 - 1 }
        for y in 1..<image.height - 1 {
            for x in 1..<width - 1 {
                let centre = y * width + x
                let pixels = (0..<9).map { pixel(centre, $0) }
                guard pixels.contains(where: { slot[$0] >= 0 }) else { continue }
                let window = Self.window(pixels.map { p in (colour[0][p], colour[1][p], colour[2][p]) }, epsilon: epsilon)
                for i in 0..<9 where slot[pixels[i]] >= 0 {
                    for j in 0..<9 {
                        let value: Double = (i == j ? 1 : 0) - window(i, j)
                        if slot[pixels[j]] >= 0 {
                            let offset: Int = 5 * (j / 3 - i / 3 + 2) + (j % 3 - i % 3 + 2)
                            stencil[25 * slot[pixels[i]] + offset] += value
                        } else if trimap[pixels[j]] > 0.9 {
                            rightHandSide[slot[pixels[i]]] -= value
                        }
                    }
                }
            }
        }
        self.rightHandSide = rightHandSide
        matrix = Self.rows(stencil, unknown: unknown, slot: slot, width: width)
    }

    /// (1 + dᵢᵀ (Σ + ε/9)⁻¹ dⱼ) / 9 for the window's nine colours, d the colours less their mean.
    private static func window(_ colours: [(Double, Double, Double)], epsilon: Double) -> (Int, Int) -> Double {
        let mean = colours.reduce((0.0, 0.0, 0.0)) { ($0.0 + $1.0 / 9, $0.1 + $1.1 / 9, $0.2 + $1.2 / 9) }
        let d = colours.map { ($0.0 - mean.0, $0.1 - mean.1, $0.2 - mean.2) }
        let moment = { (f: ((Double, Double, Double)) -> Double, diagonal: Bool) in
            (d.reduce(0) { $0 + f($1) } + (diagonal ? epsilon : 0)) / 9
        }
        let inverse = Symmetric3(xx: moment({ $0.0 * $0.0 }, true), xy: moment({ $0.0 * $0.1 }, false), xz: moment({ $0.0 * $0.2 }, false),
                                 yy: moment({ $0.1 * $0.1 }, true), yz: moment({ $0.1 * $0.2 }, false), zz: moment({ $0.2 * $0.2 }, true)).inverse
        let weighted = d.map { inverse.times($0) }
        return { i, j in (1 + weighted[i].0 * d[j].0 + weighted[i].1 * d[j].1 + weighted[i].2 * d[j].2) / 9 }
    }

    /// The stencil as compressed rows, columns ascending (row-major pixel order is slot order).
    private static func rows(_ stencil: [Double], unknown: [Int], slot: [Int], width: Int) -> SparseMatrix {
        var matrix = SparseMatrix(rowStarts: [0], columns: [], values: [])
        for (k, pixel) in unknown.enumerated() {
            for offset in 0..<25 where stencil[25 * k + offset] != 0 {
                let neighbour = pixel + (offset / 5 - 2) * width + offset % 5 - 2
                matrix.columns.append(slot[neighbour])
                matrix.values.append(stencil[25 * k + offset])
            }
            matrix.rowStarts.append(matrix.columns.count)
        }
        return matrix
    }

    /// α_U by conjugate gradients from zero, preconditioned by threshold incomplete Cholesky, stopping when the residual's norm
    /// falls below `tolerance` times the right-hand side's.
    func solve(tolerance: Double, maxIterations: Int) -> (solution: [Double], iterations: Int, converged: Bool) {
        let b = rightHandSide
        let preconditioner = IncompleteCholesky(matrix)
        var x = [Double](repeating: 0, count: b.count), r = b
        let goal = tolerance * norm(b)
        if norm(r) <= goal { return (x, 0, true) }
        var z = preconditioner.solve(r), p = z
        var rz = dot(r, z)
        for iteration in 1...maxIterations {
            let ap = matrix.times(p)
            let step = rz / dot(p, ap)
            for k in x.indices {
                x[k] += step * p[k]
                r[k] -= step * ap[k]
            }
            if norm(r) < goal { return (x, iteration, true) }
            z = preconditioner.solve(r)
            let rzNext = dot(r, z)
            let beta = rzNext / rz
            rz = rzNext
            for k in p.indices { p[k] = z[k] + beta * p[k] }
        }
        return (x, maxIterations, false)
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
    private func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }
}
