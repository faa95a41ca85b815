import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto train` run as Studio performs it for any front end: a TransformerNet trained on a folder of
/// photos towards a style image, with progress and stopping through a `JobContext`.
public struct TrainJob: Sendable {
    /// The painting.
    public var style: URL
    /// The folder of training photos.
    public var photos: URL
    /// The trained model (.safetensors); its checkpoint, loss log and snapshots are named after it.
    public var output: URL
    /// Iterations to train to (a resumed run counts those done before).
    public var iterations: Int
    /// The training settings.
    public var configuration: StyleTrainingConfiguration
    /// Random crops, flips and scales of the photos.
    public var augment = false
    /// Write a snapshot, its validation grid and the checkpoint every this many iterations (0: never).
    public var snapshotEvery = 0
    /// A checkpoint to continue from.
    public var resume: URL?
    /// The loss network's registry name (vgg19, vgg16).
    public var lossNetwork = "vgg19"
    /// A loss-network weight file to use instead of the installed one.
    public var lossNetworkWeights: URL?
    /// Where training runs (`--device`): the CPU, or an NVIDIA GPU through the CUDA backend.
    public var device: Device = .cpu

    public init(style: URL, photos: URL, output: URL, iterations: Int, configuration: StyleTrainingConfiguration) {
        self.style = style
        self.photos = photos
        self.output = output
        self.iterations = iterations
        self.configuration = configuration
    }

    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Iterations done in all (those of a resumed run included).
        public let iterations: Int
        /// Whether the context's control stopped it; the model and the checkpoint so far were written.
        public let stopped: Bool
    }

    /// The files the run writes.
    public var files: TrainingFiles { TrainingFiles(model: output) }

    /// Refuses, in one sentence each, what can be told wrong before anything loads: an output that is not
    /// safetensors or in a folder that cannot be written, grids that would land among the photos, any written
    /// file that is one of the inputs.
    public func validate() throws {
        try device.prepare()
        guard output.pathExtension.lowercased() == "safetensors" else {
            throw ImpastoError.invalidArgument("-o must name a .safetensors file, not '\(output.path)'.")
        }
        // Checked now rather than when the first file is written, after the loss network has loaded.
        let folder = output.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
              FileManager.default.isWritableFile(atPath: folder.path) else {
            throw ImpastoError.invalidArgument("The output folder \(folder.path) does not exist or is not writable.")
        }
        // A grid written among the photos would be trained on by the next run, and could replace a photo.
        if snapshotEvery > 0 && Overwriting.same(folder, photos) {
            throw ImpastoError.invalidArgument("--snapshot-every would write validation grids into the photos folder \(photos.path); put -o elsewhere.")
        }
        let snapshots = snapshotEvery > 0 ? Array(stride(from: snapshotEvery, to: iterations, by: snapshotEvery)) : []
        let written = [files.model, files.lossLog, files.checkpoint] + snapshots.flatMap { [files.snapshot($0), files.grid($0)] }
        var inputs = [style] + [lossNetworkWeights].compactMap { $0 }
        // The checkpoint resumed from may be this run's own: it is read first, then kept up to date.
        if let resume, !Overwriting.same(resume, files.checkpoint) { inputs.append(resume) }
        try Overwriting.refuse(outputs: written, inputs: inputs)
    }

    /// Trains. The inputs are read before anything is written; a stop (the context's control) ends the run
    /// after the current iteration with the model and the checkpoint so far written.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try device.running { try train(context) }
    }

    private func train(_ context: JobContext) throws -> Outcome {
        // The small inputs first, so a wrong path is reported before the loss network loads.
        let styleImage = try Image(contentsOf: style)
        var trainingPhotos = try TrainingPhotos(folder: photos, imageSize: configuration.imageSize, seed: configuration.seed)
        trainingPhotos.augmentation = augment
        if let resume { _ = try StyleTrainer.checkpointIteration(contentsOf: resume, configuration: configuration) }
        let resolution = try ModelStore().resolve(model: lossNetwork, explicitPath: lossNetworkWeights?.path)
        if let note = resolution.note { context.note(note) }
        let network = try LossNetwork.load(model: lossNetwork, contentsOf: resolution.url, preprocessing: resolution.preprocessing)
        let trainer = try StyleTrainer(style: styleImage, photos: trainingPhotos, lossNetwork: network, configuration: configuration)
        if let resume { try trainer.resume(from: resume) }
        let reporter = context.reporter(title: "train", unit: .steps(name: "iteration", rateSymbol: "it/s"),
                                        total: Int64(iterations), completed: Int64(trainer.iteration))
        let stopped = try trainer.train(iterations: iterations, files: files, snapshotEvery: snapshotEvery,
                                        progress: reporter, shouldStop: { context.control.isCancelled })

        let seconds = String(format: "%.1f s", reporter.elapsed)
        let json: [(String, ProgressValue)] = [("model", .string(output.path)), ("checkpoint", .string(files.checkpoint.path)),
                                               ("iterations", .int(Int64(trainer.iteration)))]
        if stopped {
            reporter.finish(summary: "Stopped after \(trainer.iteration) of \(iterations) iterations (\(seconds)); wrote \(output.path) "
                                + "and \(files.checkpoint.path) for --resume",
                            json: [("event", "stopped")] + json)
        } else {
            reporter.finish(summary: "Wrote \(output.path) (\(trainer.iteration) iterations, \(seconds))", json: [("event", "done")] + json)
        }
        return Outcome(iterations: trainer.iteration, stopped: stopped)
    }
}
