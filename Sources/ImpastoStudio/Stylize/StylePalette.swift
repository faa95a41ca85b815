import Foundation
import ImpastoMedia
import ImpastoTensor

/// A style image's palette cut to a few colours by k-means in CIELAB, where distances follow perceived
/// colour differences, so the clusters are the colours a viewer would pick out (`--style-colors`).
///
/// The palette is learned once per style image and then applied at every stage's size, so each stage sees
/// exactly the same colours.
struct StylePalette {
    /// The cluster centres in CIELAB (D65).
    let centers: [SIMD3<Float>]

    /// Most pixels k-means fits on; a random sample of this many represents any photograph's colours.
    static let sampleSize = 20_000
    /// Most Lloyd iterations; they usually converge within a few dozen.
    static let maximumIterations = 100

    /// Learns `colors` colours from `image` (RGB), deterministically for a given generator state.
    init(image: Image, colors: Int, generator: inout RandomGenerator) {
        let count = image.width * image.height
        let indices = count <= Self.sampleSize ? Array(0..<count)
            : (0..<Self.sampleSize).map { _ in Int(generator.next() % UInt64(count)) }
        let points = indices.map { lab(image, $0) }
        var centers = Self.seededCenters(points, count: min(colors, points.count), generator: &generator)
        var assignment = [Int](repeating: -1, count: points.count)
        for _ in 0..<Self.maximumIterations {
            var changed = false
            var sums = [SIMD3<Float>](repeating: .zero, count: centers.count)
            var members = [Int](repeating: 0, count: centers.count)
            for (i, point) in points.enumerated() {
                let nearest = Self.nearest(point, in: centers)
                if nearest != assignment[i] { changed = true; assignment[i] = nearest }
                sums[nearest] += point
                members[nearest] += 1
            }
            if !changed { break }
            // An emptied cluster keeps its centre.
            for k in centers.indices where members[k] > 0 { centers[k] = sums[k] / Float(members[k]) }
        }
        self.centers = centers
    }

    /// k-means++: each next centre drawn with probability proportional to its squared distance from the
    /// nearest centre so far, which spreads the start over the distinct colours.
    private static func seededCenters(_ points: [SIMD3<Float>], count: Int,
                                      generator: inout RandomGenerator) -> [SIMD3<Float>] {
        var centers = [points[Int(generator.next() % UInt64(points.count))]]
        var distances = points.map { distanceSquared($0, centers[0]) }
        while centers.count < count {
            let total = distances.reduce(0, +)
            guard total > 0 else { break }  // fewer distinct colours than asked for
            var threshold = Float(generator.nextFloat()) * total
            var chosen = points.count - 1
            for (i, d) in distances.enumerated() {
                threshold -= d
                if threshold < 0 { chosen = i; break }
            }
            centers.append(points[chosen])
            for i in points.indices { distances[i] = min(distances[i], distanceSquared(points[i], points[chosen])) }
        }
        return centers
    }

    private static func nearest(_ point: SIMD3<Float>, in centers: [SIMD3<Float>]) -> Int {
        var best = 0, bestDistance = Float.infinity
        for (k, center) in centers.enumerated() {
            let d = distanceSquared(point, center)
            if d < bestDistance { best = k; bestDistance = d }
        }
        return best
    }

    /// `image` (RGB) with every pixel replaced by the nearest palette colour.
    func applied(to image: Image) -> Image {
        let colors = centers.map(rgb)
        let count = image.width * image.height
        var pixels = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let color = colors[Self.nearest(lab(image, i), in: centers)]
            for channel in 0..<3 { pixels[channel * count + i] = color[channel] }
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: pixels)
    }
}

extension Image {
    /// This image (as RGB) with its colours cut to `colors` by k-means in CIELAB, the same for the same
    /// `seed`: what `StylizeOptions.styleColors` does to each style image.
    public func reducingPalette(to colors: Int, seed: UInt64) -> Image {
        precondition(colors >= 1, "a palette needs at least one colour, not \(colors)")
        var generator = RandomGenerator(seed: seed)
        let image = rgb()
        return StylePalette(image: image, colors: colors, generator: &generator).applied(to: image)
    }
}

@inline(__always)
private func distanceSquared(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
    let d = a - b
    return (d * d).sum()
}

// MARK: - sRGB ↔ CIELAB (D65), IEC 61966-2-1 and CIE 15

private let white = SIMD3<Float>(0.95047, 1, 1.08883)
private let epsilon: Float = 216.0 / 24389  // (6/29)³

/// Pixel `i` of an RGB image in CIELAB.
private func lab(_ image: Image, _ i: Int) -> SIMD3<Float> {
    let count = image.width * image.height
    func linear(_ c: Float) -> Float { c <= 0.04045 ? c / 12.92 : powf((c + 0.055) / 1.055, 2.4) }
    let (r, g, b) = (linear(image.pixels[i]), linear(image.pixels[count + i]), linear(image.pixels[2 * count + i]))
    let xyz = SIMD3<Float>(0.4124564 * r + 0.3575761 * g + 0.1804375 * b,
                           0.2126729 * r + 0.7151522 * g + 0.0721750 * b,
                           0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / white
    func f(_ t: Float) -> Float { t > epsilon ? cbrtf(t) : t * (24389.0 / 27 / 116) + 16.0 / 116 }
    let (fx, fy, fz) = (f(xyz.x), f(xyz.y), f(xyz.z))
    return SIMD3(116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
}

/// A CIELAB colour as sRGB, clamped to [0, 1].
private func rgb(_ lab: SIMD3<Float>) -> SIMD3<Float> {
    let fy = (lab.x + 16) / 116
    let (fx, fz) = (fy + lab.y / 500, fy - lab.z / 200)
    func inverse(_ t: Float) -> Float { t * t * t > epsilon ? t * t * t : (116 * t - 16) * (27.0 / 24389) }
    let xyz = SIMD3(inverse(fx), inverse(fy), inverse(fz)) * white
    let linear = SIMD3<Float>(3.2404542 * xyz.x - 1.5371385 * xyz.y - 0.4985314 * xyz.z,
                              -0.9692660 * xyz.x + 1.8760108 * xyz.y + 0.0415560 * xyz.z,
                              0.0556434 * xyz.x - 0.2040259 * xyz.y + 1.0572252 * xyz.z)
    func encoded(_ c: Float) -> Float {
        let c = min(max(c, 0), 1)
        return c <= 0.0031308 ? 12.92 * c : 1.055 * powf(c, 1 / 2.4) - 0.055
    }
    return SIMD3(encoded(linear.x), encoded(linear.y), encoded(linear.z))
}
