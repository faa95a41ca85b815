import Foundation
import ImpastoMedia

/// The photos a style network learns from, read from disk batch by batch (a COCO-sized folder does not fit
/// in memory), each scaled so its shorter side is `imageSize` and center-cropped to a square, as
/// torchvision's `Resize(size)` + `CenterCrop(size)` in pytorch/examples `fast_neural_style`.
///
/// The order is a fresh shuffle per epoch drawn from the seed and the epoch number alone, so the batch of
/// any iteration is known without replaying the ones before it: resuming needs no generator state.
public struct TrainingPhotos: Sendable {
    /// The image files, sorted by name.
    public let files: [URL]
    /// The side of the square crops.
    public let imageSize: Int
    let seed: UInt64

    /// The JPEG and PNG files directly inside `folder`.
    ///
    /// - Throws: `ImpastoError` when the folder cannot be read or holds no images.
    public init(folder: URL, imageSize: Int, seed: UInt64) throws {
        let names: [URL]
        do {
            names = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        } catch {
            throw ImpastoError.unreadableFile(path: folder.path, reason: "it is not a readable folder")
        }
        let files = names.filter { ["jpg", "jpeg", "png"].contains($0.pathExtension.lowercased()) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else { throw ImpastoError.invalidArgument("The folder \(folder.path) holds no JPEG or PNG images.") }
        self.init(files: files, imageSize: imageSize, seed: seed)
    }

    /// Photos from a list of files.
    public init(files: [URL], imageSize: Int, seed: UInt64) {
        precondition(!files.isEmpty && imageSize > 0, "training needs photos and a positive image size")
        self.files = files
        self.imageSize = imageSize
        self.seed = seed
    }

    /// The indices into `files` of the photos in batch `iteration` (0-based), `batchSize` of them.
    func indices(iteration: Int, batchSize: Int) -> [Int] {
        var epochOrder: (epoch: Int, order: [Int])?
        return (0..<batchSize).map { k in
            let position = iteration * batchSize + k
            let epoch = position / files.count
            if epochOrder?.epoch != epoch {
                var generator = RandomGenerator(seed: seed ^ 0x5851_F42D_4C95_7F2D &* UInt64(epoch + 1))
                epochOrder = (epoch, Array(files.indices).shuffled(using: &generator))
            }
            return epochOrder!.order[position % files.count]
        }
    }

    /// `[N, 3, S, S]` RGB 0…255: the photos at `indices`, cropped.
    func batch(_ indices: [Int]) throws -> Tensor {
        let crops = try indices.map { try Self.squareCrop(Image(contentsOf: files[$0]), size: imageSize) }
        return ImageBatch.tensor(crops) * 255
    }

    /// `image` scaled so that its shorter side is `size`, then its central `size`×`size` square.
    static func squareCrop(_ image: Image, size: Int) -> Image {
        let scale = Double(size) / Double(min(image.width, image.height))
        let width = max(size, Int((Double(image.width) * scale).rounded()))
        let height = max(size, Int((Double(image.height) * scale).rounded()))
        let scaled = image.rgb().resized(width: width, height: height)
        let (left, top) = ((width - size) / 2, (height - size) / 2)
        var pixels: [Float] = []
        pixels.reserveCapacity(3 * size * size)
        for channel in 0..<3 {
            let plane = scaled.plane(channel)
            for y in top..<top + size {
                let row = plane.startIndex + y * width + left
                pixels += plane[row..<row + size]
            }
        }
        return Image(width: size, height: size, channels: 3, pixels: pixels)
    }
}
