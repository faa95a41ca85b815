import Foundation

// Foreground colours for a matte (Germer, Uelwer, Conrad and Harmeling, "Fast Multi-Level Foreground
// Estimation", ICPR 2020; pymatting's `estimate_foreground_ml`, the tests' reference). A pixel of partial
// opacity shows a mix, I = αF + (1 − α)B; cutting it out with the photo's colour keeps the old background's
// share as a fringe around hair. This finds F and B per pixel that explain I and vary smoothly where alpha
// does: each pixel solves a 2×2 least-squares system (one row for the compositing equation, one per
// neighbour pulling F and B towards the neighbour's, weighted 1e-5 plus alpha's difference across it),
// sweeping the image in place row by row (Gauss–Seidel). It runs coarse to fine: level l of n = ⌈log₂ max
// side⌉ is the image at side^(l/n) by nearest-neighbour sampling, starting from the mean colours of the
// pixels with alpha > 0.9 and < 0.1; 10 sweeps per level up to 32 pixels, 2 above.

/// Foreground (and background) colours that, composited by a matte, give back the photo.
public enum ForegroundEstimation {
    /// `image`'s foreground colours under `alpha` (row-major, one value per pixel), as an RGB image, and the
    /// background colours behind them.
    public static func multilevel(image: Image, alpha: [Float], regularization: Float = 1e-5,
                                  smallIterations: Int = 10, bigIterations: Int = 2, smallSize: Int = 32)
        -> (foreground: Image, background: Image) {
        let rgb = image.rgb()
        let (width, height) = (rgb.width, rgb.height)
        precondition(alpha.count == width * height, "alpha has \(alpha.count) values for \(width * height) pixels")
        var foreground = Level(width: 1, height: 1, colour: meanColour(rgb, alpha) { $0 > 0.9 })
        var background = Level(width: 1, height: 1, colour: meanColour(rgb, alpha) { $0 < 0.1 })
        let levels = Int(log2(Double(max(width, height))).rounded(.up))
        for level in 0...levels {
            let size = { (side: Int) in Int(pow(Double(side), Double(level) / Double(max(levels, 1))).rounded(.toNearestOrEven)) }
            let (w, h) = levels == 0 ? (width, height) : (size(width), size(height))
            let colour = Level(width: width, height: height, pixels: rgb.pixels).sampled(w, h)
            let opacity = Level(width: width, height: height, channels: 1, pixels: alpha).sampled(w, h)
            foreground = foreground.sampled(w, h)
            background = background.sampled(w, h)
            let sweeps = w <= smallSize && h <= smallSize ? smallIterations : bigIterations
            for _ in 0..<sweeps {
                sweep(colour, opacity.pixels, &foreground, &background, regularization: regularization)
            }
        }
        return (Image(width: width, height: height, channels: 3, pixels: foreground.pixels),
                Image(width: width, height: height, channels: 3, pixels: background.pixels))
    }

    /// One Gauss–Seidel pass over every pixel, row by row, updating F and B in place.
    private static func sweep(_ image: Level, _ alpha: [Float], _ foreground: inout Level, _ background: inout Level,
                              regularization: Float) {
        let (w, h, n) = (image.width, image.height, image.width * image.height)
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let a0 = Double(alpha[i]), a1 = 1 - Double(alpha[i])
                var (a00, a11) = (a0 * a0, a1 * a1)
                var b0 = (a0 * Double(image.pixels[i]), a0 * Double(image.pixels[n + i]), a0 * Double(image.pixels[2 * n + i]))
                var b1 = (a1 * Double(image.pixels[i]), a1 * Double(image.pixels[n + i]), a1 * Double(image.pixels[2 * n + i]))
                for (dx, dy) in [(-1, 0), (1, 0), (0, -1), (0, 1)] {
                    let j = min(max(y + dy, 0), h - 1) * w + min(max(x + dx, 0), w - 1)
                    let weight = Double(regularization) + abs(a0 - Double(alpha[j]))
                    a00 += weight
                    a11 += weight
                    b0.0 += weight * Double(foreground.pixels[j])
                    b0.1 += weight * Double(foreground.pixels[n + j])
                    b0.2 += weight * Double(foreground.pixels[2 * n + j])
                    b1.0 += weight * Double(background.pixels[j])
                    b1.1 += weight * Double(background.pixels[n + j])
                    b1.2 += weight * Double(background.pixels[2 * n + j])
                }
                let a01 = a0 * a1, scale = 1 / (a00 * a11 - a01 * a01)
                for (c, (f, b)) in [(b0.0, b1.0), (b0.1, b1.1), (b0.2, b1.2)].enumerated() {
                    foreground.pixels[c * n + i] = clampedSample(Float(scale * (a11 * f - a01 * b)))
                    background.pixels[c * n + i] = clampedSample(Float(scale * (a00 * b - a01 * f)))
                }
            }
        }
    }

    /// The mean colour of the pixels whose alpha `selects`; black when none does.
    private static func meanColour(_ image: Image, _ alpha: [Float], selects: (Float) -> Bool) -> [Float] {
        let chosen = alpha.indices.filter { selects(alpha[$0]) }
        let n = image.width * image.height
        return (0..<3).map { c in Float(chosen.reduce(0.0) { $0 + Double(image.pixels[c * n + $1]) } / (Double(chosen.count) + 1e-5)) }
    }
}

/// A planar image at one level of the pyramid.
private struct Level {
    let width: Int, height: Int, channels: Int
    var pixels: [Float]

    init(width: Int, height: Int, channels: Int = 3, pixels: [Float]) {
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    init(width: Int, height: Int, colour: [Float]) {
        self.init(width: width, height: height, pixels: colour.flatMap { [Float](repeating: $0, count: width * height) })
    }

    /// Nearest-neighbour resampling to `w` × `h`: target pixel x reads source column ⌊x · width / w⌋.
    func sampled(_ w: Int, _ h: Int) -> Level {
        if w == width && h == height { return self }
        var result = [Float](repeating: 0, count: channels * w * h)
        for c in 0..<channels {
            for y in 0..<h {
                let sy = min(y * height / h, height - 1)
                for x in 0..<w {
                    result[(c * h + y) * w + x] = pixels[(c * height + sy) * width + min(x * width / w, width - 1)]
                }
            }
        }
        return Level(width: w, height: h, channels: channels, pixels: result)
    }
}
