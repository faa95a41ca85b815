// Helpers shared by the hand-written CPU ops in this folder: output allocation, plane-sized work
// splitting and vectorised reductions. All of them work on plain float32 buffers.

extension Tensor {
    /// A plain float32 tensor whose elements are garbage: for outputs every element of which the
    /// caller is about to write, so the zero-fill of `init(zeros:)` would be wasted bandwidth.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(uninitializedByteCount: shape.reduce(1, *) * 4))
    }

    /// The start of a plain float32 tensor's elements (callers get one through `plain()`).
    var basePointer: UnsafeMutablePointer<Float> { floatBuffer.baseAddress! }
}

/// The fewest planes of `planeSize` elements worth a thread of their own (see `parallelFor`).
@inline(__always)
func planeGrain(_ planeSize: Int) -> Int { max(1, 32_768 / max(planeSize, 1)) }

/// Sums `body(range)` over chunks of `grain` elements of `0..<count`, spread over the cores, adding the
/// partials in Double and in chunk order: losses over millions of elements do not drift, and a sum does not
/// depend on how many cores computed it (the engine's one parallel sum: losses, reductions, optimizers).
func parallelSum(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Double) -> Double {
    let grain = max(grain, 1)
    let chunks = (count + grain - 1) / grain
    guard chunks > 1 else { return count > 0 ? body(0..<count) : 0 }
    var partials = [Double](repeating: 0, count: chunks)
    partials.withUnsafeMutableBufferPointer { partials in
        parallelFor(chunks, grain: 1) { chunkRange in
            for chunk in chunkRange {
                partials[chunk] = body(chunk * grain..<min(count, (chunk + 1) * grain))
            }
        }
    }
    return partials.reduce(0, +)
}

/// Σ `term(i)` for `i` in `range`, sixteen lanes at a time: a plain Float loop would not vectorise
/// (the compiler may not reorder float additions), and the lanes also shorten the rounding chains.
/// Blocks of 4096 go into a Double so long ranges stay accurate.
@inline(__always)
func vectorSum(_ range: Range<Int>, _ term: (Int) -> SIMD16<Float>, _ scalarTerm: (Int) -> Float) -> Double {
    var total: Double = 0
    var i = range.lowerBound
    while range.upperBound - i >= 16 {
        var lanes = SIMD16<Float>()
        let blockEnd = min(range.upperBound - 15, i + 4096)
        while i < blockEnd {
            lanes += term(i)
            i += 16
        }
        total += Double(lanes.sum())
    }
    var tail: Float = 0
    while i < range.upperBound {
        tail += scalarTerm(i)
        i += 1
    }
    return total + Double(tail)
}

/// Sixteen floats starting at `pointer + offset`, with no alignment assumed.
@inline(__always)
func load16(_ pointer: UnsafePointer<Float>, _ offset: Int) -> SIMD16<Float> {
    UnsafeRawPointer(pointer + offset).loadUnaligned(as: SIMD16<Float>.self)
}

/// Σ x[i] over `0..<count`.
@inline(__always)
func vectorSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    Float(vectorSum(0..<count, { load16(x, $0) }, { x[$0] }))
}

/// Σ x[i]·y[i] over `0..<count`.
@inline(__always)
func vectorDot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
    Float(vectorSum(0..<count, { load16(x, $0) * load16(y, $0) }, { x[$0] * y[$0] }))
}

/// A linear map applied to each plane (last two dimensions) of `x` on its own, as padding and
/// resampling are: `forward(source, destination)` writes a whole `outHeight × outWidth` output plane
/// from an input plane, and `adjoint(upstream, target)` adds an output plane's gradient into a zeroed
/// input plane (the transpose of the map). Planes run in parallel; each writes only its own plane.
func planewiseLinearMap(_ x: Tensor, outHeight: Int, outWidth: Int,
                        forward: @escaping (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                        adjoint: @escaping (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Tensor {
    let inSize = x.shape.suffix(2).reduce(1, *), outSize = outHeight * outWidth
    let planes = x.count / max(inSize, 1)
    let grain = planeGrain(max(inSize, outSize))
    let input = x.plain()
    let result = Tensor.uninitialized(Array(x.shape.dropLast(2)) + [outHeight, outWidth])
    let xs = input.basePointer, ys = result.basePointer
    parallelFor(planes, grain: grain) { range in
        for plane in range { forward(xs + plane * inSize, ys + plane * outSize) }
    }
    return Tensor.record(result, inputs: [input]) { grad in
        let g = grad.plain()
        let gradient = Tensor(zeros: input.shape)
        let gs = g.basePointer, dx = gradient.basePointer
        parallelFor(planes, grain: grain) { range in
            for plane in range { adjoint(gs + plane * outSize, dx + plane * inSize) }
        }
        return withExtendedLifetime(g) { [gradient] }
    }
}

/// Calls `vector(i)` for each full block of sixteen in `0..<count`, then `scalar(i)` for the rest.
@inline(__always)
func inBlocksOf16(_ count: Int, vector: (Int) -> Void, scalar: (Int) -> Void) {
    var i = 0
    while i + 16 <= count {
        vector(i)
        i += 16
    }
    while i < count {
        scalar(i)
        i += 1
    }
}

/// The larger of each pair of lanes. The standard library's `pointwiseMax` (and `clamped`) compile to
/// a call per lane; a compare-and-select vectorises.
@inline(__always)
func lanewiseMaximum(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    a.replacing(with: b, where: b .> a)
}

/// Stores sixteen floats at `pointer + offset`, with no alignment assumed.
@inline(__always)
func store16(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(pointer + offset).storeBytes(of: value, as: SIMD16<Float>.self)
}

/// e^x lane by lane, within 2 ulp, vectorised where `expf` would be a call per element. Inputs are
/// clamped to [−87.3, 88], so results stay finite and normal (≈1.2e−38 stands for 0). Cephes' method:
/// x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2ⁿ built in the exponent bits.
@inline(__always)
func exponential(_ x: SIMD16<Float>) -> SIMD16<Float> {
    var x = x
    x.replace(with: -87.33654, where: x .< -87.33654)
    x.replace(with: 88, where: x .> 88)
    // Adding 1.5·2²³ rounds to an integer in the low mantissa bits, without a rounding instruction.
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    p = p * (r * r) + r + 1
    let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    return p * unsafeBitCast((integer &+ 127) &<< 23, to: SIMD16<Float>.self)
}

/// `exponential` of one value, so that the tails of vector loops round exactly as their bodies do.
@inline(__always)
func exponential(_ x: Float) -> Float { exponential(SIMD16(repeating: x))[0] }
