// What optimizers do to tensors in place, as engine ops: the vector arithmetic of L-BFGS (a BLAS level 1) and
// the element-wise update rules of torch.optim's Adam, SGD and RMSprop. Optimizers hold tensors and call these;
// they never see a tensor's memory, so a second backend brings its own kernels here and the optimizers run on it
// unchanged. All of them take plain float32 tensors (parameters, gradients, state) and bump the storage version
// of what they write, so caches of converted weights rebuild.

/// The optimizers' loops over elements: split over the cores once a tensor is big enough to pay for it; sums
/// are the engine's `parallelSum`, added in chunk order, so results do not depend on the number of cores.
enum OptimizerLoop {
    /// Elements per chunk: below this a loop is not worth waking another thread for.
    static let grain = 1 << 15

    static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(count, grain: grain, body)
    }

    static func sum(_ count: Int, _ partial: (Range<Int>) -> Double) -> Double {
        parallelSum(count, grain: grain, partial)
    }
}

extension Tensor {
    /// The elements of a plain float32 tensor for writing in place; the version is bumped by the caller.
    fileprivate var writable: UnsafeMutablePointer<Float> {
        precondition(isPlain && dtype == .f32, "in-place arithmetic needs a plain float32 tensor, got \(dtype) \(layout)")
        return basePointer
    }

    fileprivate func readable(matching other: Tensor) -> (Tensor, UnsafePointer<Float>) {
        precondition(count == other.count, "in-place arithmetic of \(count) and \(other.count) elements")
        let source = plain()
        return (source, UnsafePointer(source.basePointer))
    }

    // MARK: Vector arithmetic (L-BFGS). Dot products and sums accumulate in Double and round once: torch sums
    // float32 products in float32 lanes, which on the million-element images of style transfer loses digits
    // that L-BFGS's curvature pairs need.

    /// `Σ self[i] · other[i]` over the elements in order (any shapes of one count), as a float32.
    public func dot(_ other: Tensor) -> Float {
        let (x, a) = readable(matching: other), (y, b) = other.readable(matching: self)
        return withExtendedLifetime((x, y)) {
            Float(OptimizerLoop.sum(count) { range in
                var lanes = SIMD8<Double>()
                var i = range.lowerBound
                while i + 8 <= range.upperBound {
                    // Products of two floats are exact in Double.
                    lanes += SIMD8<Double>(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self))
                        * SIMD8<Double>(UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self))
                    i += 8
                }
                var total = lanes.sum()
                while i < range.upperBound { total += Double(a[i]) * Double(b[i]); i += 1 }
                return total
            })
        }
    }

    /// `Σ |self[i]|`.
    public func absoluteSum() -> Float {
        let (x, a) = readable(matching: self)
        return withExtendedLifetime(x) {
            Float(OptimizerLoop.sum(count) { range in
                var total: Double = 0
                for i in range { total += Double(Swift.abs(a[i])) }
                return total
            })
        }
    }

    /// `max |self[i]|`, NaN if any element is NaN (as torch's `max` propagates it).
    public func absoluteMaximum() -> Float {
        let (x, a) = readable(matching: self)
        return withExtendedLifetime(x) {
            var result: Float = 0
            for i in 0..<count {
                let magnitude = Swift.abs(a[i])
                if magnitude > result || magnitude.isNaN { result = magnitude }
                if result.isNaN { break }
            }
            return result
        }
    }

    /// `self += alpha · other` in place (torch's `add_(other, alpha=alpha)`), over the elements in order.
    public func add(_ other: Tensor, scaledBy alpha: Float) {
        let a = writable, (y, b) = other.readable(matching: self)
        withExtendedLifetime(y) {
            OptimizerLoop.forEachChunk(count) { range in
                for i in range { a[i] += alpha * b[i] }
            }
        }
        storage.bumpVersion()
    }

    /// `self = alpha · x` in place: a copy when `alpha` is 1, a negation when it is -1.
    public func assign(_ x: Tensor, scaledBy alpha: Float) {
        let a = writable, (source, b) = x.readable(matching: self)
        withExtendedLifetime(source) {
            OptimizerLoop.forEachChunk(count) { range in
                for i in range { a[i] = b[i] * alpha }
            }
        }
        storage.bumpVersion()
    }

    /// `self = x - y` in place.
    public func assignDifference(_ x: Tensor, _ y: Tensor) {
        let a = writable, (first, b) = x.readable(matching: self), (second, c) = y.readable(matching: self)
        withExtendedLifetime((first, second)) {
            OptimizerLoop.forEachChunk(count) { range in
                for i in range { a[i] = b[i] - c[i] }
            }
        }
        storage.bumpVersion()
    }
}

/// The update rules of `torch.optim`'s single-tensor implementations (what it runs on the CPU), applied in
/// place to a parameter and its state tensors. Hyperparameters arrive as the float32 values torch hands its
/// kernels (see ImpastoOptimizers).
public enum OptimizerKernels {
    /// Adam's step: with `d = g + decay · p`, `m = lerp(m, d, weight1)`, `v = β₂ · v + weight2 · d²` (AMSGrad:
    /// `v̂ = max(v̂, v)` is used in place of `v`), `p += rate · m / (√v / correction2 + ε)`.
    public static func adam(_ parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
                            maximumSecondMoment: Tensor?, rate: Float, correction2: Float, epsilon eps: Float,
                            decay: Float, weight1: Float, beta2: Float, weight2: Float) {
        let p = parameter.writable, m = firstMoment.writable, v = secondMoment.writable
        let vMax = maximumSecondMoment?.writable
        let (source, g) = gradient.readable(matching: parameter)
        // Updates the moments of element `i` and returns its second moment.
        @inline(__always) func updateMoments(_ i: Int) -> Float {
            let d = decayed(g[i], p[i], decay)
            m[i] = lerp(m[i], d, weight1)
            v[i] = v[i] * beta2 + weight2 * d * d
            return v[i]
        }
        @inline(__always) func update(_ i: Int, secondMoment: Float) {
            p[i] += rate * m[i] / (squareRoot(secondMoment) / correction2 + eps)
        }
        withExtendedLifetime(source) {
            OptimizerLoop.forEachChunk(parameter.count) { range in
                // One loop per variant: a store under a condition keeps LLVM from vectorizing a loop.
                if let vMax {
                    for i in range {
                        vMax[i] = max(vMax[i], updateMoments(i))
                        update(i, secondMoment: vMax[i])
                    }
                } else {
                    for i in range { update(i, secondMoment: updateMoments(i)) }
                }
            }
        }
        for tensor in [parameter, firstMoment, secondMoment] + [maximumSecondMoment].compactMap({ $0 }) {
            tensor.storage.bumpVersion()
        }
    }

    /// SGD's step: `d = g + decay · p`; without momentum `p += rate · d`; with it `b = d` at the first step
    /// and `b = μ · b + keep · d` after, then `p += rate · (nesterov ? d + μ · b : b)`.
    public static func sgd(_ parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, isFirstStep: Bool,
                           rate: Float, decay: Float, momentum mu: Float, keep: Float, nesterov: Bool) {
        let p = parameter.writable, b = momentumBuffer?.writable
        let (source, g) = gradient.readable(matching: parameter)
        withExtendedLifetime(source) {
            OptimizerLoop.forEachChunk(parameter.count) { range in
                guard let b else {
                    for i in range { p[i] += rate * decayed(g[i], p[i], decay) }
                    return
                }
                for i in range {
                    let d = decayed(g[i], p[i], decay)
                    b[i] = isFirstStep ? d : b[i] * mu + keep * d
                    p[i] += rate * (nesterov ? d + mu * b[i] : b[i])
                }
            }
        }
        parameter.storage.bumpVersion()
        momentumBuffer?.storage.bumpVersion()
    }

    /// RMSprop's step: `d = g + decay · p`, `v = α · v + weight · d²`; centred, `ḡ = lerp(ḡ, d, weight)` and
    /// `σ = √(v - ḡ²) + ε`, otherwise `σ = √v + ε`; with momentum `b = μ · b + d / σ` and `p += rate · b`,
    /// otherwise `p += rate · d / σ`.
    public static func rmsprop(_ parameter: Tensor, gradient: Tensor, squareAverage: Tensor, gradientAverage: Tensor?,
                               momentumBuffer: Tensor?, rate: Float, decay: Float, epsilon eps: Float, alpha: Float,
                               weight: Float, momentum mu: Float) {
        let p = parameter.writable, v = squareAverage.writable
        let mean = gradientAverage?.writable, b = momentumBuffer?.writable
        let (source, g) = gradient.readable(matching: parameter)
        // Updates the squared-gradient average of element `i` and returns its gradient.
        @inline(__always) func updateAverage(_ i: Int) -> Float {
            let d = decayed(g[i], p[i], decay)
            v[i] = v[i] * alpha + weight * d * d
            return d
        }
        // The centred denominator: the gradient average of element `i` taken in, `√(v - ḡ²) + ε`.
        @inline(__always) func centredSigma(_ i: Int, _ d: Float, _ mean: UnsafeMutablePointer<Float>) -> Float {
            mean[i] = lerp(mean[i], d, weight)
            return squareRoot(v[i] + -1 * mean[i] * mean[i]) + eps
        }
        withExtendedLifetime(source) {
            OptimizerLoop.forEachChunk(parameter.count) { range in
                // One loop per variant: a store under a condition keeps LLVM from vectorizing a loop.
                switch (mean, b) {
                case (nil, nil):
                    for i in range {
                        let d = updateAverage(i)
                        p[i] += rate * d / (squareRoot(v[i]) + eps)
                    }
                case let (mean?, nil):
                    for i in range {
                        let d = updateAverage(i)
                        p[i] += rate * d / centredSigma(i, d, mean)
                    }
                case let (nil, b?):
                    for i in range {
                        let d = updateAverage(i)
                        b[i] = b[i] * mu + d / (squareRoot(v[i]) + eps)
                        p[i] += rate * b[i]
                    }
                case let (mean?, b?):
                    for i in range {
                        let d = updateAverage(i)
                        b[i] = b[i] * mu + d / centredSigma(i, d, mean)
                        p[i] += rate * b[i]
                    }
                }
            }
        }
        for tensor in [parameter, squareAverage] + [gradientAverage, momentumBuffer].compactMap({ $0 }) {
            tensor.storage.bumpVersion()
        }
    }
}

/// torch's `lerp_` for float32: `start + weight · (end - start)`, computed from the nearer end so that
/// weight 1 lands exactly on `end`.
@inline(__always)
private func lerp(_ start: Float, _ end: Float, _ weight: Float) -> Float {
    weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// The gradient with torch's L2 weight decay, `g + decay · p`; skipped at 0 as torch does, so that an
/// infinite parameter does not turn its gradient into NaN.
@inline(__always)
private func decayed(_ gradient: Float, _ parameter: Float, _ decay: Float) -> Float {
    decay == 0 ? gradient : gradient + decay * parameter
}

/// `√x`, vectorizable: on Linux `Float.squareRoot()` keeps a call to `sqrtf` for negative arguments
/// (which sets errno), and that call stops LLVM from vectorizing the loop. Negative `x` gives NaN either way.
@inline(__always)
private func squareRoot(_ x: Float) -> Float {
    (x < 0 ? .nan : x).squareRoot()
}
