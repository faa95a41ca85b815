import Foundation
import ImpastoMedia
import ImpastoTensor

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
    /// Whether training batches are random views rather than center crops: each photo scaled so its shorter
    /// side is 1–2× `imageSize`, a random square of it, flipped left to right half the time. Drawn from the
    /// seed, the iteration and the slot in the batch, so a resumed run sees the same views. A handful of
    /// photos then gives a new view at every step.
    public var augmentation = false
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
        let files = names.filter { ImageFileFormat.fileExtensions.contains($0.pathExtension.lowercased()) }
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

    /// `[N, 3, S, S]` RGB 0…255: the photos at `indices`, center-cropped, or as the random views of
    /// training step `iteration` when `augmentation` is on.
    func batch(_ indices: [Int], iteration: Int? = nil) throws -> Tensor {
        let crops = try indices.enumerated().map { slot, index in
            let image = try Image(contentsOf: files[index])
            guard augmentation, let iteration else { return Self.squareCrop(image, size: imageSize) }
            var generator = RandomGenerator(seed: seed ^ 0xA076_1D64_78BD_642F &* UInt64(iteration &* indices.count &+ slot &+ 1))
            return Self.randomView(image, size: imageSize, using: &generator)
        }
        return ImageBatch.tensor(crops) * 255
    }

    /// `image` scaled so that its shorter side is `size`, then its central `size`×`size` square.
    static func squareCrop(_ image: Image, size: Int) -> Image {
        crop(image, size: size, zoom: 1) { room in room / 2 }
    }

    /// `image` scaled so that its shorter side is 1–2× `size`, a random `size`×`size` square of it, mirrored
    /// half the time.
    static func randomView(_ image: Image, size: Int, using generator: inout RandomGenerator) -> Image {
        let zoom = Double.random(in: 1...2, using: &generator)
        let mirrored = Bool.random(using: &generator)
        return crop(image, size: size, zoom: zoom, mirrored: mirrored) { room in Int.random(in: 0...room, using: &generator) }
    }

    /// The `size`×`size` square at the offsets `offset` picks (given the room left and right, or above and
    /// below) of `image` scaled so that its shorter side is `zoom · size`.
    static func crop(_ image: Image, size: Int, zoom: Double, mirrored: Bool = false,
                             offset: (Int) -> Int) -> Image {
        let scale = zoom * Double(size) / Double(min(image.width, image.height))
        let width = max(size, Int((Double(image.width) * scale).rounded()))
        let height = max(size, Int((Double(image.height) * scale).rounded()))
        let scaled = image.rgb().resized(width: width, height: height)
        let left = offset(width - size), top = offset(height - size)
        var pixels: [Float] = []
        pixels.reserveCapacity(3 * size * size)
        for channel in 0..<3 {
            let plane = scaled.plane(channel)
            for y in top..<top + size {
                let row = plane[(plane.startIndex + y * width + left)..<(plane.startIndex + y * width + left + size)]
                pixels += mirrored ? Array(row.reversed()) : Array(row)
            }
        }
        return Image(width: size, height: size, channels: 3, pixels: pixels)
    }
}
