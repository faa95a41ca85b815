import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor

/// `impasto apply IMAGE… (--model M | --style S…) (-o OUT | --output-dir D)`: feed-forward stylization.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Stylize images in one pass: a trained TransformerNet (--model) or any style image with AdaIN (--style).",
        discussion: """
            Folders stand for the JPEG and PNG files directly inside them. With --output-dir each result is named \
            <image>-<style>.<ext>, in the input's format.

            Examples:
              impasto apply photo.jpg --model starry -o starry.jpg      (a bundled style: starry, scream)
              impasto apply photo.jpg --model candy.pth -o candy.jpg
              impasto apply photos/ --model udnie.pth --output-dir out --precision bf16
              impasto apply photo.jpg --style starry.jpg --alpha 0.8 \\
                --vgg vgg_normalised.pth --decoder decoder.pth -o out.png
              impasto apply photo.jpg --style a.jpg --style b.jpg --weights 1,3 \\
                --vgg vgg_normalised.pth --decoder decoder.pth -o out.png
            """)

    @Argument(help: "Images (JPEG or PNG) or folders of them.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The output file (.png, .jpg or .jpeg), for a single input image.")
    var output: String?

    @Option(help: "A folder for the results (created if missing).")
    var outputDir: String?

    @OptionGroup var source: StyleSourceOptions

    @Option(help: "Scale each image so that its longest side has this many pixels (default: keep its size).")
    var size: Int?

    @Option(help: "Convolution arithmetic: fp32, or bf16 (faster on CPUs with bf16 units).",
            transform: { text in
                guard let precision = Precision(rawValue: text) else {
                    throw ValidationError("--precision must be fp32 or bf16, not '\(text)'.")
                }
                return precision
            })
    var precision: Precision = .fp32

    @Flag(help: "Keep each image's colours: only luminance comes from the network (with AdaIN, the styles are recoloured).")
    var preserveColors = false

    @Option(help: "Images of one size stylized per forward pass.")
    var batchSize = 4

    @Option(help: "JPEG quality of .jpg outputs, 1 to 100.")
    var quality = 95

    @Option(help: ArgumentHelp("Keep faces close to the photo: how much of it a face's centre keeps, 0 to 1 (e.g. 0.8). Needs `impasto models fetch mtcnn` (or --face-detector).",
                               valueName: "strength"))
    var protectFaces: Float?

    @Option(help: "An RGBA PNG worn on every face before stylization, placed by the eyes and nose (drawn with the eyes at 35 % and 65 % of its width, 42 % down, the nose tip at 62 %).")
    var overlay: String?

    @Option(help: "What finds the faces for --protect-faces and --overlay: mtcnn or blazeface (installed with `impasto models fetch NAME`).")
    var faceDetector = FacesJob.Detector.mtcnn
    @OptionGroup var upscale: UpscalePassOptions

    @OptionGroup var compute: DeviceOption

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try requireOneDestination(output: output, outputDir: outputDir)

        if let size, size < 16 { throw ValidationError("--size must be at least 16 pixels, not \(size).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batchSize).") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100, not \(quality).") }
        if let output, !ImageFileFormat.fileExtensions.contains(URL(fileURLWithPath: output).pathExtension.lowercased()) {
            throw ValidationError("The output \(output) must end in .png, .jpg or .jpeg.")
        }
    }

    func run() throws {
        try JobContext.runStoppable(progress) { try job().run($0).stopped }
    }

    /// The job these arguments describe.
    func job() throws -> ApplyJob {
        var job = ApplyJob(inputs: inputs.map { URL(fileURLWithPath: $0) },
                           destination: output.map { .file(URL(fileURLWithPath: $0)) }
                               ?? .folder(URL(fileURLWithPath: outputDir!, isDirectory: true)),
                           source: try source.source())
        job.size = size
        job.precision = precision
        job.preserveColors = preserveColors
        job.batchSize = batchSize
        job.quality = quality
        job.protectFaces = protectFaces.map(FaceProtection.init(strength:))
        job.overlay = overlay.map { URL(fileURLWithPath: $0) }
        job.faceDetector = faceDetector
        job.upscale = upscale.options
        job.device = compute.device
        return job
    }

}
