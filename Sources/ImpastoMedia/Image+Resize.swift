import Foundation

/// The reconstruction filter of `Image.resized`, with Pillow's definitions.
public enum ResizeFilter: Sendable {
    /// Triangle, support 1 (torchvision's default `Resize` interpolation, which neural-style-pt uses).
    case bilinear
    /// Keys cubic with a = -0.5, support 2 (Pillow's `BICUBIC`).
    case bicubic
    /// Lanczos-3 windowed sinc, support 3 (Pillow's `LANCZOS`).
    case lanczos

    var support: Double {
        switch self {
        case .bilinear: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }

    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            func sinc(_ x: Double) -> Double { x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x) }
            return x < 3 ? sinc(x) * sinc(x / 3) : 0
        }
    }
}

extension Image {
    /// The image resampled to `width` × `height` with a separable filter that, when shrinking, widens by
    /// the shrink factor so every source pixel contributes (antialiasing), as Pillow's `Image.resize` does.
    ///
    /// The weights are Pillow's, and like Pillow each pass clamps to [0, 1] the overshoot that bicubic and
    /// Lanczos produce at sharp edges; the arithmetic stays in float where Pillow rounds to 8 bits after
    /// each pass, so results differ from Pillow's by about one level in 255 at most. Images with alpha are
    /// filtered premultiplied, so transparent pixels do not bleed their colour into the edges.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter = .bicubic) -> Image {
        precondition(newWidth > 0 && newHeight > 0, "cannot resize to \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        let source = hasAlpha ? premultiplied(true) : self
        var planes = source.pixels
        var (currentWidth, currentHeight) = (width, height)
        // Horizontal first, like Pillow: the order changes results only by rounding.
        if newWidth != width {
            planes = resample(planes, planes: channels * height, from: width, to: newWidth,
                              filter: filter)
            currentWidth = newWidth
        }
        if newHeight != height {
            planes = resampleRows(planes, planes: channels, width: currentWidth, from: currentHeight,
                                  to: newHeight, filter: filter)
            currentHeight = newHeight
        }
        let result = Image(width: newWidth, height: newHeight, channels: channels, pixels: planes)
        return hasAlpha ? result.premultiplied(false) : result
    }

    /// The image scaled so that its longer side is `longestSide`, keeping the aspect ratio; the shorter
    /// side is truncated (at least 1), as neural-style-pt computes `int(image_size / max(w, h) * side)`.
    public func resized(longestSide: Int, filter: ResizeFilter = .bicubic) -> Image {
        let size = size(longestSide: longestSide)
        return resized(width: size.width, height: size.height, filter: filter)
    }

    /// The size `resized(longestSide:)` gives, without resizing.
    public func size(longestSide: Int) -> (width: Int, height: Int) {
        Self.size(width: width, height: height, longestSide: longestSide)
    }

    /// The size `resized(longestSide:)` gives an image of `width`×`height` (for images known by their size alone).
    public static func size(width: Int, height: Int, longestSide: Int) -> (width: Int, height: Int) {
        precondition(longestSide > 0, "cannot resize to a longest side of \(longestSide)")
        let longest = max(width, height)
        let scaled = { (side: Int) in side == longest ? longestSide : max(1, side * longestSide / longest) }
        return (scaled(width), scaled(height))
    }

    /// Colour channels multiplied by alpha (`true`) or divided by it again (`false`, 0 where alpha is 0).
    private func premultiplied(_ multiply: Bool) -> Image {
        let count = width * height
        var result = pixels
        let alpha = plane(channels - 1)
        for channel in 0..<channels - 1 {
            for i in 0..<count {
                let a = alpha[alpha.startIndex + i]
                let value = result[channel * count + i]
                result[channel * count + i] = multiply ? value * a : (a > 0 ? min(value / a, 1) : 0)
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: result)
    }
}

/// Pillow's `precompute_coeffs`: for each output position, the first input index and the normalized
/// weights of the inputs it covers (`taps` slots per output, unused ones zero).
private struct ResampleKernel {
    var starts: [Int] = []
    var weights: [Float] = []
    var taps = 0

    init(from inSize: Int, to outSize: Int, filter: ResizeFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        taps = Int(support.rounded(.up)) * 2 + 1
        weights = [Float](repeating: 0, count: outSize * taps)
        var row = [Double](repeating: 0, count: taps)
        for out in 0..<outSize {
            let center = (Double(out) + 0.5) * scale
            // Int(_:) truncates toward zero like Pillow's (int) casts; the clamps follow.
            let first = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), inSize) - first
            var total = 0.0
            for tap in 0..<count {
                row[tap] = filter.weight((Double(tap + first) - center + 0.5) * (1 / filterScale))
                total += row[tap]
            }
            for tap in 0..<count { weights[out * taps + tap] = Float(total == 0 ? row[tap] : row[tap] / total) }
            starts.append(first)
        }
    }
}

/// Resamples each of `planes` rows of `inSize` samples to `outSize` samples.
private func resample(_ input: [Float], planes: Int, from inSize: Int, to outSize: Int,
                      filter: ResizeFilter) -> [Float] {
    let kernel = ResampleKernel(from: inSize, to: outSize, filter: filter)
    var output = [Float](repeating: 0, count: planes * outSize)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            kernel.weights.withUnsafeBufferPointer { weights in
                for row in 0..<planes {
                    let source = input.baseAddress! + row * inSize
                    for out in 0..<outSize {
                        let start = kernel.starts[out]
                        let taps = min(kernel.taps, inSize - start)
                        var sum: Float = 0
                        for tap in 0..<taps { sum += source[start + tap] * weights[out * kernel.taps + tap] }
                        output[row * outSize + out] = clampedSample(sum)
                    }
                }
            }
        }
    }
    return output
}

/// Resamples the rows of each of `planes` images of `width` columns from `inSize` rows to `outSize`:
/// each output row is a weighted sum of whole input rows, a loop the compiler vectorizes.
private func resampleRows(_ input: [Float], planes: Int, width: Int, from inSize: Int, to outSize: Int,
                          filter: ResizeFilter) -> [Float] {
    let kernel = ResampleKernel(from: inSize, to: outSize, filter: filter)
    var output = [Float](repeating: 0, count: planes * outSize * width)
    input.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
            for plane in 0..<planes {
                for out in 0..<outSize {
                    let target = output.baseAddress! + (plane * outSize + out) * width
                    let start = kernel.starts[out]
                    for tap in 0..<min(kernel.taps, inSize - start) {
                        let weight = kernel.weights[out * kernel.taps + tap]
                        if weight == 0 { continue }
                        let source = input.baseAddress! + (plane * inSize + start + tap) * width
                        for x in 0..<width { target[x] += weight * source[x] }
                    }
                    for x in 0..<width { target[x] = clampedSample(target[x]) }
                }
            }
        }
    }
    return output
}
