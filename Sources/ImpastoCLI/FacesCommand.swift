import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoStudio

/// `impasto faces IMAGE…|DIR [--json] [-o OUT] [--crop DIR]`: find faces, draw them, cut them out.
struct FacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faces",
        abstract: "Find faces: boxes, probabilities and landmarks (MTCNN, MediaPipe's BlazeFace, or a cascade from train-faces).",
        discussion: """
            Folders stand for the JPEG and PNG files directly inside them. Results go to standard output, one \
            line per image (with --json, one JSON object per image: "faces" lists "box" [x1, y1, x2, y2], \
            "probability" and "landmarks": MTCNN's five [x, y] points are the eyes, the nose and the mouth \
            corners; BlazeFace's six are the eyes, the nose tip, the mouth centre and the ears' tragions, eyes and \
            nose first in both). An image without faces is not an error. MTCNN (facenet-pytorch's weights) finds \
            faces from 20 px up; BlazeFace (MediaPipe's short-range model) is made for faces near the camera, a \
            tenth of the picture or more, and is faster. The weights install with `impasto models fetch mtcnn` \
            or `impasto models fetch blazeface`. The cascade (the seed's 12/24/48 nets, gray input, no landmarks) \
            reads the file `impasto train-faces` wrote, given with --weights, and takes --min-face-size, --factor and \
            --thresholds as its 12-, 24- and 48-net's.

            Examples:
              impasto faces photo.jpg
              impasto faces photos/ --json -o annotated/ --crop faces/ --size 160 --margin 32
              impasto faces group.jpg -o group-faces.png --min-face-size 40
              impasto faces selfie.jpg --detector blazeface --min-score 0.7
              impasto faces group.jpg --detector cascade --weights cascade.safetensors
            """)

    @Argument(help: "Images (JPEG or PNG) or folders of them.")
    var inputs: [String]

    @Option(help: "The detector: \(FacesJob.Detector.allCases.map(\.rawValue).joined(separator: ", ")).")
    var detector = FacesJob.Detector.mtcnn

    @Option(name: .shortAndLong, help: """
        Annotated copies with boxes and landmarks: a .png/.jpg file for one image, else a folder \
        (<image>-faces.<ext> inside).
        """)
    var output: String?

    @Option(help: "A folder for upright face crops, <image>-face<k>.png (eyes levelled, then cropped and scaled).")
    var crop: String?

    @Option(help: "The side of each crop in pixels.")
    var size = 160

    @Option(help: "The margin around each face, in pixels of the crop (facenet-pytorch's margin).")
    var margin = 32

    @Option(help: """
        MTCNN: a folder with facenet-pytorch's pnet.pt, rnet.pt and onet.pt; BlazeFace: its .tflite file \
        (default: the installed weights); cascade: the .safetensors file of impasto train-faces (required).
        """)
    var weights: String?

    @Option(help: "BlazeFace: the lowest score kept (MediaPipe's min_detection_confidence, 0.5).")
    var minScore: Float?

    @Option(help: "MTCNN and cascade: the smallest face looked for, in pixels.")
    var minFaceSize = 20

    @Option(help: "MTCNN: P-Net's, R-Net's and O-Net's probability thresholds, default 0.6,0.7,0.7 (cascade: the 12-, 24- and 48-net's, default 0.7,0.5,0.5).")
    var thresholds: CommaSeparated<Float>?

    @Option(help: "MTCNN and cascade: the image pyramid's scale step.")
    var factor = 0.709

    @Option(help: "Keep one face per image: probability, largest, largest-over-threshold (0.9) or center-weighted-size.")
    var select: Selection?

    @Option(help: "Faces per image listed largest first (largest) or most probable first (probability).")
    var order = Order.largest

    @Option(help: "Images per detection pass.")
    var batchSize = 8

    @OptionGroup var progress: ProgressOptions

    enum Order: String, ExpressibleByArgument, CaseIterable { case largest, probability }

    enum Selection: String, ExpressibleByArgument, CaseIterable {
        case probability, largest
        case largestOverThreshold = "largest-over-threshold"
        case centerWeightedSize = "center-weighted-size"

        /// facenet-pytorch's `select_boxes` method, with its default threshold and weight.
        var selection: FaceSelection {
            switch self {
            case .probability: .probability
            case .largest: .largest
            case .largestOverThreshold: .largestOverThreshold(0.9)
            case .centerWeightedSize: .centerWeightedSize(2)
            }
        }
    }

    func validate() throws {
        if let thresholds, thresholds.elements.count != 3 {
            throw ValidationError("--thresholds takes three probabilities, such as 0.6,0.7,0.7.")
        }
        try validateJob { try job().validate() }
    }

    func run() throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        let outcome = try job().run(context)
        if progress.mode == .human { print(report(outcome.images), terminator: "") }
        if outcome.stopped { throw ExitCode(130) }
    }

    /// The job these arguments describe.
    func job() throws -> FacesJob {
        var job = FacesJob(inputs: inputs.map { URL(fileURLWithPath: $0) })
        job.detector = detector
        job.weights = weights.map { URL(fileURLWithPath: $0, isDirectory: detector == .mtcnn) }
        if let minScore { job.minScore = minScore }
        job.options.minFaceSize = minFaceSize
        // Each detector's own defaults: the cascade's were tuned on its held-out pictures (README, Faces).
        let chosen = thresholds?.elements ?? (detector == .cascade ? CascadeOptions().thresholds : [0.6, 0.7, 0.7])
        job.options.thresholds = (chosen[0], chosen[1], chosen[2])
        job.options.factor = factor
        job.options.selectLargest = order == .largest
        job.selection = select?.selection
        job.batchSize = batchSize
        if let output {
            let url = URL(fileURLWithPath: output)
            let isImage = ImageFileFormat.fileExtensions.contains(url.pathExtension.lowercased())
            job.annotated = isImage ? .file(url) : .folder(URL(fileURLWithPath: output, isDirectory: true))
        }
        job.crops = crop.map { FacesJob.Crops(folder: URL(fileURLWithPath: $0, isDirectory: true), size: size, margin: margin) }
        return job
    }

    /// One line per image and one per face: `photo.jpg: 2 faces`, `  (x1, y1)–(x2, y2) p=0.9998`.
    func report(_ images: [FacesJob.ImageFaces]) -> String {
        images.map { image in
            "\(image.input.path): \(FacesJob.count(image.faces))\n"
                + image.faces.map { face in
                    let box = face.box
                    return String(format: "  (%.1f, %.1f)–(%.1f, %.1f) p=%.4f\n", box.x1, box.y1, box.x2, box.y2,
                                  face.probability)
                }.joined()
        }.joined()
    }
}

extension FacesJob.Detector: ExpressibleByArgument {}
