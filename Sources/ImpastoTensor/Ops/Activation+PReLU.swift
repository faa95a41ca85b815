/// Parametric ReLU (`torch.nn.PReLU`): `x` where positive, `weight · x` elsewhere, with one learned
/// slope per channel (dimension 1) or a single slope shared by all.
///
/// - Parameters:
///   - x: `[N, C, …]`; any rank when `weight` has one element.
///   - weight: `[C]` or `[1]`.
public func prelu(_ x: Tensor, weight: Tensor) -> Tensor {
    let channels = weight.count
    precondition(channels == 1 || (x.rank >= 2 && x.shape[1] == channels),
                 "prelu of \(x.shape) needs a weight of [1] or [C], got \(weight.shape)")
    let input = x.plain(), slopes = weight.plain()
    // A plane is the run of elements that share one slope: everything after the channel dimension.
    let planeSize = channels == 1 ? max(x.count, 1) : x.shape.dropFirst(2).reduce(1, *)
    let planes = x.count / planeSize
    let xs = input.basePointer, ws = slopes.basePointer
    let result = Tensor.uninitialized(x.shape)
    let ys = result.basePointer
    parallelFor(planes, grain: planeGrain(planeSize)) { range in
        for plane in range {
            let slope = ws[plane % channels]
            let source = xs + plane * planeSize, destination = ys + plane * planeSize
            for i in 0..<planeSize {
                let value = source[i]
                destination[i] = value > 0 ? value : slope * value
            }
        }
    }
    return Tensor.record(result, inputs: [input, slopes]) { grad in
        let g = grad.plain()
        let gs = g.basePointer
        let inputGradient = input.requiresGrad ? Tensor.uninitialized(input.shape) : nil
        let dx = inputGradient?.basePointer
        // Σ g·x over the non-positive elements of each plane, reduced per channel below.
        let slopeSums = Tensor.uninitialized([planes])
        let sums = slopeSums.basePointer
        parallelFor(planes, grain: planeGrain(planeSize)) { range in
            for plane in range {
                let slope = ws[plane % channels]
                let source = xs + plane * planeSize, upstream = gs + plane * planeSize
                sums[plane] = Float(vectorSum(0..<planeSize, { i in
                    let value = load16(source, i)
                    return (load16(upstream, i) * value).replacing(with: 0, where: value .> 0)
                }, { i in source[i] > 0 ? 0 : upstream[i] * source[i] }))
                guard let dx else { continue }
                let destination = dx + plane * planeSize
                for i in 0..<planeSize { destination[i] = source[i] > 0 ? upstream[i] : slope * upstream[i] }
            }
        }
        let slopeGradient: Tensor? = slopes.requiresGrad ? Tensor(shape: slopes.shape) { out in
            for plane in 0..<planes { out[plane % channels] += sums[plane] }
        } : nil
        return withExtendedLifetime((g, slopeSums)) { [inputGradient, slopeGradient] }
    }
}
