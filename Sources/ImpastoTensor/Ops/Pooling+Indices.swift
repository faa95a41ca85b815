import Foundation

// Max pooling that reports where each maximum came from, and its inverse: what a deconvnet needs to
// project activations back to pixels. Plain Swift on plain float32; these are not on a hot path.

/// Max pooling as `maxPool2d`, also returning, for every output element, the flat index `h · W + w`
/// of its maximum within its input plane (PyTorch's `return_indices=True`). The first maximum wins
/// ties; a NaN wins over numbers.
public func maxPool2dWithIndices(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                                 padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false) -> (output: Tensor, indices: [Int32]) {
    let stride = stride ?? kernelSize
    let plan = PoolingPlan(input.shape, kernelSize, stride, padding, ceilMode, "maxPool2dWithIndices")
    let source = input.plain()
    let (height, width) = (input.shape[2], input.shape[3])
    let (outHeight, outWidth) = (plan.destination[2], plan.destination[3])
    var indices = [Int32](repeating: 0, count: plan.destination.reduce(1, *))
    let x = source.floatBuffer
    let output = Tensor(shape: plan.destination) { out in
        indices.withUnsafeMutableBufferPointer { indices in
            parallelFor(input.shape[0] * input.shape[1], grain: 1) { planes in
                for plane in planes {
                    let inBase = plane * height * width, outBase = plane * outHeight * outWidth
                    for oh in 0..<outHeight {
                        let top = oh * stride.0 - padding.0
                        let rows = max(top, 0)..<min(top + kernelSize.0, height)
                        for ow in 0..<outWidth {
                            let left = ow * stride.1 - padding.1
                            let columns = max(left, 0)..<min(left + kernelSize.1, width)
                            var best = -Float.infinity, bestIndex = rows.lowerBound * width + columns.lowerBound
                            for h in rows {
                                for w in columns {
                                    let value = x[inBase + h * width + w]
                                    if value > best || value.isNaN {
                                        best = value
                                        bestIndex = h * width + w
                                        if value.isNaN { break }
                                    }
                                }
                                if best.isNaN { break }
                            }
                            out[outBase + oh * outWidth + ow] = best
                            indices[outBase + oh * outWidth + ow] = Int32(bestIndex)
                        }
                    }
                }
            }
        }
    }
    let planeShape = input.shape
    let result = Tensor.record(output, inputs: [source]) { [indices] grad in
        [scatter(grad, indices: indices, into: planeShape, accumulating: true)]
    }
    return (result, indices)
}

/// The partial inverse of `maxPool2dWithIndices`: each element of `input` goes to the place its index
/// names in an output plane of `outputSize`; everything else is zero. Where indices repeat, the last
/// element wins, and only it receives a gradient.
public func maxUnpool2d(_ input: Tensor, indices: [Int32], outputSize: (Int, Int)) -> Tensor {
    precondition(input.rank == 4 && indices.count == input.count,
                 "maxUnpool2d: input \(input.shape) with \(indices.count) indices")
    let source = input.plain()
    let shape = [input.shape[0], input.shape[1], outputSize.0, outputSize.1]
    precondition(indices.allSatisfy { $0 >= 0 && Int($0) < outputSize.0 * outputSize.1 },
                 "maxUnpool2d: an index falls outside the \(outputSize) output")
    let output = scatter(source, indices: indices, into: shape, accumulating: false)
    return Tensor.record(output, inputs: [source]) { grad in
        let g = grad.plain().floatBuffer
        let plane = shape[2] * shape[3], perPlane = source.count / (shape[0] * shape[1])
        // Where indices repeat (overlapping pooling windows) only the element written last shows.
        var writer = [Int](repeating: -1, count: g.count)
        for i in indices.indices { writer[i / perPlane * plane + Int(indices[i])] = i }
        return [Tensor(shape: source.shape) { out in
            for i in out.indices {
                let target = i / perPlane * plane + Int(indices[i])
                out[i] = writer[target] == i ? g[target] : 0
            }
        }]
    }
}

/// Puts `values` (N, C, planes of any size) at `indices` within the planes of a zero tensor of `shape`,
/// adding where indices repeat (pooling's gradient) or keeping the last (unpooling).
private func scatter(_ values: Tensor, indices: [Int32], into shape: [Int], accumulating: Bool) -> Tensor {
    let v = values.plain().floatBuffer
    let planes = shape[0] * shape[1], plane = shape[2] * shape[3], perPlane = v.count / planes
    return Tensor(shape: shape) { out in
        // Planes are disjoint, so each worker owns its own.
        parallelFor(planes, grain: 1) { range in
            for p in range {
                for i in (p * perPlane)..<((p + 1) * perPlane) {
                    let target = p * plane + Int(indices[i])
                    out[target] = accumulating ? out[target] + v[i] : v[i]
                }
            }
        }
    }
}
