import ArgumentParser
import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoStudio

/// `impasto train --style S --photos DIR -o model.safetensors`: teaches a TransformerNet one style.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a feed-forward style network (TransformerNet) on a folder of photos, for impasto apply --model.",
        discussion: """
            The perceptual loss of Johnson et al. as in pytorch/examples fast_neural_style, on a VGG loss network \
            (--vgg: torchvision's vgg16-397923af.pth, or vgg19 with --loss-network vgg19). Beside the model it writes \
            <name>.loss.csv, <name>.checkpoint.safetensors (for --resume) and, with --snapshot-every, \
            <name>-<iteration>.safetensors and a grid of validation photos <name>-<iteration>.png.

            Example:
              impasto train --style starry.jpg --photos coco/ --vgg vgg16-397923af.pth -o starry.safetensors \\
                --iterations 40000 --snapshot-every 2000 --noise-weight 1e3 --noise-sigma 10
            """)

    @Option(help: "The style image.")
    var style: String

    @Option(help: "A folder of JPEG or PNG photos to train on.")
    var photos: String

    @Option(name: .shortAndLong, help: "The trained model (.safetensors).")
    var output: String

    @Option(help: "The loss network's weights (.pth or .safetensors, torchvision 'features.N' keys).")
    var vgg: String

    @Option(help: "The loss network: vgg16 or vgg19.")
    var lossNetwork = "vgg16"

    @Option(help: "Optimisation steps in all (a resumed run continues up to this count).")
    var iterations = 2000

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

    @Option(help: "Adam's learning rate.")
    var learningRate = 1e-3

    @Option(help: "Fixes the initial weights, the photo order and the noise.")
    var seed: UInt64 = 42

    @Option(help: "Write a model snapshot, a validation grid and the checkpoint every this many iterations (0: never).")
    var snapshotEvery = 0

    @Option(help: "Continue from a checkpoint written by an earlier run with the same settings.")
    var resume: String?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        guard ["vgg16", "vgg19"].contains(lossNetwork) else {
            throw ValidationError("--loss-network must be vgg16 or vgg19, not '\(lossNetwork)'.")
        }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, not \(iterations).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batchSize).") }
        guard imageSize >= 16, imageSize % 4 == 0 else {
            throw ValidationError("--image-size must be a multiple of 4 and at least 16, not \(imageSize).")
        }
        guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must not be negative.") }
        guard noiseSigma >= 0 else { throw ValidationError("--noise-sigma must not be negative.") }
        for (value, name) in [(contentWeight, "--content-weight"), (styleWeight, "--style-weight"), (tvWeight, "--tv-weight"),
                              (heatmapWeight, "--heatmap-weight"), (noiseWeight, "--noise-weight")] where !(value >= 0) {
            throw ValidationError("\(name) must not be negative, not \(value).")
        }
        guard URL(fileURLWithPath: output).pathExtension.lowercased() == "safetensors" else {
            throw ValidationError("-o must name a .safetensors file, not '\(output)'.")
        }
    }

    func run() throws {
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
        settings.seed = seed

        let weights = try WeightFile.load(contentsOf: URL(fileURLWithPath: vgg))
        let network: LossNetwork
        if lossNetwork == "vgg16" {
            let net = VGG16()
            try net.load(weights, source: vgg)
            network = LossNetwork(net)
        } else {
            let net = VGG19()
            try net.load(weights, source: vgg)
            network = LossNetwork(net)
        }
        let trainer = try StyleTrainer(
            style: Image(contentsOf: URL(fileURLWithPath: style)),
            photos: TrainingPhotos(folder: URL(fileURLWithPath: photos, isDirectory: true), imageSize: imageSize, seed: seed),
            lossNetwork: network, configuration: settings)
        if let resume { try trainer.resume(from: URL(fileURLWithPath: resume)) }
        let reporter = ProgressReporter(mode: progress.mode, title: "train", unit: .steps(name: "iteration", rateSymbol: "it/s"),
                                        total: Int64(iterations), completed: Int64(trainer.iteration))
        let files = TrainingFiles(model: URL(fileURLWithPath: output))
        try trainer.train(iterations: iterations, files: files, snapshotEvery: snapshotEvery, progress: reporter)
        reporter.finish(summary: "trained \(iterations) iterations: \(output)",
                        json: [("done", true), ("model", .string(output))])
    }
}
