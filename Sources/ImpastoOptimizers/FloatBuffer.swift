import ImpastoTensor
import Foundation

/// A zero-initialised float32 array owned by an optimizer: per-parameter state (momentum, moment estimates)
/// and L-BFGS's flat vectors. A class so that state is allocated once and then only written in place.
final class FloatBuffer {
    let count: Int
    let base: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: 0, count: count)
    }

    deinit { base.deallocate() }
}

/// The optimizers' loops over elements: split over the cores once a tensor is big enough to pay for it.
///
/// ImpastoTensor's `parallelFor` with the optimizers' grain, plus an ordered parallel sum.
enum Loop {
    /// Elements per chunk: below this a loop is not worth waking another thread for.
    static let grain = 1 << 15

    /// Runs `body` over `0..<count` in one contiguous chunk per core (one chunk for small counts).
    static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(count, grain: grain, body)
    }

    /// The sum of `partial` over fixed-size chunks of `0..<count`, computed in parallel and added in chunk
    /// order, so the result is the same whatever the number of cores.
    static func sum(_ count: Int, _ partial: (Range<Int>) -> Double) -> Double {
        let chunks = (count + grain - 1) / grain
        guard chunks > 1 else { return count > 0 ? partial(0..<count) : 0 }
        var partials = [Double](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { partials in
            parallelFor(chunks, grain: 1) { chunkRange in
                for chunk in chunkRange {
                    partials[chunk] = partial(chunk * grain..<Swift.min(count, (chunk + 1) * grain))
                }
            }
        }
        return partials.reduce(0, +)
    }
}

/// The vector arithmetic of L-BFGS, float32 like torch's, with dot products and sums accumulated in
/// `Double` and rounded once: torch sums float32 products in float32 SIMD lanes, which on the
/// million-element images of style transfer loses digits that the curvature pairs need.
extension FloatBuffer {
    /// `Σ self[i] · other[i]`, as torch's 0-dimensional float32 result.
    func dot(_ other: FloatBuffer) -> Float {
        let a = base, b = other.base
        return Float(Loop.sum(count) { range in
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

    /// `Σ |self[i]|`.
    func absoluteSum() -> Float {
        let a = base
        return Float(Loop.sum(count) { range in
            var total: Double = 0
            for i in range { total += Double(Swift.abs(a[i])) }
            return total
        })
    }

    /// `max |self[i]|`, NaN if any element is NaN (as torch's `max` propagates it).
    func absoluteMaximum() -> Float {
        var result: Float = 0
        for i in 0..<count {
            let magnitude = Swift.abs(base[i])
            if magnitude > result || magnitude.isNaN { result = magnitude }
            if result.isNaN { break }
        }
        return result
    }

    /// `self += alpha · other`, torch's `add_(other, alpha=alpha)`.
    func add(_ other: FloatBuffer, scaledBy alpha: Float) {
        let a = base, b = other.base
        Loop.forEachChunk(count) { range in
            for i in range { a[i] += alpha * b[i] }
        }
    }

    /// `self = alpha · x`: a copy when `alpha` is 1, a negation when it is -1.
    func assign(_ x: FloatBuffer, scaledBy alpha: Float = 1) {
        let a = base, b = x.base
        Loop.forEachChunk(count) { range in
            for i in range { a[i] = b[i] * alpha }
        }
    }

    /// `self = x - y`.
    func assignDifference(_ x: FloatBuffer, _ y: FloatBuffer) {
        let a = base, b = x.base, c = y.base
        Loop.forEachChunk(count) { range in
            for i in range { a[i] = b[i] - c[i] }
        }
    }
}
