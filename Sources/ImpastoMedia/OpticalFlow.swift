import Foundation
import ImpastoTensor

/// A dense displacement field between two frames of the same size: the content at (x, y) of the first frame
/// is found at (x + dx, y + dy) of the second. Planar, row-major, in pixels.
public struct FlowField: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Horizontal displacement per pixel (positive: to the right).
    public var dx: [Float]
    /// Vertical displacement per pixel (positive: down).
    public var dy: [Float]

    /// A field from its two planes of `width * height` values each.
    public init(width: Int, height: Int, dx: [Float], dy: [Float]) {
        precondition(dx.count == width * height && dy.count == width * height,
                     "a \(width)×\(height) flow needs \(width * height) values per component, "
                     + "got \(dx.count) and \(dy.count)")
        self.width = width
        self.height = height
        self.dx = dx
        self.dy = dy
    }

    /// No motion anywhere.
    public init(zerosWidth width: Int, height: Int) {
        self.init(width: width, height: height, dx: .init(repeating: 0, count: width * height),
                  dy: .init(repeating: 0, count: width * height))
    }
}

/// Dense optical flow computed in-engine.
///
/// The algorithm is Farnebäck's polynomial expansion (G. Farnebäck, "Two-Frame Motion Estimation Based on
/// Polynomial Expansion", SCIA 2003), step for step as OpenCV's `calcOpticalFlowFarneback` with the
/// Gaussian window (`OPTFLOW_FARNEBACK_GAUSSIAN`). It was chosen over Horn–Schunck and TV-L1 because each
/// pyramid level costs a fixed handful of separable filters and a 2×2 solve per pixel: the work is linear,
/// predictable, vectorises, and needs no inner solver iterations (TV-L1 needs tens per warp and is several
/// times slower on a CPU). Its weakness, blurred motion boundaries, is what the forward–backward occlusion
/// check (`reliability(reverse:)`) catches before any pixel is blended or scored.
public enum OpticalFlow {
    /// The settings of Farnebäck's method, named after OpenCV's arguments; the defaults are OpenCV's
    /// recommended ones with the five iterations used for video.
    public struct Options: Sendable, Equatable {
        /// Size ratio between pyramid levels (`pyr_scale`).
        public var pyramidScale: Double = 0.5
        /// Coarser levels above the full-size one: OpenCV's `levels`, which its code (unlike its
        /// documentation) counts that way. Fewer are used where a level would get smaller than 32 pixels.
        public var levels: Int = 3
        /// Side of the Gaussian window the expansions are averaged over (`winsize`): larger is smoother
        /// and more robust to noise, smaller keeps finer motion.
        public var windowSize: Int = 15
        /// Refinements per level (`iterations`).
        public var iterations: Int = 5
        /// Half-width of the neighbourhood each polynomial is fitted over (`poly_n`, 5 or 7).
        public var polynomialNeighborhood: Int = 5
        /// Standard deviation of the fit's Gaussian weights (`poly_sigma`: 1.1 for 5, 1.5 for 7).
        public var polynomialSigma: Double = 1.1

        /// OpenCV's defaults with five iterations.
        public init() {}
    }

    /// The flow from `first` to `second`: `first(p) ≈ second(p + flow(p))`. Both frames must have the
    /// same size; colour frames are compared by their luma.
    ///
    /// Warping `second` by this flow (`flow.warped(second)`) lines it up with `first`, so for the
    /// backward warping a video needs (previous frame onto the current one) pass the current frame first.
    public static func farneback(from first: Image, to second: Image, options: Options = Options()) -> FlowField {
        farneback(from: Pyramid(first, options: options), to: Pyramid(second, options: options))
    }

    /// The flow between two prepared frames (see `farneback(from:to:options:)` for its direction).
    /// Preparing each frame once serves both flow directions and both pairs a video frame belongs to.
    public static func farneback(from first: Pyramid, to second: Pyramid) -> FlowField {
        precondition(first.width == second.width && first.height == second.height,
                     "flow between a \(first.width)×\(first.height) and a \(second.width)×\(second.height) frame")
        precondition(first.options == second.options, "flow between frames prepared with different options")
        let options = first.options
        let window = gaussianKernel(radius: options.windowSize / 2, sigma: Double(options.windowSize / 2) * 0.3)
        var flow: FlowField?
        for (r0, r1) in zip(first.levels, second.levels) {
            let (width, height) = (r0.width, r0.height)
            // OpenCV scales by 1/pyr_scale, not by the rounded size ratio.
            let factor = Float(1 / options.pyramidScale)
            var current = flow.map { $0.resized(width: width, height: height, factorX: factor, factorY: factor) }
                ?? FlowField(zerosWidth: width, height: height)
            var matrices = [Float](repeating: 0, count: 5 * width * height)
            updateMatrices(r0.expansion, r1.expansion, flow: current, into: &matrices)
            for iteration in 0..<options.iterations {
                solveFlow(matrices, window: window, into: &current)
                if iteration < options.iterations - 1 {
                    updateMatrices(r0.expansion, r1.expansion, flow: current, into: &matrices)
                }
            }
            flow = current
        }
        return flow!
    }

    /// A frame prepared for Farnebäck flow: the polynomial expansion of its luma at every pyramid level,
    /// coarsest first.
    public struct Pyramid: Sendable {
        /// Columns of the frame.
        public let width: Int
        /// Rows of the frame.
        public let height: Int
        /// The options the levels were built with.
        public let options: Options
        let levels: [(width: Int, height: Int, expansion: [Float])]

        /// Prepares `image` (its luma, for colour images).
        public init(_ image: Image, options: Options = Options()) {
            self.init(intensities: image.grayscale().pixels.map { $0 * 255 }, width: image.width,
                      height: image.height, options: options)
        }

        /// Prepares a plane of intensities on OpenCV's 0–255 scale, which the solver's regularisation
        /// constant (1e-3) assumes.
        init(intensities: [Float], width: Int, height: Int, options: Options) {
            precondition(options.pyramidScale > 0 && options.pyramidScale < 1 && options.levels >= 0
                         && options.windowSize >= 1 && options.iterations >= 1 && options.polynomialNeighborhood >= 1,
                         "Farnebäck options out of range: \(options)")
            self.width = width
            self.height = height
            self.options = options
            let minimumSide = 32.0
            var count = 0
            var scale = 1.0
            while count < options.levels {
                scale *= options.pyramidScale
                if Double(width) * scale < minimumSide || Double(height) * scale < minimumSide { break }
                count += 1
            }
            let basis = PolynomialBasis(radius: options.polynomialNeighborhood, sigma: options.polynomialSigma)
            levels = stride(from: count, through: 0, by: -1).map { level in
                let scale = pow(options.pyramidScale, Double(level))
                let levelWidth = Int((Double(width) * scale).rounded())
                let levelHeight = Int((Double(height) * scale).rounded())
                // Each level blurs the full-size frame just enough to sample it at its scale (σ = 0.8 at
                // level 0, OpenCV's 3-tap default), then resamples.
                let sigma = (1 / scale - 1) * 0.5
                let taps = max(3, Int((sigma * 5).rounded(.toNearestOrEven)) | 1)
                let kernel = gaussianKernel(radius: taps / 2,
                                            sigma: sigma > 0 ? sigma : 0.3 * (Double(taps - 1) * 0.5 - 1) + 0.8)
                let blurred = separableBlur(intensities, width: width, height: height, kernel: kernel)
                let resized = resizedBilinear(blurred, width: width, height: height, to: levelWidth, levelHeight)
                return (levelWidth, levelHeight, basis.expand(resized, width: levelWidth, height: levelHeight))
            }
        }
    }
}

// MARK: - Polynomial expansion

/// The Gaussian-weighted least-squares fit of `f(x, y) ≈ c + bx·x + by·y + axx·x² + ayy·y² + axy·xy` around
/// every pixel, done as separable correlations (Farnebäck's "normalized convolution" with full certainty).
struct PolynomialBasis {
    let radius: Int
    /// g, x·g and x²·g over -radius...radius, indexed from the centre.
    let g: [Float], xg: [Float], xxg: [Float]
    /// The entries of the inverse Gram matrix the fit needs; by the weights' symmetry the rest vanish.
    let ig11: Float, ig03: Float, ig33: Float, ig55: Float

    init(radius n: Int, sigma: Double) {
        radius = n
        let sigma = sigma < Double(Float.ulpOfOne) ? Double(n) * 0.3 : sigma
        let raw = (-n...n).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = raw.reduce(0, +)
        let weights = raw.map { $0 / total }
        g = (0...n).map { Float(weights[n + $0]) }
        xg = (0...n).map { Float(Double($0) * weights[n + $0]) }
        xxg = (0...n).map { Float(Double($0 * $0) * weights[n + $0]) }
        // Gram matrix of the basis (1, x, y, x², y², xy) under the weights: with Σg = 1 only s2 = Σ g x² and
        // s4 = Σ g x⁴ appear, and the {1, x², y²} block is the one that needs inverting.
        let s2 = (-n...n).reduce(0.0) { $0 + weights[n + $1] * Double($1 * $1) }
        let s4 = (-n...n).reduce(0.0) { $0 + weights[n + $1] * pow(Double($1), 4) }
        let block = [[1, s2, s2], [s2, s4, s2 * s2], [s2, s2 * s2, s4]]
        let inverse = invert3x3(block)
        ig11 = Float(1 / s2)
        ig03 = Float(inverse[0][1])
        ig33 = Float(inverse[1][1])
        ig55 = Float(1 / (s2 * s2))
    }

    /// Eight floats per pixel, `[bx, by, axx, ayy, axy, 0, 0, 0]`, so that one vector load fetches a pixel's
    /// coefficients when the flow update samples them at moving positions. Borders are replicated.
    func expand(_ image: [Float], width: Int, height: Int) -> [Float] {
        let n = radius
        var result = [Float](repeating: 0, count: 8 * width * height)
        image.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { result in
                let source = source.baseAddress!, result = result.baseAddress!
                parallelFor(height, grain: rowGrain(width)) { rows in
                    // `n` replicated columns on each side, and 8 more on the right for the last vector's lanes.
                    let padded = width + 2 * n + 8
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * padded)
                    scratch.initialize(repeating: 0, count: 3 * padded)
                    defer { scratch.deallocate() }
                    // Vertical sums weighted by g, y·g and y²·g.
                    let v0 = scratch + n, v1 = v0 + padded, v2 = v1 + padded
                    for y in rows {
                        let centre = source + y * width
                        for x in 0..<width { v0[x] = g[0] * centre[x]; v1[x] = 0; v2[x] = 0 }
                        for k in 1...n {
                            let above = source + max(y - k, 0) * width, below = source + min(y + k, height - 1) * width
                            let (gk, xgk, xxgk) = (g[k], xg[k], xxg[k])
                            for x in 0..<width {
                                let sum = above[x] + below[x]
                                v0[x] += gk * sum
                                v1[x] += xgk * (below[x] - above[x])
                                v2[x] += xxgk * sum
                            }
                        }
                        for k in 1...n {
                            v0[-k] = v0[0]; v1[-k] = v1[0]; v2[-k] = v2[0]
                            v0[width - 1 + k] = v0[width - 1]
                            v1[width - 1 + k] = v1[width - 1]
                            v2[width - 1 + k] = v2[width - 1]
                        }
                        // Horizontal pass, eight pixels at a time: b1 ~ 1, bx ~ x, by ~ y, axx ~ x², ayy ~ y²,
                        // axy ~ xy, then the inverse Gram matrix turns the moments into coefficients.
                        for x in stride(from: 0, to: width, by: 8) {
                            var b1 = g[0] * load8(v0, x), by = g[0] * load8(v1, x), ayy = g[0] * load8(v2, x)
                            var bx = SIMD8<Float>(), axx = SIMD8<Float>(), axy = SIMD8<Float>()
                            for k in 1...n {
                                let right0 = load8(v0, x + k), left0 = load8(v0, x - k)
                                let right1 = load8(v1, x + k), left1 = load8(v1, x - k)
                                b1 += g[k] * (right0 + left0)
                                bx += xg[k] * (right0 - left0)
                                axx += xxg[k] * (right0 + left0)
                                by += g[k] * (right1 + left1)
                                axy += xg[k] * (right1 - left1)
                                ayy += g[k] * (load8(v2, x + k) + load8(v2, x - k))
                            }
                            bx *= ig11
                            by *= ig11
                            axx = b1 * ig03 + axx * ig33
                            ayy = b1 * ig03 + ayy * ig33
                            axy *= ig55
                            let pixels = result + 8 * (y * width + x)
                            for lane in 0..<min(8, width - x) {
                                let pixel = pixels + 8 * lane
                                pixel[0] = bx[lane]; pixel[1] = by[lane]; pixel[2] = axx[lane]
                                pixel[3] = ayy[lane]; pixel[4] = axy[lane]
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}

/// Eight floats from `base + offset`, any alignment. Written as scalar loads, which the optimiser fuses
/// into one vector load, because the generic `loadUnaligned` stays an unspecialised call in debug builds
/// and would make the tests crawl.
@inline(__always)
func load8(_ base: UnsafePointer<Float>, _ offset: Int) -> SIMD8<Float> {
    let p = base + offset
    return SIMD8(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7])
}

@inline(__always)
func load8(_ base: UnsafeMutablePointer<Float>, _ offset: Int) -> SIMD8<Float> {
    load8(UnsafePointer(base), offset)
}

private func invert3x3(_ m: [[Double]]) -> [[Double]] {
    let c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1]
    let c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2]
    let c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0]
    let determinant = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02
    let c10 = m[0][2] * m[2][1] - m[0][1] * m[2][2]
    let c11 = m[0][0] * m[2][2] - m[0][2] * m[2][0]
    let c12 = m[0][1] * m[2][0] - m[0][0] * m[2][1]
    let c20 = m[0][1] * m[1][2] - m[0][2] * m[1][1]
    let c21 = m[0][2] * m[1][0] - m[0][0] * m[1][2]
    let c22 = m[0][0] * m[1][1] - m[0][1] * m[1][0]
    return [[c00, c10, c20], [c01, c11, c21], [c02, c12, c22]].map { $0.map { $0 / determinant } }
}

// MARK: - Flow update

/// Pixels within this distance of an edge count for less: their expansions saw replicated borders.
private let borderWeights: [Float] = [0.14, 0.14, 0.4472, 0.4472, 0.4472]

/// For every pixel, the normal equations of the displacement that maps `r0`'s polynomial onto `r1`'s at
/// the currently estimated position: `[gxx, gxy, gyy, hx, hy]` planes, G = AᵀA and h = AᵀΔb.
private func updateMatrices(_ r0: [Float], _ r1: [Float], flow: FlowField, into matrices: inout [Float]) {
    let (width, height) = (flow.width, flow.height)
    let count = width * height
    r0.withUnsafeBufferPointer { r0 in
    r1.withUnsafeBufferPointer { r1 in
    flow.dx.withUnsafeBufferPointer { flowX in
    flow.dy.withUnsafeBufferPointer { flowY in
    matrices.withUnsafeMutableBufferPointer { m in
        let r0 = r0.baseAddress!, r1 = r1.baseAddress!, m = m.baseAddress!
        let flowX = flowX.baseAddress!, flowY = flowY.baseAddress!
        parallelFor(height, grain: rowGrain(width)) { rows in
            for y in rows {
                for x in 0..<width {
                    let i = y * width + x
                    let dx = flowX[i], dy = flowY[i]
                    let fx = Float(x) + dx, fy = Float(y) + dy
                    let x1 = floorToInt(fx), y1 = floorToInt(fy)
                    let own = load8(r0, 8 * i)
                    var bx: Float = 0, by: Float = 0
                    var axx = own[2], ayy = own[3], axy = own[4] * 0.5
                    if x1 >= 0 && x1 < width - 1 && y1 >= 0 && y1 < height - 1 {
                        let u = fx - Float(x1), v = fy - Float(y1)
                        let p = r1 + 8 * (y1 * width + x1)
                        let sample = (1 - u) * (1 - v) * load8(p, 0) + u * (1 - v) * load8(p, 8)
                            + (1 - u) * v * load8(p, 8 * width) + u * v * load8(p, 8 * width + 8)
                        bx = sample[0]
                        by = sample[1]
                        axx = (axx + sample[2]) * 0.5
                        ayy = (ayy + sample[3]) * 0.5
                        axy = (own[4] + sample[4]) * 0.25
                    }
                    // Δb = (b0 - b1)/2 + A·d: the residual after the displacement found so far.
                    var deltaX = (own[0] - bx) * 0.5 + axx * dx + axy * dy
                    var deltaY = (own[1] - by) * 0.5 + axy * dx + ayy * dy
                    if x < 5 || x >= width - 5 || y < 5 || y >= height - 5 {
                        var scale: Float = 1
                        if x < 5 { scale *= borderWeights[x] }
                        if x >= width - 5 { scale *= borderWeights[width - x - 1] }
                        if y < 5 { scale *= borderWeights[y] }
                        if y >= height - 5 { scale *= borderWeights[height - y - 1] }
                        deltaX *= scale; deltaY *= scale; axx *= scale; ayy *= scale; axy *= scale
                    }
                    m[i] = axx * axx + axy * axy
                    m[count + i] = (axx + ayy) * axy
                    m[2 * count + i] = ayy * ayy + axy * axy
                    m[3 * count + i] = axx * deltaX + axy * deltaY
                    m[4 * count + i] = axy * deltaX + ayy * deltaY
                }
            }
        }
    }}}}}
}

/// Averages the normal equations over the Gaussian window and solves each pixel's 2×2 system.
private func solveFlow(_ matrices: [Float], window: [Float], into flow: inout FlowField) {
    let (width, height) = (flow.width, flow.height)
    let count = width * height
    let m = window.count - 1
    matrices.withUnsafeBufferPointer { matrices in
    flow.dx.withUnsafeMutableBufferPointer { flowX in
    flow.dy.withUnsafeMutableBufferPointer { flowY in
        let source = matrices.baseAddress!, flowX = flowX.baseAddress!, flowY = flowY.baseAddress!
        parallelFor(height, grain: rowGrain(width)) { rows in
            let padded = width + 2 * m
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 5 * padded + 5 * width)
            defer { scratch.deallocate() }
            let vertical = scratch + m, horizontal = scratch + 5 * padded
            for y in rows {
                for plane in 0..<5 {
                    let v = vertical + plane * padded, h = horizontal + plane * width
                    blurColumn(source + plane * count, row: y, width: width, height: height, kernel: window, into: v)
                    blurRow(v, width: width, kernel: window, into: h)
                }
                let (gxx, gxy, gyy, hx, hy) = (horizontal, horizontal + width, horizontal + 2 * width,
                                               horizontal + 3 * width, horizontal + 4 * width)
                let outX = flowX + y * width, outY = flowY + y * width
                for x in 0..<width {
                    // The small constant keeps flat regions (no texture, singular G) at zero motion.
                    let inverse = 1 / (gxx[x] * gyy[x] - gxy[x] * gxy[x] + 1e-3)
                    outX[x] = (gyy[x] * hx[x] - gxy[x] * hy[x]) * inverse
                    outY[x] = (gxx[x] * hy[x] - gxy[x] * hx[x]) * inverse
                }
            }
        }
    }}}
}

// MARK: - Filters

/// ⌊value⌋ for finite values. Baseline x86-64 has no rounding instruction, so `rounded(.down)` is a call to
/// `floorf`; truncation plus a correction is not.
@inline(__always)
func floorToInt(_ value: Float) -> Int {
    let truncated = Int(value)
    return Float(truncated) > value ? truncated - 1 : truncated
}

/// Rows per parallel chunk: small frames stay on one thread.
@inline(__always)
func rowGrain(_ width: Int) -> Int { max(1, 16_384 / max(width, 1)) }

/// The right half of a normalised Gaussian (`kernel[0]` is the centre tap).
func gaussianKernel(radius: Int, sigma: Double) -> [Float] {
    guard radius > 0 && sigma > 0 else { return [1] }
    let raw = (0...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
    let total = raw[0] + 2 * raw.dropFirst().reduce(0, +)
    return raw.map { Float($0 / total) }
}

/// Row `row` of `plane` filtered vertically by the symmetric `kernel`, written to `output[0..<width]` with
/// `kernel.count - 1` extra columns on each side for a following `blurRow`. Edges are replicated, or
/// mirrored without repeating the edge pixel (`reflect`, OpenCV's BORDER_REFLECT_101, which its
/// `GaussianBlur` uses while the flow's own filters replicate).
@inline(__always)
private func blurColumn(_ plane: UnsafePointer<Float>, row: Int, width: Int, height: Int, kernel: [Float],
                        reflect: Bool = false, into output: UnsafeMutablePointer<Float>) {
    let radius = kernel.count - 1
    let centre = plane + row * width
    let k0 = kernel[0]
    for x in 0..<width { output[x] = k0 * centre[x] }
    guard radius > 0 else { return }
    let border = { (i: Int, count: Int) -> Int in
        let mirrored = reflect ? (i < 0 ? -i : (i >= count ? 2 * count - 2 - i : i)) : i
        return min(max(mirrored, 0), count - 1)
    }
    for i in 1...radius {
        let above = plane + border(row - i, height) * width, below = plane + border(row + i, height) * width
        let ki = kernel[i]
        for x in 0..<width { output[x] += ki * (above[x] + below[x]) }
    }
    for i in 1...radius {
        output[-i] = output[border(-i, width)]
        output[width - 1 + i] = output[border(width - 1 + i, width)]
    }
}

/// `input` (with `kernel.count - 1` valid columns on each side) filtered horizontally into `output`.
@inline(__always)
private func blurRow(_ input: UnsafePointer<Float>, width: Int, kernel: [Float], into output: UnsafeMutablePointer<Float>) {
    let radius = kernel.count - 1
    var x = 0
    while x + 8 <= width {
        var sum = kernel[0] * load8(input, x)
        for i in stride(from: 1, through: radius, by: 1) {
            sum += kernel[i] * (load8(input, x - i) + load8(input, x + i))
        }
        UnsafeMutableRawPointer(output + x).storeBytes(of: sum, as: SIMD8<Float>.self)
        x += 8
    }
    while x < width {
        var sum = kernel[0] * input[x]
        for i in stride(from: 1, through: radius, by: 1) { sum += kernel[i] * (input[x - i] + input[x + i]) }
        output[x] = sum
        x += 1
    }
}

/// `plane` blurred by a separable symmetric kernel, edges mirrored as OpenCV's `GaussianBlur` does.
func separableBlur(_ plane: [Float], width: Int, height: Int, kernel: [Float]) -> [Float] {
    var result = [Float](repeating: 0, count: width * height)
    let radius = kernel.count - 1
    plane.withUnsafeBufferPointer { source in
        result.withUnsafeMutableBufferPointer { result in
            let source = source.baseAddress!, result = result.baseAddress!
            parallelFor(height, grain: rowGrain(width)) { rows in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: width + 2 * radius)
                defer { scratch.deallocate() }
                for y in rows {
                    blurColumn(source, row: y, width: width, height: height, kernel: kernel, reflect: true,
                               into: scratch + radius)
                    blurRow(scratch + radius, width: width, kernel: kernel, into: result + y * width)
                }
            }
        }
    }
    return result
}

/// Bilinear resampling with pixel centres aligned (OpenCV's `INTER_LINEAR`, no antialiasing: blur first
/// when shrinking): the engine's `upsampleBilinear2d`, which is PyTorch's `align_corners=False` rule, the same.
func resizedBilinear(_ plane: [Float], width: Int, height: Int, to newWidth: Int, _ newHeight: Int) -> [Float] {
    if newWidth == width && newHeight == height { return plane }
    return withoutGradients {
        upsampleBilinear2d(Tensor(shape: [1, 1, height, width], scalars: plane), size: (newHeight, newWidth)).scalars
    }
}

extension FlowField {
    /// The field resampled to another size, its components multiplied by `factorX` and `factorY` (the size
    /// ratios, so they stay in pixels of the new size).
    func resized(width newWidth: Int, height newHeight: Int, factorX: Float, factorY: Float) -> FlowField {
        FlowField(width: newWidth, height: newHeight,
                  dx: resizedBilinear(dx, width: width, height: height, to: newWidth, newHeight).map { $0 * factorX },
                  dy: resizedBilinear(dy, width: width, height: height, to: newWidth, newHeight).map { $0 * factorY })
    }
}
