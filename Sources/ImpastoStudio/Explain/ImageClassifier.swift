import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// One class a classifier found, with its score.
public struct Classification: Sendable, Equatable {
    /// The class index (ImageNet's order for the standard weights).
    public let index: Int
    public let label: String
    /// The softmax probability over all classes.
    public let probability: Float
    /// The raw score.
    public let logit: Float
}

/// An ImageNet classifier (MobileNetV2 with torchvision's weights) with torchvision's preprocessing:
/// the image an `impasto classify` user passes gives the classes `torchvision`'s reference script gives.
/// Thread-safe: each call runs its own forward pass on the shared, frozen network.
public final class ImageClassifier: @unchecked Sendable {
    public let model: MobileNetV2
    public let classNames: [String]
    /// The side of the centre crop the network sees (torchvision's `crop_size`).
    public let cropSize = 224
    /// The shorter side images are resized to first (torchvision's `resize_size`).
    public let resizeSize = 256

    /// Loads a torchvision MobileNetV2 state dict (`mobilenet_v2-b0353104.pth`).
    ///
    /// - Throws: `ImpastoError` naming the file for an unreadable file or one of another network.
    public init(contentsOf url: URL) throws {
        let model = MobileNetV2()
        try model.load(torchvision: try WeightFile.load(contentsOf: url), source: url.path)
        self.model = model
        classNames = ImageNet.classNames
    }

    /// torchvision's `ImageClassification` preset: the shorter side resized to 256 (bilinear, antialiased, the
    /// longer side truncated as `int(256 · long / short)`), the centre 224×224 crop (offsets rounded half to
    /// even, as Python's `round`), RGB in [0, 1] normalised by the ImageNet mean and deviation.
    public func input(for image: Image) -> Tensor {
        let rgb = image.rgb()
        let short = min(rgb.width, rgb.height), long = max(rgb.width, rgb.height)
        let scaledLong = resizeSize * long / short
        let resized = rgb.width <= rgb.height
            ? rgb.resized(width: resizeSize, height: scaledLong, filter: .bilinear)
            : rgb.resized(width: scaledLong, height: resizeSize, filter: .bilinear)
        let size = min(cropSize, resized.width, resized.height)
        func offset(_ extent: Int) -> Int { Int((Double(extent - size) / 2).rounded(.toNearestOrEven)) }
        let crop = resized.cropped(x: offset(resized.width), y: offset(resized.height), width: size, height: size)
        return VGGPreprocessing.torchvision.networkInput(from: crop)
    }

    /// The `top` most likely classes of each image, most likely first.
    public func classify(_ images: [Image], top: Int = 5) -> [[Classification]] {
        guard !images.isEmpty else { return [] }
        let logits = withoutGradients { model(concat(images.map(input(for:)), axis: 0)) }
        return (0..<images.count).map { classes(logits: logits.sliced(axis: 0, $0..<$0 + 1), top: top) }
    }

    /// The `top` classes of one row of logits.
    public func classes(logits: Tensor, top: Int) -> [Classification] {
        let scores = logits.scalars
        let probabilities = softmax(logits.reshaped([1, scores.count]), axis: 1).scalars
        return scores.indices.sorted { scores[$0] > scores[$1] }.prefix(top).map {
            Classification(index: $0, label: $0 < classNames.count ? classNames[$0] : "class \($0)",
                           probability: probabilities[$0], logit: scores[$0])
        }
    }
}
