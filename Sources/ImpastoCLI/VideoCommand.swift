import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor

/// `impasto video IN -o OUT (--model M | --style S …)`: stylize every frame of a video.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "video",
        abstract: "Stylize a video frame by frame with a trained TransformerNet (--model) or AdaIN (--style).",
        discussion: """
            ffmpeg decodes and encodes (H.264, 4:2:0, BT.709); the frame rate, the frame count and the audio \
            track (copied untouched) are kept. --stabilize carries the previous stylized frame along the \
            original's optical flow (Farnebäck, computed in Impasto) and blends it in where the flow is \
            reliable, which steadies flickering texture. The output appears only once it is complete: an \
            error or Ctrl-C leaves nothing behind.

            Examples:
              impasto video clip.mp4 --model starry -o starry.mp4 --stabilize
              impasto video clip.mp4 --style starry.jpg --alpha 0.8 \\
                --vgg vgg_normalised.pth --decoder decoder.pth -o out.mp4 --size 720
            """)

    @Argument(help: "The video to stylize (any container and codec ffmpeg reads).")
    var input: String

    @Option(name: .shortAndLong, help: "The stylized video (.mp4, .mov or .mkv).")
    var output: String

    @OptionGroup var source: StyleSourceOptions

    @Option(help: "Scale frames so that their longer side has this many pixels (default: keep the size).")
    var size: Int?

    @Option(help: "Frames stylized per forward pass (default: up to 4 while they add up to under a megapixel).")
    var batchSize: Int?

    @Option(help: "H.264 quality: x264's constant rate factor, 0 (lossless) to 51; 18 looks near-lossless.")
    var crf = 18

    @Flag(help: "Steady the texture from frame to frame along the original's optical flow.")
    var stabilize = false

    @Option(help: "With --stabilize: weight of the carried-forward frame where the flow is reliable, 0 to 1.")
    var stabilizeStrength: Float = 0.6

    @Option(help: "Convolution arithmetic: fp32, or bf16 (faster on CPUs with bf16 units).",
            transform: { text in
                guard let precision = Precision(rawValue: text) else {
                    throw ValidationError("--precision must be fp32 or bf16, not '\(text)'.")
                }
                return precision
            })
    var precision: Precision = .fp32

    @Option(help: ArgumentHelp("Keep faces close to the video, followed from frame to frame: how much of the frame a face's centre keeps, 0 to 1. Needs `impasto models fetch mtcnn` (or --face-detector).",
                               valueName: "strength"))
    var protectFaces: Float?

    @Option(help: "An RGBA PNG worn on every face before stylization, following the faces from frame to frame (see apply --overlay).")
    var overlay: String?

    @Option(help: "What finds the faces for --protect-faces and --overlay: mtcnn or blazeface (installed with `impasto models fetch NAME`).")
    var faceDetector = FacesJob.Detector.mtcnn
    @OptionGroup var upscale: UpscalePassOptions

    @OptionGroup var compute: DeviceOption

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if let size, size < 16 { throw ValidationError("--size must be at least 16 pixels, not \(size).") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize).") }
        guard (0...51).contains(crf) else { throw ValidationError("--crf must be between 0 and 51, not \(crf).") }
        guard (0...1).contains(stabilizeStrength) else {
            throw ValidationError("--stabilize-strength must lie between 0 and 1, not \(stabilizeStrength).")
        }
        if stabilizeStrength != 0.6 && !stabilize {
            throw ValidationError("--stabilize-strength applies only with --stabilize.")
        }
    }

    func run() throws {
        // Ctrl-C deletes the half-written output and exits 130.
        VideoWriter.removePartialFilesOnInterrupt()
        try run(ffmpeg: .default)
    }

    /// The job with ffmpeg at the given paths (tests point them nowhere, as `IMPASTO_FFMPEG` would).
    func run(ffmpeg: FFmpeg) throws {
        var options = VideoStyle.Options()
        options.size = size
        options.batchSize = batchSize
        options.crf = crf
        options.stabilization = stabilize ? stabilizeStrength : nil
        options.ffmpeg = ffmpeg
        options.upscale = upscale.options
        var job = VideoJob(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output),
                           source: try source.source(), options: options, precision: precision)
        job.protectFaces = protectFaces.map(FaceProtection.init(strength:))
        job.overlay = overlay.map { URL(fileURLWithPath: $0) }
        job.faceDetector = faceDetector
        job.device = compute.device
        try job.run(JobContext(progress: progress.mode))
    }
}
