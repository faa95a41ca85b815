import Foundation
import ImpastoMedia
import ImpastoTensor

/// Keeps faces close to the photo in a stylized image (Artisto's lesson: people photograph people, and a style
/// that paints macaroni over a face loses them). The photo is blended back in under a feathered ellipse around
/// each face MTCNN finds; `strength` is how much of the photo the centre of a face keeps (0: none, 1: all).
public struct FaceProtection: Sendable, Equatable {
    public var strength: Float

    public init(strength: Float = 0.8) { self.strength = strength }

    /// Refuses a strength outside [0, 1].
    public func validate() throws {
        guard (0...1).contains(strength) else {
            throw ImpastoError.invalidArgument("The face protection strength must be between 0 and 1, not \(strength).")
        }
    }

    /// `stylized` with `photo` (the same size) blended back under `faces`' mask.
    public func apply(to stylized: Image, photo: Image, faces: [DetectedFace]) -> Image {
        precondition(stylized.width == photo.width && stylized.height == photo.height, "face protection needs one size")
        guard !faces.isEmpty, strength > 0 else { return stylized }
        let weights = Self.mask(faces, width: photo.width, height: photo.height).map { $0 * strength }
        let (a, b) = (stylized.rgb(), photo.rgb())
        let plane = photo.width * photo.height
        let pixels = (0..<3 * plane).map { i in
            let w = weights[i % plane]
            return a.pixels[i] * (1 - w) + b.pixels[i] * w
        }
        return Image(width: photo.width, height: photo.height, channels: 3, pixels: pixels)
    }

    /// Per pixel, in [0, 1]: 1 inside an ellipse around each face (the box widened to take in the hairline and
    /// the jaw: semi-axes 0.6 of its width and 0.7 of its height, centred a tenth of its height above the box's
    /// centre), falling smoothly to 0 by 1.5 times that ellipse, so no edge shows in the style.
    public static func mask(_ faces: [DetectedFace], width: Int, height: Int) -> [Float] {
        var mask = [Float](repeating: 0, count: width * height)
        for face in faces {
            let (w, h) = (face.box.x2 - face.box.x1, face.box.y2 - face.box.y1)
            guard w > 0, h > 0 else { continue }
            let (cx, cy) = ((face.box.x1 + face.box.x2) / 2, (face.box.y1 + face.box.y2) / 2 - 0.1 * h)
            let (rx, ry) = (0.6 * w, 0.7 * h)
            let rows = max(0, Int(cy - 1.5 * ry))..<min(height, Int(cy + 1.5 * ry) + 1)
            let columns = max(0, Int(cx - 1.5 * rx))..<min(width, Int(cx + 1.5 * rx) + 1)
            for y in rows {
                for x in columns {
                    let dx = (Float(x) + 0.5 - cx) / rx, dy = (Float(y) + 0.5 - cy) / ry
                    let distance = (dx * dx + dy * dy).squareRoot()
                    // 1 within the ellipse, a smoothstep down to 0 at 1.5 times it.
                    let t = min(max((distance - 1) / 0.5, 0), 1)
                    let value = 1 - t * t * (3 - 2 * t)
                    mask[y * width + x] = max(mask[y * width + x], value)
                }
            }
        }
        return mask
    }
}
