// Instance norm fused with what follows it in image-to-image networks (TransformerNet), for inference.
//
// At 720p one 32-channel activation is 118 MB, so the element-wise steps between TransformerNet's convolutions
// (normalise, ReLU, upsample, reflection-pad, add the residual) cost a pass over memory each and together took
// about a quarter of its time. Here they are one pass after the statistics. When a gradient is being recorded
// (`recordsGradient`: gradients on and an input asks for one) the engine's differentiable ops run instead, with
// the same result up to rounding; inside `withoutGradients` the fused kernels run even on trainable tensors.

/// An instance norm's affine parameters and ε (`torch.nn.InstanceNorm2d`).
public struct InstanceNormParameters {
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    public init(weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) {
        self.weight = weight
        self.bias = bias
        self.epsilon = epsilon
    }

    var tensors: [Tensor?] { [weight, bias] }
}

/// `norm` (if any), then ReLU (if asked), then nearest upsampling by `upsample`, then reflection padding by
/// `reflectionPad`, of an `[N, C, H, W]` tensor: one pass when no gradient is recorded.
public func instanceNormReLUUpsamplePad(_ x: Tensor, norm: InstanceNormParameters?, relu applyReLU: Bool,
                                        upsample: Int = 1, reflectionPad pad: Int = 0) -> Tensor {
    precondition(x.rank == 4, "instanceNormReLUUpsamplePad takes [N, C, H, W], got \(x.shape)")
    guard !recordsGradient([x] + (norm?.tensors ?? [])) else {
        var y = norm.map { instanceNorm(x, weight: $0.weight, bias: $0.bias, epsilon: $0.epsilon) } ?? x
        if applyReLU { y = relu(y) }
        if upsample > 1 { y = upsampleNearest2d(y, scaleFactor: upsample) }
        return pad > 0 ? reflectionPad2d(y, padding: (pad, pad, pad, pad)) : y
    }
    let (samples, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outHeight, outWidth) = (height * upsample + 2 * pad, width * upsample + 2 * pad)
    precondition(pad < height * upsample && pad < width * upsample, "reflection padding \(pad) of \(x.shape)")
    // Source column of each padded output column, and likewise rows.
    let columns = (0..<outWidth).map { PaddingMode.reflect.source($0 - pad, width * upsample)! / upsample }
    let rows = (0..<outHeight).map { PaddingMode.reflect.source($0 - pad, height * upsample)! / upsample }
    let scales = norm?.weight?.scalars, shifts = norm?.bias?.scalars
    let source = x.plain()
    let result = Tensor.uninitialized([samples, channels, outHeight, outWidth])
    let xs = source.basePointer, ys = result.basePointer
    parallelFor(samples * channels, grain: 1) { planes in
        for plane in planes {
            let input = xs + plane * height * width
            var (a, b): (Float, Float) = (1, 0)
            if let norm {
                let (mean, inverseDeviation) = planeStatistics(input, height * width, epsilon: norm.epsilon)
                a = inverseDeviation * (scales?[plane % channels] ?? 1)
                b = (shifts?[plane % channels] ?? 0) - mean * a
            }
            let output = ys + plane * outHeight * outWidth
            for (row, sourceRow) in rows.enumerated() {
                let from = input + sourceRow * width, to = output + row * outWidth
                let interior = to + pad
                if upsample == 1 {
                    for i in 0..<width { interior[i] = activation(a * from[i] + b, applyReLU) }
                } else {
                    for i in 0..<width {
                        let value = activation(a * from[i] + b, applyReLU)
                        for k in 0..<upsample { interior[i * upsample + k] = value }
                    }
                }
                for i in 0..<pad {
                    to[i] = activation(a * from[columns[i]] + b, applyReLU)
                    let right = outWidth - 1 - i
                    to[right] = activation(a * from[columns[right]] + b, applyReLU)
                }
            }
        }
    }
    return withExtendedLifetime(source) { result }
}

/// `residual + norm(x)`, the end of a residual block: one pass when no gradient is recorded.
public func instanceNormAddingResidual(_ x: Tensor, norm: InstanceNormParameters, residual: Tensor) -> Tensor {
    guard !recordsGradient([x, residual] + norm.tensors) else {
        return residual + instanceNorm(x, weight: norm.weight, bias: norm.bias, epsilon: norm.epsilon)
    }
    precondition(x.rank == 4 && residual.shape == x.shape, "residual \(residual.shape) and \(x.shape) differ")
    let channels = x.shape[1], size = x.shape[2] * x.shape[3]
    let scales = norm.weight?.scalars, shifts = norm.bias?.scalars
    let source = x.plain(), skip = residual.plain()
    let result = Tensor.uninitialized(x.shape)
    let xs = source.basePointer, rs = skip.basePointer, ys = result.basePointer
    parallelFor(x.shape[0] * channels, grain: 1) { planes in
        for plane in planes {
            let offset = plane * size
            let (mean, inverseDeviation) = planeStatistics(xs + offset, size, epsilon: norm.epsilon)
            let a = inverseDeviation * (scales?[plane % channels] ?? 1)
            let b = (shifts?[plane % channels] ?? 0) - mean * a
            for i in offset..<offset + size { ys[i] = rs[i] + a * xs[i] + b }
        }
    }
    return withExtendedLifetime((source, skip)) { result }
}

@inline(__always)
private func activation(_ value: Float, _ applyReLU: Bool) -> Float {
    applyReLU ? (value > 0 ? value : 0) : value
}
