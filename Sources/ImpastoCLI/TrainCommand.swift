import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto train --style S --photos DIR -o model.safetensors`: teaches a TransformerNet one style.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a feed-forward style network (TransformerNet) on a folder of photos, for impasto apply --model.",
        discussion: """
            The perceptual loss of Johnson et al. as in pytorch/examples fast_neural_style, on a VGG loss network: \
            by default the installed VGG-19 (`impasto models fetch vgg19`; neural-style's Caffe weights, which want \
            smaller loss weights than torchvision's: see the README), or --vgg FILE with --loss-network vgg16|vgg19 \
            (pytorch/examples used torchvision's vgg16-397923af.pth). Beside the model it writes \
            <name>.loss.csv, <name>.checkpoint.safetensors (for --resume) and, with --snapshot-every, \
            <name>-<iteration>.safetensors and a grid of validation photos <name>-<iteration>.png.

            Ctrl-C stops after the current iteration and writes the model and the checkpoint so far (exit status 130).

            Example:
              impasto train --style starry.jpg --photos coco/ \\
                --loss-network vgg16 --vgg vgg16-397923af.pth -o starry.safetensors \\
                --iterations 40000 --snapshot-every 2000 \\
                --noise-weight 1e3 --noise-sigma 10
            """)

    @Option(help: "The style image.")
    var style: String

    @Option(help: "A folder of JPEG or PNG photos to train on.")
    var photos: String

    @Option(name: .shortAndLong, help: "The trained model (.safetensors).")
    var output: String

    @Option(help: "The loss network's weights (.pth or .safetensors; default: the installed VGG-19).")
    var vgg: String?

    @Option(help: "The loss network: vgg19 or vgg16.")
    var lossNetwork = "vgg19"

    @Option(help: "Optimisation steps in all (a resumed run continues up to this count).")
    var iterations = 2000

    @Flag(help: "Train on random views of the photos (1-2x zoom, random square, mirrored half the time) instead of center crops.")
    var augment = false

    @Option(help: "Photos per step.")
    var batchSize = 4

    @Option(help: "Photos are scaled and center-cropped to this square size (a multiple of 4).")
    var imageSize = 256

    @Option(help: "The weight of the content (relu2_2) loss.")
    var contentWeight: Float = 1e5

    @Option(help: "The weight of the style (Gram) loss.")
    var styleWeight: Float = 1e10

    @Option(help: "The weight of the total variation of the output.")
    var tvWeight: Float = 0

    @Option(help: "Artisto's heatmap loss: keep the summed relu2_2 activations of the output like the photo's.")
    var heatmapWeight: Float = 0

    @Option(help: "Artisto's stability loss: stylize a noisy copy like the photo.")
    var noiseWeight: Float = 0

    @Option(help: "The standard deviation of that noise, in pixel values 0-255.")
    var noiseSigma: Float = 10

    @Option(help: "Scale the style image to this longest side first (default: as it is). Brush strokes are learnt at this scale: about 1.5x --image-size suits most paintings.")
    var styleSize: Int?

    @Option(help: "Adam's learning rate.")
    var learningRate = 1e-3

    @Option(help: "Fixes the initial weights, the photo order and the noise.")
    var seed: UInt64 = 42

    @Option(help: "Write a model snapshot, a validation grid and the checkpoint every this many iterations (0: never).")
    var snapshotEvery = 0

    @Option(help: "Continue from a checkpoint written by an earlier run with the same settings.")
    var resume: String?

    @OptionGroup var compute: DeviceOption

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        guard ["vgg16", "vgg19"].contains(lossNetwork) else {
            throw ValidationError("--loss-network must be vgg16 or vgg19, not '\(lossNetwork)'.")
        }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, not \(iterations).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batchSize).") }
        if let styleSize, !(16...8192).contains(styleSize) {
            throw ValidationError("--style-size must be from 16 to 8192, not \(styleSize).")
        }
        let sizes = StyleTrainingConfiguration.imageSizeRange
        guard imageSize % 4 == 0, sizes.contains(imageSize) else {
            throw ValidationError("--image-size must be a multiple of 4 from \(sizes.lowerBound) to \(sizes.upperBound), not \(imageSize).")
        }
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must not be negative.") }
        guard noiseSigma >= 0 else { throw ValidationError("--noise-sigma must not be negative.") }
        for (value, name) in [(contentWeight, "--content-weight"), (styleWeight, "--style-weight"), (tvWeight, "--tv-weight"),
                              (heatmapWeight, "--heatmap-weight"), (noiseWeight, "--noise-weight")] where !(value >= 0) {
            throw ValidationError("\(name) must not be negative, not \(value).")
        }
        try validateJob { try job().validate() }
    }

    /// Trains. The inputs are read before anything is written; Ctrl-C stops after the current iteration,
    /// writes the model and the checkpoint so far, and exits with status 130.
    func run() throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        if try job().run(context).stopped { throw ExitCode(130) }
    }

    /// The job these arguments describe.
    func job() -> TrainJob {
        var settings = StyleTrainingConfiguration()
        settings.batchSize = batchSize
        settings.imageSize = imageSize
        settings.contentWeight = contentWeight
        settings.styleWeight = styleWeight
        settings.tvWeight = tvWeight
        settings.heatmapWeight = heatmapWeight
        settings.noiseWeight = noiseWeight
        settings.noiseSigma = noiseSigma
        settings.learningRate = learningRate
        settings.styleSize = styleSize
        settings.seed = seed
        var job = TrainJob(style: URL(fileURLWithPath: style), photos: URL(fileURLWithPath: photos, isDirectory: true),
                           output: URL(fileURLWithPath: output), iterations: iterations, configuration: settings)
        job.augment = augment
        job.snapshotEvery = snapshotEvery
        job.resume = resume.map { URL(fileURLWithPath: $0) }
        job.lossNetwork = lossNetwork
        job.lossNetworkWeights = vgg.map { URL(fileURLWithPath: $0) }
        job.device = compute.device
        return job
    }
}
