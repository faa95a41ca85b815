
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

}

/// A ≈ L·Lᵀ for a symmetric positive definite A, with L's small entries dropped as it is built (threshold
/// incomplete Cholesky, as pymatting's `ichol`: left-looking, column by column, an entry kept when its
/// magnitude exceeds `dropBelow`, 1e-4, the diagonal reduced by dropped entries too). A pivot that is not
/// positive restarts the factorisation on A + s·I with s growing from 1e-4 tenfold (pymatting's shifts).
struct IncompleteCholesky {
    /// L by columns: column j's entries are `rows`/`values` from `columnStarts[j]`, the diagonal first, the
    /// rows below it ascending.
    private(set) var columnStarts: [Int] = [0], rows: [Int] = [], values: [Double] = []

    init(_ matrix: SparseMatrix, dropBelow threshold: Double = 1e-4) {
        var shift = 0.0
        while !factorise(matrix, shift: shift, threshold: threshold) {
            shift = shift == 0 ? 1e-4 : shift * 10
        }
    }

    /// Column j: A's column below the diagonal, less L_ij·L_jk for every earlier column k holding a row-j
    /// entry (found through per-row lists of the columns whose next unused entry is in that row), divided by
    /// the pivot. False when a pivot is not positive.
    private mutating func factorise(_ matrix: SparseMatrix, shift: Double, threshold: Double) -> Bool {
        let n = matrix.rows
        (columnStarts, rows, values) = ([0], [], [])
        var pivot = (0..<n).map { j in
            shift + (matrix.rowStarts[j]..<matrix.rowStarts[j + 1]).reduce(0.0) { matrix.columns[$1] == j ? $0 + matrix.values[$1] : $0 }
        }
        var accumulator = [Double](repeating: 0, count: n), touched = [Int](), isTouched = [Bool](repeating: false, count: n)
        // next[k]: column k's next entry to use; first[i]: a column whose next entry is in row i; link[k]: the
        // following column in the same row's list.
        var next = [Int](repeating: 0, count: n), first = [Int](repeating: -1, count: n), link = [Int](repeating: -1, count: n)
        func add(_ row: Int, _ value: Double) {
            accumulator[row] += value
            if !isTouched[row] {
                isTouched[row] = true
                touched.append(row)
            }
        }
        for j in 0..<n {
            for entry in matrix.rowStarts[j]..<matrix.rowStarts[j + 1] where matrix.columns[entry] > j {
                add(matrix.columns[entry], matrix.values[entry])
            }
            var k = first[j]
            while k != -1 {
                let following = link[k]
                let ljk = values[next[k]]
                next[k] += 1
                if next[k] < columnStarts[k + 1] {
                    for entry in next[k]..<columnStarts[k + 1] {
                        add(rows[entry], -values[entry] * ljk)
                    }
                    (link[k], first[rows[next[k]]]) = (first[rows[next[k]]], k)
                }
                k = following
            }
            guard pivot[j] > 0 else { return false }
            let diagonal = pivot[j].squareRoot()
            rows.append(j)
            values.append(diagonal)
            for row in touched.sorted() {
                let value = accumulator[row] / diagonal
                pivot[row] -= value * value
                if abs(value) > threshold {
                    rows.append(row)
                    values.append(value)
                }
                (accumulator[row], isTouched[row]) = (0, false)
            }
            touched.removeAll(keepingCapacity: true)
            columnStarts.append(rows.count)
            next[j] = columnStarts[j] + 1
            if next[j] < columnStarts[j + 1] {
                (link[j], first[rows[next[j]]]) = (first[rows[next[j]]], j)
            }
        }
        return true
    }

    /// (L·Lᵀ)⁻¹ r: forward substitution with L, then back substitution with Lᵀ, both by columns.
    func solve(_ r: [Double]) -> [Double] {
        var x = r
        let n = columnStarts.count - 1
        for j in 0..<n {
            x[j] /= values[columnStarts[j]]
            for entry in columnStarts[j] + 1..<columnStarts[j + 1] { x[rows[entry]] -= values[entry] * x[j] }
        }
        for j in stride(from: n - 1, through: 0, by: -1) {
            var sum = x[j]
            for entry in columnStarts[j] + 1..<columnStarts[j + 1] { sum -= values[entry] * x[rows[entry]] }
            x[j] = sum / values[columnStarts[j]]
        }
        return x
    }
}
