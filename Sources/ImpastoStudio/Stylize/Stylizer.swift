import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoOptimizers
import ImpastoTensor

// Neural style transfer by optimisation: Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style"
// (arXiv:1508.06576), with the losses, defaults and options of jcjohnson/neural-style and its PyTorch port
// ProGamerGov/neural-style-pt.

/// One iteration's report to the caller of `Stylizer.run`.
public struct StylizeProgress {
    /// 1-based, counted over all stages.
    public let iteration: Int
    /// Iterations over all stages.
    public let total: Int
    /// 0-based index of the current coarse-to-fine stage, and how many there are.
    public let stage: Int, stageCount: Int
    /// The losses of the image being evaluated at this iteration.
    public let losses: StylizeLosses
    /// Whether `saveEvery` asks for this iteration to be saved (never the last: its image is the result).
    public let isCheckpoint: Bool
    /// The evaluated image in the network's input space; the optimiser changes it after the callback
    /// returns, so read it (or call `image()`) inside the callback.
    public let input: Tensor
    fileprivate let render: (Tensor) -> Image

    /// The evaluated image as the result would show it (original colours restored where asked).
    public func image() -> Image { render(input) }
}

/// What the progress callback wants next.
public enum StylizeAction: Sendable {
    /// Carry on.
    case proceed
    /// Stop now and return the best image so far (Ctrl-C).
    case stop
}

/// The outcome of `Stylizer.run`.
public struct StylizeResult {
    /// The stylised image (original colours restored where asked).
    public let image: Image
    /// The losses of that image.
    public let losses: StylizeLosses
    /// Iterations run over all stages (fewer than asked when stopped).
    public let iterations: Int
    /// Whether the progress callback stopped the run.
    public let stopped: Bool
}

/// Runs Gatys style transfer on a frozen VGG-19.
///
/// ```swift
/// let stylizer = try Stylizer(contentsOf: weightsURL, preprocessing: .caffe)
/// var options = StylizeOptions()
/// options.iterations = 500
/// let result = try stylizer.run(content: photo, styles: [painting], options: options) { progress in
///     print(progress.iteration, progress.losses.total)
///     return .proceed
/// }
/// ```
///
/// Each iteration is one evaluation of the loss and its gradient. The result is the evaluated image with the
/// lowest loss of the last stage, which is almost always the last one evaluated, as in neural-style. The two
/// differ when L-BFGS, run without a line search as neural-style runs it, takes one of its occasional wild
/// steps: torch's L-BFGS on a 128 px job jumped from a loss of 2.8e5 to 2.0e9 at iteration 43 and recovered
/// within ten. neural-style returns such an image if the run ends there; Impasto returns the best one before it.
///
/// One stylizer serves any number of runs, one after another or side by side on several threads (a service's
/// jobs): runs share its frozen networks and change nothing in them.
public final class Stylizer: @unchecked Sendable {
    /// What the weights expect as input.
    public let preprocessing: VGGPreprocessing
    private var networks: [VGG19.Pooling: VGG19]
    private let lock = NSLock()

    /// A stylizer on VGG-19 weights as read from a file (see `VGG19.pretrained`).
    public init(weights: [String: Tensor], preprocessing: VGGPreprocessing, source: String) throws {
        self.preprocessing = preprocessing
        networks = [.max: try VGG19.pretrained(weights, source: source)]
    }

    /// A stylizer on the VGG-19 weight file at `url` (safetensors or PyTorch checkpoint).
    public convenience init(contentsOf url: URL, preprocessing: VGGPreprocessing) throws {
        try self.init(weights: VGG19.weights(contentsOf: url), preprocessing: preprocessing, source: url.path)
    }

    /// The network with `pooling`, sharing the loaded weights' values.
    private func network(pooling: VGG19.Pooling) -> VGG19 {
        lock.lock()
        defer { lock.unlock() }
        if let network = networks[pooling] { return network }
        let weights = Dictionary(uniqueKeysWithValues: networks[.max]!.stateDict().map { ($0.name, $0.tensor) })
        let network = try! VGG19.pretrained(weights, pooling: pooling, source: "the loaded VGG-19")
        networks[pooling] = network
        return network
    }

    /// VGG-19 pools four times before relu5_1: an image narrower than 16 pixels at any stage would reach a
    /// pooling window larger than itself.
    static let minimumSide = 16

    /// Refuses a content or style image that some stage would scale below `minimumSide` on either side.
    static func checkSizes(content: Image, styles: [Image], stages: [(size: Int, iterations: Int)], styleScale: Double) throws {
        for stage in stages {
            let styleSide = max(1, Int(Double(stage.size) * styleScale))
            let scaled = [("content image", content.size(longestSide: stage.size))]
                + styles.map { ("style image", $0.size(longestSide: styleSide)) }
            for (name, size) in scaled where min(size.width, size.height) < minimumSide {
                throw ImpastoError.invalidArgument("The \(name) becomes \(size.width)×\(size.height) pixels at \(stage.size) px, "
                    + "too small to stylize: VGG-19 needs at least \(minimumSide) pixels on each side.")
            }
        }
    }

    /// Stylises `content` after `styles`.
    ///
    /// - Parameters:
    ///   - progress: called after every evaluation; return `.stop` to end the run early with that image.
    ///     Errors it throws end the run and propagate.
    /// - Throws: `ImpastoError.invalidArgument` for inconsistent options, or what `progress` throws.
    public func run(content: Image, styles: [Image], options: StylizeOptions,
                    progress: (StylizeProgress) throws -> StylizeAction = { _ in .proceed }) throws -> StylizeResult {
        try options.validate(styleCount: styles.count)
        // The precision is this run's, not the shared network's: runs side by side may differ.
        return try Precision.$current.withValue(options.precision) {
            try optimizeStages(content: content, styles: styles, options: options, progress: progress)
        }
    }

    /// `run` after validation, in the run's precision.
    private func optimizeStages(content: Image, styles: [Image], options: StylizeOptions,
                                progress: (StylizeProgress) throws -> StylizeAction) throws -> StylizeResult {
        let network = network(pooling: options.pooling)
        let blend = options.styleBlendWeights ?? Array(repeating: 1, count: styles.count)
        let blendSum = blend.reduce(0, +)
        let blendWeights = blend.map { $0 / blendSum }
        var generator = RandomGenerator(seed: options.seed ?? UInt64.random(in: .min ... .max))
        let palettes = options.styleColors.map { colors in
            styles.map { StylePalette(image: $0.rgb(), colors: colors, generator: &generator) }
        }

        let stages = options.stages
        try Self.checkSizes(content: content, styles: styles, stages: stages, styleScale: options.styleScale)
        let total = options.totalIterations
        var iteration = 0
        var best: (input: Tensor, losses: StylizeLosses)?
        var render: (Tensor) -> Image = preprocessing.image(from:)
        func result(stopped: Bool) -> StylizeResult {
            let (input, losses) = best!
            return StylizeResult(image: render(input), losses: losses, iterations: iteration, stopped: stopped)
        }
        for (stageIndex, stage) in stages.enumerated() {
            let contentImage = content.rgb().resized(longestSide: stage.size, filter: .bilinear)
            let contentInput = preprocessing.networkInput(from: contentImage)
            let styleSide = Int(Double(stage.size) * options.styleScale)
            let styleInputs = styles.enumerated().map { index, style in
                let resized = style.rgb().resized(longestSide: styleSide, filter: .bilinear)
                return preprocessing.networkInput(from: palettes?[index].applied(to: resized) ?? resized)
            }
            let faceMask = options.protectedFaces.isEmpty ? nil
                : Self.faceMask(options.protectedFaces, scale: Float(contentImage.width) / Float(content.width),
                                width: contentImage.width, height: contentImage.height)
            let objective = StylizeObjective(network: network, content: contentInput, styles: styleInputs,
                                              blendWeights: blendWeights, options: options, faceMask: faceMask)
            let image = startingImage(previous: best?.input, content: contentInput, options: options,
                                      generator: &generator).requiringGradient()
            render = { [preprocessing] input in
                let result = preprocessing.image(from: input)
                return options.originalColors ? contentImage.withLuminance(of: result) : result
            }
            best = nil  // losses of different sizes do not compare: the best is the best of this stage
            // Evaluates the current image, reports it and keeps a copy of the best one of the stage (the
            // optimiser changes `image` in place, and its move after the last evaluation is never evaluated).
            func evaluate() throws -> (loss: Float, gradients: Gradients) {
                let (losses, gradients) = objective.evaluate(image)
                iteration += 1
                if let kept = best?.input {
                    if losses.total < best!.losses.total {
                        kept.assign(image)  // reuses the copy's buffer: this happens nearly every iteration
                        best!.losses = losses
                    }
                } else {
                    best = (image.copy(), losses)
                }
                let report = StylizeProgress(
                    iteration: iteration, total: total, stage: stageIndex, stageCount: stages.count, losses: losses,
                    isCheckpoint: options.saveEvery > 0 && iteration % options.saveEvery == 0 && iteration != total,
                    input: image, render: render)
                if try progress(report) == .stop { throw StopRequested() }
                return (losses.total, gradients)
            }
            do {
                try optimize(image, iterations: stage.iterations, options: options, evaluate: evaluate)
            } catch is StopRequested {
                return result(stopped: true)
            }
        }
        return result(stopped: false)
    }

    /// `FaceProtection`'s feathered mask of `faces` (in the content image's pixels) at a stage's size.
    static func faceMask(_ faces: [DetectedFace], scale: Float, width: Int, height: Int) -> Tensor {
        let scaled = faces.map { $0.scaled(by: scale) }
        return Tensor(shape: [1, 1, height, width], scalars: FaceProtection.mask(scaled, width: width, height: height))
    }

    /// The first image of a stage: the previous stage's result upsampled, or the configured start.
    private func startingImage(previous: Tensor?, content: Tensor, options: StylizeOptions,
                               generator: inout RandomGenerator) -> Tensor {
        let (height, width) = (content.shape[2], content.shape[3])
        if let previous {
            return withoutGradients { upsampleBilinear2d(previous, size: (height, width)) }.copy()
        }
        switch options.initialization {
        case .random:
            return Tensor.randomNormal(content.shape, standardDeviation: 0.001, generator: &generator)
        case .content:
            return content.copy()
        case .image(let start):
            return preprocessing.networkInput(from: start.rgb().resized(width: width, height: height, filter: .bilinear))
        }
    }

    /// Runs `iterations` evaluations of `evaluate` with the chosen optimiser, updating `image` in place.
    private func optimize(_ image: Tensor, iterations: Int, options: StylizeOptions,
                          evaluate: () throws -> (loss: Float, gradients: Gradients)) throws {
        switch options.optimizer {
        case .lbfgs:
            let optimizer = LBFGS(parameters: [image], maxIterations: iterations, toleranceGrad: -1,
                                  toleranceChange: -1, historySize: options.historySize)
            try optimizer.step(evaluate)
        case .adam:
            let optimizer = Adam(parameters: [image], learningRate: options.learningRate)
            for index in 1...iterations {
                let (_, gradients) = try evaluate()
                if index < iterations { optimizer.step(gradients) }
            }
        }
    }
}

/// Thrown through the optimiser to end a run the progress callback stopped.
private struct StopRequested: Error {}
