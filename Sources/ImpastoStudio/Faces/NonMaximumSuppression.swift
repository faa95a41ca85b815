/// A box in MTCNN's cascade: corners, score and (after a network ran on it) the network's regression.
struct Candidate {
    /// Which image of the batch it lies in.
    var image: Int
    var x1: Float
    var y1: Float
    var x2: Float
    var y2: Float
    var score: Float
    /// The four corner offsets a network predicted, as fractions of the box's width and height.
    var offsets: (Float, Float, Float, Float) = (0, 0, 0, 0)
}

/// The two non-maximum suppressions of facenet-pytorch's `detect_face` and MediaPipe's weighted one (BlazeFace),
/// each computed as its source computes it, since a box kept or dropped at the threshold changes the result. All
/// run on the boxes of one image: `batched_nms`' offsets keep images apart the same way.
enum NonMaximumSuppression {
    /// `torchvision.ops.nms` (its CPU kernel, `nms_kernel.cpp`): boxes by descending score (torch's CPU sort
    /// is stable, so ties keep their order), each drops the later ones whose IoU with it exceeds `threshold`.
    /// Areas are `(x2 − x1)(y2 − y1)`, without the +1 of pixel-inclusive boxes, in float32; the ratio is
    /// compared with the double threshold. Returns the indices kept, by descending score.
    static func iou(_ boxes: [Candidate], threshold: Double) -> [Int] {
        let order = boxes.indices.sorted { boxes[$0].score > boxes[$1].score || (boxes[$0].score == boxes[$1].score && $0 < $1) }
        return suppress(boxes, order: order, extent: 0) { intersection, area, other in
            Double(intersection / (area + other - intersection)) > threshold
        }
    }

    /// facenet-pytorch's `nms_numpy(…, 'Min')`, its last step: overlap is the intersection over the smaller
    /// box, areas and widths counted pixel-inclusively (+1), float32 throughout; boxes whose overlap is at most
    /// `threshold` survive. numpy's `argsort` visits ties in index order and the loop takes the last, so the
    /// later of two equal scores goes first.
    static func minimum(_ boxes: [Candidate], threshold: Float) -> [Int] {
        let order = boxes.indices.sorted { boxes[$0].score > boxes[$1].score || (boxes[$0].score == boxes[$1].score && $0 > $1) }
        return suppress(boxes, order: order, extent: 1) { intersection, area, other in
            !(intersection / min(area, other) <= threshold)
        }
    }

    /// The grouping of MediaPipe's WEIGHTED non-maximum suppression (NonMaxSuppressionCalculator, IoU
    /// overlap): the best remaining box gathers every remaining box, itself included, whose IoU with it exceeds
    /// `threshold`; the rest go on to the next round. Returns the groups, best first, each led by its best box;
    /// the caller averages each group's boxes and keypoints by score. Scores sort descending (ties by index; the
    /// calculator's `std::sort` leaves them unspecified); a best box of zero area gathers nothing and ends it, as
    /// in the calculator.
    static func weightedGroups(_ boxes: [Candidate], threshold: Float) -> [[Int]] {
        var remaining = boxes.indices.sorted { boxes[$0].score > boxes[$1].score || (boxes[$0].score == boxes[$1].score && $0 < $1) }
        var groups: [[Int]] = []
        while let best = remaining.first {
            let box = boxes[best]
            var group: [Int] = [], rest: [Int] = []
            for index in remaining {
                let other = boxes[index]
                let width = min(box.x2, other.x2) - max(box.x1, other.x1), height = min(box.y2, other.y2) - max(box.y1, other.y1)
                let intersection = width < 0 || height < 0 ? 0 : width * height
                let union = (box.x2 - box.x1) * (box.y2 - box.y1) + (other.x2 - other.x1) * (other.y2 - other.y1) - intersection
                let similarity = union > 0 ? intersection / union : 0
                if similarity > threshold { group.append(index) } else { rest.append(index) }
            }
            guard !group.isEmpty else { break }
            groups.append(group)
            remaining = rest
        }
        return groups
    }

    /// Greedy suppression in `order`: each box still standing is kept and removes the later ones `overlaps`
    /// says it covers. Widths are `x2 − x1 + extent`.
    private static func suppress(_ boxes: [Candidate], order: [Int], extent: Float,
                                 overlaps: (_ intersection: Float, _ area: Float, _ other: Float) -> Bool) -> [Int] {
        let areas = boxes.map { ($0.x2 - $0.x1 + extent) * ($0.y2 - $0.y1 + extent) }
        var suppressed = [Bool](repeating: false, count: boxes.count)
        var kept: [Int] = []
        for (position, i) in order.enumerated() where !suppressed[i] {
            kept.append(i)
            let box = boxes[i]
            for j in order[(position + 1)...] where !suppressed[j] {
                let other = boxes[j]
                let width = max(0, min(box.x2, other.x2) - max(box.x1, other.x1) + extent)
                let height = max(0, min(box.y2, other.y2) - max(box.y1, other.y1) + extent)
                if overlaps(width * height, areas[i], areas[j]) { suppressed[j] = true }
            }
        }
        return kept
    }
}
