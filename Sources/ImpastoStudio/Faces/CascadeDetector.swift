import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoTensor

/// The cascade's settings.
public struct CascadeOptions: Sendable, Equatable {
    /// The smallest face looked for, in pixels: the pyramid starts at 12 / minFaceSize.
    public var minFaceSize = 24
    /// The pyramid's step from one scale to the next.
    public var factor = 0.709
    /// The 12-, 24- and 48-net's face probability thresholds.
    /// 0.7 for the 12-net: the best precision and recall of 0.5, 0.6 and 0.7 on the held-out pictures (README).
    public var thresholds: [Float] = [0.7, 0.5, 0.5]
    /// Windows per batch between two stages (the seed's buffer).
    public var batchSize = 128

    public init() {}
}

/// The seed's face cascade (Li et al. 2015) on a trained `FaceCascade`: the 12-net over an image pyramid (one
/// fully convolutional pass per level, a 12×12 window every 2 pixels), 12-calibration, NMS; 24-net,
/// 24-calibration, NMS; 48-net, 48-calibration, NMS, and a last global NMS that also drops boxes lying mostly
/// inside a more probable one. Windows flow from one stage to the next through `StageBuffer`s that hand on a batch
/// of `batchSize` windows as soon as one is full (the seed's generator-and-buffer pipeline). Faces come most
/// probable first, without landmarks (the cascade has none). The nets are only read, which is what makes the
/// `@unchecked Sendable` sound.
public final class CascadeDetector: @unchecked Sendable {
    public let cascade: FaceCascade
    public var options: CascadeOptions

    /// IoU above which a window is dropped by a more probable one after the 12-, 24- and 48-calibration.
    static let suppression: [Double] = [0.5, 0.5, 0.5]
    /// The global NMS: overlap over the smaller box above which the less probable is dropped.
    static let globalSuppression: Float = 0.7

    public init(cascade: FaceCascade, options: CascadeOptions = CascadeOptions()) {
        cascade.train(false)
        self.cascade = cascade
        self.options = options
    }

    /// The cascade `impasto train-faces` wrote to `url` (with or without batch norm, as its keys say).
    public convenience init(weights url: URL, options: CascadeOptions = CascadeOptions()) throws {
        let tensors = try WeightFile.load(contentsOf: url)
        let cascade = FaceCascade(batchNorm: tensors["net48.norm1.weight"] != nil)
        do {
            try cascade.load(tensors, source: url.path)
        } catch ImpastoError.missingKey(let key, _) {
            throw ImpastoError.invalidFormat(path: url.path, reason: "it does not hold the face cascade of impasto train-faces (no \(key))")
        } catch let ImpastoError.shapeMismatch(key, expected, actual) {
            throw ImpastoError.invalidFormat(path: url.path, reason: "it does not hold the face cascade of impasto train-faces (\(key) is \(actual), not \(expected))")
        }
        self.init(cascade: cascade, options: options)
    }

    /// The faces in `image`, most probable first; empty when there is none.
    public func detect(_ image: Image) -> [DetectedFace] {
        let picture = GrayPicture(image)
        return withoutGradients {
            let stage1 = Self.suppressed(calibratedProposals(picture), threshold: Self.suppression[0])
            let stage2 = Self.suppressed(refined(stage1, picture, classifier: .net24, threshold: options.thresholds[1]),
                                         threshold: Self.suppression[1])
            let stage3 = Self.suppressed(refined(stage2, picture, classifier: .net48, threshold: options.thresholds[2]),
                                         threshold: Self.suppression[2])
            let candidates = stage3.map(\.candidate)
            return NonMaximumSuppression.minimum(candidates, threshold: Self.globalSuppression).map { i in
                let window = stage3[i]
                return DetectedFace(box: FaceBox(x1: window.x, y1: window.y, x2: window.x + window.side, y2: window.y + window.side),
                                    probability: window.score, landmarks: [])
            }
        }
    }

    // MARK: - Stage 1

    /// The 12-net's windows over the pyramid, each level's as it is computed pushed through the buffer into
    /// the 12-calibration, which reads each window's 12×12 pixels straight from its level.
    func calibratedProposals(_ picture: GrayPicture) -> [CascadeWindow] {
        var calibrated: [CascadeWindow] = []
        let buffer = StageBuffer<(window: CascadeWindow, crop: ArraySlice<Float>)>(size: options.batchSize) { batch in
            let input = Tensor(shape: [batch.count, 1, 12, 12], scalars: batch.flatMap(\.crop))
            calibrated += self.calibrate(batch.map(\.window), input: input, with: .cal12)
        }
        for scale in scales(picture) {
            for found in level(picture, scale: scale, threshold: options.thresholds[0]) { buffer.push(found) }
        }
        buffer.finish()
        return calibrated
    }

    /// Every 12×12 window of every pyramid level whose face probability is at least `threshold`, in the
    /// picture's pixels.
    func proposals(_ picture: GrayPicture, threshold: Float) -> [CascadeWindow] {
        scales(picture).flatMap { level(picture, scale: $0, threshold: threshold).map(\.window) }
    }

    /// MTCNN's pyramid: 12 / minFaceSize, then × factor while the shorter side stays ≥ 12.
    func scales(_ picture: GrayPicture) -> [Double] {
        var mtcnn = MTCNNOptions()
        (mtcnn.minFaceSize, mtcnn.factor) = (options.minFaceSize, options.factor)
        return MTCNNDetector.scales(width: picture.width, height: picture.height, options: mtcnn)
    }

    /// One pyramid level through the 12-net: the picture shrunk with Pillow's antialiasing bilinear filter; each
    /// window at or above `threshold` in the picture's pixels, with its 12×12 normalised pixels of the level.
    private func level(_ picture: GrayPicture, scale: Double, threshold: Float) -> [(window: CascadeWindow, crop: ArraySlice<Float>)] {
        let width = max(12, Int((Double(picture.width) * scale).rounded()))
        let height = max(12, Int((Double(picture.height) * scale).rounded()))
        let pixels = picture.image.resized(width: width, height: height, filter: .bilinear).pixels.map(FaceCascade.normalized)
        let probabilities = softmax(cascade.net12.scoreMap(Tensor(shape: [1, 1, height, width], scalars: pixels)), axis: 1)
        let (rows, columns) = (probabilities.shape[2], probabilities.shape[3])
        let values = probabilities.scalars
        let (sx, sy) = (Float(picture.width) / Float(width), Float(picture.height) / Float(height))
        var found: [(CascadeWindow, ArraySlice<Float>)] = []
        for row in 0..<rows {
            for column in 0..<columns {
                let p = values[rows * columns + row * columns + column]
                // The net reads 11 of the window's 12 pixels (its 3×3/2 pool drops the last conv column), so the
                // map has a position whose 12-pixel window passes the level's edge by one: it is skipped.
                guard p >= threshold, 2 * column + 12 <= width, 2 * row + 12 <= height else { continue }
                var crop: [Float] = []
                crop.reserveCapacity(144)
                for y in (2 * row)..<(2 * row + 12) { crop += pixels[(y * width + 2 * column)..<(y * width + 2 * column + 12)] }
                found.append((CascadeWindow(x: Float(2 * column) * sx, y: Float(2 * row) * sy, side: 12 * (sx + sy) / 2, score: p), crop[...]))
            }
        }
        return found
    }

    // MARK: - Stages 2 and 3

    /// `classifier` on each window, those at or above `threshold` (with its probability as their score) on
    /// through the buffer into the calibration net that follows it.
    func refined(_ windows: [CascadeWindow], _ picture: GrayPicture, classifier: FaceCascade.Stage,
                 threshold: Float) -> [CascadeWindow] {
        var calibrated: [CascadeWindow] = []
        let calibration = FaceCascade.Stage(rawValue: classifier.rawValue + 1)!
        let calibrationBuffer = StageBuffer<CascadeWindow>(size: options.batchSize) { batch in
            calibrated += self.calibrate(batch, input: picture.batch(batch, size: self.cascade[calibration].shape.inputSize), with: calibration)
        }
        let classifierBuffer = StageBuffer<CascadeWindow>(size: options.batchSize) { batch in
            let input = picture.batch(batch, size: self.cascade[classifier].shape.inputSize)
            for window in self.classify(batch, input: input, with: classifier) where window.score >= threshold {
                calibrationBuffer.push(window)
            }
        }
        for window in windows { classifierBuffer.push(window) }
        classifierBuffer.finish()
        calibrationBuffer.finish()
        return calibrated
    }

    /// The windows with `stage`'s face probability on their crops `input` as their score.
    func classify(_ windows: [CascadeWindow], input: Tensor, with stage: FaceCascade.Stage) -> [CascadeWindow] {
        let probabilities = softmax(cascade[stage](input), axis: 1).scalars
        return windows.enumerated().map { k, window in
            var scored = window
            scored.score = probabilities[2 * k + 1]
            return scored
        }
    }

    /// The windows moved by `stage`'s calibration on their crops `input` (the seed's probability-weighted average
    /// of the patterns above 1/45); a window no pattern beats chance on stays where it is.
    func calibrate(_ windows: [CascadeWindow], input: Tensor, with stage: FaceCascade.Stage) -> [CascadeWindow] {
        let probabilities = softmax(cascade[stage](input), axis: 1).scalars
        let count = CalibrationPattern.all.count
        return windows.enumerated().map { k, window in
            CalibrationPattern.average(probabilities: probabilities[(k * count)..<((k + 1) * count)]).map(window.adjusted) ?? window
        }
    }

    /// The windows `NonMaximumSuppression.iou` keeps, most probable first.
    static func suppressed(_ windows: [CascadeWindow], threshold: Double) -> [CascadeWindow] {
        NonMaximumSuppression.iou(windows.map(\.candidate), threshold: threshold).map { windows[$0] }
    }
}

/// The seed's buffer between two stages: items pushed one at a time are handed on in batches of `size` as soon as
/// a batch is full, and the rest at `finish()`.
final class StageBuffer<Item> {
    let size: Int
    private var pending: [Item] = []
    private let flush: ([Item]) -> Void
    /// The sizes of the batches handed on so far.
    private(set) var batchSizes: [Int] = []

    init(size: Int, flush: @escaping ([Item]) -> Void) {
        precondition(size >= 1, "a batch holds at least one window")
        self.size = size
        self.flush = flush
        pending.reserveCapacity(size)
    }

    func push(_ item: Item) {
        pending.append(item)
        if pending.count == size { handOn() }
    }

    func finish() {
        if !pending.isEmpty { handOn() }
    }

    private func handOn() {
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        batchSizes.append(batch.count)
        flush(batch)
    }
}
