import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
@testable import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// What mediapipe 0.10.14's `FaceDetection(model_selection=0, min_detection_confidence=0.5)` found, as
/// scripts/make_blazeface_reference.py recorded it (Fixtures/blazeface).
struct BlazeFaceReference: Decodable {
    struct Face: Decodable {
        let box: [Float]
        let score: Float
        let keypoints: [[Float]]
    }

    /// A checksum of MediaPipe's own input tensor as bytes, in HWC order.
    struct InputChecksum: Decodable, Equatable {
        let sum: Int
        let weighted: Int
    }

    struct Picture: Decodable {
        /// Relative to the repository root.
        let file: String
        let input: InputChecksum
        let faces: [Face]
    }

    let images: [Picture]

    static let folder = repositoryRoot.appendingPathComponent("Tests/ImpastoStudioTests/Fixtures/blazeface")

    static func load() throws -> BlazeFaceReference {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
    }
}

/// mediapipe 0.10.14's own face_detection_short_range.tflite (scripts/fetch-test-weights.sh).
func mediapipeBlazeFace() throws -> BlazeFace {
    try BlazeFace(contentsOf: try mediapipeModelFile("face_detection/face_detection_short_range.tflite"))
}

@Suite struct BlazeFaceParityTests {
    /// The input tensor as MediaPipe's bytes: `k` for the value `k · 2 / 255 − 1`.
    static func bytes(_ input: Tensor) -> [Int] {
        input.permuted([0, 2, 3, 1]).copy().scalars.map { Int((($0 + 1) * 127.5).rounded()) }
    }

    static func checksum(_ bytes: [Int]) -> BlazeFaceReference.InputChecksum {
        .init(sum: bytes.reduce(0, +), weighted: bytes.enumerated().reduce(0) { $0 + $1.element * ($1.offset % 9973 + 1) })
    }

    /// The letterboxed warp gives MediaPipe's input bytes on every picture (wide, tall, square, gray).
    @Test func theInputIsMediaPipesLetterboxedWarp() throws {
        let model = try mediapipeBlazeFace()
        for picture in try BlazeFaceReference.load().images {
            let image = try Image(contentsOf: repositoryRoot.appendingPathComponent(picture.file))
            let (input, _) = try model.input(for: image.rgb().tensor())
            #expect(Self.checksum(Self.bytes(input)) == picture.input, "\(picture.file)")
        }
    }

    /// The interpreter alone, on MediaPipe's own input tensor for trio.png: its regressors and score logits
    /// beside XNNPACK's.
    @Test func theInterpreterMatchesTensorFlowLite() throws {
        let model = try mediapipeBlazeFace()
        let raw = try SafeTensors.load(contentsOf: BlazeFaceReference.folder.appendingPathComponent("raw.safetensors"))
        let bytes = try #require(raw["input"]).converted(to: .f32)
        let input = (bytes * Float(2.0 / 255.0) - 1).permuted([2, 0, 1]).copy().reshaped([1, 3, 128, 128])
        let image = try Image(contentsOf: BlazeFaceReference.folder.appendingPathComponent("trio.png"))
        #expect(Self.bytes(try model.input(for: image.rgb().tensor()).tensor) == bytes.scalars.map { Int($0) })
        let (regressors, logits) = try model.rawOutputs(for: input)
        let expectedRegressors = try #require(raw["regressors"]).scalars, expectedLogits = try #require(raw["classificators"]).scalars
        let regressorError = zip(regressors, expectedRegressors).map { abs($0 - $1) }.max()!
        let logitError = zip(logits, expectedLogits).map { abs($0 - $1) }.max()!
        print("BlazeFace raw outputs: max |Δ| regressors \(regressorError) (tensor pixels), logits \(logitError)")
        #expect(regressors.count == 896 * 16 && logits.count == 896)
        #expect(regressorError <= 1e-3 && logitError <= 1e-3)
    }

    /// The bar: the same faces in the same order, box IoU ≥ 0.99, keypoints within 1 px, scores within 1e-3.
    @Test func detectionMatchesMediaPipe() throws {
        let detector = BlazeFaceDetector(model: try mediapipeBlazeFace())
        var worst: (iou: Float, keypoint: Float, score: Float) = (1, 0, 0)
        for picture in try BlazeFaceReference.load().images {
            let faces = try detector.detect(try Image(contentsOf: repositoryRoot.appendingPathComponent(picture.file)))
            try #require(faces.count == picture.faces.count, "\(picture.file): \(faces.count) faces, MediaPipe \(picture.faces.count)")
            var here: (iou: Float, keypoint: Float, score: Float) = (1, 0, 0)
            defer {
                print("BlazeFace \(picture.file): \(faces.count) faces, min IoU \(here.iou), max keypoint error \(here.keypoint) px, "
                      + "max score difference \(here.score)")
                worst = (min(worst.iou, here.iou), max(worst.keypoint, here.keypoint), max(worst.score, here.score))
            }
            for (face, expected) in zip(faces, picture.faces) {
                let iou = intersectionOverUnion(face.box, expected.box)
                let keypoint = zip(face.landmarks, expected.keypoints).map { max(abs($0.x - $1[0]), abs($0.y - $1[1])) }.max()!
                let score = abs(face.probability - expected.score)
                #expect(face.landmarks.count == 6)
                #expect(iou >= 0.99 && keypoint <= 1 && score <= 1e-3,
                        "\(picture.file): IoU \(iou), keypoints off by \(keypoint) px, score by \(score)")
                here = (min(here.iou, iou), max(here.keypoint, keypoint), max(here.score, score))
            }
        }
        print("BlazeFace against MediaPipe: min IoU \(worst.iou), max keypoint error \(worst.keypoint) px, max score difference \(worst.score)")
    }

    @Test func anotherNetworkIsNotABlazeFace() throws {
        let pnet = try testWeightsFile("facenet-pytorch-2.6.0/pnet.pt")
        #expect(throws: ImpastoError.self) { try BlazeFace(contentsOf: pnet) }
    }

    /// 896 anchors: 16×16 cells of 2, then 8×8 cells of 6, centred in their cells.
    @Test func anchorsAreMediaPipesGrid() {
        let anchors = BlazeFace.anchors(inputSize: 128)
        #expect(anchors.count == 896)
        #expect(anchors[0] == (1 / 32, 1 / 32) && anchors[1] == (1 / 32, 1 / 32) && anchors[2] == (3 / 32, 1 / 32))
        #expect(anchors[512] == (1 / 16, 1 / 16) && anchors[517] == (1 / 16, 1 / 16) && anchors[518] == (3 / 16, 1 / 16))
        #expect(anchors[895] == (15 / 16, 15 / 16))
    }
}

/// MediaPipe's WEIGHTED suppression on three hand-made detections: the two that overlap (IoU 0.6) become one,
/// their corners and keypoints averaged by score, the best score kept; the one apart stays where it is.
@Test func weightedSuppressionAveragesEachGroupByScore() {
    func detection(_ x: Float, _ score: Float) -> BlazeFaceDetection {
        BlazeFaceDetection(xMin: x, yMin: 0.1, xMax: x + 0.4, yMax: 0.5, score: score,
                           keypoints: Array(repeating: (x: x + 0.2, y: 0.3), count: 6))
    }
    // Boxes 0.4 wide at 0.1 and 0.2: intersection 0.3 × 0.4, union 0.5 × 0.4, IoU 0.6.
    let merged = BlazeFaceDetector.suppressed([detection(0.2, 0.6), detection(0.1, 0.9), detection(0.7, 0.8)])
    #expect(merged.count == 2)
    let x = (0.1 * Float(0.9) + 0.2 * 0.6) / 1.5
    #expect(abs(merged[0].xMin - x) < 1e-6 && abs(merged[0].xMax - (x + 0.4)) < 1e-6 && merged[0].score == 0.9)
    #expect(merged[0].keypoints.allSatisfy { abs($0.x - (x + 0.2)) < 1e-6 && abs($0.y - 0.3) < 1e-6 })
    // A group of one is averaged too (v · s / s, as in the calculator): within rounding of itself.
    let alone = merged[1]
    #expect(abs(alone.xMin - 0.7) < 1e-6 && abs(alone.yMin - 0.1) < 1e-6 && abs(alone.xMax - 1.1) < 1e-6 && alone.score == 0.8)
}
