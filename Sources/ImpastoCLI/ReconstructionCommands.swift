import ArgumentParser
import Foundation
import ImpastoStudio

/// What the feature-inversion and texture commands share: size, iterations, smoothing, seed, progress; Ctrl-C
/// keeps the latest image, as `stylize`.
struct ReconstructionOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The output image (.png, .jpg or .jpeg).")
    var output: String

    @Option(help: "The longest side of the result, in pixels.")
    var size = 384

    @Option(help: "L-BFGS iterations.")
    var iterations = 500

    @Option(help: "Total-variation weight (smoothness).")
    var tvWeight: Float = 1e-3

    @Option(help: "Seed of the starting noise.")
    var seed: UInt64 = 0

    @OptionGroup var progress: ProgressOptions

    /// Runs `job` with progress; a stop exits with status 130 after writing the latest image.
    func run(_ job: StylizeJob) throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        if try job.run(context).stopped { throw ExitCode(130) }
    }
}

/// `impasto invert IMAGE --layers relu4_2 … -o OUT`: what a VGG-19 layer keeps of a photo.
struct InvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invert",
        abstract: "Reconstruct a photo from its VGG-19 activations at some layers, starting from noise.",
        discussion: """
            Shallow layers (relu1_1) give the photo back; deep ones (relu5_1) keep what is where and lose the \
            exact pixels: the seed's content reconstructions.

            Examples:
              impasto invert photo.jpg --layers relu4_2 -o relu4_2.png
              impasto invert photo.jpg --layers relu1_1,relu2_1 --iterations 300 -o shallow.png
            """)

    @Argument(help: "A JPEG or PNG photo.")
    var image: String

    @Option(help: "Comma-separated VGG-19 layers whose activations the result must match.")
    var layers: CommaSeparated<String> = CommaSeparated(argument: "relu4_2")!

    @OptionGroup var options: ReconstructionOptions

    func run() throws {
        try options.run(.inversion(of: URL(fileURLWithPath: image), layers: layers.elements,
                                   output: URL(fileURLWithPath: options.output), size: options.size,
                                   iterations: options.iterations, tvWeight: options.tvWeight, seed: options.seed))
    }
}

/// `impasto texture STYLE -o OUT`: a painting's texture, from its Gram matrices alone.
struct TextureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "texture",
        abstract: "Synthesize a texture with a painting's VGG-19 Gram matrices, starting from noise (Gatys et al. 2015).",
        discussion: """
            Examples:
              impasto texture starry_night.jpg -o starry-texture.png
              impasto texture scream.jpg --size 512 --iterations 800 -o scream-texture.png
              impasto texture starry_night.jpg --tile -o wallpaper.png
            """)

    @Argument(help: "A JPEG or PNG image whose texture is synthesized.")
    var style: String

    @Flag(help: "Make the texture tile seamlessly (VGG-19 convolves over a torus).")
    var tile = false

    @OptionGroup var options: ReconstructionOptions

    func run() throws {
        try options.run(.texture(of: URL(fileURLWithPath: style), output: URL(fileURLWithPath: options.output),
                                 size: options.size, iterations: options.iterations, tvWeight: options.tvWeight,
                                 seed: options.seed, tileable: tile))
    }
}
