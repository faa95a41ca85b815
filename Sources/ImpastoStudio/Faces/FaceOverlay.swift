import Foundation
import ImpastoMedia
import ImpastoTensor

/// An RGBA picture worn on every face before stylization (Artisto's users put MSQRD/Snapchat masks on their faces
/// first): placed by the similarity (scale, rotation, shift) that best carries the mask's eye and nose-tip anchors
/// onto the face's, in the least-squares sense, so it turns and scales with the head.
public struct FaceOverlay: Sendable {
    /// The mask, with alpha.
    public let mask: Image
    /// Where the mask's left eye, right eye and nose tip are (as the viewer sees them), as fractions of its width
    /// and height; the default suits masks drawn over a frontal face filling the picture.
    public var anchors: [(x: Float, y: Float)] = [(0.35, 0.42), (0.65, 0.42), (0.5, 0.62)]

    /// The mask in `url`, which must have an alpha channel.
    public init(contentsOf url: URL) throws {
        let image = try Image(contentsOf: url)
        guard image.hasAlpha else {
            throw ImpastoError.invalidArgument("The overlay \(url.path) has no alpha channel; use an RGBA PNG whose transparent parts let the face through.")
        }
        mask = image.channels == 2 ? Image(width: image.width, height: image.height, channels: 4,
                                           pixels: Array(image.plane(0)) + image.plane(0) + image.plane(0) + image.plane(1))
                                   : image
    }

    /// `photo` with the mask composited over each face that has landmarks (the cascade's have none).
    public func apply(to photo: Image, faces: [DetectedFace]) -> Image {
        var result = photo.rgb()
        // A transparent border, so that the warp's edge clamping reads transparency outside the mask.
        let padded = Self.padded(mask)
        for face in faces where face.landmarks.count >= 3 {
            let targets = [face.landmarks[0], face.landmarks[1], face.landmarks[2]].map { ($0.x - 0.5, $0.y - 0.5) }
            let sources = anchors.map { ($0.x * Float(mask.width) - 0.5 + 1, $0.y * Float(mask.height) - 0.5 + 1) }
            let placed = padded.warped(width: photo.width, height: photo.height,
                                       sourceOfPixel: Self.similarity(from: targets, to: sources))
            result = Self.composite(placed, over: result)
        }
        return result
    }

    /// The least-squares similarity taking `from` to `to` (as complex numbers: `to ≈ z · from + t`).
    static func similarity(from: [(Float, Float)], to: [(Float, Float)]) -> ImpastoMedia.AffineTransform {
        let n = Float(from.count)
        let (fx, fy) = (from.map(\.0).reduce(0, +) / n, from.map(\.1).reduce(0, +) / n)
        let (tx, ty) = (to.map(\.0).reduce(0, +) / n, to.map(\.1).reduce(0, +) / n)
        var (re, im, norm): (Float, Float, Float) = (0, 0, 0)
        for ((x, y), (u, v)) in zip(from, to) {
            let (a, b, c, d) = (x - fx, y - fy, u - tx, v - ty)
            re += c * a + d * b  // (c + di)·conj(a + bi)
            im += d * a - c * b
            norm += a * a + b * b
        }
        let (p, q): (Float, Float) = norm > 0 ? (re / norm, im / norm) : (1, 0)
        let c: Float = tx - (p * fx - q * fy)
        let f: Float = ty - (q * fx + p * fy)
        return ImpastoMedia.AffineTransform(a: p, b: -q, c: c, d: q, e: p, f: f)
    }

    static func padded(_ image: Image) -> Image {
        let (width, height) = (image.width + 2, image.height + 2)
        var pixels = [Float](repeating: 0, count: 4 * width * height)
        for c in 0..<4 {
            let plane = image.plane(c)
            for y in 0..<image.height {
                for x in 0..<image.width {
                    pixels[(c * height + y + 1) * width + x + 1] = plane[plane.startIndex + y * image.width + x]
                }
            }
        }
        return Image(width: width, height: height, channels: 4, pixels: pixels)
    }

    static func composite(_ top: Image, over bottom: Image) -> Image {
        let count = bottom.width * bottom.height
        let alpha = top.plane(3)
        var pixels = bottom.pixels
        for c in 0..<3 {
            let colour = top.plane(c)
            for i in 0..<count {
                let a = alpha[alpha.startIndex + i]
                pixels[c * count + i] = colour[colour.startIndex + i] * a + pixels[c * count + i] * (1 - a)
            }
        }
        return Image(width: bottom.width, height: bottom.height, channels: 3, pixels: pixels)
    }
}
