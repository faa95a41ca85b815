import ImpastoMedia

/// A point in an image's pixel coordinates (x to the right, y down, 0 at the top-left pixel's corner as
/// facenet-pytorch counts it).
public struct FacePoint: Sendable, Equatable {
    public var x: Float
    public var y: Float

    public init(x: Float, y: Float) {
        self.x = x
        self.y = y
    }
}

/// A face box by its corners, facenet-pytorch's `[x1, y1, x2, y2]`. MTCNN's boxes are not clipped: a face
/// at the edge has corners outside the image.
public struct FaceBox: Sendable, Equatable {
    public var x1: Float
    public var y1: Float
    public var x2: Float
    public var y2: Float

    public init(x1: Float, y1: Float, x2: Float, y2: Float) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }

    /// `(x2 − x1)(y2 − y1)` in float32, the size facenet-pytorch's `select_largest` orders by.
    public var area: Float { (x2 - x1) * (y2 - y1) }
}

/// One face a detector found.
public struct DetectedFace: Sendable, Equatable {
    public var box: FaceBox
    /// O-Net's face probability, or BlazeFace's score.
    public var probability: Float
    /// MTCNN's five points: the eye on the image's left, the other eye, the nose tip, the mouth corner on the
    /// image's left, the other corner; or BlazeFace's six: the person's right eye (on the image's left for a face
    /// looking at the camera), left eye, nose tip, mouth centre, right ear tragion, left ear tragion. The first
    /// three mean the same in both, and they are all that alignment and overlays read. The face cascade finds
    /// none: its faces have an empty list (crops are then not turned, overlays skip them).
    public var landmarks: [FacePoint]

    public init(box: FaceBox, probability: Float, landmarks: [FacePoint]) {
        precondition([0, 5, 6].contains(landmarks.count), "MTCNN gives five landmarks, BlazeFace six and the cascade none, not \(landmarks.count)")
        self.box = box
        self.probability = probability
        self.landmarks = landmarks
    }

    /// The same face in the image scaled by `factor` (boxes and landmarks scale about the origin).
    public func scaled(by factor: Float) -> DetectedFace {
        DetectedFace(box: FaceBox(x1: box.x1 * factor, y1: box.y1 * factor, x2: box.x2 * factor, y2: box.y2 * factor),
                     probability: probability, landmarks: landmarks.map { FacePoint(x: $0.x * factor, y: $0.y * factor) })
    }
}

/// facenet-pytorch's `selection_method`: which one face `MTCNN(keep_all=False)` keeps of those it found.
public enum FaceSelection: Sendable, Equatable {
    /// The most probable face.
    case probability
    /// The largest box.
    case largest
    /// The largest box among those more probable than the threshold (facenet-pytorch's default 0.9); none
    /// when no face is.
    case largestOverThreshold(Float)
    /// The largest `area − weight · |centre − image centre|²` (facenet-pytorch's default weight 2).
    case centerWeightedSize(Double)

    /// The face this method keeps of `faces` found in a `width`×`height` image (nil when there is none).
    /// Ties go to the later face, as numpy's `argsort(...)[::-1]` sends them in `select_boxes`.
    public func select(_ faces: [DetectedFace], width: Int, height: Int) -> DetectedFace? {
        let candidates: [DetectedFace]
        let key: (DetectedFace) -> Double
        switch self {
        case .probability:
            (candidates, key) = (faces, { Double($0.probability) })
        case .largest:
            (candidates, key) = (faces, { Double($0.box.area) })
        case let .largestOverThreshold(threshold):
            (candidates, key) = (faces.filter { $0.probability > threshold }, { Double($0.box.area) })
        case let .centerWeightedSize(weight):
            let (cx, cy) = (Double(width) / 2, Double(height) / 2)
            (candidates, key) = (faces, { face in
                let dx = Double((face.box.x1 + face.box.x2) / 2) - cx, dy = Double((face.box.y1 + face.box.y2) / 2) - cy
                return Double(face.box.area) - (dx * dx + dy * dy) * weight
            })
        }
        return candidates.indices.max { key(candidates[$0]) <= key(candidates[$1]) }.map { candidates[$0] }
    }
}
