import ImpastoMedia
import ImpastoTensor

/// Same-sized images stacked for one forward pass, and the way back.
enum ImageBatch {
    /// Pixels per batch beyond which images go one at a time: activations take about 600 bytes per input pixel
    /// (32 float channels, several alive), so 4 Mpx is some 2.5 GB, and batching gains little on large images.
    static let pixelBudget = 1 << 22

    /// Indices of `images` grouped by size (first appearance first), each group cut into runs of at most `limit`
    /// images and `pixelBudget` pixels (but at least one image): the batches one forward pass each can take.
    static func groups(of images: [Image], limit: Int) -> [[Int]] {
        precondition(limit >= 1, "a batch holds at least one image, not \(limit)")
        var bySize: [[Int]] = [], sizes: [[Int]: Int] = [:]
        for (index, image) in images.enumerated() {
            let size = [image.width, image.height]
            if let group = sizes[size] {
                bySize[group].append(index)
            } else {
                sizes[size] = bySize.count
                bySize.append([index])
            }
        }
        return bySize.flatMap { group in
            let image = images[group[0]]
            let size = min(limit, max(1, pixelBudget / (image.width * image.height)))
            return stride(from: 0, to: group.count, by: size).map { Array(group[$0..<min($0 + size, group.count)]) }
        }
    }

    /// `[N, 3, H, W]` RGB in [0, 1] from same-sized images (alpha dropped, gray repeated).
    static func tensor(_ images: [Image]) -> Tensor {
        let (width, height) = (images[0].width, images[0].height)
        let planeSize = 3 * width * height
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * planeSize)
        for image in images {
            precondition(image.width == width && image.height == height, "a batch needs images of one size")
            pixels += image.rgb().pixels
        }
        return Tensor(shape: [images.count, 3, height, width], scalars: pixels)
    }

    /// The images of a `[N, 3, H, W]` batch, clamped to [0, 1].
    static func images(_ batch: Tensor) -> [Image] {
        (0..<batch.shape[0]).map { Image(tensor: batch.slice($0..<$0 + 1)) }
    }

    /// Refuses images the networks cannot take: their reflection paddings need a few pixels at the coarsest level.
    static func checkSize(_ image: Image, minimum: Int = 16) throws {
        guard min(image.width, image.height) >= minimum else {
            throw ImpastoError.invalidArgument(
                "A \(image.width)×\(image.height) image is too small to stylize; both sides need at least \(minimum) pixels.")
        }
    }
}

extension Image {
    /// The image scaled to a longest side of `size`, or unchanged when `size` is nil.
    func resized(longestSide size: Int?) -> Image {
        size.map { resized(longestSide: $0) } ?? self
    }
}
