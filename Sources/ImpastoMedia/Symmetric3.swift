// Small dense linear algebra for the per-window colour statistics of the guided filter and closed-form matting.

/// A symmetric positive definite 3×3 matrix.
struct Symmetric3 {
    var xx, xy, xz, yy, yz, zz: Double

    /// The inverse, by cofactors (for a positive definite matrix the determinant is positive).
    var inverse: Symmetric3 {
        let (cxx, cxy, cxz) = (yy * zz - yz * yz, xz * yz - xy * zz, xy * yz - xz * yy)
        let (cyy, cyz, czz) = (xx * zz - xz * xz, xy * xz - xx * yz, xx * yy - xy * xy)
        let scale = 1 / (xx * cxx + xy * cxy + xz * cxz)
        return Symmetric3(xx: cxx * scale, xy: cxy * scale, xz: cxz * scale, yy: cyy * scale, yz: cyz * scale, zz: czz * scale)
    }

    /// The matrix times `v`.
    func times(_ v: (Double, Double, Double)) -> (Double, Double, Double) {
        (xx * v.0 + xy * v.1 + xz * v.2, xy * v.0 + yy * v.1 + yz * v.2, xz * v.0 + yz * v.1 + zz * v.2)
    }

    /// x with `self · x = v`.
    func solve(_ v: (Double, Double, Double)) -> (Double, Double, Double) { inverse.times(v) }
}
