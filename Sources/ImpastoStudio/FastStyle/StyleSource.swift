import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// The network `impasto apply` and `impasto video` stylize with, as a user names it; Studio loads it.
public enum StyleSource: Sendable {
    /// A TransformerNet: a bundled style's name (`starry`) or a weight file.
    case model(String)
    /// AdaIN (pytorch-AdaIN's `vgg_normalised.pth` and `decoder.pth`) towards the weighted mix of style images,
    /// each scaled to `styleSize` (nil: as they are); `alpha` from 0 (the content) to 1.
    case adain(styles: [URL], weights: [Float]?, alpha: Float, encoder: URL, decoder: URL, styleSize: Int?)

    /// The style's name in result file names: the model's file name, or the style images' joined by "+".
    public var name: String {
        switch self {
        case let .model(name): URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
        case let .adain(styles, _, _, _, _, _): styles.map { $0.deletingPathExtension().lastPathComponent }.joined(separator: "+")
        }
    }

    /// Every file this source reads: no output may be one of them.
    public var inputFiles: [URL] {
        switch self {
        case let .model(name): [(try? BundledStyles.modelFile(name)) ?? URL(fileURLWithPath: name)]
        case let .adain(styles, _, _, encoder, decoder, _): styles + [encoder, decoder]
        }
    }

    /// Stylizes batches of images, the weights (and style images) loaded once, here.
    public func imageStylizer(size: Int?, precision: Precision, preserveColors: Bool,
                              batchSize: Int) throws -> ([Image]) throws -> [Image] {
        switch self {
        case let .model(name):
            let net = try BundledStyles.model(name)
            return { images in
                try FastStyle.apply(images: images, model: net, size: size, precision: precision,
                                    preserveColors: preserveColors, batchSize: batchSize)
            }
        case let .adain(_, weights, alpha, _, _, styleSize):
            let (net, styles) = try adain()
            return { images in
                try Precision.$current.withValue(precision) {
                    try AdaINStyle.apply(contents: images, styles: styles, weights: weights, alpha: alpha,
                                         preserveColors: preserveColors, model: net, size: size, styleSize: styleSize,
                                         batchSize: batchSize)
                }
            }
        }
    }

    /// Stylizes video frames, with the weights and, for AdaIN, the style statistics computed once.
    public func videoStylizer(precision: Precision) throws -> VideoStyle.Stylizer {
        switch self {
        case let .model(name):
            return VideoStyle.stylizer(model: try BundledStyles.model(name), precision: precision)
        case let .adain(_, weights, alpha, _, _, styleSize):
            let (net, styles) = try adain()
            return try VideoStyle.stylizer(model: net, styles: styles, weights: weights, alpha: alpha,
                                           styleSize: styleSize, precision: precision)
        }
    }

    /// AdaIN's network and style images, read from the files this source names.
    private func adain() throws -> (AdaIN, [Image]) {
        guard case let .adain(styles, _, _, encoder, decoder, _) = self else { preconditionFailure("not an AdaIN source") }
        return (try AdaIN(encoderContentsOf: encoder, decoderContentsOf: decoder), try styles.map { try Image(contentsOf: $0) })
    }
}
