// Compressed sparse rows, and the incomplete Cholesky factor that preconditions closed-form matting's
// conjugate gradients.

/// A sparse matrix by rows (CSR), each row's columns ascending.
struct SparseMatrix {
    /// Where each row starts in `columns` and `values`, and one past the last row's end.
    var rowStarts: [Int]
    var columns: [Int]
    var values: [Double]

    var rows: Int { rowStarts.count - 1 }

    /// The matrix times `x`.
    func times(_ x: [Double]) -> [Double] {
        (0..<rows).map { row in
            (rowStarts[row]..<rowStarts[row + 1]).reduce(0) { $0 + values[$1] * x[columns[$1]] }
        }
    }

    /// The entries on and below the diagonal.
    func lowerTriangle() -> SparseMatrix {
        var lower = SparseMatrix(rowStarts: [0], columns: [], values: [])
        for row in 0..<rows {
            for entry in rowStarts[row]..<rowStarts[row + 1] where columns[entry] <= row {
                lower.columns.append(columns[entry])
                lower.values.append(values[entry])
            }
            lower.rowStarts.append(lower.columns.count)
        }
        return lower
    }
}

/// A ≈ L·Lᵀ with L restricted to the sparsity of A's lower triangle (IC(0)), for a symmetric positive
/// definite A. When a pivot is not positive the factorisation is restarted on A + s·diag(A) with s growing
/// from 1e-4 tenfold, as pymatting's `ichol` shifts.
struct IncompleteCholesky {
    /// L by rows, the diagonal last in each row.
    let factor: SparseMatrix

    init(_ matrix: SparseMatrix) {
        let lower = matrix.lowerTriangle()
        var shift = 0.0
        while true {
            if let factor = Self.factorise(lower, shift: shift) {
                self.factor = factor
                return
            }
            shift = shift == 0 ? 1e-4 : shift * 10
        }
    }

    /// Row by row: L_ij = (A_ij − Σ_k L_ik L_jk) / L_jj over the k both rows hold, L_ii = √(A_ii − Σ_k L_ik²).
    private static func factorise(_ lower: SparseMatrix, shift: Double) -> SparseMatrix? {
        var factor = lower
        let (starts, columns) = (lower.rowStarts, lower.columns)
        for row in 0..<lower.rows {
            let (first, diagonal) = (starts[row], starts[row + 1] - 1)
            for entry in first..<diagonal {
                let column = columns[entry]
                var sum = factor.values[entry]
                var (a, b) = (first, starts[column])
                while a < entry && b < starts[column + 1] - 1 {
                    if columns[a] == columns[b] {
                        sum -= factor.values[a] * factor.values[b]
                        (a, b) = (a + 1, b + 1)
                    } else if columns[a] < columns[b] { a += 1 } else { b += 1 }
                }
                factor.values[entry] = sum / factor.values[starts[column + 1] - 1]
            }
            var pivot = factor.values[diagonal] * (1 + shift)
            for entry in first..<diagonal { pivot -= factor.values[entry] * factor.values[entry] }
            guard pivot > 0 else { return nil }
            factor.values[diagonal] = pivot.squareRoot()
        }
        return factor
    }

    /// (L·Lᵀ)⁻¹ r: forward substitution with L, then back substitution with Lᵀ.
    func solve(_ r: [Double]) -> [Double] {
        let (starts, columns, values) = (factor.rowStarts, factor.columns, factor.values)
        var y = r
        for row in 0..<factor.rows {
            let diagonal = starts[row + 1] - 1
            var sum = y[row]
            for entry in starts[row]..<diagonal { sum -= values[entry] * y[columns[entry]] }
            y[row] = sum / values[diagonal]
        }
        for row in stride(from: factor.rows - 1, through: 0, by: -1) {
            let diagonal = starts[row + 1] - 1
            y[row] /= values[diagonal]
            for entry in starts[row]..<diagonal { y[columns[entry]] -= values[entry] * y[row] }
        }
        return y
    }
}
