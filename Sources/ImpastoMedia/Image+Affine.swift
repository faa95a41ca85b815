import ImpastoTensor

/// A plane affine map, `(x, y) ↦ (a·x + b·y + c, d·x + e·y + f)`.
public struct AffineTransform: Sendable, Equatable {
    public var a, b, c, d, e, f: Float

    public init(a: Float, b: Float, c: Float, d: Float, e: Float, f: Float) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    /// Where the map sends `(x, y)`.
    @inline(__always)
    public func apply(x: Float, y: Float) -> (x: Float, y: Float) {
        (a * x + b * y + c, d * x + e * y + f)
    }
}

extension Image {
    /// A `width`×`height` image whose pixel (x, y) is this image sampled bilinearly at
    /// `sourceOfPixel.apply(x, y)`, in this image's pixel coordinates (pixel (i, j)'s centre is the point (i, j));
    /// points outside are clamped to the nearest edge pixel, as `FlowField.warped` does.
    public func warped(width: Int, height: Int, sourceOfPixel transform: AffineTransform) -> Image {
        let count = width * height, sourceCount = self.width * self.height
        var result = [Float](repeating: 0, count: channels * count)
        pixels.withUnsafeBufferPointer { source in
        result.withUnsafeMutableBufferPointer { result in
            let source = source.baseAddress!, result = result.baseAddress!
            parallelFor(height, grain: rowGrain(width)) { rows in
                for y in rows {
                    for x in 0..<width {
                        let (sx, sy) = transform.apply(x: Float(x), y: Float(y))
                        let point = BilinearPoint(x: sx, y: sy, width: self.width, height: self.height)
                        for channel in 0..<channels {
                            result[channel * count + y * width + x] = point.sample(source + channel * sourceCount,
                                                                                     width: self.width)
                        }
                    }
                }
            }
        }}
        return Image(width: width, height: height, channels: channels, pixels: result)
    }
}
