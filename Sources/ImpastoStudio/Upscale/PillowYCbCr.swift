import ImpastoMedia

/// Pillow's YCbCr (JPEG's full-range BT.601), which waifu2x's luma models read and write through
/// `convert("YCbCr")` and back, and Pillow's gray; 8-bit in and out.
///
/// Pillow works in fixed point with 6 fractional bits. Measured over all 2^24 colours against Pillow 10.4.0
/// (scripts/make_waifu2x_reference.py ycbcr): Y as the sum of `round(64 · coefficient · value)` per channel,
/// shifted right by 6, is Pillow's exactly (the net's input); the same scheme is Pillow's Cb and Cr for 97 %
/// of colours and its way back to RGB for 99 %, one level off elsewhere.
enum PillowYCbCr {
    /// RGB (3 channels, samples k / 255) to Y, Cb, Cr planes, samples k / 255.
    static func fromRGB(_ image: Image) -> Image {
        let count = image.width * image.height
        var planes = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let (r, g, b) = (level(image.pixels[i]), level(image.pixels[count + i]), level(image.pixels[2 * count + i]))
            planes[i] = sample(fixed(0.299, r) + fixed(0.587, g) + fixed(0.114, b))
            planes[count + i] = sample(fixed(-0.168736, r) + fixed(-0.331264, g) + fixed(0.5, b), offset: 128)
            planes[2 * count + i] = sample(fixed(0.5, r) + fixed(-0.418688, g) + fixed(-0.081312, b), offset: 128)
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: planes)
    }

    /// Y, Cb, Cr planes (samples k / 255) back to RGB, samples k / 255.
    static func toRGB(_ image: Image) -> Image {
        let count = image.width * image.height
        var planes = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let (y, cb, cr) = (level(image.pixels[i]), level(image.pixels[count + i]) - 128, level(image.pixels[2 * count + i]) - 128)
            planes[i] = sample(fixed(1.402, cr), offset: y)
            planes[count + i] = sample(fixed(-0.344136, cb) + fixed(-0.714136, cr), offset: y)
            planes[2 * count + i] = sample(fixed(1.772, cb), offset: y)
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: planes)
    }

    /// RGB to one gray channel as Pillow's `convert("L")` (and `convert("LA")`'s colour): `(19595 R + 38470 G +
    /// 7471 B + 2¹⁵) >> 16`, ITU-R 601-2 luma in 16-bit fixed point, equal to Pillow 10.4.0's on all 2²⁴ colours
    /// (scripts/make_waifu2x_reference.py ycbcr).
    /// waifu2x writes a gray picture's result back this way.
    static func gray(_ image: Image) -> Image {
        let count = image.width * image.height
        let pixels = (0..<count).map { i in
            let (r, g, b) = (level(image.pixels[i]), level(image.pixels[count + i]), level(image.pixels[2 * count + i]))
            return Float((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16) / 255
        }
        return Image(width: image.width, height: image.height, channels: 1, pixels: pixels)
    }

    /// `coefficient · value` in 6-bit fixed point, rounded half away from zero.
    private static func fixed(_ coefficient: Double, _ value: Int) -> Int {
        Int((coefficient * 64 * Double(value)).rounded(.toNearestOrAwayFromZero))
    }

    /// The 8-bit level of a sample.
    private static func level(_ sample: Float) -> Int { Int((sample * 255).rounded()) }

    /// A fixed-point sum shifted down (rounding toward −∞, as C's `>>` does), plus `offset`, clamped, as k / 255.
    private static func sample(_ fixedPoint: Int, offset: Int = 0) -> Float {
        Float(min(max((fixedPoint >> 6) + offset, 0), 255)) / 255
    }
}
