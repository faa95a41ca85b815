import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoStudio

/// The trained face cascade against MTCNN on held-out pictures: precision and recall of the cascade's boxes
/// against MTCNN's (a match is IoU ≥ 0.5, each MTCNN face matched at most once, most probable cascade box first),
/// and the time per picture of each, medians of `runs`.
struct CascadeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cascade",
        abstract: "The face cascade of impasto train-faces against MTCNN on held-out pictures: precision, recall, and ms per picture of both.")

    @Option(help: "The cascade (impasto train-faces -o).") var weights: String
    @Option(help: "The folder with facenet-pytorch's pnet.pt, rnet.pt and onet.pt.")
    var mtcnn = testWeightsPath("facenet-pytorch-2.6.0")
    @Option(help: "Held-out pictures (none of them given to train-faces).")
    var pictures: [String] = ["group.png", "small-faces.png", "camera.png", "astronaut-small.png", "starry-night.png",
                              "shipwreck.png", "the-scream.png"].map { "Tests/ImpastoStudioTests/Fixtures/mtcnn-detect/\($0)" }
    @Option(help: "The smallest face both look for, in pixels.") var minFaceSize = 20
    @Option(help: "The cascade's 12-, 24- and 48-net thresholds.") var thresholds = "0.5,0.5,0.5"
    @Option(help: "Timed runs per picture (the median is reported).") var runs = 3

    func run() throws {
        let folder = URL(fileURLWithPath: mtcnn)
        let reference = try MTCNNDetector(pnet: folder.appendingPathComponent("pnet.pt"), rnet: folder.appendingPathComponent("rnet.pt"),
                                          onet: folder.appendingPathComponent("onet.pt"))
        var mtcnnOptions = MTCNNOptions()
        mtcnnOptions.minFaceSize = minFaceSize
        var options = CascadeOptions()
        options.minFaceSize = minFaceSize
        options.thresholds = thresholds.split(separator: ",").compactMap { Float($0) }
        guard options.thresholds.count == 3 else { throw ValidationError("--thresholds takes three numbers.") }
        let cascade = try CascadeDetector(weights: URL(fileURLWithPath: weights), options: options)
        var (matched, found, expected) = (0, 0, 0)
        var (cascadeTime, mtcnnTime) = (0.0, 0.0)
        for path in pictures {
            let image = try Image(contentsOf: URL(fileURLWithPath: path))
            let truth = reference.detect([image], options: mtcnnOptions)[0]
            let faces = cascade.detect(image)
            let hits = Self.matches(faces, truth)
            let ours = medianSeconds(runs: runs) { _ = cascade.detect(image) }
            let theirs = medianSeconds(runs: runs) { _ = reference.detect([image], options: mtcnnOptions) }
            (matched, found, expected) = (matched + hits, found + faces.count, expected + truth.count)
            (cascadeTime, mtcnnTime) = (cascadeTime + ours, mtcnnTime + theirs)
            print(String(format: "%@ %dx%d: MTCNN %d faces, cascade %d boxes, %d matched; cascade %.1f ms, MTCNN %.1f ms",
                         URL(fileURLWithPath: path).lastPathComponent, image.width, image.height, truth.count, faces.count, hits,
                         ours * 1000, theirs * 1000))
        }
        print(String(format: "cascade vs MTCNN (IoU ≥ 0.5): precision %d/%d = %.2f, recall %d/%d = %.2f", matched, found,
                     found == 0 ? 0 : Double(matched) / Double(found), matched, expected, expected == 0 ? 0 : Double(matched) / Double(expected)))
        print(String(format: "time over the %d pictures: cascade %.1f ms, MTCNN %.1f ms (cascade/MTCNN %.2f)", pictures.count,
                     cascadeTime * 1000, mtcnnTime * 1000, cascadeTime / mtcnnTime))
    }

    /// How many of `truth` a box of `faces` (most probable first) overlaps with IoU ≥ 0.5, each used once.
    static func matches(_ faces: [DetectedFace], _ truth: [DetectedFace]) -> Int {
        var free = truth.map(\.box)
        var count = 0
        for face in faces.sorted(by: { $0.probability > $1.probability }) {
            guard let best = free.indices.max(by: { iou(face.box, free[$0]) < iou(face.box, free[$1]) }),
                  iou(face.box, free[best]) >= 0.5 else { continue }
            free.remove(at: best)
            count += 1
        }
        return count
    }

    static func iou(_ a: FaceBox, _ b: FaceBox) -> Float {
        let width = max(0, min(a.x2, b.x2) - max(a.x1, b.x1)), height = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
        let intersection = width * height
        return intersection / (a.area + b.area - intersection)
    }
}
