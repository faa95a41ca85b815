import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// A segmenter written by `impasto train-segmenter`: the network named in the file's metadata (`architecture`,
/// `image_size`), run on the photo squashed to its training side; the person probability (softmax of class 1)
/// is resized back to the photo bilinearly.
public final class TrainedSegmenter: @unchecked Sendable {
    public let network: SegmentationNetwork
    public let side: Int
    private let lock = NSLock()

    public init(contentsOf url: URL) throws {
        let metadata = try SafeTensors.metadata(contentsOf: url)
        guard let name = metadata["architecture"], let architecture = SegmenterArchitecture(rawValue: name),
              let side = metadata["image_size"].flatMap(Int.init), side > 0 else {
            throw ImpastoError.invalidFormat(path: url.path, reason: "it is not a segmenter written by impasto train-segmenter (no architecture and image_size in its metadata)")
        }
        let network = architecture.makeNetwork()
        guard side % network.sideMultiple == 0 else {
            throw ImpastoError.invalidFormat(path: url.path, reason: "its image_size \(side) is not a multiple of \(network.sideMultiple), as \(name) needs")
        }
        try network.load(try SafeTensors.load(contentsOf: url), source: url.path)
        (self.network, self.side) = (network, side)
    }

    /// The person probability of each pixel of `photo`, row-major.
    public func mask(of photo: Image) -> [Float] {
        let small = photo.rgb().resized(width: side, height: side, filter: .bilinear)
        let input = Tensor(shape: [1, 3, side, side], scalars: small.pixels.map { ($0 - 0.5) * 2 })
        // One network, evaluated by one job at a time (batch norm reads its running statistics, nothing is written).
        let logits = lock.withLock { withoutGradients { network(input) } }
        let person = softmax(logits, axis: 1).sliced(axis: 1, 1..<2).reshaped([1, 1, side, side])
        let full = upsampleBilinear2d(person, size: (photo.height, photo.width))
        return full.scalars
    }
}

/// The network `impasto cutout` asks for a mask: MediaPipe's selfie segmentation, or a trained segmenter.
public enum PersonSegmenter: Sendable {
    case selfie(SelfieSegmentation)
    case trained(TrainedSegmenter)

    /// The person probability of each pixel of `photo`, row-major.
    public func mask(of photo: Image) throws -> [Float] {
        switch self {
        case .selfie(let segmenter): try withoutGradients { try segmenter.mask(for: photo.rgb().tensor()) }.scalars
        case .trained(let segmenter): segmenter.mask(of: photo)
        }
    }
}
