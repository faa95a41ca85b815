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
/// Along the last axis (`inner == 1`) each row is contiguous and its loops run along it. Otherwise
/// the work goes in tiles of up to `tileWidth` neighbouring lanes (positions along `inner`), whose
/// loops run along contiguous pixels while the reduction steps over the axis.
private func normalizedExponential(_ x: Tensor, axis: Int, logarithmic: Bool) -> Tensor {
    let axis = normalizedAxis(axis, rank: x.rank, "softmax")
    let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *), outer = x.shape[..<axis].reduce(1, *)
    let input = x.plain()
    let result = Tensor.uninitialized(x.shape)
    let xs = input.basePointer, ys = result.basePointer
    forEachTile(outer: outer, n: n, inner: inner) { base, width, scratch in
        if inner == 1 {
            softmaxRow(xs + base, ys + base, n, logarithmic: logarithmic)
        } else {
            softmaxTile(xs + base, ys + base, n, inner, width, scratch, logarithmic: logarithmic)
        }
    }
    return Tensor.record(result, inputs: [input]) { grad in
        let g = grad.plain()
        let gradient = Tensor.uninitialized(x.shape)
        let gs = g.basePointer, dx = gradient.basePointer
        forEachTile(outer: outer, n: n, inner: inner) { base, width, scratch in
            softmaxGradient(gs + base, ys + base, dx + base, n, inner, width, scratch, logarithmic: logarithmic)
        }
        return withExtendedLifetime((g, result)) { [gradient] }
    }
}

/// Lanes per tile: wide enough for long vector loops, small enough for the scratch rows to stay in L1.
private let tileWidth = 256

/// Calls `body(base, width, scratch)` for every tile of an `[outer, n, inner]` view, in parallel: the
/// tile's lanes start at element `base` and number `width` (1 when `inner` is 1: a tile is a row);
/// `scratch` holds `tileWidth` floats private to the calling thread.
private func forEachTile(outer: Int, n: Int, inner: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
    let tilesPerOuter = (inner + tileWidth - 1) / tileWidth
    let count = n == 0 ? 0 : outer * tilesPerOuter
    parallelFor(count, grain: planeGrain(n * min(inner, tileWidth))) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * tileWidth) { scratch in
            for tile in range {
                let (o, t) = tile.quotientAndRemainder(dividingBy: tilesPerOuter)
                let start = t * tileWidth
                body(o * n * inner + start, min(tileWidth, inner - start), scratch.baseAddress!)
            }
        }
    }
}

/// Softmax (or log-softmax) of one contiguous row of `n`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, logarithmic: Bool) {
    var maxima = SIMD16<Float>(repeating: -.infinity), maximum = -Float.infinity
    inBlocksOf16(n, vector: { maxima = lanewiseMaximum(maxima, load16(x, $0)) },
                 scalar: { maximum = max(maximum, x[$0]) })
    maximum = max(maximum, maxima.max())
    var sums = SIMD16<Float>(), total: Float = 0
    inBlocksOf16(n, vector: { i in
        let e = exponential(load16(x, i) - maximum)
        sums += e
        if !logarithmic { store16(e, y, i) }
    }, scalar: { i in
        let e = exponential(x[i] - maximum)
        total += e
        if !logarithmic { y[i] = e }
    })
    total += sums.sum()
    if logarithmic {
        // (x − max) − log Σ, not x − (max + log Σ): the latter rounds at the scale of max.
        let logTotal = logf(total)
        inBlocksOf16(n, vector: { i in store16(load16(x, i) - maximum - logTotal, y, i) },
                     scalar: { i in y[i] = x[i] - maximum - logTotal })
    } else {
        let scale = 1 / total
        inBlocksOf16(n, vector: { i in store16(load16(y, i) * scale, y, i) }, scalar: { i in y[i] *= scale })
    }
}

/// Softmax over `n` rows `inner` apart of a tile of `width` contiguous lanes.
@inline(__always)
private func softmaxTile(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ inner: Int,
                         _ width: Int, _ scratch: UnsafeMutablePointer<Float>, logarithmic: Bool) {
    let maximum = scratch, total = scratch + tileWidth
    maximum.update(from: x, count: width)
    for k in 1..<n {
        let row = x + k * inner
        inBlocksOf16(width, vector: { j in store16(lanewiseMaximum(load16(maximum, j), load16(row, j)), maximum, j) },
                     scalar: { j in maximum[j] = max(maximum[j], row[j]) })
    }
    total.update(repeating: 0, count: width)
    for k in 0..<n {
        let source = x + k * inner, destination = y + k * inner
        inBlocksOf16(width, vector: { j in
            let e = exponential(load16(source, j) - load16(maximum, j))
            store16(load16(total, j) + e, total, j)
            if !logarithmic { store16(e, destination, j) }
        }, scalar: { j in
            let e = exponential(source[j] - maximum[j])
            total[j] += e
            if !logarithmic { destination[j] = e }
        })
    }
    if logarithmic {
        for j in 0..<width { total[j] = logf(total[j]) }
        for k in 0..<n {
            let source = x + k * inner, destination = y + k * inner
            inBlocksOf16(width, vector: { j in
                store16(load16(source, j) - load16(maximum, j) - load16(total, j), destination, j)
            }, scalar: { j in destination[j] = source[j] - maximum[j] - total[j] })
        }
    } else {
        for j in 0..<width { total[j] = 1 / total[j] }
        for k in 0..<n {
            let destination = y + k * inner
            inBlocksOf16(width, vector: { j in store16(load16(destination, j) * load16(total, j), destination, j) },
                         scalar: { j in destination[j] *= total[j] })
        }
    }
}

/// The input gradient of a tile (or row, with `inner` 1 and `width` 1) from the output `y` and its
/// gradient `g`: softmax gives y·(g − Σ g·y), log-softmax g − exp(y)·Σ g.
@inline(__always)
private func softmaxGradient(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                             _ n: Int, _ inner: Int, _ width: Int, _ scratch: UnsafeMutablePointer<Float>,
                             logarithmic: Bool) {
    if inner == 1 {
        let sum = logarithmic ? vectorSum(g, n) : vectorDot(g, y, n)
        if logarithmic {
            inBlocksOf16(n, vector: { i in store16(load16(g, i) - exponential(load16(y, i)) * sum, dx, i) },
                         scalar: { i in dx[i] = g[i] - exponential(y[i]) * sum })
        } else {
            inBlocksOf16(n, vector: { i in store16(load16(y, i) * (load16(g, i) - sum), dx, i) },
                         scalar: { i in dx[i] = y[i] * (g[i] - sum) })
        }
        return
    }
    scratch.update(repeating: 0, count: width)
    for k in 0..<n {
        let upstream = g + k * inner, output = y + k * inner
        inBlocksOf16(width, vector: { j in
            let term = logarithmic ? load16(upstream, j) : load16(upstream, j) * load16(output, j)
            store16(load16(scratch, j) + term, scratch, j)
        }, scalar: { j in scratch[j] += logarithmic ? upstream[j] : upstream[j] * output[j] })
    }
    for k in 0..<n {
        let upstream = g + k * inner, output = y + k * inner, destination = dx + k * inner
        if logarithmic {
            inBlocksOf16(width, vector: { j in
                store16(load16(upstream, j) - exponential(load16(output, j)) * load16(scratch, j), destination, j)
            }, scalar: { j in destination[j] = upstream[j] - exponential(output[j]) * scratch[j] })
        } else {
            inBlocksOf16(width, vector: { j in
                store16(load16(output, j) * (load16(upstream, j) - load16(scratch, j)), destination, j)
            }, scalar: { j in destination[j] = output[j] * (upstream[j] - scratch[j]) })
        }
    }
}
