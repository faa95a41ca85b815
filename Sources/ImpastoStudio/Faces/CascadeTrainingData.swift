import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoTensor

/// What the cascade learns from: face boxes in gray pictures, face-free pictures to cut negative windows from,
/// and whole non-face crops.
public struct CascadeTrainingData: Sendable {
    /// A face: its picture and a square box on it.
    struct Face: Sendable {
        let picture: GrayPicture
        let box: CascadeWindow
    }

    var faces: [Face] = []
    /// Pictures without faces: random windows of them are negatives, and so are the windows the 12-net accepts
    /// on them (hard negatives).
    var backgrounds: [GrayPicture] = []
    /// Crops that are not faces, each used whole as a negative.
    var nonFaces: [GrayPicture] = []
    /// One line per source: what was read and how many examples it gave.
    public private(set) var sources: [String] = []

    public init() {}

    public var faceCount: Int { faces.count }
    public var backgroundCount: Int { backgrounds.count }
    public var nonFaceCount: Int { nonFaces.count }

    /// scikit-image's `lfw_subset.npy` ([200, 25, 25] gray crops in 0…1; the first 100 are LFW faces filling the
    /// crop, the last 100 are not faces): the faces with the whole crop as their box, the rest as non-faces.
    public mutating func addLFWSubset(_ url: URL) throws {
        let array = try NumPyArrays.load(contentsOf: url)
        guard array.shape.count == 3, array.shape[0] >= 2, array.shape[0] % 2 == 0, array.shape[1] == array.shape[2], array.shape[1] >= 12 else {
            throw ImpastoError.invalidFormat(path: url.path, reason: "its array is \(array.shape), not scikit-image's lfw_subset [200, 25, 25] (faces, then as many non-faces)")
        }
        let (count, side) = (array.shape[0], array.shape[1])
        let values = array.scalars
        let crops = (0..<count).map { k in
            GrayPicture(Image(width: side, height: side, channels: 1, pixels: Array(values[(k * side * side)..<((k + 1) * side * side)])))
        }
        faces += crops[..<(count / 2)].map { Face(picture: $0, box: CascadeWindow(x: 0, y: 0, side: Float(side))) }
        nonFaces += crops[(count / 2)...]
        sources.append("\(url.lastPathComponent): \(count / 2) LFW face crops and \(count / 2) non-face crops, \(side)×\(side) gray")
    }

    /// The faces `finder` (MTCNN) finds in each picture, each box made square about its centre with the mean of
    /// its width and height as side.
    public mutating func addPhotos(_ urls: [URL], finder: FaceFinder) throws {
        for url in urls {
            let image = try Image(contentsOf: url)
            let found = try finder([image])[0]
            let picture = GrayPicture(image)
            for face in found {
                let box = face.box
                let side = ((box.x2 - box.x1) + (box.y2 - box.y1)) / 2
                faces.append(Face(picture: picture, box: CascadeWindow(x: (box.x1 + box.x2 - side) / 2, y: (box.y1 + box.y2 - side) / 2, side: side)))
            }
            sources.append("\(url.lastPathComponent): \(found.count) face\(found.count == 1 ? "" : "s") found by MTCNN")
        }
    }

    /// Face-free pictures.
    public mutating func addBackgrounds(_ urls: [URL]) throws {
        for url in urls {
            let image = try Image(contentsOf: url)
            guard min(image.width, image.height) >= 48 else {
                throw ImpastoError.invalidArgument("The face-free picture \(url.path) is \(image.width)×\(image.height); windows need at least 48×48.")
            }
            backgrounds.append(GrayPicture(image))
            sources.append("\(url.lastPathComponent): face-free, \(image.width)×\(image.height)")
        }
    }

    /// Refuses, in one sentence, data no net can learn from.
    func validate() throws {
        guard !faces.isEmpty else { throw ImpastoError.invalidArgument("No faces to train on: give --lfw or --photos with faces MTCNN finds.") }
        guard !backgrounds.isEmpty else { throw ImpastoError.invalidArgument("No face-free pictures to cut negatives from: give --background.") }
    }

    // MARK: - Examples

    /// A face's box jittered as augmentation: shifted by up to ±`shift` of its side, scaled by up to ±`scale`,
    /// mirrored half the time, contrast 0.8–1.2 and brightness ±0.1.
    func augmentedFace(_ generator: inout RandomGenerator, shift: Float = 0.04, scale: Float = 0.04) -> (Face, CascadeWindow, CropVariation) {
        let face = faces[Int(generator.nextFloat() * Float(faces.count)) % faces.count]
        let factor = 1 + (generator.nextFloat() * 2 - 1) * scale
        let side = face.box.side * factor
        let x = face.box.x + (face.box.side - side) / 2 + (generator.nextFloat() * 2 - 1) * shift * face.box.side
        let y = face.box.y + (face.box.side - side) / 2 + (generator.nextFloat() * 2 - 1) * shift * face.box.side
        let variation = CropVariation(mirrored: generator.nextFloat() < 0.5, contrast: 0.8 + 0.4 * generator.nextFloat(),
                                      brightness: (generator.nextFloat() * 2 - 1) * 0.1)
        return (face, CascadeWindow(x: x, y: y, side: side), variation)
    }

    /// A random square window of a random face-free picture, at least 12 pixels and at most its shorter side.
    func randomBackgroundWindow(_ generator: inout RandomGenerator) -> (GrayPicture, CascadeWindow) {
        let picture = backgrounds[Int(generator.nextFloat() * Float(backgrounds.count)) % backgrounds.count]
        let largest = Float(min(picture.width, picture.height))
        // Sides spread evenly in log scale, as the pyramid's windows are.
        let side = 12 * pow(largest / 12, generator.nextFloat())
        let x = generator.nextFloat() * (Float(picture.width) - side), y = generator.nextFloat() * (Float(picture.height) - side)
        return (picture, CascadeWindow(x: x, y: y, side: side))
    }
}
