import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoTensor

/// Pictures and their person masks, all squashed to one square side, for `SegmenterTrainer`: from a folder of
/// images with a folder of same-named masks (gray PNG or JPEG, person where ≥ 0.5), or from a COCO
/// `instances.json` with the greenScreen seed's person selection (`COCODataset.personImages()`).
public struct SegmentationExamples: Sendable {
    /// The side every picture and mask is resized to.
    public let side: Int
    /// RGB pictures, side × side.
    public private(set) var pictures: [Image] = []
    /// Row-major masks, 1 person, 0 background.
    public private(set) var masks: [[UInt8]] = []
    /// The file each example came from.
    public private(set) var names: [String] = []

    public init(side: Int) {
        self.side = side
    }

    public var count: Int { pictures.count }

    /// Adds one picture and its mask (any size; both resized to `side`, the mask bilinearly then cut at 0.5).
    public mutating func add(picture: Image, mask: Image, name: String) throws {
        guard picture.width == mask.width, picture.height == mask.height else {
            throw ImpastoError.invalidArgument("The mask of \(name) is \(mask.width)×\(mask.height), its picture \(picture.width)×\(picture.height); they must be the same size.")
        }
        pictures.append(picture.rgb().resized(width: side, height: side, filter: .bilinear))
        let gray = mask.grayscale().resized(width: side, height: side, filter: .bilinear)
        masks.append(gray.plane(0).map { $0 >= 0.5 ? 1 : 0 })
        names.append(name)
    }

    /// Each image of `images` with the mask of the same name (any of png, jpg, jpeg) in `masks`.
    public mutating func addFolders(images: URL, masks: URL) throws {
        for url in try ImageInputs.expand([images]) {
            let stem = url.deletingPathExtension().lastPathComponent
            let candidates = ["png", "jpg", "jpeg"].map { masks.appendingPathComponent("\(stem).\($0)") }
            guard let maskURL = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
                throw ImpastoError.invalidArgument("No mask for \(url.path): expected \(stem).png (or .jpg) in \(masks.path).")
            }
            try add(picture: Image(contentsOf: url), mask: Image(contentsOf: maskURL), name: url.lastPathComponent)
        }
    }

    /// The seed's person images of a COCO annotation file, read from `images` (where COCO's file names are).
    public mutating func addCOCO(annotations: URL, images: URL) throws {
        let dataset = try COCODataset(contentsOf: annotations)
        for (entry, mask) in dataset.personImages() {
            let url = images.appendingPathComponent(entry.fileName)
            let picture = try Image(contentsOf: url)
            guard picture.width == mask.width, picture.height == mask.height else {
                throw ImpastoError.invalidArgument("\(url.path) is \(picture.width)×\(picture.height) but \(annotations.path) says \(mask.width)×\(mask.height).")
            }
            let maskImage = Image(width: mask.width, height: mask.height, channels: 1, pixels: mask.decoded().map(Float.init))
            try add(picture: picture, mask: maskImage, name: entry.fileName)
        }
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> SegmentationExamples {
        var result = SegmentationExamples(side: side)
        result.pictures = indices.map { pictures[$0] }
        result.masks = indices.map { masks[$0] }
        result.names = indices.map { names[$0] }
        return result
    }

    /// A batch: pictures [N, 3, side, side] as (value − 0.5) · 2 and the masks' classes in N, H, W order; each
    /// example mirrored left–right where `flips` says so.
    public func batch(_ indices: [Int], flips: [Bool]? = nil) -> (input: Tensor, targets: [Int]) {
        let plane = side * side
        var values = [Float](repeating: 0, count: indices.count * 3 * plane)
        var targets = [Int](repeating: 0, count: indices.count * plane)
        for (slot, index) in indices.enumerated() {
            let flip = flips?[slot] ?? false
            let pixels = pictures[index].pixels, mask = masks[index]
            for y in 0..<side {
                for x in 0..<side {
                    let source = y * side + (flip ? side - 1 - x : x), target = y * side + x
                    targets[slot * plane + target] = Int(mask[source])
                    for c in 0..<3 { values[(slot * 3 + c) * plane + target] = (pixels[c * plane + source] - 0.5) * 2 }
                }
            }
        }
        return (Tensor(shape: [indices.count, 3, side, side], scalars: values), targets)
    }
}
