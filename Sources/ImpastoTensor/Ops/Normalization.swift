/// Instance normalisation, as `torch.nn.InstanceNorm2d` (and `F.instance_norm` without running
/// statistics): every channel of every sample is normalised by its own mean and biased variance, then
/// scaled by `weight` and shifted by `bias`, both per channel, when given.
///
/// - Parameters:
///   - x: `[N, C, spatial…]`, usually `[N, C, H, W]`.
///   - weight: `[C]`, or nil for no scaling (`affine=False`).
///   - bias: `[C]`, or nil for no shift.
public func instanceNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil,
                         epsilon: Float = 1e-5) -> Tensor {
    precondition(x.rank >= 3, "instanceNorm needs [N, C, spatial…], got \(x.shape)")
    let channels = x.shape[1]
    for parameter in [weight, bias].compactMap({ $0 }) {
        precondition(parameter.count == channels,
                     "instanceNorm of \(x.shape) needs [\(channels)] weight and bias, got \(parameter.shape)")
    }
    let input = x.plain(), scale = weight?.plain(), shift = bias?.plain()
    let planes = x.shape[0] * channels
    let size = planes == 0 ? 0 : x.count / planes
    let xs = input.basePointer
    let weights = scale?.basePointer, biases = shift?.basePointer
    // Per plane: mean and 1/σ, kept for the backward pass.
    let statistics = Tensor.uninitialized([planes, 2])
    let stats = statistics.basePointer
    let result = Tensor.uninitialized(x.shape)
    let ys = result.basePointer
    parallelFor(planes, grain: planeGrain(size)) { range in
        for plane in range {
            let source = xs + plane * size, destination = ys + plane * size
            let (mean, inverseDeviation) = planeStatistics(source, size, epsilon: epsilon)
            let channel = plane % channels
            let a = inverseDeviation * (weights?[channel] ?? 1)
            let b = (biases?[channel] ?? 0) - mean * a
            for i in 0..<size { destination[i] = source[i] * a + b }
            stats[2 * plane] = mean
            stats[2 * plane + 1] = inverseDeviation
        }
    }
    let inputs = [input] + [scale, shift].compactMap { $0 }
    return Tensor.record(result, inputs: inputs) { [statistics] grad in
        let g = grad.plain()
        let gs = g.basePointer
        let inputGradient = input.requiresGrad ? Tensor.uninitialized(input.shape) : nil
        let dx = inputGradient?.basePointer
        // Per plane: Σg and Σg·x̂, which give every gradient.
        let sums = Tensor.uninitialized([planes, 2])
        let sumsPointer = sums.basePointer
        parallelFor(planes, grain: planeGrain(size)) { range in
            for plane in range {
                let source = xs + plane * size, upstream = gs + plane * size
                let mean = stats[2 * plane], inverseDeviation = stats[2 * plane + 1]
                let sumG = vectorSum(upstream, size)
                let sumGX = inverseDeviation * Float(vectorSum(0..<size, { i in
                    load16(upstream, i) * (load16(source, i) - mean)
                }, { i in upstream[i] * (source[i] - mean) }))
                sumsPointer[2 * plane] = sumG
                sumsPointer[2 * plane + 1] = sumGX
                guard let dx else { continue }
                // dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂)), folded into a·g + b·x + c.
                let a = inverseDeviation * (weights?[plane % channels] ?? 1)
                let b = -a * inverseDeviation * sumGX / Float(size)
                let c = -a * sumG / Float(size) - b * mean
                let destination = dx + plane * size
                for i in 0..<size { destination[i] = a * upstream[i] + b * source[i] + c }
            }
        }
        // Parameter gradients: reduce the per-plane sums over the batch.
        func perChannel(_ component: Int) -> Tensor {
            Tensor(shape: [channels]) { out in
                for plane in 0..<planes { out[plane % channels] += sumsPointer[2 * plane + component] }
            }
        }
        var gradients: [Tensor?] = [inputGradient]
        if let scale { gradients.append(scale.requiresGrad ? perChannel(1).reshaped(scale.shape) : nil) }
        if let shift { gradients.append(shift.requiresGrad ? perChannel(0).reshaped(shift.shape) : nil) }
        return withExtendedLifetime((g, sums, statistics)) { gradients }
    }
}

/// Mean and `1 / √(biased variance + ε)` of `size` floats, as instance norm computes them: two passes (the mean,
/// then squared deviations from it) rather than E[x²] − E[x]², which cancels badly, in 16-lane partial sums.
@inline(__always)
func planeStatistics(_ source: UnsafePointer<Float>, _ size: Int, epsilon: Float) -> (mean: Float, inverseDeviation: Float) {
    let mean = vectorSum(source, size) / Float(size)
    let variance = Float(vectorSum(0..<size, { i -> SIMD16<Float> in
        let d = load16(source, i) - mean
        return d * d
    }, { i in (source[i] - mean) * (source[i] - mean) })) / Float(size)
    return (mean, 1 / (variance + epsilon).squareRoot())
}

/// Layer normalisation (`F.layer_norm`): each sample is normalised over its last dimensions, the ones
/// `normalizedShape` names, by their mean and biased variance, then scaled by `weight` and shifted by
/// `bias` (both of `normalizedShape`) when given. Instance normalisation of the rows, which is the same
/// arithmetic: one kernel for both.
public func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
                      epsilon: Float = 1e-5) -> Tensor {
    precondition(!normalizedShape.isEmpty && Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                 "layerNorm over \(normalizedShape) of a tensor of shape \(x.shape)")
    for parameter in [weight, bias].compactMap({ $0 }) {
        precondition(parameter.shape == normalizedShape,
                     "layerNorm over \(normalizedShape) needs weight and bias of that shape, got \(parameter.shape)")
    }
    let size = normalizedShape.reduce(1, *)
    var y = instanceNorm(x.reshaped([1, size == 0 ? 0 : x.count / size, size]), epsilon: epsilon).reshaped(x.shape)
    if let weight { y = y * weight }
    if let bias { y = y + bias }
    return y
}
