import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoTensor

/// One `impasto train-segmenter` run: reads pictures and person masks (two folders, or COCO annotations), trains
/// the chosen network and writes, all atomically: `output` (the weights of the epoch with the best validation IoU),
/// `<output>-checkpoint.safetensors` after every epoch (for `--resume`), `<output>-log.csv` (epoch, loss, IoU) and
/// `<output>-epoch-N.png` (validation pictures, their masks and the predictions).
public struct TrainSegmenterJob: Sendable {
    public enum Source: Sendable, Equatable {
        /// Images and a folder of same-named masks.
        case folders(images: URL, masks: URL)
        /// A COCO `instances.json` and its images folder.
        case coco(annotations: URL, images: URL)
    }

    public var source: Source
    /// Held-out examples to validate on (pictures and masks the training never sees); nil: a share of `source`.
    public var validationSource: Source?
    public var output: URL
    public var configuration = SegmenterTrainingConfiguration()
    /// A checkpoint to continue from.
    public var resume: URL?

    public init(source: Source, output: URL) {
        self.source = source
        self.output = output
    }

    /// The files a run writes besides `output`.
    public var checkpoint: URL { sibling("checkpoint.safetensors") }
    public var log: URL { sibling("log.csv") }
    public func picture(epoch: Int) -> URL { sibling("epoch-\(epoch).png") }

    private func sibling(_ suffix: String) -> URL {
        output.deletingLastPathComponent().appendingPathComponent("\(output.deletingPathExtension().lastPathComponent)-\(suffix)")
    }

    /// What a run did.
    public struct Outcome: Sendable {
        public let trainingExamples: Int
        public let validationExamples: Int
        /// This run's epochs (a resumed run's earlier ones are in the log).
        public let epochs: [SegmenterEpoch]
        public let bestIoU: Double
        public let stopped: Bool
    }

    private func examples(_ source: Source) throws -> SegmentationExamples {
        var examples = SegmentationExamples(side: configuration.imageSize)
        switch source {
        case .folders(let images, let masks): try examples.addFolders(images: images, masks: masks)
        case .coco(let annotations, let images): try examples.addCOCO(annotations: annotations, images: images)
        }
        return examples
    }

    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        guard output.pathExtension.lowercased() == "safetensors" else {
            throw ImpastoError.invalidArgument("The segmenter is written as safetensors: name the output <name>.safetensors, not \(output.lastPathComponent).")
        }
        var inputs: [URL] = []
        for source in [source] + (validationSource.map { [$0] } ?? []) {
            switch source {
            case .folders(let images, let masks): inputs += try ImageInputs.expand([images]) + [masks]
            case .coco(let annotations, let images): inputs += [annotations, images]
            }
        }
        if let resume, !Overwriting.same(resume, checkpoint) { inputs.append(resume) }
        try Overwriting.refuse(outputs: [output, log], inputs: inputs)
        try ImageInputs.checkWritable(foldersOf: [output])
        let trainer = try SegmenterTrainer(examples: examples(source), validation: validationSource.map(examples),
                                           configuration: configuration)
        context.note("\(trainer.training.count) training and \(trainer.validation.count) validation examples at \(configuration.imageSize)², \(configuration.architecture.rawValue)")
        var rows = ["epoch,loss,validation_iou"]
        if let resume {
            try trainer.resume(from: resume)
            let earlier = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").dropFirst() ?? []
            rows += earlier.filter { Int($0.split(separator: ",").first ?? "").map { $0 <= trainer.epochsDone } ?? false }.map(String.init)
            context.note("Resuming after epoch \(trainer.epochsDone) (best IoU \(String(format: "%.3f", trainer.bestIoU)))")
        }
        let stepsPerEpoch = (trainer.training.count + configuration.batchSize - 1) / configuration.batchSize
        let remaining = max(0, configuration.epochs - trainer.epochsDone)
        let reporter = context.reporter(title: "train-segmenter", unit: .steps(name: "step", rateSymbol: "steps/s"),
                                        total: Int64(remaining * stepsPerEpoch))
        var epochs: [SegmenterEpoch] = []
        var done = 0
        while trainer.epochsDone < configuration.epochs {
            let epochNumber = trainer.epochsDone + 1
            let previousBest = trainer.bestIoU
            guard let epoch = trainer.trainEpoch(onStep: { step, steps, loss in
                done += 1
                reporter.update(completed: Int64(done), detail: "epoch \(epochNumber) step \(step + 1)/\(steps) loss \(String(format: "%.3f", loss))",
                                json: [("epoch", .int(Int64(epochNumber))), ("step", .int(Int64(step + 1))), ("loss", .double(Double(loss)))])
                return !context.control.isCancelled
            }) else { break }
            epochs.append(epoch)
            if epoch.validationIoU > previousBest { try trainer.saveModel(to: output) }
            try trainer.saveCheckpoint(to: checkpoint)
            rows.append("\(epoch.epoch),\(String(format: "%.5f", epoch.loss)),\(String(format: "%.5f", epoch.validationIoU))")
            try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: log)
            try trainer.predictionPicture().write(to: picture(epoch: epoch.epoch), format: .png)
            reporter.note("epoch \(epoch.epoch): loss \(String(format: "%.4f", epoch.loss)), validation IoU \(String(format: "%.3f", epoch.validationIoU))")
            if context.control.isCancelled { break }
        }
        reporter.finish(summary: "Trained \(epochs.count) epochs, best validation IoU \(String(format: "%.3f", trainer.bestIoU))" + String(format: " (%.1f s)", reporter.elapsed),
                        json: [("event", .string("done")), ("best_iou", .double(trainer.bestIoU))])
        return Outcome(trainingExamples: trainer.training.count, validationExamples: trainer.validation.count, epochs: epochs,
                       bestIoU: trainer.bestIoU, stopped: context.control.isCancelled)
    }
}
