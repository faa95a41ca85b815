import Foundation
import ImpastoTensor

/// One `impasto train-faces` run: gathers the data (LFW crops, MTCNN's faces in photos, face-free pictures),
/// trains the cascade's six nets and writes them to one safetensors file, atomically.
public struct TrainFacesJob: Sendable {
    /// scikit-image's `lfw_subset.npy`, or nil.
    public var lfw: URL?
    /// Photos (or folders of them) whose faces MTCNN finds and the nets learn from.
    public var photos: [URL] = []
    /// Face-free pictures (or folders of them) for negatives.
    public var backgrounds: [URL] = []
    /// MTCNN's weights folder for the photos, nil for the installed ones.
    public var mtcnnWeights: URL?
    public var output: URL
    public var configuration = CascadeTrainingConfiguration()

    public init(output: URL) {
        self.output = output
    }

    /// What a run did.
    public struct Outcome: Sendable {
        /// One line per data source.
        public let sources: [String]
        public let faces: Int
        public let hardNegatives: Int
        /// Each net's mean loss over its first and last tenth of steps, in cascade order.
        public let losses: [(net: String, first: Float, last: Float)]
        public let stopped: Bool
    }

    /// Checks everything, reads the data, trains and writes `output`.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        guard output.pathExtension.lowercased() == "safetensors" else {
            throw ImpastoError.invalidArgument("The cascade is written as safetensors: name the output <name>.safetensors, not \(output.lastPathComponent).")
        }
        let photoFiles = try ImageInputs.expand(photos), backgroundFiles = try ImageInputs.expand(backgrounds)
        try Overwriting.refuse(outputs: [output], inputs: photoFiles + backgroundFiles + (lfw.map { [$0] } ?? []))
        try ImageInputs.checkWritable(foldersOf: [output])
        var data = CascadeTrainingData()
        if let lfw { try data.addLFWSubset(lfw) }
        if !photoFiles.isEmpty {
            try data.addPhotos(photoFiles, finder: FaceFinder(.mtcnn, weights: mtcnnWeights))
        }
        try data.addBackgrounds(backgroundFiles)
        let trainer = try CascadeTrainer(data: data, configuration: configuration)
        for line in data.sources { context.note(line) }
        let losses = trainer.train(context)
        try trainer.save(to: output)
        return Outcome(sources: data.sources, faces: data.faceCount, hardNegatives: trainer.hardNegativeCount,
                       losses: losses.map { ($0.stage.name, $0.first, $0.last) }, stopped: context.control.isCancelled)
    }
}
