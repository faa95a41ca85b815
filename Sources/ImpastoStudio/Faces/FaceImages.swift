import Foundation
import ImpastoMedia

extension DetectedFace {
    /// The face cut out upright: the picture turned about the box's centre so that the eyes (landmarks 0 and
    /// 1) are level (a face without landmarks, the cascade's, is not turned), then the box plus `margin` cropped and scaled to `size`×`size` (bilinear, edges clamped).
    ///
    /// The margin is facenet-pytorch's (`extract_face`): `margin` pixels of the result, i.e. the box grows by
    /// `margin · (x2 − x1) / (size − margin)` across and likewise down, half on each side; and as there, a box
    /// that is not square is stretched to the square. Unlike facenet-pytorch's crop, the box is not clipped to
    /// the picture first: the edge pixels continue past it.
    public func alignedCrop(of image: Image, size: Int, margin: Int) -> Image {
        precondition(size > margin && margin >= 0, "a \(size)-pixel crop cannot hold a \(margin)-pixel margin")
        let (width, height) = (box.x2 - box.x1, box.y2 - box.y1)
        let scale = Float(margin) / Float(size - margin)
        let half = (x: (width + width * scale) / 2, y: (height + height * scale) / 2)
        let centre = (x: (box.x1 + box.x2) / 2, y: (box.y1 + box.y2) / 2)
        let angle = landmarks.count < 2 ? 0 : atan2(landmarks[1].y - landmarks[0].y, landmarks[1].x - landmarks[0].x)
        let (cosine, sine) = (cos(angle), sin(angle))
        // Result pixel (u, v) is the point (s, t) = ((u + ½)·2h/size − h, …) of the upright frame centred on the
        // box, which lies at centre + s·(cos, sin) + t·(−sin, cos) in the picture; picture pixel i is centred on
        // i + ½ in MTCNN's coordinates, hence the −½.
        let step = (x: 2 * half.x / Float(size), y: 2 * half.y / Float(size))
        let origin = (s: step.x / 2 - half.x, t: step.y / 2 - half.y)
        let transform = AffineTransform(
            a: cosine * step.x, b: -sine * step.y, c: centre.x + cosine * origin.s - sine * origin.t - 0.5,
            d: sine * step.x, e: cosine * step.y, f: centre.y + sine * origin.s + cosine * origin.t - 0.5)
        return image.rgb().warped(width: size, height: size, sourceOfPixel: transform)
    }
}

extension Image {
    /// This picture in RGB with each face's box outlined in green and its landmarks as red dots, lines and
    /// dots sized to the face (at least 2 pixels).
    public func annotated(with faces: [DetectedFace]) -> Image {
        var canvas = Canvas(rgb())
        for face in faces {
            let thickness = max(2, Int((min(face.box.x2 - face.box.x1, face.box.y2 - face.box.y1) / 60).rounded()))
            canvas.outline(face.box, thickness: thickness, color: (0, 1, 0))
            for point in face.landmarks { canvas.dot(point, radius: thickness + 1, color: (1, 0, 0)) }
        }
        return canvas.image
    }
}

/// RGB pixels drawn on in place.
private struct Canvas {
    let width: Int
    let height: Int
    var pixels: [Float]

    init(_ image: Image) {
        (width, height, pixels) = (image.width, image.height, image.pixels)
    }

    var image: Image { Image(width: width, height: height, channels: 3, pixels: pixels) }

    /// The box's edges, `thickness` pixels wide inside its corners, clipped to the picture.
    mutating func outline(_ box: FaceBox, thickness: Int, color: (Float, Float, Float)) {
        let (left, top) = (Int(box.x1.rounded()), Int(box.y1.rounded()))
        let (right, bottom) = (Int(box.x2.rounded()), Int(box.y2.rounded()))
        fill(x: left..<right, y: top..<min(top + thickness, bottom), color: color)
        fill(x: left..<right, y: max(bottom - thickness, top)..<bottom, color: color)
        fill(x: left..<min(left + thickness, right), y: top..<bottom, color: color)
        fill(x: max(right - thickness, left)..<right, y: top..<bottom, color: color)
    }

    /// A filled disc of `radius` pixels around `point`.
    mutating func dot(_ point: FacePoint, radius: Int, color: (Float, Float, Float)) {
        let (cx, cy) = (Int(point.x.rounded(.down)), Int(point.y.rounded(.down)))
        for dy in -radius...radius {
            let span = Int(Float(radius * radius - dy * dy).squareRoot())
            fill(x: (cx - span)..<(cx + span + 1), y: (cy + dy)..<(cy + dy + 1), color: color)
        }
    }

    /// The pixels of `x` × `y` that lie in the picture set to `color`.
    mutating func fill(x: Range<Int>, y: Range<Int>, color: (Float, Float, Float)) {
        let columns = x.clamped(to: 0..<width), rows = y.clamped(to: 0..<height)
        let plane = width * height
        for row in rows {
            for column in columns {
                let i = row * width + column
                (pixels[i], pixels[plane + i], pixels[2 * plane + i]) = color
            }
        }
    }
}
