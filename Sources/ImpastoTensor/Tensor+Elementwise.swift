import Foundation

// Element-wise arithmetic with NumPy/PyTorch broadcasting, on plain float32 tensors.

/// The shape two broadcast operands produce, following NumPy's rules (align right; 1 stretches).
func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    let a = [Int](repeating: 1, count: rank - a.count) + a
    let b = [Int](repeating: 1, count: rank - b.count) + b
    return zip(a, b).map { x, y in
        precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
        return max(x, y)
    }
}

/// Strides that read an operand of `shape`, laid out with `strides` (row-major when nil), as if it had
/// `target`'s shape: 0 along the dimensions it is broadcast in, including those NumPy's rules add in front.
func broadcastStrides(_ shape: [Int], strides: [Int]? = nil, to target: [Int]) -> [Int] {
    let strides = strides ?? Tensor.strides(of: shape)
    let padding = target.count - shape.count
    return target.indices.map { axis in
        axis < padding || shape[axis - padding] == 1 && target[axis] != 1 ? 0 : strides[axis - padding]
    }
}

/// Calls `body(outputOffset, aOffset, bOffset, runLength, aStep, bStep)` for each contiguous run of the
/// innermost dimension of a broadcast, rows split across cores.
@inline(__always)
func forEachBroadcastRun(_ shape: [Int], _ aStrides: [Int], _ bStrides: [Int],
                         _ body: (Int, Int, Int, Int, Int, Int) -> Void) {
    guard let inner = shape.last, inner > 0 else {
        if shape.isEmpty { body(0, 0, 0, 1, 0, 0) }
        return
    }
    let outerShape = Array(shape.dropLast())
    let rows = outerShape.reduce(1, *)
    let aStep = aStrides.last!, bStep = bStrides.last!
    parallelFor(rows, grain: max(1, 16_384 / inner)) { range in
        var position = StridedOffsets(shape: outerShape, strides: [Array(aStrides.dropLast()), Array(bStrides.dropLast())],
                                      start: range.lowerBound)
        for row in range {
            body(row * inner, position.offsets[0], position.offsets[1], inner, aStep, bStep)
            position.advance()
        }
    }
}

extension Tensor {
    /// Applies `op` element by element over the broadcast of `self` and `other`, reading strided views
    /// (transposes, expansions) in place. No autograd.
    @inline(__always)
    func zipMap(_ other: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        let a = readableInPlace ? self : plain(), b = other.readableInPlace ? other : other.plain()
        let shape = a.shape == b.shape ? a.shape : broadcastShape(a.shape, b.shape)
        let x = a.viewBase, y = b.viewBase
        return Tensor(shape: shape) { out in
            if a.shape == b.shape && a.isPlain && b.isPlain {
                parallelFor(out.count) { range in
                    for i in range { out[i] = op(x[i], y[i]) }
                }
            } else if b.count == 1 && a.isPlain {
                let scalar = y[0]
                parallelFor(out.count) { range in
                    for i in range { out[i] = op(x[i], scalar) }
                }
            } else {
                let aStrides = a.broadcastElementStrides(to: shape), bStrides = b.broadcastElementStrides(to: shape)
                forEachBroadcastRun(shape, aStrides, bStrides) { o, ai, bi, n, aStep, bStep in
                    for k in 0..<n { out[o + k] = op(x[ai + k * aStep], y[bi + k * bStep]) }
                }
            }
        }
    }

    /// Whether element-wise loops can read this tensor where it is: float32, plain or a strided view.
    var readableInPlace: Bool { dtype == .f32 && !isDNNL }

    /// Applies `op` to every element. No autograd.
    @inline(__always)
    func map(_ op: (Float) -> Float) -> Tensor {
        let a = plain()
        let x = a.floatBuffer
        return Tensor(shape: shape) { out in
            parallelFor(out.count) { range in
                for i in range { out[i] = op(x[i]) }
            }
        }
    }

    /// Sums this (broadcast) gradient back down to `target`, the shape of the operand it flows to.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let source = plain()
        let strides = broadcastStrides(target, to: shape)
        let x = source.floatBuffer
        let result = Tensor(zeros: target)
        let out = result.floatBuffer
        // Sequential: many source runs add into the same destination.
        let inner = shape.last ?? 1
        let innerStride = strides.last ?? 0
        var position = StridedOffsets(shape: Array(shape.dropLast()), strides: [Array(strides.dropLast())])
        var flat = 0
        while flat < x.count {
            let offset = position.offsets[0]
            if innerStride == 0 {
                var sum: Float = 0
                for k in 0..<inner { sum += x[flat + k] }
                out[offset] += sum
            } else {
                for k in 0..<inner { out[offset + k] += x[flat + k] }
            }
            flat += inner
            position.advance()
        }
        return result
    }

    /// Element-wise sum used to accumulate gradients: the backend keeps a layout both share.
    func adding(_ other: Tensor) -> Tensor { backend.accumulate(self, other) }
}

// MARK: - Differentiable arithmetic

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let result = a.zipMap(b, +)
        return record(result, inputs: [a, b]) { g in [g.summed(toShape: a.shape), g.summed(toShape: b.shape)] }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let result = a.zipMap(b, -)
        return record(result, inputs: [a, b]) { g in
            [g.summed(toShape: a.shape), g.map { -$0 }.summed(toShape: b.shape)]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let result = a.zipMap(b, *)
        return record(result, inputs: [a, b]) { g in
            [a.requiresGrad ? (g * b.detached()).summed(toShape: a.shape) : nil,
             b.requiresGrad ? (g * a.detached()).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let result = a.zipMap(b, /)
        return record(result, inputs: [a, b]) { g in
            [a.requiresGrad ? (g / b.detached()).summed(toShape: a.shape) : nil,
             b.requiresGrad ? (g * result.detached() / b.detached()).map { -$0 }.summed(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        let result = a.map { -$0 }
        return record(result, inputs: [a]) { g in [g.map { -$0 }] }
    }

    public static func + (a: Tensor, b: Float) -> Tensor {
        record(a.map { $0 + b }, inputs: [a]) { g in [g] }
    }

    public static func - (a: Tensor, b: Float) -> Tensor { a + (-b) }

    public static func * (a: Tensor, b: Float) -> Tensor {
        record(a.map { $0 * b }, inputs: [a]) { g in [g.map { $0 * b }] }
    }

    public static func / (a: Tensor, b: Float) -> Tensor { a * (1 / b) }

    public static func + (a: Float, b: Tensor) -> Tensor { b + a }
    public static func * (a: Float, b: Tensor) -> Tensor { b * a }
    public static func - (a: Float, b: Tensor) -> Tensor { -b + a }

    /// Element-wise square.
    public func squared() -> Tensor {
        let x = detached()
        return Tensor.record(map { $0 * $0 }, inputs: [self]) { g in [g * x * 2] }
    }

    /// Element-wise square root.
    public func sqrt() -> Tensor {
        let result = map { Foundation.sqrt($0) }
        return Tensor.record(result, inputs: [self]) { g in [g.zipMap(result) { $0 * 0.5 / $1 }] }
    }

    /// Element-wise natural exponential.
    public func exp() -> Tensor {
        let result = map { Foundation.exp($0) }
        return Tensor.record(result, inputs: [self]) { g in [g.zipMap(result, *)] }
    }

    /// Element-wise natural logarithm.
    public func log() -> Tensor {
        let x = detached()
        return Tensor.record(map { Foundation.log($0) }, inputs: [self]) { g in [g.zipMap(x, /)] }
    }

    /// Element-wise absolute value (gradient sign(x), 0 at 0).
    public func abs() -> Tensor {
        let x = detached()
        return Tensor.record(map { Swift.abs($0) }, inputs: [self]) { g in
            [g.zipMap(x) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }]
        }
    }

    /// Element-wise power with a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let x = detached()
        return Tensor.record(map { Foundation.pow($0, exponent) }, inputs: [self]) { g in
            [g.zipMap(x) { $0 * exponent * Foundation.pow($1, exponent - 1) }]
        }
    }

    /// Element-wise clamp to `range` (gradient passes inside the range only).
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        let x = detached()
        let result = map { Swift.min(Swift.max($0, range.lowerBound), range.upperBound) }
        return Tensor.record(result, inputs: [self]) { g in
            [g.zipMap(x) { range.contains($1) ? $0 : 0 }]
        }
    }
}
