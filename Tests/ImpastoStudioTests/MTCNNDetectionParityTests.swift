import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// What facenet-pytorch 2.6.0's `MTCNN().detect` found in each picture, as scripts/make_mtcnn_detect_reference.py
/// recorded it (the pictures are PNGs beside the record, or Examples/images/astronaut.png).
struct MTCNNDetectionReference: Decodable {
    struct Face: Decodable {
        let box: [Float]
        let probability: Float
        let landmarks: [[Float]]
    }

    struct Picture: Decodable {
        /// Relative to the repository root.
        let file: String
        let faces: [Face]
    }

    let images: [Picture]

    static func load() throws -> MTCNNDetectionReference {
        let url = repositoryRoot.appendingPathComponent("Tests/ImpastoStudioTests/Fixtures/mtcnn-detect/reference.json")
        return try JSONDecoder().decode(Self.self, from: Data(contentsOf: url))
    }
}

/// facenet-pytorch's own weight files (scripts/fetch-test-weights.sh).
func facenetMTCNN() throws -> MTCNNDetector {
    func file(_ name: String) throws -> URL { try testWeightsFile("facenet-pytorch-2.6.0/\(name).pt") }
    return try MTCNNDetector(pnet: file("pnet"), rnet: file("rnet"), onet: file("onet"))
}

/// Intersection over union of two boxes by their corners (continuous coordinates, no +1).
func intersectionOverUnion(_ a: FaceBox, _ b: [Float]) -> Float {
    let width = max(0, min(a.x2, b[2]) - max(a.x1, b[0])), height = max(0, min(a.y2, b[3]) - max(a.y1, b[1]))
    let intersection = width * height
    return intersection / (a.area + (b[2] - b[0]) * (b[3] - b[1]) - intersection)
}

@Suite struct MTCNNDetectionParityTests {
    /// Every picture in one call: different sizes, several without a face, so the batching across sizes and the
    /// empty results are exercised together. Face for face in facenet-pytorch's order (largest first).
    @Test func detectionMatchesFacenetPyTorch() throws {
        let reference = try MTCNNDetectionReference.load()
        let images = try reference.images.map { try Image(contentsOf: repositoryRoot.appendingPathComponent($0.file)) }
        let detector = try facenetMTCNN()
        // facenet-pytorch's convolutions are direct; Winograd's rounding could move a score across a threshold.
        let found = ConvolutionAlgorithm.$allowsWinograd.withValue(false) { detector.detect(images) }
        #expect(found.count == images.count)
        for (picture, faces) in zip(reference.images, found) {
            try #require(faces.count == picture.faces.count, "\(picture.file): \(faces.count) faces, facenet-pytorch \(picture.faces.count)")
            var (minimumIoU, landmarkError, probabilityError): (Float, Float, Float) = (1, 0, 0)
            for (face, expected) in zip(faces, picture.faces) {
                minimumIoU = min(minimumIoU, intersectionOverUnion(face.box, expected.box))
                for (point, other) in zip(face.landmarks, expected.landmarks) {
                    landmarkError = max(landmarkError, abs(point.x - other[0]), abs(point.y - other[1]))
                }
                probabilityError = max(probabilityError, abs(face.probability - expected.probability))
            }
            print("\(picture.file): \(faces.count) faces, min IoU \(minimumIoU), max landmark error \(landmarkError) px, "
                  + "max probability difference \(probabilityError)")
            #expect(minimumIoU >= 0.99, "\(picture.file)")
            #expect(landmarkError <= 1, "\(picture.file)")
            #expect(probabilityError <= 1e-3, "\(picture.file)")
        }
    }

    /// A picture alone gives what it gives in a batch with others.
    @Test func aBatchGivesWhatEachPictureGivesAlone() throws {
        let reference = try MTCNNDetectionReference.load()
        let pictures = reference.images.filter { $0.file.hasSuffix("group.png") || $0.file.hasSuffix("rocket.png") }
        let images = try pictures.map { try Image(contentsOf: repositoryRoot.appendingPathComponent($0.file)) }
        let detector = try facenetMTCNN()
        let together = detector.detect(images + images)
        #expect(together == images.map { detector.detect([$0])[0] } + images.map { detector.detect([$0])[0] })
    }

    @Test func tooSmallAnImageHasNoFaces() throws {
        let detector = try facenetMTCNN()
        let tiny = Image(width: 15, height: 9, channels: 3, pixels: [Float](repeating: 0.5, count: 3 * 15 * 9))
        #expect(detector.detect([tiny]) == [[]])
        #expect(detector.detect([]) == [])
    }
}
