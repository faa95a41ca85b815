/// Joins tensors along `axis` (`torch.cat`): all must have the same rank and agree on every other
/// dimension. `axis` may be negative, counting from the end.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat of no tensors")
    let rank = tensors[0].rank
    let axis = normalizedAxis(axis, rank: rank, "concat")
    for tensor in tensors {
        let agrees = tensor.rank == rank
            && (0..<rank).allSatisfy { $0 == axis || tensor.shape[$0] == tensors[0].shape[$0] }
        precondition(agrees, "concat along \(axis) of shapes \(tensors.map(\.shape))")
    }
    let inputs = tensors.map { $0.plain() }
    var shape = tensors[0].shape
    shape[axis] = inputs.reduce(0) { $0 + $1.shape[axis] }
    // Viewed as [outer, run]: each input contributes one contiguous run to every row of the output.
    let outer = shape[..<axis].reduce(1, *)
    let runs = inputs.map { outer == 0 ? 0 : $0.count / outer }
    let row = runs.reduce(0, +)
    let offsets = runs.indices.map { runs[..<$0].reduce(0, +) }
    let result = Tensor.uninitialized(shape)
    let ys = result.basePointer
    for (k, input) in inputs.enumerated() {
        copyRows(outer, runs[k], from: input.basePointer, stride: runs[k], to: ys + offsets[k], stride: row)
    }
    return Tensor.record(result, inputs: inputs) { grad in
        let g = grad.plain()
        let gradients = inputs.indices.map { k -> Tensor? in
            guard inputs[k].requiresGrad else { return nil }
            let gradient = Tensor.uninitialized(inputs[k].shape)
            copyRows(outer, runs[k], from: g.basePointer + offsets[k], stride: row,
                     to: gradient.basePointer, stride: runs[k])
            return gradient
        }
        return withExtendedLifetime(g) { gradients }
    }
}

/// Copies `rows` runs of `run` floats from `source` (runs `sourceStride` apart) to `destination`
/// (runs `destinationStride` apart), split across cores by elements rather than rows, so that a few
/// long rows (a batch of one) still use every core.
private func copyRows(_ rows: Int, _ run: Int, from source: UnsafePointer<Float>, stride sourceStride: Int,
                      to destination: UnsafeMutablePointer<Float>, stride destinationStride: Int) {
    guard run > 0 else { return }
    parallelFor(rows * run, grain: 65_536) { range in
        var position = range.lowerBound
        while position < range.upperBound {
            let (r, c) = position.quotientAndRemainder(dividingBy: run)
            let count = min(run - c, range.upperBound - position)
            (destination + r * destinationStride + c).update(from: source + r * sourceStride + c, count: count)
            position += count
        }
    }
}
