import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoOptimizers
import ImpastoTensor

/// How a segmenter is trained: the greenScreen seed's recipe, which is Jégou et al.'s (cross-entropy, RMSProp at
/// 1e-3, the rate times 0.995 after each epoch, weight decay 1e-4), with a held-out validation share scored by IoU.
public struct SegmenterTrainingConfiguration: Sendable, Equatable {
    public var architecture: SegmenterArchitecture = .fcdensenet56
    public var epochs = 10
    public var batchSize = 4
    /// The square side pictures are trained at (the seed's 224).
    public var imageSize = 224
    public var learningRate = 1e-3
    /// The rate is multiplied by this after each epoch (the paper's exponential decay).
    public var learningRateDecay = 0.995
    public var weightDecay = 1e-4
    /// Of the examples, this share (at least one) is held out to score IoU each epoch.
    public var validationShare = 0.2
    public var seed: UInt64 = 0

    public init() {}

    /// The architectures by name: fcdensenet56, fcdensenet67, fcdensenet103, unet.
    public static let architectureNames = SegmenterArchitecture.allCases.map(\.rawValue)

    /// Chooses the architecture by its name, or says which names there are.
    public mutating func setArchitecture(named name: String) throws {
        guard let architecture = SegmenterArchitecture(rawValue: name.lowercased()) else {
            throw ImpastoError.invalidArgument("No segmenter named \(name): choose one of \(Self.architectureNames.joined(separator: ", ")).")
        }
        self.architecture = architecture
    }

    /// The settings a resumed run must share with the run it continues (those that fix the network and the split).
    var fixedSettings: [String: String] {
        ["architecture": architecture.rawValue, "image_size": String(imageSize), "validation_share": String(validationShare),
         "seed": String(seed)]
    }
}

/// What one epoch did.
public struct SegmenterEpoch: Sendable, Equatable {
    public let epoch: Int
    /// Mean training loss over the epoch's steps.
    public let loss: Double
    /// IoU of the person class over every validation pixel together.
    public let validationIoU: Double
}

/// Trains a `SegmentationNetwork` on `SegmentationExamples`, one epoch at a time: shuffled batches with random
/// left–right flips, then the validation IoU.
public final class SegmenterTrainer {
    public let configuration: SegmenterTrainingConfiguration
    public let network: SegmentationNetwork
    public let training: SegmentationExamples
    public let validation: SegmentationExamples
    let optimizer: RMSProp
    /// Epochs done (a resumed run counts those before).
    public private(set) var epochsDone = 0
    public private(set) var bestIoU = -1.0

    /// Trains on `examples`; validates on `validation` when given, else on a share of `examples` drawn from the seed.
    public init(examples: SegmentationExamples, validation heldOut: SegmentationExamples? = nil,
                configuration: SegmenterTrainingConfiguration) throws {
        let network = Initialization.withSeed(configuration.seed) { configuration.architecture.makeNetwork(seed: configuration.seed) }
        guard configuration.imageSize % network.sideMultiple == 0, configuration.imageSize > 0 else {
            throw ImpastoError.invalidArgument("\(configuration.architecture.rawValue) needs an image size that is a multiple of \(network.sideMultiple), not \(configuration.imageSize).")
        }
        guard configuration.epochs >= 1, configuration.batchSize >= 1 else {
            throw ImpastoError.invalidArgument("Training needs at least 1 epoch and batches of at least 1, not \(configuration.epochs) and \(configuration.batchSize).")
        }
        let needed = heldOut == nil ? 2 : 1
        guard examples.count >= needed, examples.side == configuration.imageSize else {
            throw ImpastoError.invalidArgument("A segmenter needs at least \(needed) examples at \(configuration.imageSize)², not \(examples.count) at \(examples.side)².")
        }
        if let heldOut {
            guard heldOut.count >= 1, heldOut.side == configuration.imageSize else {
                throw ImpastoError.invalidArgument("The validation set needs at least 1 example at \(configuration.imageSize)², not \(heldOut.count) at \(heldOut.side)².")
            }
            (training, validation) = (examples, heldOut)
        } else {
            // The split is drawn from the seed alone, so a resumed run validates on the same examples.
            var generator = RandomGenerator(seed: configuration.seed ^ 0x5E6_5A11_7000)
            let order = (0..<examples.count).shuffled(using: &generator)
            let held = min(examples.count - 1, max(1, Int((Double(examples.count) * configuration.validationShare).rounded())))
            validation = examples.subset(Array(order.prefix(held)))
            training = examples.subset(Array(order.dropFirst(held)))
        }
        self.configuration = configuration
        self.network = network
        network.requireGradients(true)
        optimizer = RMSProp(parameters: network.parameters().map(\.tensor), learningRate: configuration.learningRate,
                            weightDecay: configuration.weightDecay)
        network.requireGradients(false)
    }

    /// One epoch of training, then the validation IoU; `onStep` gets each step's loss and says whether to go on.
    public func trainEpoch(onStep: (Int, Int, Float) -> Bool = { _, _, _ in true }) -> SegmenterEpoch? {
        var generator = RandomGenerator(seed: configuration.seed &+ UInt64(epochsDone + 1) &* 0x9E37_79B9)
        let order = (0..<training.count).shuffled(using: &generator)
        let batches = stride(from: 0, to: order.count, by: configuration.batchSize).map {
            Array(order[$0..<min($0 + configuration.batchSize, order.count)])
        }
        optimizer.learningRate = configuration.learningRate * pow(configuration.learningRateDecay, Double(epochsDone))
        network.train(true)
        network.requireGradients(true)
        defer { network.train(false); network.requireGradients(false) }
        var total = 0.0
        for (step, indices) in batches.enumerated() {
            let (input, targets) = training.batch(indices, flips: indices.map { _ in generator.nextFloat() < 0.5 })
            let loss = pixelCrossEntropy(logits: network(input), targets: targets)
            optimizer.step(loss.backward())
            total += Double(loss.scalar)
            if !onStep(step, batches.count, loss.scalar) { return nil }
        }
        network.train(false)
        epochsDone += 1
        let result = SegmenterEpoch(epoch: epochsDone, loss: total / Double(batches.count), validationIoU: validationIoU())
        bestIoU = max(bestIoU, result.validationIoU)
        return result
    }

    /// The network's predicted classes (N, H, W order) for `examples` at `indices`, in inference mode.
    public func predict(_ examples: SegmentationExamples, _ indices: [Int]) -> [Int] {
        withoutGradients { pixelClasses(network(examples.batch(indices).input)) }
    }

    /// IoU of the person class over all validation pixels together (0 when neither side has any person).
    public func validationIoU() -> Double {
        var predicted: [Int] = [], target: [Int] = []
        for start in stride(from: 0, to: validation.count, by: configuration.batchSize) {
            let indices = Array(start..<min(start + configuration.batchSize, validation.count))
            predicted += predict(validation, indices)
            target += validation.batch(indices).targets
        }
        return maskIntersectionOverUnion(predicted: predicted, target: target) ?? 0
    }

    /// The weights alone, with the architecture and side in the metadata: what `cutout --model` reads.
    public func saveModel(to url: URL) throws {
        try SafeTensors.write(Dictionary(uniqueKeysWithValues: network.stateDict().map { ($0.name, $0.tensor) }),
                              metadata: ["architecture": configuration.architecture.rawValue, "image_size": String(configuration.imageSize)],
                              to: url)
    }

    /// Weights (`model.*`), RMSProp's state (`rmsprop.*`) and, in the metadata, the epochs done, the best IoU and
    /// the fixed settings: everything `resume(from:)` needs.
    public func saveCheckpoint(to url: URL) throws {
        var tensors = Dictionary(uniqueKeysWithValues: network.stateDict().map { ("model.\($0.name)", $0.tensor) })
        for (key, tensor) in optimizer.stateTensors() { tensors["rmsprop.\(key)"] = tensor }
        var metadata = configuration.fixedSettings
        metadata["epoch"] = String(epochsDone)
        metadata["best_iou"] = String(bestIoU)
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Continues from a checkpoint written with the same fixed settings.
    public func resume(from url: URL) throws {
        let metadata = try SafeTensors.metadata(contentsOf: url)
        guard let epoch = metadata["epoch"].flatMap(Int.init), let best = metadata["best_iou"].flatMap(Double.init) else {
            throw ImpastoError.invalidArgument("\(url.path) is not a train-segmenter checkpoint (no epoch in its metadata).")
        }
        for (key, value) in configuration.fixedSettings.sorted(by: { $0.key < $1.key }) where metadata[key] != value {
            throw ImpastoError.invalidArgument("\(url.path) was trained with \(key) \(metadata[key] ?? "unknown"), not \(value); resume with the same settings.")
        }
        let tensors = try SafeTensors.load(contentsOf: url)
        var model: [String: Tensor] = [:], state: [String: Tensor] = [:]
        for (key, tensor) in tensors {
            if key.hasPrefix("model.") { model[String(key.dropFirst(6))] = tensor }
            if key.hasPrefix("rmsprop.") { state[String(key.dropFirst(8))] = tensor }
        }
        try network.load(model, source: url.path)
        try optimizer.loadState(state, source: url.path)
        (epochsDone, bestIoU) = (epoch, best)
    }

    /// Up to `count` validation examples, one row each: the picture, its mask, the prediction (white = person).
    public func predictionPicture(count: Int = 4) -> Image {
        let rows = min(count, validation.count), side = validation.side, plane = side * side
        let predicted = predict(validation, Array(0..<rows))
        var pixels = [Float](repeating: 0, count: 3 * rows * side * 3 * side)
        let width = 3 * side
        for row in 0..<rows {
            let picture = validation.pictures[row].pixels, mask = validation.masks[row]
            for y in 0..<side {
                for x in 0..<side {
                    let p = y * side + x, line = (row * side + y) * width
                    for c in 0..<3 {
                        pixels[c * rows * side * width + line + x] = picture[c * plane + p]
                        pixels[c * rows * side * width + line + side + x] = Float(mask[p])
                        pixels[c * rows * side * width + line + 2 * side + x] = Float(predicted[row * plane + p])
                    }
                }
            }
        }
        return Image(width: width, height: rows * side, channels: 3, pixels: pixels)
    }
}
