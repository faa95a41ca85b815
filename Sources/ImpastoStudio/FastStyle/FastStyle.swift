import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// Feed-forward stylization: one pass of a trained TransformerNet per image (Johnson et al. 2016).
public enum FastStyle {
    /// Stylizes one image.
    ///
    /// - Parameters:
    ///   - size: the longest side the image is scaled to first; nil keeps its size.
    ///   - precision: the arithmetic of the model's convolutions, for this call only.
    ///   - preserveColors: keep the image's colours and take only luminance from the stylized result.
    /// - Throws: `ImpastoError.invalidArgument` for an image under 16 pixels on a side.
    public static func apply(image: Image, model: TransformerNet, size: Int? = nil, precision: Precision = .fp32,
                             preserveColors: Bool = false) throws -> Image {
        try apply(images: [image], model: model, size: size, precision: precision,
                  preserveColors: preserveColors)[0]
    }

    /// Stylizes several images, up to `batchSize` of one size per forward pass; results in input order.
    public static func apply(images: [Image], model: TransformerNet, size: Int? = nil, precision: Precision = .fp32,
                             preserveColors: Bool = false, batchSize: Int = 4) throws -> [Image] {
        let inputs = images.map { $0.resized(longestSide: size) }
        try inputs.forEach { try ImageBatch.checkSize($0) }
        var results = [Image?](repeating: nil, count: inputs.count)
        Precision.$current.withValue(precision) {
            for group in ImageBatch.groups(of: inputs, limit: batchSize) {
                let batch = ImageBatch.tensor(group.map { inputs[$0] })
                let stylized = ImageBatch.images(stylize(batch, model: model, preserveColors: preserveColors))
                for (index, image) in zip(group, stylized) { results[index] = image }
            }
        }
        return results.map { $0! }
    }

    /// Stylizes frames `[N, 3, H, W]`, RGB in [0, 1], into frames of the same shape, clamped to [0, 1].
    ///
    /// The network sees 0…255 and, for sizes that are no multiple of 4, returns a few extra rows and columns at
    /// the bottom and right; they are cut off. With `preserveColors` each pixel keeps its own chroma and takes the
    /// stylized luminance (Gatys et al., arXiv:1606.05897, luminance-only transfer). Luminance is BT.601 luma
    /// `Y = 0.299 R + 0.587 G + 0.114 B`, as in YUV rather than CIELAB's L*: in YUV the chroma pair is linear in
    /// `(B − Y, R − Y)`, so replacing Y alone is adding `Y_stylized − Y_input` to all three channels, one pass with
    /// no colour-space round trip, and it is what neural-style's `-original_colors` does, so results look alike
    /// across Impasto's stylizers. LAB's advantage, perceptually even distances, buys nothing when one channel is
    /// swapped wholesale, and its lightness is not a linear mix of RGB, so the same swap would cost a conversion
    /// with cube roots each way.
    public static func stylize(_ frames: Tensor, model: TransformerNet, preserveColors: Bool = false) -> Tensor {
        precondition(frames.rank == 4 && frames.shape[1] == 3, "stylize takes [N, 3, H, W] frames, got \(frames.shape)")
        let output = withoutGradients { model(frames * 255) }
        let (count, height, width) = (frames.shape[0], frames.shape[2], frames.shape[3])
        let (outHeight, outWidth) = (output.shape[2], output.shape[3])
        let plane = height * width, outPlane = outHeight * outWidth
        let input = frames.scalars, stylized = output.scalars
        var pixels = [Float](repeating: 0, count: frames.count)
        pixels.withUnsafeMutableBufferPointer { result in
            parallelFor(count * height, grain: 64) { rows in
                for row in rows {
                    let (n, y) = row.quotientAndRemainder(dividingBy: height)
                    let source = n * 3 * outPlane + y * outWidth, target = n * 3 * plane + y * width
                    for x in 0..<width {
                        var red = stylized[source + x] / 255
                        var green = stylized[source + outPlane + x] / 255
                        var blue = stylized[source + 2 * outPlane + x] / 255
                        if preserveColors {
                            let (r, g, b) = (input[target + x], input[target + plane + x], input[target + 2 * plane + x])
                            let shift = luma(red, green, blue) - luma(r, g, b)
                            (red, green, blue) = (r + shift, g + shift, b + shift)
                        }
                        result[target + x] = clampedSample(red)
                        result[target + plane + x] = clampedSample(green)
                        result[target + 2 * plane + x] = clampedSample(blue)
                    }
                }
            }
        }
        return Tensor(shape: frames.shape, scalars: pixels)
    }
}
