import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// Arbitrary style transfer: any style image, one pass of AdaIN's encoder and decoder (Huang & Belongie 2017),
/// with pytorch-AdaIN's options: the strength `alpha`, a weighted mix of several styles, and colour preservation.
public enum AdaINStyle {
    /// Stylizes `content` with `styles`.
    ///
    /// - Parameters:
    ///   - weights: one per style, any non-negative scale (normalised to sum 1, as pytorch-AdaIN's
    ///     `--style_interpolation_weights`); nil weighs the styles equally.
    ///   - alpha: how far to go from the content's features (0) to the stylized ones (1).
    ///   - preserveColors: recolour each style image to the content's colour statistics first (`AdaIN.coral`).
    ///   - size: the longest side the content is scaled to first; nil keeps its size.
    ///   - styleSize: the longest side style images are scaled to (pytorch-AdaIN's default is 512); nil keeps it.
    /// - Throws: `ImpastoError.invalidArgument` for inconsistent weights, an alpha outside [0, 1], or an image
    ///   under 16 pixels on a side.
    public static func apply(content: Image, styles: [Image], weights: [Float]? = nil, alpha: Float = 1,
                             preserveColors: Bool = false, model: AdaIN, size: Int? = nil,
                             styleSize: Int? = 512) throws -> Image {
        try apply(contents: [content], styles: styles, weights: weights, alpha: alpha, preserveColors: preserveColors,
                  model: model, size: size, styleSize: styleSize)[0]
    }

    /// Stylizes several content images with the same styles, up to `batchSize` of one size per forward pass;
    /// results in input order. Without `preserveColors` the styles are encoded once for all of them.
    public static func apply(contents: [Image], styles: [Image], weights: [Float]? = nil, alpha: Float = 1,
                             preserveColors: Bool = false, model: AdaIN, size: Int? = nil, styleSize: Int? = 512,
                             batchSize: Int = 4) throws -> [Image] {
        let mix = try normalisedWeights(weights, styles: styles.count)
        guard (0...1).contains(alpha) else {
            throw ImpastoError.invalidArgument("The style strength alpha must lie between 0 and 1, not \(alpha).")
        }
        let inputs = contents.map { $0.resized(longestSide: size) }
        let styleImages = styles.map { $0.resized(longestSide: styleSize).rgb() }
        try (inputs + styleImages).forEach { try ImageBatch.checkSize($0) }

        return withoutGradients {
            lazy var sharedStyle = FeatureStatistics.blend(
                styleImages.map { model.styleStatistics(of: ImageBatch.tensor([$0])) }, weights: mix)
            // The blended style statistics for a batch: shared, or per content image when the styles take on
            // each one's colours.
            func statistics(for contents: [Image]) -> FeatureStatistics {
                guard preserveColors else { return sharedStyle }
                let perContent = contents.map { content in
                    let target = ImageBatch.tensor([content]).reshaped([3, content.height, content.width])
                    return FeatureStatistics.blend(styleImages.map { style in
                        let source = ImageBatch.tensor([style]).reshaped([3, style.height, style.width])
                        return model.styleStatistics(of: AdaIN.coral(source, matching: target).reshaped([1] + source.shape))
                    }, weights: mix)
                }
                return FeatureStatistics(mean: concat(perContent.map(\.mean), axis: 0),
                                         deviation: concat(perContent.map(\.deviation), axis: 0))
            }

            var results = [Image?](repeating: nil, count: inputs.count)
            for group in ImageBatch.groups(of: inputs, limit: batchSize) {
                let images = group.map { inputs[$0] }
                let batch = ImageBatch.tensor(images)
                let decoded = model(batch, style: statistics(for: images), alpha: alpha)
                // The decoder's output is 8·⌈H/8⌉ × 8·⌈W/8⌉; the extra rows and columns lie bottom and right.
                let stylized = ImageBatch.images(decoded).map { $0.cropped(width: images[0].width, height: images[0].height) }
                for (index, image) in zip(group, stylized) { results[index] = image }
            }
            return results.map { $0! }
        }
    }

    /// Style weights scaled to sum 1, or equal weights when none are given.
    static func normalisedWeights(_ weights: [Float]?, styles: Int) throws -> [Float] {
        guard styles > 0 else { throw ImpastoError.invalidArgument("AdaIN needs at least one style image.") }
        guard let weights else { return Array(repeating: 1 / Float(styles), count: styles) }
        guard weights.count == styles else {
            throw ImpastoError.invalidArgument("Give one weight per style: \(styles) style(s) but \(weights.count) weight(s).")
        }
        let total = weights.reduce(0, +)
        guard weights.allSatisfy({ $0 >= 0 && $0.isFinite }), total > 0 else {
            throw ImpastoError.invalidArgument("Style weights must be non-negative and not all zero, got \(weights).")
        }
        return weights.map { $0 / total }
    }
}

extension Image {
    /// The top-left `width × height` pixels.
    func cropped(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(newWidth <= width && newHeight <= height, "cannot crop \(width)×\(height) to \(newWidth)×\(newHeight)")
        if newWidth == width && newHeight == height { return self }
        var samples: [Float] = []
        samples.reserveCapacity(channels * newWidth * newHeight)
        for channel in 0..<channels {
            for row in 0..<newHeight {
                let start = (channel * height + row) * width
                samples += pixels[start..<start + newWidth]
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: samples)
    }
}
