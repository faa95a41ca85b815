import Foundation
import ImpastoFormats
import ImpastoModels
import ImpastoNN
import ImpastoOptimizers
import ImpastoTensor

/// How the cascade is trained.
public struct CascadeTrainingConfiguration: Sendable, Equatable {
    /// Passes per net: one epoch is as many examples as twice the faces (a face and a negative each), rounded up
    /// to whole batches.
    public var epochs = 30
    public var batchSize = 64
    public var learningRate = 1e-3
    /// Batch norm in the 48-nets (the seed's: it let dropout go down).
    public var batchNorm = true
    /// Dropout before each fc layer.
    public var dropout: Float = 0.2
    /// At most this many hard negatives (windows the trained 12-net accepts on the face-free pictures) for the
    /// 24- and 48-nets.
    public var hardNegatives = 4000
    public var seed: UInt64 = 0

    public init() {}
}

/// Trains the six nets one after the other (Adam, cross-entropy): each classifier on augmented faces against
/// random windows of the face-free pictures and the non-face crops (the 24- and 48-nets also against the 12-net's
/// hard negatives), each calibration net on faces moved by a random one of the 45 patterns, labelled with it.
public final class CascadeTrainer {
    public let cascade: FaceCascade
    public let data: CascadeTrainingData
    public let configuration: CascadeTrainingConfiguration
    private var generator: RandomGenerator
    private var hardNegatives: [(picture: GrayPicture, window: CascadeWindow)] = []

    public init(data: CascadeTrainingData, configuration: CascadeTrainingConfiguration = CascadeTrainingConfiguration()) throws {
        try data.validate()
        guard configuration.epochs >= 1, configuration.batchSize >= 2 else {
            throw ImpastoError.invalidArgument("Training needs at least 1 epoch and batches of at least 2, not \(configuration.epochs) and \(configuration.batchSize).")
        }
        guard (0..<1).contains(configuration.dropout) else {
            throw ImpastoError.invalidArgument("The dropout probability must be at least 0 and below 1, not \(configuration.dropout).")
        }
        self.data = data
        self.configuration = configuration
        cascade = Initialization.withSeed(configuration.seed) {
            FaceCascade(batchNorm: configuration.batchNorm, dropout: configuration.dropout, seed: configuration.seed)
        }
        generator = RandomGenerator(seed: configuration.seed ^ 0x5EED_CA5C_ADE0_0001)
    }

    /// Steps per net.
    public var stepsPerNet: Int {
        configuration.epochs * ((2 * data.faceCount + configuration.batchSize - 1) / configuration.batchSize)
    }

    /// Trains every net, reporting each step's loss; returns each net's mean loss over its first and its last
    /// tenth of steps. A stop ends after the current step (the nets are then partly trained).
    public func train(_ context: JobContext = JobContext()) -> [(stage: FaceCascade.Stage, first: Float, last: Float)] {
        let steps = stepsPerNet
        let reporter = context.reporter(title: "train-faces", unit: .steps(name: "step", rateSymbol: "steps/s"),
                                        total: Int64(steps * FaceCascade.Stage.allCases.count))
        var summary: [(FaceCascade.Stage, Float, Float)] = []
        var done = 0
        for stage in FaceCascade.Stage.allCases {
            if stage == .net24 { mineHardNegatives() }
            let losses = trainNet(stage, steps: steps) { step, loss in
                done += 1
                reporter.update(completed: Int64(done), detail: "\(stage.name) step \(step + 1)/\(steps) loss \(String(format: "%.3f", loss))",
                                json: [("net", .string(stage.name)), ("step", .int(Int64(step + 1))), ("loss", .double(Double(loss)))])
                return !context.control.isCancelled
            }
            let tenth = max(1, losses.count / 10)
            let mean = { (values: ArraySlice<Float>) in values.reduce(0, +) / Float(max(values.count, 1)) }
            summary.append((stage, mean(losses.prefix(tenth)), mean(losses.suffix(tenth))))
            if context.control.isCancelled { break }
        }
        cascade.train(false)
        reporter.finish(summary: "Trained \(summary.count) nets, \(done) steps" + String(format: " (%.1f s)", reporter.elapsed),
                        json: [("event", .string("done")), ("steps", .int(Int64(done)))])
        return summary
    }

    /// Trains one net for `steps` steps; `onStep` gets each step's loss and says whether to go on.
    @discardableResult
    func trainNet(_ stage: FaceCascade.Stage, steps: Int, onStep: (Int, Float) -> Bool = { _, _ in true }) -> [Float] {
        let net = cascade[stage]
        net.train(true)
        net.requireGradients(true)
        let optimizer = Adam(parameters: net.parameters().map(\.tensor), learningRate: configuration.learningRate)
        var losses: [Float] = []
        for step in 0..<steps {
            let (input, targets) = stage.isCalibration ? calibrationBatch(size: net.shape.inputSize) : classifierBatch(stage, size: net.shape.inputSize)
            let loss = crossEntropy(logits: net(input), targets: targets)
            optimizer.step(loss.backward())
            losses.append(loss.scalar)
            if !onStep(step, loss.scalar) { break }
        }
        net.train(false)
        net.requireGradients(false)
        return losses
    }

    /// Half augmented faces (1), half negatives (0): random face-free windows, non-face crops and, for the 24-
    /// and 48-nets, hard negatives, a third each where there are any.
    func classifierBatch(_ stage: FaceCascade.Stage, size: Int) -> (Tensor, [Int]) {
        var values: [Float] = []
        values.reserveCapacity(configuration.batchSize * size * size)
        var targets: [Int] = []
        for k in 0..<configuration.batchSize {
            if k % 2 == 0 {
                let (face, window, variation) = data.augmentedFace(&generator)
                face.picture.appendCrop(window, size: size, variation: variation, to: &values)
                targets.append(1)
                continue
            }
            let kind = Int(generator.nextFloat() * 3)
            if kind == 1, !data.nonFaces.isEmpty {
                let picture = data.nonFaces[Int(generator.nextFloat() * Float(data.nonFaces.count)) % data.nonFaces.count]
                picture.appendCrop(CascadeWindow(x: 0, y: 0, side: Float(picture.width)), size: size,
                                   variation: CropVariation(mirrored: generator.nextFloat() < 0.5), to: &values)
            } else if kind == 2, stage != .net12, !hardNegatives.isEmpty {
                let (picture, window) = hardNegatives[Int(generator.nextFloat() * Float(hardNegatives.count)) % hardNegatives.count]
                picture.appendCrop(window, size: size, to: &values)
            } else {
                let (picture, window) = data.randomBackgroundWindow(&generator)
                picture.appendCrop(window, size: size, variation: CropVariation(mirrored: generator.nextFloat() < 0.5), to: &values)
            }
            targets.append(0)
        }
        return (Tensor(shape: [configuration.batchSize, 1, size, size], scalars: values), targets)
    }

    /// Faces (slightly augmented) each moved by a random pattern n so that pattern n moves it back onto the face;
    /// the label is n (Li et al.'s calibration data).
    func calibrationBatch(size: Int) -> (Tensor, [Int]) {
        var values: [Float] = []
        values.reserveCapacity(configuration.batchSize * size * size)
        var targets: [Int] = []
        for _ in 0..<configuration.batchSize {
            var (face, box, variation) = data.augmentedFace(&generator, shift: 0.01, scale: 0.01)
            // Not mirrored: the patterns offset the top-left corner, so a mirrored window of a scaled pattern is
            // no pattern at all.
            variation.mirrored = false
            let label = Int(generator.nextFloat() * Float(CalibrationPattern.all.count)) % CalibrationPattern.all.count
            let moved = CalibrationPattern.all[label].perturb(x: box.x, y: box.y, width: box.side, height: box.side)
            face.picture.appendCrop(CascadeWindow(x: moved.x, y: moved.y, side: moved.width), size: size, variation: variation, to: &values)
            targets.append(label)
        }
        return (Tensor(shape: [configuration.batchSize, 1, size, size], scalars: values), targets)
    }

    /// The windows the trained 12-net accepts on the face-free pictures, the most probable first after NMS (IoU
    /// 0.5), at most `hardNegatives` of them spread evenly over the pictures.
    func mineHardNegatives() {
        var options = CascadeOptions()
        options.minFaceSize = 24
        let detector = CascadeDetector(cascade: cascade, options: options)
        let perPicture = configuration.hardNegatives / max(data.backgrounds.count, 1)
        hardNegatives = data.backgrounds.flatMap { picture in
            let windows = withoutGradients { detector.proposals(picture, threshold: 0.5) }
            let best = Array(windows.sorted { $0.score > $1.score }.prefix(8 * perPicture))
            return CascadeDetector.suppressed(best, threshold: 0.5).prefix(perPicture).map { (picture, $0) }
        }
    }

    /// How many hard negatives the 12-net gave.
    public var hardNegativeCount: Int { hardNegatives.count }

    /// Writes the six nets (`net12.conv1.weight`, …) to `url` atomically, with the data and settings in the
    /// metadata.
    public func save(to url: URL) throws {
        let tensors = Dictionary(uniqueKeysWithValues: cascade.stateDict().map { ($0.name, $0.tensor) })
        try SafeTensors.write(tensors, metadata: [
            "format": "impasto face cascade (Li et al. 2015), gray input",
            "batch_norm": String(configuration.batchNorm),
            "epochs": String(configuration.epochs),
            "data": data.sources.joined(separator: "; "),
            "hard_negatives": String(hardNegatives.count),
        ], to: url)
    }
}
