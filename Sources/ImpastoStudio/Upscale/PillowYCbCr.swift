import ImpastoMedia

/// Pillow's YCbCr (JPEG's full-range BT.601), which waifu2x's luma models read and write through
/// `convert("YCbCr")` and back; 8-bit in and out. Pillow computes in fixed point; this rounds the exact
/// formulas, which agree with it on most colours and are one level off on the rest (measured in
/// scripts/make_waifu2x_reference.py).
enum PillowYCbCr {
    /// RGB (3 channels, samples k / 255) to Y, Cb, Cr planes, each rounded to k / 255.
    static func fromRGB(_ image: Image) -> Image {
        let count = image.width * image.height
        var planes = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let (r, g, b) = (Double(image.pixels[i]) * 255, Double(image.pixels[count + i]) * 255,
                             Double(image.pixels[2 * count + i]) * 255)
            planes[i] = level(0.299 * r + 0.587 * g + 0.114 * b)
            planes[count + i] = level(-0.168736 * r - 0.331264 * g + 0.5 * b + 128)
            planes[2 * count + i] = level(0.5 * r - 0.418688 * g - 0.081312 * b + 128)
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: planes)
    }

    /// Y, Cb, Cr planes (samples k / 255) back to RGB, rounded to k / 255.
    static func toRGB(_ image: Image) -> Image {
        let count = image.width * image.height
        var planes = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let (y, cb, cr) = (Double(image.pixels[i]) * 255, Double(image.pixels[count + i]) * 255 - 128,
                               Double(image.pixels[2 * count + i]) * 255 - 128)
            planes[i] = level(y + 1.402 * cr)
            planes[count + i] = level(y - 0.344136 * cb - 0.714136 * cr)
            planes[2 * count + i] = level(y + 1.772 * cb)
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: planes)
    }

    /// `value` (0…255 scale) rounded and clamped to an 8-bit level, as a sample k / 255.
    private static func level(_ value: Double) -> Float {
        Float(min(max(value.rounded(), 0), 255)) / 255
    }
}
