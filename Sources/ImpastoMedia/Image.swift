import ImpastoTensor

/// A decoded picture: float samples in [0, 1], stored planar (channel, row, column) like the tensors
/// the networks take, so converting to and from `Tensor` is a copy, not a reshuffle.
///
/// `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA), the layouts Pillow calls L, LA, RGB
/// and RGBA. Alpha is straight (not premultiplied). Samples decoded from 8-bit files are exactly
/// `k / 255` in float32, the values torchvision's `to_tensor` produces; 16-bit PNGs keep their precision
/// as `k / 65535`.
public struct Image: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Samples per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// `channels * height * width` samples, channel-major, then rows top to bottom, then columns.
    public let pixels: [Float]

    /// An image from planar samples (`channels * height * width` of them, channel-major).
    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition(width > 0 && height > 0, "image size \(width)×\(height) must be positive")
        precondition((1...4).contains(channels), "an image has 1 to 4 channels, not \(channels)")
        precondition(pixels.count == channels * height * width,
                     "a \(width)×\(height) image with \(channels) channels needs \(channels * height * width) "
                     + "samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Whether the last channel is opacity.
    public var hasAlpha: Bool { channels == 2 || channels == 4 }

    /// The samples of one channel, row-major.
    public func plane(_ channel: Int) -> ArraySlice<Float> {
        pixels[channel * width * height..<(channel + 1) * width * height]
    }
}

// MARK: - Tensors

extension Image {
    /// The image as a `[1, channels, height, width]` float32 tensor with values in [0, 1], like
    /// `to_tensor(image).unsqueeze(0)` in torchvision.
    public func tensor() -> Tensor {
        Tensor(shape: [1, channels, height, width], scalars: pixels)
    }

    /// An image from a `[1, C, H, W]` or `[C, H, W]` tensor with 1 to 4 channels, values clamped to [0, 1]
    /// (NaN becomes 0).
    ///
    /// The samples stay float; they become 8-bit only when written, and `write` truncates `x * 255` the way
    /// torchvision's `to_pil_image` (`mul(255).byte()`) does, which is how neural-style-pt saves its
    /// output: `deprocess` clamps to [0, 1], then calls `ToPILImage()`.
    public init(tensor: Tensor) {
        let shape = tensor.shape
        precondition((shape.count == 4 && shape[0] == 1) || shape.count == 3,
                     "an image tensor has shape [1, C, H, W] or [C, H, W], not \(shape)")
        let (channels, height, width) = (shape[shape.count - 3], shape[shape.count - 2], shape[shape.count - 1])
        let pixels = tensor.scalars.map(clampedSample)
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }
}

/// `x` limited to [0, 1], with NaN mapped to 0 (a plain `min`/`max` pair would let NaN through).
@inline(__always)
public func clampedSample(_ x: Float) -> Float {
    x > 0 ? (x < 1 ? x : 1) : 0
}

/// BT.601 luma, `0.299 R + 0.587 G + 0.114 B`: the Y of YUV and of Pillow's YCbCr and `convert("L")`.
@inline(__always)
public func luma(_ red: Float, _ green: Float, _ blue: Float) -> Float {
    0.299 * red + 0.587 * green + 0.114 * blue
}

// MARK: - Channel conversions

extension Image {
    /// Three RGB channels: gray is repeated, alpha is dropped, as Pillow's `convert("RGB")` does (and as
    /// neural-style-pt prepares every input).
    public func rgb() -> Image {
        switch channels {
        case 3: return self
        case 4: return Image(width: width, height: height, channels: 3, pixels: Array(pixels[0..<3 * width * height]))
        default:
            let gray = plane(0)
            return Image(width: width, height: height, channels: 3, pixels: Array(gray) + gray + gray)
        }
    }

    /// Four channels: the colours as `rgb()` gives them, alpha kept or opaque when there is none.
    public func rgba() -> Image {
        if channels == 4 { return self }
        let alpha = hasAlpha ? Array(plane(channels - 1)) : [Float](repeating: 1, count: width * height)
        return Image(width: width, height: height, channels: 4, pixels: rgb().pixels + alpha)
    }

    /// The image composited over a uniform `background` gray level (1 is white), without its alpha
    /// channel. Images without alpha come back unchanged.
    public func removingAlpha(background: Float = 1) -> Image {
        guard hasAlpha else { return self }
        let count = width * height
        let colorChannels = channels - 1
        let alpha = plane(colorChannels)
        var result = [Float](repeating: 0, count: colorChannels * count)
        for channel in 0..<colorChannels {
            let color = plane(channel)
            for i in 0..<count {
                let a = alpha[alpha.startIndex + i]
                result[channel * count + i] = color[color.startIndex + i] * a + background * (1 - a)
            }
        }
        return Image(width: width, height: height, channels: colorChannels, pixels: result)
    }

    /// One luma channel, `0.299 R + 0.587 G + 0.114 B` (ITU-R 601-2), as Pillow's `convert("L")`, which
    /// also drops alpha. Pillow rounds the result to 8 bits; this keeps it in float.
    public func grayscale() -> Image {
        switch channels {
        case 1: return self
        case 2: return Image(width: width, height: height, channels: 1, pixels: Array(plane(0)))
        default:
            let (red, green, blue) = (plane(0), plane(1), plane(2))
            let gray = (0..<width * height).map { i in
                luma(red[red.startIndex + i], green[green.startIndex + i], blue[blue.startIndex + i])
            }
            return Image(width: width, height: height, channels: 1, pixels: gray)
        }
    }
}

extension Image {
    /// The `width` × `height` rectangle whose top-left pixel is (`x`, `y`); it must lie inside the image.
    public func cropped(x: Int, y: Int, width newWidth: Int, height newHeight: Int) -> Image {
        precondition(x >= 0 && y >= 0 && newWidth > 0 && newHeight > 0 && x + newWidth <= width && y + newHeight <= height,
                     "crop \(newWidth)×\(newHeight) at (\(x), \(y)) outside a \(width)×\(height) image")
        var result: [Float] = []
        result.reserveCapacity(channels * newWidth * newHeight)
        for channel in 0..<channels {
            let plane = channel * width * height
            for row in y..<y + newHeight {
                result += pixels[plane + row * width + x..<plane + row * width + x + newWidth]
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: result)
    }
}
