import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoTensor

/// The networks `impasto inspect --as` checks a weight file against: whether every tensor the network needs is
/// there with its shape, nothing more.
public enum InspectableNetwork: String, CaseIterable, Sendable {
    case vgg19, pnet, rnet, onet

    /// Loads `weights` into a fresh network of this kind; throws what strict loading throws (the missing key,
    /// the mismatched shape, the tensors it has no place for).
    public func checkLoads(_ weights: [String: Tensor], source: String) throws {
        let network: Module = switch self {
        case .vgg19: VGG19()
        case .pnet: PNet()
        case .rnet: RNet()
        case .onet: ONet()
        }
        // VGG-19 files carry the classifier too; the feature extractor has no use for it.
        try network.load(weights, ignoring: { $0.hasPrefix("classifier.") }, source: source)
    }

    /// `checkLoads` on the weight file at `url`.
    public func checkLoads(contentsOf url: URL, source: String) throws {
        try checkLoads(WeightFile.load(contentsOf: url), source: source)
    }
}

/// What `impasto inspect` finds in a file: an image's size, or a weight file's tensors (name, shape, type).
public enum FileInspection: Sendable {
    case image(width: Int, height: Int, channels: Int)
    case weights([(key: String, shape: [Int], dtype: DType)])

    /// Reads the file at `url`: an image (by its signature) is decoded whole, so that a file broken past its
    /// header is reported, not passed; anything else is read as a weight file. Only regular files are read.
    public static func inspect(_ url: URL) throws -> FileInspection {
        if try Image.hasImageSignature(at: url) {
            let image = try Image(contentsOf: url)
            return .image(width: image.width, height: image.height, channels: image.channels)
        }
        let weights = try WeightFile.load(contentsOf: url)
        return .weights(weights.keys.sorted().map { ($0, weights[$0]!.shape, weights[$0]!.dtype) })
    }
}

/// `impasto flicker`: the warping error between a video and its stylized version (Lai et al. 2018), lower
/// meaning steadier.
public struct FlickerJob: Sendable {
    public var original: URL
    public var stylized: URL

    public init(original: URL, stylized: URL) {
        self.original = original
        self.stylized = stylized
    }

    /// The mean warping error and the number of frame pairs it averages.
    public func run() throws -> (warpingError: Double, pairs: Int) {
        let meter = try WarpingErrorMeter.measure(original: original, processed: stylized)
        return (meter.value, meter.pairs)
    }
}
