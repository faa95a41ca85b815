@testable import ImpastoTensor

/// The largest element-wise |a − b|, comparing in plain float32 whatever the layouts.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "comparing \(a.shape) with \(b.shape)")
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// ‖a − b‖ / ‖b‖.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    let x = a.scalars, y = b.scalars
    let difference = zip(x, y).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
    return (difference / max(y.map { $0 * $0 }.reduce(0, +), .leastNormalMagnitude)).squareRoot()
}

extension Tensor {
    /// Whether oneDNN holds this tensor in a layout of its own (blocked) rather than plain NCHW.
    var isBlocked: Bool { !isPlain }
}
