import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// MediaPipe's short-range face detection (`mp.solutions.face_detection.FaceDetection(model_selection=0)`, the
/// face_detection_short_range graph of mediapipe 0.10.14) on ImpastoModels' BlazeFace: the letterboxed 128×128
/// input, the anchors' decoding, MediaPipe's weighted non-maximum suppression (IoU above 0.3 joins a group, whose
/// boxes and keypoints are averaged by score; the group keeps its best score), and the projection from the
/// letterboxed tensor back to the image's pixels. Faces come most probable first, each with six landmarks
/// (`DetectedFace.landmarks`).
public struct BlazeFaceDetector: Sendable {
    public let model: BlazeFace
    /// The lowest score kept (the solution's `min_detection_confidence`, 0.5 by default).
    public var minScore: Float = 0.5
    /// NonMaxSuppressionCalculator's min_suppression_threshold in face_detection.pbtxt.
    public static let suppressionThreshold: Float = 0.3

    public init(model: BlazeFace) {
        self.model = model
    }

    /// The faces in `image`, in pixels, most probable first; empty when there is none.
    public func detect(_ image: Image) throws -> [DetectedFace] {
        let (input, region) = try model.input(for: image.rgb().tensor())
        let raw = try withoutGradients { try model.rawOutputs(for: input) }
        let detections = model.decode(regressors: raw.regressors, logits: raw.logits, minScore: minScore)
        return Self.suppressed(detections).map { Self.face($0, in: region) }
    }

    /// MediaPipe's weighted suppression of decoded detections, in the tensor's fractions.
    static func suppressed(_ detections: [BlazeFaceDetection]) -> [BlazeFaceDetection] {
        let candidates = detections.map { Candidate(image: 0, x1: $0.xMin, y1: $0.yMin, x2: $0.xMax, y2: $0.yMax, score: $0.score) }
        return NonMaximumSuppression.weightedGroups(candidates, threshold: suppressionThreshold).map { group in
            var merged = detections[group[0]]
            var (total, corners) = (Float(0), [Float](repeating: 0, count: 4))
            var points = [Float](repeating: 0, count: 2 * merged.keypoints.count)
            for member in group.map({ detections[$0] }) {
                total += member.score
                for (k, value) in [member.xMin, member.yMin, member.xMax, member.yMax].enumerated() { corners[k] += value * member.score }
                for (k, point) in member.keypoints.enumerated() {
                    points[2 * k] += point.x * member.score
                    points[2 * k + 1] += point.y * member.score
                }
            }
            (merged.xMin, merged.yMin, merged.xMax, merged.yMax) = (corners[0] / total, corners[1] / total, corners[2] / total, corners[3] / total)
            merged.keypoints = merged.keypoints.indices.map { k in (points[2 * k] / total, points[2 * k + 1] / total) }
            return merged
        }
    }

    /// A detection in the tensor's fractions as a face in the image's pixels.
    static func face(_ detection: BlazeFaceDetection, in region: MediaPipeRegion) -> DetectedFace {
        let (x1, y1) = region.project(x: detection.xMin, y: detection.yMin)
        let (x2, y2) = region.project(x: detection.xMax, y: detection.yMax)
        return DetectedFace(box: FaceBox(x1: x1, y1: y1, x2: x2, y2: y2), probability: detection.score,
                            landmarks: detection.keypoints.map { point in
                                let (x, y) = region.project(x: point.x, y: point.y)
                                return FacePoint(x: x, y: y)
                            })
    }
}
