import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto train-faces -o cascade.safetensors --lfw lfw_subset.npy --photos DIR --background DIR`: trains the
/// seed's 12/24/48 face cascade with its calibration nets.
struct TrainFacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-faces",
        abstract: "Train the seed's 12/24/48 face cascade (Li et al. 2015, with calibration nets), for impasto faces --detector cascade.",
        discussion: """
            Positives: scikit-image's lfw_subset.npy (its 100 LFW face crops; its 100 non-face crops become \
            negatives) and the faces MTCNN finds in --photos (the installed MTCNN, or --mtcnn-weights), augmented \
            (mirror, small shifts and scales, brightness and contrast). Negatives: random windows of the face-free \
            --background pictures, and windows the trained 12-net still accepts on them (hard negatives, for the \
            24- and 48-nets). Each calibration net learns the 45 adjustments (5 scales × 3 × 3 offsets) from \
            faces moved by each. The nets read gray pictures. Ctrl-C stops after the current step and writes the \
            nets as they are (exit status 130).

            Example:
              impasto train-faces -o cascade.safetensors --lfw skimage/data/lfw_subset.npy \\
                --photos faces/ --background skimage/data/coffee.png --background skimage/data/brick.png
            """)

    @Option(name: .shortAndLong, help: "The trained cascade (.safetensors).")
    var output: String

    @Option(help: "scikit-image's lfw_subset.npy (200 gray 25×25 crops: 100 faces, then 100 non-faces).")
    var lfw: String?

    @Option(help: "A photo with faces (or a folder of them); repeatable.")
    var photos: [String] = []

    @Option(help: "A face-free picture (or a folder of them) for negatives; repeatable.")
    var background: [String] = []

    @Option(help: "MTCNN's weights folder for --photos (default: the installed MTCNN).")
    var mtcnnWeights: String?

    @Option(help: "Passes per net (an epoch is twice as many examples as there are faces).")
    var epochs = 30

    @Option(help: "Examples per step.")
    var batchSize = 64

    @Option(help: "Adam's learning rate.")
    var learningRate = 1e-3

    @Option(help: "Dropout before each fc layer.")
    var dropout: Float = 0.2

    @Flag(inversion: .prefixedNo, help: "Batch norm in the 48-nets.")
    var batchNorm = true

    @Option(help: "The random seed (initialisation and examples).")
    var seed: UInt64 = 0

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        let outcome = try job().run(context)
        if progress.mode == .human {
            print("\(outcome.faces) faces, \(outcome.hardNegatives) hard negatives; loss first → last tenth of steps:")
            for loss in outcome.losses { print(String(format: "  %@ %.3f → %.3f", loss.net, loss.first, loss.last)) }
            print("Wrote \(output)")
        }
        if outcome.stopped { throw ExitCode(130) }
    }

    /// The job these arguments describe.
    func job() -> TrainFacesJob {
        var job = TrainFacesJob(output: URL(fileURLWithPath: output))
        job.lfw = lfw.map { URL(fileURLWithPath: $0) }
        job.photos = photos.map { URL(fileURLWithPath: $0) }
        job.backgrounds = background.map { URL(fileURLWithPath: $0) }
        job.mtcnnWeights = mtcnnWeights.map { URL(fileURLWithPath: $0, isDirectory: true) }
        job.configuration.epochs = epochs
        job.configuration.batchSize = batchSize
        job.configuration.learningRate = learningRate
        job.configuration.dropout = dropout
        job.configuration.batchNorm = batchNorm
        job.configuration.seed = seed
        return job
    }
}
