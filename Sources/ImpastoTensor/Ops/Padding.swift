/// Pads the last two dimensions by mirroring the input about its edge rows and columns, without
/// repeating them (`torch.nn.ReflectionPad2d`): padding `abc` by 2 on the left gives `cbabc`.
///
/// Each padding must be smaller than the dimension it extends, as PyTorch requires.
public func reflectionPad2d(_ x: Tensor, padding: (left: Int, right: Int, top: Int, bottom: Int)) -> Tensor {
    pad2d(x, padding, .reflect)
}

/// Pads the last two dimensions by repeating the edge rows and columns (`torch.nn.ReplicationPad2d`).
public func replicationPad2d(_ x: Tensor, padding: (left: Int, right: Int, top: Int, bottom: Int)) -> Tensor {
    pad2d(x, padding, .replicate)
}

/// Pads the last two dimensions with `value` (`torch.nn.ConstantPad2d`); negative padding crops, as
/// in PyTorch.
/// Wrap-around padding, as `F.pad(mode="circular")`: the rows above come from the bottom, the columns left of
/// the image from its right edge (a torus: what tileable texture synthesis convolves over).
public func circularPad2d(_ x: Tensor, padding: (left: Int, right: Int, top: Int, bottom: Int)) -> Tensor {
    pad2d(x, padding, .circular)
}

public func constantPad2d(_ x: Tensor, padding: (left: Int, right: Int, top: Int, bottom: Int),
                          value: Float = 0) -> Tensor {
    pad2d(x, padding, .constant(value))
}

enum PaddingMode {
    case reflect, replicate, circular, constant(Float)

    /// The source index that output position `i` (in input coordinates, so it may be negative or
    /// past the end) reads along a dimension of length `n`, or nil where it reads the constant.
    func source(_ i: Int, _ n: Int) -> Int? {
        switch self {
        case .reflect: i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)
        case .replicate: min(max(i, 0), n - 1)
        case .circular: (i % n + n) % n
        case .constant: (0..<n).contains(i) ? i : nil
        }
    }
}

private func pad2d(_ x: Tensor, _ padding: (left: Int, right: Int, top: Int, bottom: Int),
                   _ mode: PaddingMode) -> Tensor {
    precondition(x.rank >= 2, "2-D padding needs at least two dimensions, got \(x.shape)")
    let (left, right, top, bottom) = padding
    let height = x.shape[x.rank - 2], width = x.shape[x.rank - 1]
    let outHeight = height + top + bottom, outWidth = width + left + right
    switch mode {
    case .reflect:
        precondition([left, right, top, bottom].allSatisfy { $0 >= 0 }
                     && max(left, right) < width && max(top, bottom) < height,
                     "reflection padding \(padding) of \(x.shape): each must be ≥ 0 and smaller than the dimension")
    case .replicate:
        precondition([left, right, top, bottom].allSatisfy { $0 >= 0 } && height > 0 && width > 0,
                     "replication padding \(padding) of \(x.shape): must be ≥ 0 of a non-empty input")
    case .circular:
        precondition([left, right, top, bottom].allSatisfy { $0 >= 0 } && max(left, right) <= width
                     && max(top, bottom) <= height,
                     "circular padding \(padding) of \(x.shape): each must be ≥ 0 and at most the dimension")
    case .constant:
        precondition(outHeight >= 0 && outWidth >= 0, "constant padding \(padding) crops all of \(x.shape)")
    }
    let rows = (0..<outHeight).map { mode.source($0 - top, height) }
    // Output columns [lo, hi) copy input columns [lo − left, hi − left) in one run; the rest are edges.
    let lo = min(max(0, left), outWidth), hi = max(lo, min(outWidth, width + left))
    let edges = Array(0..<lo) + Array(hi..<outWidth)
    let edgeSources = edges.map { mode.source($0 - left, width) }
    let fill: Float = if case .constant(let value) = mode { value } else { 0 }
    return planewiseLinearMap(x, outHeight: outHeight, outWidth: outWidth, forward: { source, destination in
        for (i, row) in rows.enumerated() {
            let output = destination + i * outWidth
            guard let row else {
                output.update(repeating: fill, count: outWidth)
                continue
            }
            let sourceRow = source + row * width
            (output + lo).update(from: sourceRow + (lo - left), count: hi - lo)
            for (j, column) in zip(edges, edgeSources) { output[j] = column.map { sourceRow[$0] } ?? fill }
        }
    }, adjoint: { upstream, target in
        for (i, row) in rows.enumerated() {
            guard let row else { continue }
            let upstreamRow = upstream + i * outWidth, targetRow = target + row * width
            for j in lo..<hi { targetRow[j - left] += upstreamRow[j] }
            for (j, column) in zip(edges, edgeSources) {
                if let column { targetRow[column] += upstreamRow[j] }
            }
        }
    })
}

/// Pads one dimension of `x` with `value`, `before` elements in front and `after` behind (any axis, the
/// channel axis included, as TFLite's PAD does; `F.pad` with a longer padding list).
public func constantPad(_ x: Tensor, axis: Int, before: Int, after: Int, value: Float = 0) -> Tensor {
    let axis = normalizedAxis(axis, rank: x.rank, "constantPad")
    precondition(before >= 0 && after >= 0, "constantPad: padding \(before), \(after) must not be negative")
    func filler(_ size: Int) -> [Tensor] {
        guard size > 0 else { return [] }
        var shape = x.shape
        shape[axis] = size
        return [Tensor(repeating: value, shape: shape)]
    }
    return concat(filler(before) + [x] + filler(after), axis: axis)
}
