/// Joins tensors along `axis` (`torch.cat`): all must have the same rank and agree on every other
/// dimension. `axis` may be negative, counting from the end.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concat of no tensors")
    let rank = tensors[0].rank
    let axis = axis < 0 ? axis + rank : axis
    precondition((0..<rank).contains(axis), "concat axis \(axis) of rank \(rank)")
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
    let sources = inputs.map { UnsafePointer($0.basePointer) }

    let result = Tensor.uninitialized(shape)
    let ys = result.basePointer
    parallelFor(outer, grain: planeGrain(row)) { range in
        for index in range {
            for (k, source) in sources.enumerated() {
                (ys + index * row + offsets[k]).update(from: source + index * runs[k], count: runs[k])
            }
        }
    }
    return Tensor.record(result, inputs: inputs) { grad in
        let g = grad.plain()
        let gs = g.basePointer
        let gradients = inputs.indices.map { k -> Tensor? in
            guard inputs[k].requiresGrad else { return nil }
            let gradient = Tensor.uninitialized(inputs[k].shape)
            let destination = gradient.basePointer, run = runs[k]
            parallelFor(outer, grain: planeGrain(run)) { range in
                for index in range {
                    (destination + index * run).update(from: gs + index * row + offsets[k], count: run)
                }
            }
            return gradient
        }
        return withExtendedLifetime(g) { gradients }
    }
}
