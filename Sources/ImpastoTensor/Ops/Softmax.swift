import Foundation

/// `exp(x) / Σ exp(x)` along `axis` (`torch.softmax`), computed after subtracting the maximum so that
/// large inputs do not overflow. `axis` may be negative, counting from the end.
public func softmax(_ x: Tensor, axis: Int) -> Tensor {
    normalizedExponential(x, axis: axis, logarithmic: false)
}

/// `x − log Σ exp(x)` along `axis` (`torch.log_softmax`), numerically stable; better than
/// `softmax(x).log()` for losses, which would lose the small probabilities.
public func logSoftmax(_ x: Tensor, axis: Int) -> Tensor {
    normalizedExponential(x, axis: axis, logarithmic: true)
}

/// Softmax or log-softmax over the middle dimension of `x` viewed as `[outer, n, inner]`.
///
/// Work goes in tiles of up to `tileWidth` neighbouring lanes (positions along `inner`), so that for
/// channel softmax of NCHW every inner loop runs along contiguous pixels; for the last axis a tile is
/// one lane.
private func normalizedExponential(_ x: Tensor, axis: Int, logarithmic: Bool) -> Tensor {
    let axis = axis < 0 ? axis + x.rank : axis
    precondition((0..<x.rank).contains(axis), "softmax axis \(axis) of shape \(x.shape)")
    let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *), outer = x.shape[..<axis].reduce(1, *)
    let tiles = TileGrid(outer: outer, n: n, inner: inner)
    let input = x.plain()
    let result = Tensor.uninitialized(x.shape)
    let xs = input.basePointer, ys = result.basePointer
    tiles.forEach { base, width, scratch in
        let maximum = scratch, total = scratch + tileWidth
        maximum.update(from: xs + base, count: width)
        for k in 1..<max(n, 1) {
            let row = xs + base + k * inner
            for j in 0..<width { maximum[j] = max(maximum[j], row[j]) }
        }
        total.update(repeating: 0, count: width)
        for k in 0..<n {
            let source = xs + base + k * inner, destination = ys + base + k * inner
            for j in 0..<width {
                let e = expf(source[j] - maximum[j])
                total[j] += e
                if !logarithmic { destination[j] = e }
            }
        }
        if logarithmic {
            // (x − max) − log Σ, not x − (max + log Σ): the latter rounds at the scale of max.
            for j in 0..<width { total[j] = logf(total[j]) }
            for k in 0..<n {
                let source = xs + base + k * inner, destination = ys + base + k * inner
                for j in 0..<width { destination[j] = (source[j] - maximum[j]) - total[j] }
            }
        } else {
            for j in 0..<width { total[j] = 1 / total[j] }
            for k in 0..<n {
                let destination = ys + base + k * inner
                for j in 0..<width { destination[j] *= total[j] }
            }
        }
    }
    return Tensor.record(result, inputs: [input]) { grad in
        let g = grad.plain()
        let gradient = Tensor.uninitialized(x.shape)
        let gs = g.basePointer, dx = gradient.basePointer
        // softmax: dx = y·(g − Σ g·y); log-softmax: dx = g − exp(y)·Σ g.
        tiles.forEach { base, width, scratch in
            scratch.update(repeating: 0, count: width)
            for k in 0..<n {
                let upstream = gs + base + k * inner, output = ys + base + k * inner
                if logarithmic {
                    for j in 0..<width { scratch[j] += upstream[j] }
                } else {
                    for j in 0..<width { scratch[j] += upstream[j] * output[j] }
                }
            }
            for k in 0..<n {
                let upstream = gs + base + k * inner, output = ys + base + k * inner
                let destination = dx + base + k * inner
                if logarithmic {
                    for j in 0..<width { destination[j] = upstream[j] - expf(output[j]) * scratch[j] }
                } else {
                    for j in 0..<width { destination[j] = output[j] * (upstream[j] - scratch[j]) }
                }
            }
        }
        return withExtendedLifetime((g, result)) { [gradient] }
    }
}

/// Lanes per tile: wide enough for long vector loops, small enough for the scratch rows to stay in L1.
private let tileWidth = 256

/// The tiles of an `[outer, n, inner]` view, each `width ≤ tileWidth` lanes starting at element `base`.
private struct TileGrid {
    let outer: Int, n: Int, inner: Int
    var tilesPerOuter: Int { (inner + tileWidth - 1) / tileWidth }

    /// Calls `body(base, width, scratch)` for every tile, in parallel; `scratch` holds 2·`tileWidth`
    /// floats private to the calling thread.
    func forEach(_ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        let count = n == 0 ? 0 : outer * tilesPerOuter
        let perTile = n * min(inner, tileWidth)
        parallelFor(count, grain: max(1, 16_384 / max(perTile, 1))) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * tileWidth) { scratch in
                for tile in range {
                    let (o, t) = tile.quotientAndRemainder(dividingBy: tilesPerOuter)
                    let start = t * tileWidth
                    body(o * n * inner + start, min(tileWidth, inner - start), scratch.baseAddress!)
                }
            }
        }
    }
}
