import ImpastoNN
import ImpastoTensor

// Instance norm fused with what follows it in image-to-image networks, for inference.
//
// At 720p one 32-channel activation is 118 MB, so the element-wise steps between TransformerNet's convolutions
// (normalise, ReLU, upsample, reflection-pad, add the residual) cost a pass over memory each and together took
// about a quarter of its time. Here they are one pass after the statistics. When anything needs a gradient the
// engine's differentiable ops run instead, with the same result up to rounding.

/// `norm` (if any), then ReLU (if asked), then nearest upsampling by `upsample`, then reflection padding by `pad`.
func normalizedPadded(_ x: Tensor, norm: InstanceNorm2d?, relu applyReLU: Bool, upsample: Int = 1,
                      pad: Int = 0) -> Tensor {
    guard !needsGradient(x, norm) else {
        var y = norm.map { $0(x) } ?? x
        if applyReLU { y = relu(y) }
        if upsample > 1 { y = upsampleNearest2d(y, scaleFactor: upsample) }
        return pad > 0 ? reflectionPad2d(y, padding: (pad, pad, pad, pad)) : y
    }
    let (samples, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outHeight, outWidth) = (height * upsample + 2 * pad, width * upsample + 2 * pad)
    precondition(pad < height * upsample && pad < width * upsample, "reflection padding \(pad) of \(x.shape)")
    // Source column of each padded output column, and likewise rows.
    let columns = (0..<outWidth).map { reflected($0 - pad, width * upsample) / upsample }
    let rows = (0..<outHeight).map { reflected($0 - pad, height * upsample) / upsample }
    let scales = norm?.weight?.scalars, shifts = norm?.bias?.scalars
    return x.withUnsafeBufferPointer { source in
        Tensor(shape: [samples, channels, outHeight, outWidth]) { result in
            parallelFor(samples * channels, grain: 1) { planes in
                for plane in planes {
                    let input = source.baseAddress! + plane * height * width
                    var (a, b): (Float, Float) = (1, 0)
                    if let norm {
                        let (mean, inverseDeviation) = statistics(input, height * width, epsilon: norm.epsilon)
                        a = inverseDeviation * (scales?[plane % channels] ?? 1)
                        b = (shifts?[plane % channels] ?? 0) - mean * a
                    }
                    let output = result.baseAddress! + plane * outHeight * outWidth
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
        }
    }
}

/// `residual + norm(x)`: the end of a residual block.
func residualNormalized(_ x: Tensor, norm: InstanceNorm2d, residual: Tensor) -> Tensor {
    guard !needsGradient(x, norm), !recordsGradient([residual]) else { return residual + norm(x) }
    precondition(residual.shape == x.shape, "residual \(residual.shape) and \(x.shape) differ")
    let channels = x.shape[1], size = x.shape[2] * x.shape[3]
    let scales = norm.weight?.scalars, shifts = norm.bias?.scalars
    return x.withUnsafeBufferPointer { source in
        residual.withUnsafeBufferPointer { skip in
            Tensor(shape: x.shape) { result in
                parallelFor(x.shape[0] * channels, grain: 1) { planes in
                    for plane in planes {
                        let offset = plane * size
                        let (mean, inverseDeviation) = statistics(source.baseAddress! + offset, size, epsilon: norm.epsilon)
                        let a = inverseDeviation * (scales?[plane % channels] ?? 1)
                        let b = (shifts?[plane % channels] ?? 0) - mean * a
                        for i in offset..<offset + size { result[i] = skip[i] + a * source[i] + b }
                    }
                }
            }
        }
    }
}

/// Whether the layer's result must record a graph; the fused kernels record none, so they run only when it
/// need not (inside `withoutGradients` too, where a trainable network's validation pass belongs).
private func needsGradient(_ x: Tensor, _ norm: InstanceNorm2d?) -> Bool {
    recordsGradient([x, norm?.weight, norm?.bias])
}

@inline(__always)
private func activation(_ value: Float, _ applyReLU: Bool) -> Float {
    applyReLU ? (value > 0 ? value : 0) : value
}

/// Index `i` of a padded axis mapped into `0..<length` by reflection about the edges (ReflectionPad2d).
private func reflected(_ i: Int, _ length: Int) -> Int {
    i < 0 ? -i : (i >= length ? 2 * (length - 1) - i : i)
}

/// Mean and `1 / √(biased variance + ε)` of `count` floats, as instance norm computes them: two passes, the
/// second over deviations from the mean (no cancellation), in 16-lane float partial sums gathered in double.
private func statistics(_ values: UnsafePointer<Float>, _ count: Int, epsilon: Float) -> (Float, Float) {
    func sum(_ term: (Int) -> SIMD16<Float>, _ tail: (Int) -> Float) -> Double {
        var total = 0.0, i = 0
        while i + 16 <= count {
            // Flush the float lanes every 4096 elements so that each adds at most 256 terms.
            var lanes = SIMD16<Float>()
            let end = min(count - count % 16, i + 4096)
            while i < end {
                lanes += term(i)
                i += 16
            }
            total += Double(lanes.sum())
        }
        while i < count {
            total += Double(tail(i))
            i += 1
        }
        return total
    }
    let load = { (i: Int) in UnsafeRawPointer(values + i).loadUnaligned(as: SIMD16<Float>.self) }
    let mean = Float(sum(load, { values[$0] }) / Double(count))
    let variance = sum({ i in
        let d = load(i) - mean
        return d * d
    }, { i in (values[i] - mean) * (values[i] - mean) }) / Double(count)
    return (mean, 1 / (Float(variance) + epsilon).squareRoot())
}
