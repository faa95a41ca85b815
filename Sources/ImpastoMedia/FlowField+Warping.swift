import ImpastoTensor

extension FlowField {
    /// Backward warping: pixel p of the result is `image` sampled bilinearly at p + flow(p), edges clamped.
    ///
    /// With the flow from frame t to frame t-1 this carries frame t-1 (or anything drawn on it, such as its
    /// stylized version) onto frame t.
    public func warped(_ image: Image) -> Image {
        precondition(image.width == width && image.height == height,
                     "warping a \(image.width)×\(image.height) image by a \(width)×\(height) flow")
        let count = width * height
        let channels = image.channels
        var result = [Float](repeating: 0, count: channels * count)
        image.pixels.withUnsafeBufferPointer { source in
        dx.withUnsafeBufferPointer { dx in
        dy.withUnsafeBufferPointer { dy in
        result.withUnsafeMutableBufferPointer { result in
            let source = source.baseAddress!, result = result.baseAddress!
            let dx = dx.baseAddress!, dy = dy.baseAddress!
            parallelFor(height, grain: rowGrain(width)) { rows in
                for y in rows {
                    for x in 0..<width {
                        let i = y * width + x
                        let point = BilinearPoint(x: Float(x) + dx[i], y: Float(y) + dy[i], width: width, height: height)
                        for channel in 0..<channels {
                            result[channel * count + i] = point.sample(source + channel * count, width: width)
                        }
                    }
                }
            }
        }}}}
        return Image(width: width, height: height, channels: channels, pixels: result)
    }

    /// 1 where this flow can be trusted, 0 where it cannot, judged with `reverse`, the flow between the
    /// same frames in the other direction — the mask of Ruder et al. 2016 (arXiv:1604.08610) that Lai et al.
    /// 2018 use for their warping error.
    ///
    /// A pixel p is rejected when
    /// - p + w(p) leaves the frame (the content came from outside it),
    /// - going there and back does not return: |w(p) + ŵ(p + w(p))|² ≥ 0.01 (|w|² + |ŵ|²) + 0.5 (occlusion),
    /// - it lies on a motion boundary: |∇w_x|² + |∇w_y|² > 0.01 |w|² + 0.002, where Farnebäck's smooth
    ///   flow bleeds across objects.
    public func reliability(reverse: FlowField) -> [Float] {
        precondition(reverse.width == width && reverse.height == height,
                     "a \(width)×\(height) flow checked against a \(reverse.width)×\(reverse.height) one")
        var mask = [Float](repeating: 0, count: width * height)
        dx.withUnsafeBufferPointer { dx in
        dy.withUnsafeBufferPointer { dy in
        reverse.dx.withUnsafeBufferPointer { backX in
        reverse.dy.withUnsafeBufferPointer { backY in
        mask.withUnsafeMutableBufferPointer { mask in
            let dx = dx.baseAddress!, dy = dy.baseAddress!, mask = mask.baseAddress!
            let backX = backX.baseAddress!, backY = backY.baseAddress!
            parallelFor(height, grain: rowGrain(width)) { rows in
                for y in rows {
                    let up = max(y - 1, 0) * width, down = min(y + 1, height - 1) * width
                    let rowSpan = Float(min(y + 1, height - 1) - max(y - 1, 0))
                    for x in 0..<width {
                        let i = y * width + x
                        let (u, v) = (dx[i], dy[i])
                        let (targetX, targetY) = (Float(x) + u, Float(y) + v)
                        guard targetX >= 0, targetX <= Float(width - 1), targetY >= 0, targetY <= Float(height - 1)
                        else { continue }
                        let point = BilinearPoint(x: targetX, y: targetY, width: width, height: height)
                        let (backU, backV) = (point.sample(backX, width: width), point.sample(backY, width: width))
                        let (sumU, sumV) = (u + backU, v + backV)
                        let magnitude = u * u + v * v
                        guard sumU * sumU + sumV * sumV < 0.01 * (magnitude + backU * backU + backV * backV) + 0.5
                        else { continue }
                        // Central differences, one-sided at the edges.
                        let left = y * width + max(x - 1, 0), right = y * width + min(x + 1, width - 1)
                        let columnSpan = Float(min(x + 1, width - 1) - max(x - 1, 0))
                        let uX = (dx[right] - dx[left]) / columnSpan, vX = (dy[right] - dy[left]) / columnSpan
                        let uY = (dx[down + x] - dx[up + x]) / rowSpan, vY = (dy[down + x] - dy[up + x]) / rowSpan
                        guard uX * uX + uY * uY + vX * vX + vY * vY <= 0.01 * magnitude + 0.002 else { continue }
                        mask[i] = 1
                    }
                }
            }
        }}}}}
        return mask
    }
}

/// The four neighbours and weights of a bilinear sample, the point clamped into the frame.
struct BilinearPoint {
    let index: Int
    let right: Int
    let below: Int
    let u: Float
    let v: Float

    @inline(__always)
    init(x: Float, y: Float, width: Int, height: Int) {
        let x = min(max(x, 0), Float(width - 1)), y = min(max(y, 0), Float(height - 1))
        let column = Int(x), row = Int(y)
        index = row * width + column
        right = column < width - 1 ? 1 : 0
        below = row < height - 1 ? width : 0
        u = x - Float(column)
        v = y - Float(row)
    }

    @inline(__always)
    func sample(_ plane: UnsafePointer<Float>, width: Int) -> Float {
        let p = plane + index
        let top = p[0] + u * (p[right] - p[0])
        let bottom = p[below] + u * (p[below + right] - p[below])
        return top + v * (bottom - top)
    }
}
