import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto cutout IMAGE…|DIR|- (-o OUT|-o -|--output-dir D)`: people cut out of photos.
struct CutoutCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutout",
        abstract: "Cut the people out of photos (MediaPipe's selfie segmentation): transparent PNG, mask, or a new background.",
        discussion: """
            The result is an RGBA PNG whose alpha is the model's mask, unless --mask-only (the mask as a gray \
            image) or --background (the person over a colour, a picture scaled to cover, or the photo blurred). \
            --refine guided snaps the mask to the photo's edges with a guided filter; --refine matting solves \
            closed-form matting in the band between the certain foreground and background (as rembg's alpha \
            matting); both also estimate the person's own colours where alpha is partial, so hair keeps no \
            fringe of the old background. Folders stand for the JPEG and PNG files directly inside them; - reads \
            one image from standard input, -o - writes PNG bytes to standard output. A video (.mp4, .mov, .mkv, \
            .webm, .avi) is cut out frame by frame with its audio kept: transparent as .webm (VP9 with alpha) or \
            .mov (ProRes 4444), or composited over --background or as its mask (--mask-only) in H.264; the mask \
            is steadied over time where the model is unsure (--smoothing).

            Examples:
              impasto cutout photo.jpg -o person.png
              impasto cutout photo.jpg --refine matting --background '#00ff00' -o green.jpg
              impasto cutout photos/ --background blur:12 --crop --output-dir out
              cat photo.jpg | impasto cutout - --mask-only -o - > mask.png
              impasto cutout clip.mp4 --background blur:12 --refine guided -o blurred.mp4
              impasto cutout clip.mp4 -o person.webm
            """)

    @Argument(help: "Images (JPEG or PNG), folders of them, or - for standard input.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The output file (.png; .jpg too with --mask-only or --background), or - for standard output.")
    var output: String?

    @Option(help: "A folder for the results (created if missing).")
    var outputDir: String?

    @Flag(help: "Write the mask alone, as a gray image.")
    var maskOnly = false

    @Option(help: "Composite over a colour (#00ff00, #0f0, white), an image (scaled to cover) or blur[:R] (the photo blurred, σ = R pixels, default 16).")
    var background: String?

    @Option(help: "general (256×256) or landscape (144×256, faster, for wide frames), or a FILE.safetensors written by impasto train-segmenter.",
            transform: { text in
                if text.lowercased().hasSuffix(".safetensors") { return .trained(text) }
                guard let model = CutoutJob.Model(rawValue: text) else {
                    throw ValidationError("--model must be general, landscape or a .safetensors file from train-segmenter, not '\(text)'.")
                }
                return .selfie(model)
            })
    var model: ModelChoice = .selfie(.general)

    enum ModelChoice: CustomStringConvertible {
        case selfie(CutoutJob.Model)
        case trained(String)

        var description: String {
            switch self {
            case .selfie(let model): model.rawValue
            case .trained(let path): path
            }
        }
    }

    @Option(help: "A selfie segmentation .tflite file to use instead of the installed one.")
    var weights: String?

    @Option(help: "Harden the mask: opaque where it is at least this (0 to 1), transparent elsewhere (default: the model's soft mask).")
    var threshold: Float?

    @Option(help: "none, guided (guided filter) or matting (closed-form matting).")
    var refine: Refine = .none

    // Chosen on the astronaut's hair against a light wall: radius 8 with ε = 1e-3 punched holes into light
    // strands; 6 and 3e-3 follow the outline with a solid inside.
    @Option(help: "Guided filter: window radius in pixels.")
    var guidedRadius = 6

    @Option(help: "Guided filter: regularisation ε (larger: smoother, fewer edges followed).")
    var guidedEpsilon = 3e-3

    @Option(help: "Matting: mask values above this are certain foreground (rembg's -af 240 is 0.94).")
    var mattingForeground: Float = 240 / 255

    @Option(help: "Matting: mask values below this are certain background (rembg's -ab 10 is 0.04).")
    var mattingBackground: Float = 10 / 255

    @Option(help: "Matting: side of the square both certain regions are eroded by, in pixels (rembg's -ae).")
    var mattingErode = 10

    @Option(help: "Matting: photos with a longer side are matted at this size and the alpha scaled back.")
    var mattingMaxSide = 1024

    @Option(help: "Video: how far pixels the model is unsure of keep the previous frame's mask, 0 to 1.")
    var smoothing: Float = 0.9

    @Flag(help: "Crop each result to the person (alpha > 0.5) with a 3 % margin.")
    var crop = false

    @Option(help: "JPEG quality of .jpg outputs, 1 to 100.")
    var quality = 95

    @OptionGroup var progress: ProgressOptions

    enum Refine: String, ExpressibleByArgument, CaseIterable {
        case none, guided, matting
    }

    func validate() throws {
        try requireOneDestination(output: output, outputDir: outputDir)
        if inputs.contains("-") && inputs.count > 1 {
            throw ValidationError("- (standard input) stands for the only input image; give no other inputs with it.")
        }
        if maskOnly && background != nil {
            throw ValidationError("--mask-only writes the mask alone; it takes no --background.")
        }
        if videoInput != nil && (output == nil || output == "-") {
            throw ValidationError("A video cutout is written to a file: give -o OUT.mp4.")
        }
        if output == "-" && progress.json {
            throw ValidationError("-o - writes the image to standard output, where --json would write its events; use --quiet or a file.")
        }
    }

    func run() throws {
        if let clip = videoInput {
            var video = CutoutVideoJob(input: clip, output: URL(fileURLWithPath: output!), frames: try job())
            video.smoothing = smoothing
            try JobContext.runStoppable(progress) { context in
                try video.run(context)
                return context.control.isCancelled
            }
        } else {
            try JobContext.runStoppable(progress) { try job().run($0).stopped }
        }
    }

    /// The one input when it is a video (by its extension).
    private var videoInput: URL? {
        guard inputs.count == 1, CutoutVideoJob.inputExtensions.contains(URL(fileURLWithPath: inputs[0]).pathExtension.lowercased()) else {
            return nil
        }
        return URL(fileURLWithPath: inputs[0])
    }

    /// The job these arguments describe.
    func job() throws -> CutoutJob {
        let destination: CutoutJob.Destination = switch output {
        case "-": .standardOutput
        case let file?: .file(URL(fileURLWithPath: file))
        case nil: .folder(URL(fileURLWithPath: outputDir!, isDirectory: true))
        }
        let fromStandardInput = inputs == ["-"]
        var job = CutoutJob(inputs: fromStandardInput ? [] : inputs.map { URL(fileURLWithPath: $0) }, destination: destination)
        job.readsStandardInput = fromStandardInput
        job.output = try maskOnly ? .mask : background.map { .composite(try CutoutBackground(parsing: $0)) } ?? .cutout
        switch model {
        case .selfie(let model): job.model = model
        case .trained(let path): job.trainedSegmenter = URL(fileURLWithPath: path)
        }
        job.weights = weights
        job.threshold = threshold
        job.refinement = refinement
        job.crop = crop
        job.quality = quality
        return job
    }

    private var refinement: CutoutRefinement {
        switch refine {
        case .none: return .none
        case .guided: return .guided(radius: guidedRadius, epsilon: guidedEpsilon)
        case .matting:
            var matting = CutoutRefinement.Matting()
            matting.foregroundThreshold = mattingForeground
            matting.backgroundThreshold = mattingBackground
            matting.erosion = mattingErode
            matting.maximumSide = mattingMaxSide
            return .matting(matting)
        }
    }
}
