import Foundation
import ImpastoMedia
import ImpastoTensor

/// What a cutout is composited over instead of being left transparent (`--background`).
public enum CutoutBackground: Sendable, Equatable {
    /// One colour, RGB in [0, 1].
    case color(red: Float, green: Float, blue: Float)
    /// A picture, scaled to cover the photo and centred (its overflow cropped).
    case image(URL)
    /// The photo itself blurred by a Gaussian of this standard deviation in pixels.
    case blur(sigma: Double)

    /// The radius `blur` means without one.
    public static let defaultBlurRadius = 16.0

    /// The colour names `init(parsing:)` knows, besides `#rrggbb` and `#rgb`.
    public static let colorNames: [String: (Float, Float, Float)] = [
        "white": (1, 1, 1), "black": (0, 0, 0), "gray": (0.5, 0.5, 0.5), "grey": (0.5, 0.5, 0.5),
        "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0), "magenta": (1, 0, 1), "cyan": (0, 1, 1),
    ]

    /// `#00ff00`, `#0f0`, a colour name, `blur`, `blur:R` or a path to a JPEG or PNG image.
    public init(parsing text: String) throws {
        let lower = text.lowercased()
        if let (red, green, blue) = Self.colorNames[lower] {
            self = .color(red: red, green: green, blue: blue)
        } else if lower.hasPrefix("#") {
            let digits = Array(lower.dropFirst())
            let expanded = digits.count == 3 ? digits.flatMap { [$0, $0] } : digits
            guard expanded.count == 6, let value = UInt32(String(expanded), radix: 16) else {
                throw ImpastoError.invalidArgument("--background \(text) is not a colour: write it as #rrggbb or #rgb in hexadecimal.")
            }
            let channel = { (shift: UInt32) in Float((value >> shift) & 0xff) / 255 }
            self = .color(red: channel(16), green: channel(8), blue: channel(0))
        } else if lower == "blur" || lower.hasPrefix("blur:") {
            let radius = lower == "blur" ? Self.defaultBlurRadius : Double(lower.dropFirst(5))
            guard let radius, radius > 0, radius <= 500 else {
                throw ImpastoError.invalidArgument("--background \(text): the blur radius must be a number of pixels from 0 to 500, as in blur:16.")
            }
            self = .blur(sigma: radius)
        } else {
            guard ImageFileFormat.fileExtensions.contains(URL(fileURLWithPath: text).pathExtension.lowercased()) else {
                throw ImpastoError.invalidArgument("--background \(text) is neither a colour (#00ff00, white), blur[:R] nor a .png or .jpg image.")
            }
            self = .image(URL(fileURLWithPath: text))
        }
    }

    /// The files it reads.
    var inputFiles: [URL] {
        if case .image(let url) = self { [url] } else { [] }
    }

    /// Planar RGB behind `photo` (its size).
    func pixels(behind photo: Image, picture: Image?) -> [Float] {
        let count = photo.width * photo.height
        switch self {
        case .color(let red, let green, let blue):
            return [red, green, blue].flatMap { [Float](repeating: $0, count: count) }
        case .blur(let sigma):
            return photo.rgb().gaussianBlurred(sigma: sigma).pixels
        case .image:
            return picture!.rgb().covering(width: photo.width, height: photo.height).pixels
        }
    }
}

extension Image {
    /// The image scaled (bicubic) to cover `width` × `height` with its aspect ratio kept, then cropped to it
    /// around the centre.
    func covering(width newWidth: Int, height newHeight: Int) -> Image {
        let scale = max(Double(newWidth) / Double(width), Double(newHeight) / Double(height))
        let (scaledWidth, scaledHeight) = (max(newWidth, Int((Double(width) * scale).rounded())),
                                           max(newHeight, Int((Double(height) * scale).rounded())))
        return resized(width: scaledWidth, height: scaledHeight)
            .cropped(x: (scaledWidth - newWidth) / 2, y: (scaledHeight - newHeight) / 2, width: newWidth, height: newHeight)
    }
}
