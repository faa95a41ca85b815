import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoTensor

/// facenet-pytorch's MTCNN options, with its defaults (`MTCNN.__init__` in facenet-pytorch 2.6.0).
public struct MTCNNOptions: Sendable, Equatable {
    /// The smallest face looked for, in pixels: the pyramid starts at 12 / minFaceSize.
    public var minFaceSize = 20
    /// P-Net's, R-Net's and O-Net's probability thresholds.
    public var thresholds: (Float, Float, Float) = (0.6, 0.7, 0.7)
    /// The pyramid's step from one scale to the next.
    public var factor = 0.709
    /// Faces largest box first (facenet-pytorch's `select_largest`, the default), else most probable first.
    public var selectLargest = true

    public init() {}

    public static func == (a: MTCNNOptions, b: MTCNNOptions) -> Bool {
        a.minFaceSize == b.minFaceSize && a.thresholds == b.thresholds && a.factor == b.factor
            && a.selectLargest == b.selectLargest
    }
}

/// MTCNN face detection, facenet-pytorch's `detect_face` (models/utils/detect_face.py, 2.6.0) step for step
/// on Impasto's P-Net, R-Net and O-Net, with its arithmetic kept where it decides which boxes survive: float32
/// box maths, the thresholds compared in float32, the two kinds of NMS as each library computes them, and
/// `F.interpolate(mode="area")` resampling reproduced exactly.
///
/// Images of any sizes go in one call: images of one size share P-Net's passes, and all candidates of all
/// images go through R-Net and O-Net together (in batches of 512, as facenet-pytorch's `fixed_batch_process`).
/// The networks are only read after loading (no gradients, no parameter writes), which is what makes the
/// `@unchecked Sendable` sound: one detector serves concurrent jobs.
public final class MTCNNDetector: @unchecked Sendable {
    let pnet: PNet
    let rnet: RNet
    let onet: ONet

    /// Crops per R-Net or O-Net pass.
    static let batchSize = 512

    /// The three networks from facenet-pytorch's `pnet.pt`, `rnet.pt` and `onet.pt`. A file holding another
    /// network is refused in one sentence naming it.
    public init(pnet: URL, rnet: URL, onet: URL) throws {
        (self.pnet, self.rnet, self.onet) = (PNet(), RNet(), ONet())
        let networks: [(Module, URL, String)] = [(self.pnet, pnet, "P-Net"), (self.rnet, rnet, "R-Net"), (self.onet, onet, "O-Net")]
        for (network, url, name) in networks {
            do {
                try network.load(WeightFile.load(contentsOf: url), source: url.path)
            } catch let ImpastoError.shapeMismatch(key, expected, actual) {
                throw ImpastoError.invalidFormat(path: url.path, reason: "it does not hold MTCNN's \(name) (\(key) is "
                                                 + "\(actual), not \(expected))")
            }
        }
    }

    /// The faces in each image, in facenet-pytorch's `MTCNN.detect` order (largest first by default); an
    /// empty list where there is none (facenet-pytorch's `None`).
    public func detect(_ images: [Image], options: MTCNNOptions = MTCNNOptions()) -> [[DetectedFace]] {
        let planes = images.map { image in
            PixelPlanes(width: image.width, height: image.height, rgbUnitSamples: image.rgb().pixels)
        }
        return withoutGradients {
            // Same-sized images share P-Net's passes, up to ImageBatch's pixel budget per pass.
            var candidates = proposals(planes, groups: ImageBatch.groups(of: images, limit: .max), options: options)
            candidates = refined(candidates, planes, threshold: options.thresholds.1)
            let faces = finished(candidates, planes, threshold: options.thresholds.2)
            return faces.map { faces in
                options.selectLargest ? ordered(faces) { $0.box.area } : faces
            }
        }
    }

    // MARK: - Stage 1: P-Net over the pyramid

    /// detect_face's pyramid: 12 / minFaceSize, then times `factor` while the shorter side stays ≥ 12 (doubles,
    /// as Python computes them).
    static func scales(width: Int, height: Int, options: MTCNNOptions) -> [Double] {
        let first = 12.0 / Double(options.minFaceSize)
        var (scale, shorter) = (first, Double(min(width, height)) * first)
        var scales: [Double] = []
        while shorter >= 12 {
            scales.append(scale)
            scale *= options.factor
            shorter *= options.factor
        }
        return scales
    }

    /// P-Net's boxes after its NMS (0.5 within a scale, 0.7 across scales), regressed and squared.
    private func proposals(_ planes: [PixelPlanes], groups: [[Int]], options: MTCNNOptions) -> [Candidate] {
        var perImage = [[Candidate]](repeating: [], count: planes.count)
        for group in groups {
            let (width, height) = (planes[group[0]].width, planes[group[0]].height)
            for scale in Self.scales(width: width, height: height, options: options) {
                let found = pnetCandidates(group.map { planes[$0] }, scale: scale, threshold: options.thresholds.0)
                for (member, boxes) in zip(group, found) {
                    perImage[member] += NonMaximumSuppression.iou(boxes, threshold: 0.5).map { i in
                        var box = boxes[i]
                        box.image = member
                        return box
                    }
                }
            }
        }
        return perImage.flatMap { boxes in
            NonMaximumSuppression.iou(boxes, threshold: 0.7).map { squared(regressed(boxes[$0], extent: 0)) }
        }
    }

    /// One pyramid level of same-sized images through P-Net: detect_face's `imresample` to
    /// `(int(h·scale + 1), int(w·scale + 1))`, then `generateBoundingBox`. Candidates carry their image's
    /// position within `planes`, fixed up by the caller.
    private func pnetCandidates(_ planes: [PixelPlanes], scale: Double, threshold: Float) -> [[Candidate]] {
        let (width, height) = (planes[0].width, planes[0].height)
        let (scaledHeight, scaledWidth) = (Int(Double(height) * scale + 1), Int(Double(width) * scale + 1))
        var input: [Float] = []
        input.reserveCapacity(planes.count * 3 * scaledHeight * scaledWidth)
        for plane in planes {
            plane.appendNormalizedArea(rows: 0..<height, columns: 0..<width, outputHeight: scaledHeight,
                                       outputWidth: scaledWidth, to: &input)
        }
        let (offsets, probabilities) = pnet(Tensor(shape: [planes.count, 3, scaledHeight, scaledWidth], scalars: input))
        return Self.boundingBoxes(offsets: offsets.scalars, probabilities: probabilities.scalars,
                                  shape: probabilities.shape, scale: Float(scale), threshold: threshold)
    }

    /// facenet-pytorch's `generateBoundingBox`: every output position (row-major, as `mask.nonzero()` lists them)
    /// whose face probability is ≥ the threshold is a 12×12 window at stride 2 of the scaled image, mapped back
    /// as `floor((2·(x, y) + 1) / scale)` to `floor((2·(x, y) + 12) / scale)` in float32 (torch divides a
    /// float32 tensor by the Python scale in float32).
    static func boundingBoxes(offsets: [Float], probabilities: [Float], shape: [Int], scale: Float,
                              threshold: Float) -> [[Candidate]] {
        let (count, rows, columns) = (shape[0], shape[2], shape[3])
        let plane = rows * columns
        return (0..<count).map { n in
            var boxes: [Candidate] = []
            for y in 0..<rows {
                for x in 0..<columns {
                    let i = y * columns + x
                    let score = probabilities[(n * 2 + 1) * plane + i]
                    guard score >= threshold else { continue }
                    let (fx, fy) = (Float(x), Float(y))
                    let offset = { (k: Int) in offsets[(n * 4 + k) * plane + i] }
                    boxes.append(Candidate(image: n,
                                           x1: ((2 * fx + 1) / scale).rounded(.down), y1: ((2 * fy + 1) / scale).rounded(.down),
                                           x2: ((2 * fx + 12) / scale).rounded(.down), y2: ((2 * fy + 12) / scale).rounded(.down),
                                           score: score, offsets: (offset(0), offset(1), offset(2), offset(3))))
                }
            }
            return boxes
        }
    }

    // MARK: - Stages 2 and 3: R-Net and O-Net on crops

    /// R-Net on 24×24 crops: boxes above the threshold keep their (squared) corners with R-Net's score, then NMS
    /// 0.7 per image, `bbreg` with R-Net's offsets and `rerec`.
    private func refined(_ candidates: [Candidate], _ planes: [PixelPlanes], threshold: Float) -> [Candidate] {
        let (boxes, crops) = Self.crops(candidates, planes, size: 24)
        var scored: [Candidate] = []
        for batch in Self.batches(boxes.count) {
            let (offsets, probabilities) = rnet(crops(batch))
            let (offset, probability) = (offsets.scalars, probabilities.scalars)
            for (row, i) in batch.enumerated() where probability[2 * row + 1] > threshold {
                var box = boxes[i]
                box.score = probability[2 * row + 1]
                box.offsets = (offset[4 * row], offset[4 * row + 1], offset[4 * row + 2], offset[4 * row + 3])
                scored.append(box)
            }
        }
        return Self.perImage(scored, count: planes.count).flatMap { boxes in
            NonMaximumSuppression.iou(boxes, threshold: 0.7).map { squared(regressed(boxes[$0], extent: 1)) }
        }
    }

    /// O-Net on 48×48 crops: boxes above the threshold get O-Net's score and landmarks, then `bbreg` and
    /// facenet-pytorch's last NMS, 0.7 of the smaller box, per image.
    private func finished(_ candidates: [Candidate], _ planes: [PixelPlanes], threshold: Float) -> [[DetectedFace]] {
        let (boxes, crops) = Self.crops(candidates, planes, size: 48)
        var scored: [(box: Candidate, landmarks: [FacePoint])] = []
        for batch in Self.batches(boxes.count) {
            let (offsets, points, probabilities) = onet(crops(batch))
            let (offset, point, probability) = (offsets.scalars, points.scalars, probabilities.scalars)
            for (row, i) in batch.enumerated() where probability[2 * row + 1] > threshold {
                var box = boxes[i]
                box.score = probability[2 * row + 1]
                box.offsets = (offset[4 * row], offset[4 * row + 1], offset[4 * row + 2], offset[4 * row + 3])
                scored.append((regressed(box, extent: 1), Self.landmarks(Array(point[10 * row..<10 * row + 10]), in: box)))
            }
        }
        var faces = [[DetectedFace]](repeating: [], count: planes.count)
        for image in 0..<planes.count {
            let found = scored.filter { $0.box.image == image }
            for i in NonMaximumSuppression.minimum(found.map(\.box), threshold: 0.7) {
                let box = found[i].box
                faces[image].append(DetectedFace(box: FaceBox(x1: box.x1, y1: box.y1, x2: box.x2, y2: box.y2),
                                                 probability: box.score, landmarks: found[i].landmarks))
            }
        }
        return faces
    }

    /// O-Net's five points, fractions of the box before its regression, in pixels: `w·p + x1 − 1` with
    /// `w = x2 − x1 + 1`, float32 in detect_face's order of operations.
    static func landmarks(_ fractions: [Float], in box: Candidate) -> [FacePoint] {
        let (width, height) = (box.x2 - box.x1 + 1, box.y2 - box.y1 + 1)
        return (0..<5).map { k in
            FacePoint(x: width * fractions[k] + box.x1 - 1, y: height * fractions[5 + k] + box.y1 - 1)
        }
    }

    /// The boxes that yield a crop, and a function building the normalised `[n, 3, size, size]` crops of any
    /// of them. detect_face's `pad` truncates the corners to integers and clamps them to the image (no zero
    /// padding: a box over the edge is cropped short and stretched); a box entirely outside the image has no
    /// crop. facenet-pytorch skips such a crop without dropping its box, which misaligns the boxes with the
    /// scores (or fails); this drops the box.
    static func crops(_ candidates: [Candidate], _ planes: [PixelPlanes], size: Int)
        -> (boxes: [Candidate], crops: ([Int]) -> Tensor) {
        var boxes: [Candidate] = [], regions: [(rows: Range<Int>, columns: Range<Int>)] = []
        for box in candidates {
            let plane = planes[box.image]
            let (x, y) = (max(Int(box.x1), 1), max(Int(box.y1), 1))
            let (ex, ey) = (min(Int(box.x2), plane.width), min(Int(box.y2), plane.height))
            guard ey > y - 1, ex > x - 1 else { continue }
            boxes.append(box)
            regions.append(((y - 1)..<ey, (x - 1)..<ex))
        }
        return (boxes, { batch in
            var input: [Float] = []
            input.reserveCapacity(batch.count * 3 * size * size)
            for i in batch {
                planes[boxes[i].image].appendNormalizedArea(rows: regions[i].rows, columns: regions[i].columns,
                                                             outputHeight: size, outputWidth: size, to: &input)
            }
            return Tensor(shape: [batch.count, 3, size, size], scalars: input)
        })
    }

    /// `0..<count` in runs of `batchSize`.
    static func batches(_ count: Int) -> [[Int]] {
        stride(from: 0, to: count, by: batchSize).map { Array($0..<min($0 + batchSize, count)) }
    }

    /// `boxes` split by image, each image's in their order.
    static func perImage(_ boxes: [Candidate], count: Int) -> [[Candidate]] {
        var split = [[Candidate]](repeating: [], count: count)
        for box in boxes { split[box.image].append(box) }
        return split
    }
}

// MARK: - Box arithmetic

/// Corners moved by the offsets times the box's size `x2 − x1 + extent`: facenet-pytorch's `bbreg` counts
/// pixels inclusively (extent 1), the P-Net stage's inline regression in detect_face does not (extent 0).
func regressed(_ box: Candidate, extent: Float) -> Candidate {
    var result = box
    let (width, height) = (box.x2 - box.x1 + extent, box.y2 - box.y1 + extent)
    result.x1 = box.x1 + box.offsets.0 * width
    result.y1 = box.y1 + box.offsets.1 * height
    result.x2 = box.x2 + box.offsets.2 * width
    result.y2 = box.y2 + box.offsets.3 * height
    return result
}

/// facenet-pytorch's `rerec`: the square of side `max(w, h)` (w = x2 − x1, no +1) on the box's centre,
/// computed as it does: `x1 + w·0.5 − l·0.5`, then `x2 = x1 + l`.
func squared(_ box: Candidate) -> Candidate {
    var result = box
    let (width, height) = (box.x2 - box.x1, box.y2 - box.y1)
    let side = max(width, height)
    result.x1 = box.x1 + width * 0.5 - side * 0.5
    result.y1 = box.y1 + height * 0.5 - side * 0.5
    result.x2 = result.x1 + side
    result.y2 = result.y1 + side
    return result
}

/// `faces` by descending `key`, ties later face first, as numpy's `argsort(key)[::-1]`.
func ordered(_ faces: [DetectedFace], by key: (DetectedFace) -> Float) -> [DetectedFace] {
    faces.indices.sorted { key(faces[$0]) > key(faces[$1]) || (key(faces[$0]) == key(faces[$1]) && $0 > $1) }
        .map { faces[$0] }
}
