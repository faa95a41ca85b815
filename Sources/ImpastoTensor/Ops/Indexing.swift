// Picking elements by index or by condition: PyTorch's index_select, gather, embedding, where, roll and
// the comparisons that make masks. Indices come as integer tensors (any integer dtype) and are checked
// against the dimension they index.

/// The slices of `x` along `axis` at `indices` (1-D), in that order (`torch.index_select`); an index may
/// repeat. Differentiable in `x`: repeated indices add their gradients.
public func indexSelect(_ x: Tensor, axis: Int, indices: Tensor) -> Tensor {
    precondition(indices.rank == 1, "indexSelect: indices must be 1-D, got \(indices.shape)")
    let axis = normalizedAxis(axis, rank: x.rank, "indexSelect")
    let n = x.shape[axis], inner = x.shape[(axis + 1)...].reduce(1, *), outer = x.shape[..<axis].reduce(1, *)
    let picks = checkedIndices(indices, below: n, "indexSelect along axis \(axis) of \(x.shape)")
    let input = x.plain()
    var shape = x.shape
    shape[axis] = picks.count
    let result = Tensor.uninitialized(shape)
    let xs = input.basePointer, ys = result.basePointer
    parallelFor(outer * picks.count, grain: max(1, 16_384 / max(inner, 1))) { rows in
        for row in rows {
            let (o, j) = row.quotientAndRemainder(dividingBy: picks.count)
            (ys + row * inner).update(from: xs + (o * n + picks[j]) * inner, count: inner)
        }
    }
    return Tensor.record(result, inputs: [input]) { grad in
        let g = grad.plain()
        let gradient = Tensor(zeros: input.shape)
        let gs = g.basePointer, dx = gradient.basePointer
        // Per outer slice in parallel; within one, repeated indices add into the same row in order.
        parallelFor(outer, grain: max(1, 16_384 / max(picks.count * inner, 1))) { slices in
            for o in slices {
                for (j, pick) in picks.enumerated() {
                    let target = dx + (o * n + pick) * inner, source = gs + (o * picks.count + j) * inner
                    for i in 0..<inner { target[i] += source[i] }
                }
            }
        }
        return withExtendedLifetime(g) { [gradient] }
    }
}

/// Rows of `weight` (`[vocabulary, dimension]`) for each id (`F.embedding`): the result has `ids`' shape
/// plus the dimension.
public func embedding(_ ids: Tensor, weight: Tensor) -> Tensor {
    precondition(weight.rank == 2, "embedding: weight must be [vocabulary, dimension], got \(weight.shape)")
    return indexSelect(weight, axis: 0, indices: ids.reshaped([ids.count])).reshaped(ids.shape + [weight.shape[1]])
}

/// `x` read along `axis` at the positions `indices` holds (`torch.gather`): `indices` has `x`'s rank and
/// no dimension larger than `x`'s; the result has `indices`' shape, and along `axis` element `i` of the
/// result is `x` at `indices[i]`. Differentiable in `x` (scatter-add).
public func gather(_ x: Tensor, axis: Int, indices: Tensor) -> Tensor {
    let axis = normalizedAxis(axis, rank: x.rank, "gather")
    precondition(indices.rank == x.rank && zip(indices.shape, x.shape).enumerated().allSatisfy {
        $0.offset == axis || $0.element.0 <= $0.element.1
    }, "gather: indices \(indices.shape) for input \(x.shape) along axis \(axis)")
    let picks = checkedIndices(indices, below: x.shape[axis], "gather along axis \(axis) of \(x.shape)")
    let input = x.plain()
    // Walking the result, the source offset is the result position's with the axis coordinate replaced.
    var sourceStrides = Tensor.strides(of: x.shape)
    let axisStride = sourceStrides[axis]
    sourceStrides[axis] = 0
    let shape = indices.shape, strides = sourceStrides
    let result = Tensor.uninitialized(shape)
    let xs = input.basePointer, ys = result.basePointer
    var position = StridedOffsets(shape: shape, strides: [strides])
    for flat in 0..<picks.count {
        ys[flat] = xs[position.offsets[0] + picks[flat] * axisStride]
        position.advance()
    }
    return Tensor.record(result, inputs: [input]) { grad in
        let g = grad.plain()
        let gradient = Tensor(zeros: input.shape)
        let gs = g.basePointer, dx = gradient.basePointer
        var position = StridedOffsets(shape: shape, strides: [strides])
        for flat in 0..<picks.count {
            dx[position.offsets[0] + picks[flat] * axisStride] += gs[flat]
            position.advance()
        }
        return withExtendedLifetime(g) { [gradient] }
    }
}

/// `a` where `condition` is true (non-zero), `b` elsewhere (`torch.where`; mlx's `which`), all three
/// broadcast together. Differentiable in `a` and `b`; each gets the gradient where it was chosen.
public func which(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = broadcastShape(broadcastShape(condition.shape, a.shape), b.shape)
    let mask = condition.converted(to: .bool), x = a.plain(), y = b.plain()
    let maskStrides = broadcastStrides(mask.shape, to: shape)
    let xStrides = broadcastStrides(x.shape, to: shape), yStrides = broadcastStrides(y.shape, to: shape)
    let chosen = UnsafeRawPointer(mask.storage.hostPointer).assumingMemoryBound(to: UInt8.self)
    let xs = x.basePointer, ys = y.basePointer
    let result = Tensor(shape: shape) { out in
        var position = StridedOffsets(shape: shape, strides: [maskStrides, xStrides, yStrides])
        for flat in out.indices {
            let offsets = position.offsets
            out[flat] = chosen[offsets[0]] != 0 ? xs[offsets[1]] : ys[offsets[2]]
            position.advance()
        }
    }
    return Tensor.record(result, inputs: [x, y]) { grad in
        let g = grad.plain()
        let zeros = Tensor(zeros: [])
        return [x.requiresGrad ? which(mask, g, zeros).summed(toShape: x.shape) : nil,
                y.requiresGrad ? which(mask, zeros, g).summed(toShape: y.shape) : nil]
    }
}

/// `x` shifted circularly by `shifts[i]` along `axes[i]` (`torch.roll`): elements pushed past the end come
/// back at the start. Differentiable.
public func roll(_ x: Tensor, shifts: [Int], axes: [Int]) -> Tensor {
    precondition(shifts.count == axes.count, "roll: \(shifts.count) shifts for \(axes.count) axes")
    let input = x.plain()
    let strides = Tensor.strides(of: x.shape)
    var shift = [Int](repeating: 0, count: x.rank)
    for (amount, axis) in zip(shifts, axes) {
        let axis = normalizedAxis(axis, rank: x.rank, "roll")
        let size = max(x.shape[axis], 1)
        shift[axis] = ((shift[axis] + amount) % size + size) % size
    }
    let shape = x.shape, xs = input.basePointer
    let result = Tensor(shape: shape) { out in
        // Output position p reads input position p − shift (mod size) along each axis.
        var position = StridedOffsets(shape: shape, strides: [strides])
        for flat in out.indices {
            var source = 0
            for axis in shape.indices {
                let coordinate = position.index[axis] - shift[axis]
                source += (coordinate < 0 ? coordinate + shape[axis] : coordinate) * strides[axis]
            }
            out[flat] = xs[source]
            position.advance()
        }
    }
    return Tensor.record(result, inputs: [input]) { grad in
        [roll(grad, shifts: shift.map { -$0 }, axes: Array(shape.indices))]
    }
}

// Comparisons, element-wise with broadcasting, giving bool masks (for `which`, or as float32 via `plain()`).
extension Tensor {
    public static func .> (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b) { $0 > $1 ? 1 : 0 }.converted(to: .bool) }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b) { $0 < $1 ? 1 : 0 }.converted(to: .bool) }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b) { $0 >= $1 ? 1 : 0 }.converted(to: .bool) }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b) { $0 <= $1 ? 1 : 0 }.converted(to: .bool) }
    public static func .== (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b) { $0 == $1 ? 1 : 0 }.converted(to: .bool) }
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { a.zipMap(b) { $0 != $1 ? 1 : 0 }.converted(to: .bool) }
    public static func .> (a: Tensor, b: Float) -> Tensor { a .> Tensor(b) }
    public static func .< (a: Tensor, b: Float) -> Tensor { a .< Tensor(b) }
    public static func .>= (a: Tensor, b: Float) -> Tensor { a .>= Tensor(b) }
    public static func .<= (a: Tensor, b: Float) -> Tensor { a .<= Tensor(b) }
}

/// `axis`, counted from the end when negative, checked against `rank`.
func normalizedAxis(_ axis: Int, rank: Int, _ op: String) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    precondition((0..<rank).contains(resolved), "\(op): axis \(axis) of a rank-\(rank) tensor")
    return resolved
}

/// The elements of an integer tensor, each checked to lie in `0..<bound`.
private func checkedIndices(_ indices: Tensor, below bound: Int, _ what: String) -> [Int] {
    precondition(!indices.dtype.isFloatingPoint, "\(what): indices must be integers, not \(indices.dtype)")
    let values = indices.integers
    if let bad = values.first(where: { !(0..<bound).contains($0) }) {
        preconditionFailure("\(what): index \(bad) is out of range 0..<\(bound)")
    }
    return values
}
