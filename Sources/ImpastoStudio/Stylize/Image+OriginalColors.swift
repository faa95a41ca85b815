import ImpastoMedia

extension Image {
    /// This image's colours with the luminance of `generated` (same size, RGB): neural-style's
    /// `-original_colors`, which keeps the content's chroma and takes only luma from the stylised image.
    ///
    /// neural-style swaps the Y channel in YUV, neural-style-pt in Pillow's YCbCr; both chroma pairs are
    /// linear in `(B - Y, R - Y)` with the same `Y = 0.299 R + 0.587 G + 0.114 B`, so either swap equals
    /// adding `Y_generated - Y_self` to every channel, computed here in float without their 8-bit rounding.
    public func withLuminance(of generated: Image) -> Image {
        let content = rgb(), generated = generated.rgb()
        precondition(content.width == generated.width && content.height == generated.height,
                     "original colours need images of one size, got \(content.width)×\(content.height) and \(generated.width)×\(generated.height)")
        let count = width * height
        let luminance = { (image: Image, i: Int) -> Float in
            luma(image.pixels[i], image.pixels[count + i], image.pixels[2 * count + i])
        }
        var pixels = content.pixels
        for i in 0..<count {
            let shift = luminance(generated, i) - luminance(content, i)
            for channel in 0..<3 {
                pixels[channel * count + i] = clampedSample(pixels[channel * count + i] + shift)
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}
