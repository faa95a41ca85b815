/// Faces followed from frame to frame, so that the protection drawn around them in a video does not flicker:
/// MTCNN's boxes on consecutive frames jitter by a few pixels and now and then miss a face for a frame. Each face
/// found is matched to the tracked face it overlaps most (IoU above 0.3) and its box moves halfway towards the new
/// one; a face found anew starts where it is found; a tracked face not found is kept, unchanged, for
/// `patience` frames before it is dropped.
public struct FaceTracker: Sendable {
    struct Track: Sendable {
        var face: DetectedFace
        var missed = 0
    }

    private var tracks: [Track] = []
    /// Frames a face may go unfound before its protection ends.
    public var patience = 3
    /// How far a tracked box moves towards the box found in a new frame (1: all the way, no smoothing).
    public var smoothing: Float = 0.5

    public init() {}

    /// The faces to protect in the next frame, given those found in it.
    public mutating func update(_ found: [DetectedFace]) -> [DetectedFace] {
        var matched = Set<Int>()
        var next: [Track] = []
        for face in found {
            let best = tracks.indices.filter { !matched.contains($0) }
                .map { ($0, Self.intersectionOverUnion(tracks[$0].face.box, face.box)) }
                .max { $0.1 < $1.1 }
            if let (index, overlap) = best, overlap > 0.3 {
                matched.insert(index)
                next.append(Track(face: blend(tracks[index].face, towards: face)))
            } else {
                next.append(Track(face: face))
            }
        }
        for (index, track) in tracks.enumerated() where !matched.contains(index) && track.missed < patience {
            next.append(Track(face: track.face, missed: track.missed + 1))
        }
        tracks = next
        return tracks.map(\.face)
    }

    private func blend(_ old: DetectedFace, towards new: DetectedFace) -> DetectedFace {
        func mix(_ a: Float, _ b: Float) -> Float { a + smoothing * (b - a) }
        let box = FaceBox(x1: mix(old.box.x1, new.box.x1), y1: mix(old.box.y1, new.box.y1),
                          x2: mix(old.box.x2, new.box.x2), y2: mix(old.box.y2, new.box.y2))
        let landmarks = zip(old.landmarks, new.landmarks).map { FacePoint(x: mix($0.x, $1.x), y: mix($0.y, $1.y)) }
        return DetectedFace(box: box, probability: new.probability, landmarks: landmarks)
    }

    static func intersectionOverUnion(_ a: FaceBox, _ b: FaceBox) -> Float {
        let width = max(0, min(a.x2, b.x2) - max(a.x1, b.x1)), height = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
        let intersection = width * height
        let union = a.area + b.area - intersection
        return union > 0 ? intersection / union : 0
    }
}
