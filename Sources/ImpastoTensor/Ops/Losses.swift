import Foundation

/// The mean cross-entropy between class scores and target classes (`F.cross_entropy` with its
/// defaults): `mean over rows of (log Σ exp(logits[n]) − logits[n, targets[n]])`.
///
/// - Parameters:
///   - logits: `[N, C]` unnormalised scores.
///   - targets: `N` class indices in `0..<C` (PyTorch's `ignore_index` is not supported).
public func crossEntropy(logits: Tensor, targets: [Int]) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                 "crossEntropy of logits \(logits.shape) with \(targets.count) targets")
    let rows = logits.shape[0], classes = logits.shape[1]
    precondition(targets.allSatisfy { (0..<classes).contains($0) }, "crossEntropy targets outside 0..<\(classes)")
    let input = logits.plain()
    // Log-probabilities, kept for the backward pass: the loss is −mean(logProbabilities[n, target]).
    let logProbabilities = Tensor.uninitialized(input.shape)
    let xs = input.basePointer, ls = logProbabilities.basePointer
    let total = parallelSum(rows, grain: planeGrain(classes)) { range in
        var sum: Double = 0
        for r in range {
            softmaxRow(xs + r * classes, ls + r * classes, classes, logarithmic: true)
            sum -= Double(ls[r * classes + targets[r]])
        }
        return sum
    }
    let result = Tensor(Float(total / Double(rows)))
    return Tensor.record(result, inputs: [input]) { [logProbabilities] grad in
        // d/dx = (softmax(x) − onehot(target)) / N.
        let scale = grad.scalar / Float(rows)
        let gradient = Tensor.uninitialized(input.shape)
        let dx = gradient.basePointer
        parallelFor(rows * classes) { range in
            inBlocksOf16(range.count, vector: { i in
                let k = range.lowerBound + i
                store16(exponential(load16(ls, k)) * scale, dx, k)
            }, scalar: { i in dx[range.lowerBound + i] = exponential(ls[range.lowerBound + i]) * scale })
        }
        for (r, target) in targets.enumerated() { dx[r * classes + target] -= scale }
        return withExtendedLifetime(logProbabilities) { [gradient] }
    }
}

/// The mean squared difference between two tensors of the same shape (`F.mse_loss`); both receive
/// gradients.
public func mseLoss(_ a: Tensor, _ b: Tensor) -> Tensor {
    meanPenalty(a, b, SquaredPenalty.self, "mseLoss")
}

/// The mean absolute difference between two tensors of the same shape (`F.l1_loss`); both receive
/// gradients (zero where they are equal, as in PyTorch).
public func l1Loss(_ a: Tensor, _ b: Tensor) -> Tensor {
    meanPenalty(a, b, AbsolutePenalty.self, "l1Loss")
}

/// How `totalVariationLoss` penalises each difference between neighbouring pixels. The two
/// reference implementations of neural style differ, and each variant reproduces one of them.
public enum TotalVariationPenalty: Sendable {
    /// `Σ |Δ|` over every vertical and every horizontal pair of neighbours: the TVLoss of
    /// ProGamerGov/neural-style-pt (`sum(abs(x[:,:,1:,:] − x[:,:,:-1,:])) + sum(abs(x[:,:,:,1:] − x[:,:,:,:-1]))`).
    case absolute
    /// `½ Σ (Δx² + Δy²)` over the pixels that have both a right and a lower neighbour: the loss whose
    /// gradient jcjohnson/neural-style's TVLoss (Lua) applies. That module computes only a gradient
    /// (its loss value is never reported), and its pairs exclude the last row and column.
    case squared
}

/// The total variation of the images in `x` (`[N, C, H, W]`, summed over all of them), a smoothness
/// prior for optimised images; callers multiply by their weight.
///
/// The default, `.absolute`, follows neural-style-pt, the PyTorch port: its loss value is defined
/// (the Lua original reports none) and can be checked against PyTorch. Use `.squared` to reproduce
/// the Lua original's gradients.
public func totalVariationLoss(_ x: Tensor, penalty: TotalVariationPenalty = .absolute) -> Tensor {
    switch penalty {
    case .absolute: totalVariation(x, AbsolutePenalty.self, fullRange: true, factor: 1)
    case .squared: totalVariation(x, SquaredPenalty.self, fullRange: false, factor: 0.5)
    }
}

/// A function of a difference, with its derivative, for the loss kernels to specialise on.
private protocol Penalty {
    static func value(_ d: SIMD16<Float>) -> SIMD16<Float>
    static func value(_ d: Float) -> Float
    static func derivative(_ d: Float) -> Float
}

/// `|d|`, with derivative `sign(d)` (0 at 0).
private enum AbsolutePenalty: Penalty {
    static func value(_ d: SIMD16<Float>) -> SIMD16<Float> { d.replacing(with: -d, where: d .< 0) }
    static func value(_ d: Float) -> Float { Swift.abs(d) }
    static func derivative(_ d: Float) -> Float { d > 0 ? 1 : (d < 0 ? -1 : 0) }
}

/// `d²`, with derivative `2d`.
private enum SquaredPenalty: Penalty {
    static func value(_ d: SIMD16<Float>) -> SIMD16<Float> { d * d }
    static func value(_ d: Float) -> Float { d * d }
    static func derivative(_ d: Float) -> Float { 2 * d }
}

/// `mean(P(a − b))` with gradients `±P′(a − b)/count` to both operands.
@inline(__always)
private func meanPenalty<P: Penalty>(_ a: Tensor, _ b: Tensor, _: P.Type, _ name: String) -> Tensor {
    precondition(a.shape == b.shape, "\(name) of shapes \(a.shape) and \(b.shape)")
    let x = a.plain(), y = b.plain()
    let xs = x.basePointer, ys = y.basePointer
    let count = x.count
    let total = parallelSum(count) { range in
        vectorSum(range, { i in P.value(load16(xs, i) - load16(ys, i)) }, { i in P.value(xs[i] - ys[i]) })
    }
    let result = Tensor(Float(total / Double(max(count, 1))))
    return Tensor.record(result, inputs: [x, y]) { grad in
        let scale = grad.scalar / Float(max(count, 1))
        let gradient = Tensor.uninitialized(x.shape)
        let dx = gradient.basePointer
        parallelFor(count) { range in
            for i in range { dx[i] = scale * P.derivative(xs[i] - ys[i]) }
        }
        return [x.requiresGrad ? gradient : nil, y.requiresGrad ? gradient.map { -$0 } : nil]
    }
}

/// `factor · Σ P(Δ)` over neighbour pairs in every plane of `x`. With `fullRange`, every vertical and
/// horizontal pair counts; without, only pairs whose first pixel lies in the top-left (H−1)×(W−1).
private func totalVariation<P: Penalty>(_ x: Tensor, _: P.Type, fullRange: Bool, factor: Float) -> Tensor {
    precondition(x.rank >= 2, "totalVariationLoss needs images, got \(x.shape)")
    let height = x.shape[x.rank - 2], width = x.shape[x.rank - 1]
    let planeSize = height * width, planes = x.count / max(planeSize, 1)
    // Vertical pairs start in rows 0..<H−1 and columns 0..<verticalColumns; horizontal pairs in rows
    // 0..<horizontalRows and columns 0..<W−1.
    let verticalColumns = fullRange ? width : max(width - 1, 0)
    let horizontalRows = fullRange ? height : max(height - 1, 0)
    let input = x.plain()
    let xs = input.basePointer
    let total = parallelSum(planes, grain: planeGrain(planeSize)) { range in
        var sum: Double = 0
        for plane in range {
            let source = xs + plane * planeSize
            for i in 0..<max(height - 1, 0) {
                let row = source + i * width, below = row + width
                sum += vectorSum(0..<verticalColumns, { j in P.value(load16(below, j) - load16(row, j)) },
                                 { j in P.value(below[j] - row[j]) })
            }
            for i in 0..<horizontalRows {
                let row = source + i * width, next = row + 1
                sum += vectorSum(0..<max(width - 1, 0), { j in P.value(load16(next, j) - load16(row, j)) },
                                 { j in P.value(next[j] - row[j]) })
            }
        }
        return sum
    }
    let result = Tensor(factor * Float(total))
    return Tensor.record(result, inputs: [input]) { grad in
        let scale = factor * grad.scalar
        let gradient = Tensor(zeros: input.shape)
        let dx = gradient.basePointer
        parallelFor(planes, grain: planeGrain(planeSize)) { range in
            for plane in range {
                let source = xs + plane * planeSize, target = dx + plane * planeSize
                for i in 0..<max(height - 1, 0) {
                    let row = source + i * width, targetRow = target + i * width
                    for j in 0..<verticalColumns {
                        let s = scale * P.derivative(row[j + width] - row[j])
                        targetRow[j + width] += s
                        targetRow[j] -= s
                    }
                }
                for i in 0..<horizontalRows {
                    let row = source + i * width, targetRow = target + i * width
                    for j in 0..<max(width - 1, 0) {
                        let s = scale * P.derivative(row[j + 1] - row[j])
                        targetRow[j + 1] += s
                        targetRow[j] -= s
                    }
                }
            }
        }
        return [gradient]
    }
}
