import Foundation

/// Nearest-neighbour upsampling of the last two dimensions by an integer factor
/// (`F.interpolate(x, scale_factor: s, mode: "nearest")`).
public func upsampleNearest2d(_ x: Tensor, scaleFactor: Int) -> Tensor {
    precondition(scaleFactor >= 1 && x.rank >= 2, "upsampleNearest2d of \(x.shape) by \(scaleFactor)")
    let height = x.shape[x.rank - 2], width = x.shape[x.rank - 1]
    // PyTorch computes the source index from the given factor, 1/s in float32, not from the sizes.
    let scale = Float(1.0 / Double(scaleFactor))
    return upsampleNearest(x, height * scaleFactor, width * scaleFactor, scale, scale)
}

/// Nearest-neighbour resampling of the last two dimensions to `size` (height, width)
/// (`F.interpolate(x, size:, mode: "nearest")`): output index `i` reads `floor(i · in/out)`.
public func upsampleNearest2d(_ x: Tensor, size: (Int, Int)) -> Tensor {
    precondition(size.0 > 0 && size.1 > 0 && x.rank >= 2, "upsampleNearest2d of \(x.shape) to \(size)")
    let height = x.shape[x.rank - 2], width = x.shape[x.rank - 1]
    return upsampleNearest(x, size.0, size.1, Float(height) / Float(size.0), Float(width) / Float(size.1))
}

/// Bilinear resampling of the last two dimensions to `size` (height, width), as
/// `F.interpolate(x, size:, mode: "bilinear", align_corners:)`.
///
/// With `alignCorners` the corner pixels' centres map onto each other; without it (PyTorch's default)
/// pixel areas are scaled and source positions left of the first centre clamp to it.
public func upsampleBilinear2d(_ x: Tensor, size: (Int, Int), alignCorners: Bool = false) -> Tensor {
    precondition(size.0 > 0 && size.1 > 0 && x.rank >= 2, "upsampleBilinear2d of \(x.shape) to \(size)")
    let height = x.shape[x.rank - 2], width = x.shape[x.rank - 1]
    let (outHeight, outWidth) = size
    let rows = linearTaps(height, outHeight, alignCorners), columns = linearTaps(width, outWidth, alignCorners)
    return planewiseLinearMap(x, outHeight: outHeight, outWidth: outWidth, forward: { source, destination in
        var output = destination
        for row in rows {
            let upper = source + row.first * width, lower = source + row.second * width
            for column in columns {
                let top = column.firstWeight * upper[column.first] + column.secondWeight * upper[column.second]
                let bottom = column.firstWeight * lower[column.first] + column.secondWeight * lower[column.second]
                output.pointee = row.firstWeight * top + row.secondWeight * bottom
                output += 1
            }
        }
    }, adjoint: { upstream, target in
        var gradient = upstream
        for row in rows {
            let upper = target + row.first * width, lower = target + row.second * width
            for column in columns {
                let top = row.firstWeight * gradient.pointee, bottom = row.secondWeight * gradient.pointee
                upper[column.first] += column.firstWeight * top
                upper[column.second] += column.secondWeight * top
                lower[column.first] += column.firstWeight * bottom
                lower[column.second] += column.secondWeight * bottom
                gradient += 1
            }
        }
    })
}

/// The two source positions an output position blends, and their weights.
private struct LinearTap {
    var first: Int, second: Int
    var firstWeight: Float, secondWeight: Float
}

/// PyTorch's source positions for linear interpolation from `inSize` to `outSize`, computed in
/// float32 as its CPU kernel does (`area_pixel_compute_source_index`).
private func linearTaps(_ inSize: Int, _ outSize: Int, _ alignCorners: Bool) -> [LinearTap] {
    if inSize == outSize {
        return (0..<outSize).map { LinearTap(first: $0, second: $0, firstWeight: 1, secondWeight: 0) }
    }
    let scale: Float = alignCorners ? (outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : 0)
                                    : Float(inSize) / Float(outSize)
    return (0..<outSize).map { i in
        let position = alignCorners ? scale * Float(i) : max(scale * (Float(i) + 0.5) - 0.5, 0)
        let first = min(Int(position), inSize - 1)
        let fraction = min(max(position - Float(first), 0), 1)
        return LinearTap(first: first, second: first + (first < inSize - 1 ? 1 : 0),
                         firstWeight: 1 - fraction, secondWeight: fraction)
    }
}

/// Nearest-neighbour resampling with PyTorch's index rule `min(floor(i · scale), in − 1)` and its
/// exact shortcuts for equal and doubled sizes.
private func upsampleNearest(_ x: Tensor, _ outHeight: Int, _ outWidth: Int,
                             _ heightScale: Float, _ widthScale: Float) -> Tensor {
    let height = x.shape[x.rank - 2], width = x.shape[x.rank - 1]
    func sources(_ inSize: Int, _ outSize: Int, _ scale: Float) -> [Int] {
        (0..<outSize).map { i in
            if outSize == inSize { return i }
            if outSize == 2 * inSize { return i >> 1 }
            return min(Int(floorf(Float(i) * scale)), inSize - 1)
        }
    }
    let rows = sources(height, outHeight, heightScale), columns = sources(width, outWidth, widthScale)
    return planewiseLinearMap(x, outHeight: outHeight, outWidth: outWidth, forward: { source, destination in
        for (i, row) in rows.enumerated() {
            let output = destination + i * outWidth
            if i > 0 && rows[i - 1] == row {
                // Upsampling repeats whole rows: copy the one just written instead of gathering again.
                output.update(from: output - outWidth, count: outWidth)
                continue
            }
            let sourceRow = source + row * width
            for (j, column) in columns.enumerated() { output[j] = sourceRow[column] }
        }
    }, adjoint: { upstream, target in
        for (i, row) in rows.enumerated() {
            let upstreamRow = upstream + i * outWidth, targetRow = target + row * width
            for (j, column) in columns.enumerated() { targetRow[column] += upstreamRow[j] }
        }
    })
}
