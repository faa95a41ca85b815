import ImpastoMedia

/// waifu2x's `iproc.alpha_make_border`, run on an RGBA or LA picture before a net sees its colours: the colour
/// under every fully transparent pixel (alpha 0) is set to black, then, `rounds` times (the net's offset, its
/// margin), each transparent pixel with filled 3×3 neighbours takes their mean and counts as filled from then on,
/// so the visible colours grow outwards one pixel a round instead of the net smearing whatever the file held
/// under the transparency into the visible edge. Float32 on 0–255 levels as waifu2x computes it (Chainer's
/// zero-padded 3×3 all-ones convolution, a count plus 1e-7 as the divisor), then clamped and truncated to
/// 8 bits. `rgb` and `alpha` hold 8-bit samples (k / 255).
func waifu2xAlphaBorder(_ rgb: Image, alpha: Image, rounds: Int) -> Image {
    let (width, height, count) = (rgb.width, rgb.height, rgb.width * rgb.height)
    var mask = alpha.pixels.map { $0 > 0 ? Float(1) : 0 }
    var planes = (0..<3).map { channel in
        (0..<count).map { i in mask[i] == 0 ? 0 : (rgb.pixels[channel * count + i] * 255).rounded() }
    }
    for _ in 0..<rounds {
        let empty = (0..<count).filter { mask[$0] == 0 }
        guard !empty.isEmpty else { break }
        let weights = empty.map { windowSum(mask, at: $0, width: width, height: height) }
        for channel in 0..<3 {
            let sums = empty.map { windowSum(planes[channel], at: $0, width: width, height: height) }
            // Adding 1e-7 in float32 moves a count of 1 to 1 + 2⁻²³: a lone neighbour's 255 becomes 254.99998,
            // which the truncation below makes 254, as it does in waifu2x.
            for (index, pixel) in empty.enumerated() { planes[channel][pixel] = sums[index] / (weights[index] + Float(1e-7)) }
        }
        for (index, pixel) in empty.enumerated() where weights[index] > 0 { mask[pixel] = 1 }
    }
    let pixels = planes.flatMap { $0.map { Float(UInt8(min(max($0, 0), 255))) / 255 } }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
}

/// The sum of the 3×3 window around `pixel` with zeros outside the plane, in the window's row order (as
/// Chainer's im2col lays it out for the sum).
private func windowSum(_ plane: [Float], at pixel: Int, width: Int, height: Int) -> Float {
    let (y, x) = pixel.quotientAndRemainder(dividingBy: width)
    var sum: Float = 0
    for row in y - 1...y + 1 where row >= 0 && row < height {
        for column in x - 1...x + 1 where column >= 0 && column < width { sum += plane[row * width + column] }
    }
    return sum
}

extension Image {
    /// The last channel (alpha) as a one-channel picture.
    var alphaPlane: Image {
        Image(width: width, height: height, channels: 1, pixels: Array(plane(channels - 1)))
    }
}
