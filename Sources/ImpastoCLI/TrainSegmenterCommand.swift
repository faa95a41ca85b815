import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto train-segmenter --images DIR --masks DIR -o seg.safetensors --model fcdensenet56`: trains a person
/// segmenter (FC-DenseNet or U-Net) with the greenScreen seed's recipe.
struct TrainSegmenterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-segmenter",
        abstract: "Train a person segmenter (FC-DenseNet 56/67/103 or U-Net) on pictures with masks, or on COCO's people.",
        discussion: """
            Examples are --images with same-named --masks (gray; person where at least half bright), or the \
            people of a COCO --coco instances.json (images with one or two people covering 20–70 % of the frame) \
            read from --images. Everything is squashed to --image-size². A share (or --validation-images with \
            --validation-masks) is held out and scored by IoU after each epoch; OUTPUT keeps the weights of the \
            best epoch, OUTPUT-checkpoint.safetensors the latest (for --resume), OUTPUT-log.csv the losses and IoUs, OUTPUT-epoch-N.png validation pictures \
            with their masks and predictions. Cross-entropy, RMSProp (the rate times 0.995 after each epoch, \
            weight decay 1e-4). Ctrl-C stops after the current step (exit status 130); --resume continues from \
            the last whole epoch.

            Example:
              impasto train-segmenter --images people/ --masks people-masks/ -o seg.safetensors --epochs 20
            """)

    @Option(name: .shortAndLong, help: "The trained segmenter (.safetensors): the best validation IoU's weights.")
    var output: String

    @Option(help: "Pictures (a folder), or with --coco the folder of COCO's images.")
    var images: String

    @Option(help: "A folder of masks named as the pictures (.png, .jpg).")
    var masks: String?

    @Option(help: "A COCO instances.json whose people are the examples.")
    var coco: String?

    @Option(help: "Held-out pictures to validate on instead of a share of --images (needs --validation-masks).")
    var validationImages: String?

    @Option(help: "Masks of --validation-images, named as the pictures.")
    var validationMasks: String?

    @Option(help: "fcdensenet56, fcdensenet67, fcdensenet103 or unet.")
    var model = "fcdensenet56"

    @Option(help: "Passes over the training examples (a resumed run counts the earlier ones).")
    var epochs = 10

    @Option(help: "Examples per step.")
    var batchSize = 4

    @Option(help: "The square side examples are trained at (a multiple of 32 for FC-DenseNet, 16 for U-Net).")
    var imageSize = 224

    @Option(help: "RMSProp's learning rate.")
    var lr = 1e-3

    @Option(help: "The share of examples held out to score IoU.")
    var validationShare = 0.2

    @Option(help: "The random seed (initialisation, split, order).")
    var seed: UInt64 = 0

    @Flag(help: "Continue from OUTPUT-checkpoint.safetensors.")
    var resume = false

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        guard (masks == nil) != (coco == nil) else {
            throw ValidationError("Give either --masks (with --images) or --coco (with --images), not both or neither.")
        }
        guard (validationImages == nil) == (validationMasks == nil) else {
            throw ValidationError("--validation-images and --validation-masks go together.")
        }
    }

    func run() throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        let job = try job()
        let outcome = try job.run(context)
        if progress.mode == .human {
            print("\(outcome.trainingExamples) training, \(outcome.validationExamples) validation examples")
            for epoch in outcome.epochs {
                print(String(format: "  epoch %d: loss %.4f, validation IoU %.3f", epoch.epoch, epoch.loss, epoch.validationIoU))
            }
            print("Wrote \(output) (best validation IoU \(String(format: "%.3f", outcome.bestIoU))), \(job.checkpoint.path), \(job.log.path)")
        }
        if outcome.stopped { throw ExitCode(130) }
    }

    /// The job these arguments describe.
    func job() throws -> TrainSegmenterJob {
        let imagesURL = URL(fileURLWithPath: images, isDirectory: true)
        let source: TrainSegmenterJob.Source = if let coco {
            .coco(annotations: URL(fileURLWithPath: coco), images: imagesURL)
        } else {
            .folders(images: imagesURL, masks: URL(fileURLWithPath: masks ?? "", isDirectory: true))
        }
        var job = TrainSegmenterJob(source: source, output: URL(fileURLWithPath: output))
        if let validationImages, let validationMasks {
            job.validationSource = .folders(images: URL(fileURLWithPath: validationImages, isDirectory: true),
                                            masks: URL(fileURLWithPath: validationMasks, isDirectory: true))
        }
        try job.configuration.setArchitecture(named: model)
        job.configuration.epochs = epochs
        job.configuration.batchSize = batchSize
        job.configuration.imageSize = imageSize
        job.configuration.learningRate = lr
        job.configuration.validationShare = validationShare
        job.configuration.seed = seed
        if resume { job.resume = job.checkpoint }
        return job
    }
}
