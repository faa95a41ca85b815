import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// The settings of a Gatys style transfer, with the defaults of jcjohnson/neural-style (and of its PyTorch
/// port neural-style-pt, which keeps them), so a run with defaults is the run their users know.
public struct StylizeOptions: Sendable, Equatable {
    /// VGG-19's pooling: max (the network's own) or average (Gatys et al.'s suggestion for smoother results).
    public typealias Pooling = VGG19.Pooling

    /// How the image is optimised.
    public enum Optimizer: String, Sendable, CaseIterable {
        /// L-BFGS as neural-style runs it: one `step` of `iterations` iterations, step length 1, no line
        /// search, both tolerances disabled.
        case lbfgs
        /// Adam with `learningRate`, one step per iteration.
        case adam
    }

    /// Where the optimisation starts.
    public enum Initialization: Sendable, Equatable {
        /// Gaussian noise with standard deviation 0.001 in the network's input space (seeded by `seed`).
        case random
        /// The content image.
        case content
        /// Another image, resized to the content image's size.
        case image(Image)
    }

    /// Weight of each content loss term.
    public var contentWeight: Float = 5
    /// Weight of each style loss term (one per style layer).
    public var styleWeight: Float = 100
    /// Weight of the total-variation smoothness term; 0 leaves it out.
    public var tvWeight: Float = 1e-3
    /// VGG-19 layers whose activations the result must share with the content image.
    public var contentLayers = ["relu4_2"]
    /// VGG-19 layers whose Gram matrices the result must share with the style images.
    public var styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    /// The longest side of the result, in pixels.
    public var size = 512
    /// The style images' longest side relative to `size` (truncated to whole pixels, as neural-style-pt does).
    public var styleScale: Double = 1
    /// Optimisation steps, each one evaluation of the loss and its gradient.
    public var iterations = 1000
    /// The optimiser.
    public var optimizer: Optimizer = .lbfgs
    /// Adam's step size (neural-style's default; L-BFGS always uses step length 1, as neural-style does).
    public var learningRate: Double = 10
    /// How many curvature pairs L-BFGS keeps (neural-style's `-lbfgs_num_correction`).
    public var historySize = 100
    /// Where the optimisation starts.
    public var initialization: Initialization = .random
    /// Fixes the random start and the palette reduction; nil draws a fresh seed.
    public var seed: UInt64?
    /// Keep the content image's colours: only luminance comes from the optimised image.
    public var originalColors = false
    /// How VGG-19 downsamples.
    public var pooling: Pooling = .max
    /// Scale each loss term's gradient to unit L1 norm before weighting it, as neural-style's
    /// `-normalize_gradients` does.
    public var normalizeGradients = false
    /// Relative weights of the style images (normalised to sum to 1); nil weighs them equally.
    public var styleBlendWeights: [Float]?
    /// The arithmetic of VGG-19's convolutions.
    public var precision: Precision = .fp32
    /// Every how many iterations a caller should save an intermediate result (0: never); the stylizer
    /// only reports it through `StylizeProgress.isCheckpoint`.
    public var saveEvery = 0
    /// Coarse-to-fine sizes (longest side), each stage starting from the previous result upsampled; when
    /// given, they replace `size`. Empty runs once at `size`.
    public var scales: [Int] = []
    /// Iterations of each stage of `scales`; empty runs `iterations` at each.
    public var iterationsPerScale: [Int] = []
    /// Reduce each style image to this many colours (k-means in CIELAB) before extracting its style.
    public var styleColors: Int?
    /// Faces (in the content image's pixels) whose content is kept more strongly: inside a feathered ellipse around
    /// each, the content loss counts `faceStrength × 100` times more per pixel than elsewhere (`--protect-faces`).
    public var protectedFaces: [DetectedFace] = []
    public var faceStrength: Float = 0.8
    /// Every padded convolution of VGG-19 wraps around (`ConvolutionPadding`), so the result tiles without seams.
    public var tileable = false

    /// The defaults.
    public init() {}

    /// Sizes accepted for `size` and `scales`: VGG-19 needs 16 pixels to reach `relu5_1`, and above
    /// 8192 its activations no longer fit in memory.
    public static let sizeRange = 16...8192

    /// Iterations over all stages.
    public var totalIterations: Int { stages.reduce(0) { $0 + $1.iterations } }

    /// The stages to run: (longest side, iterations) for each.
    public var stages: [(size: Int, iterations: Int)] {
        if scales.isEmpty { return [(size, iterations)] }
        return scales.enumerated().map { ($1, $0 < iterationsPerScale.count ? iterationsPerScale[$0] : iterations) }
    }

    /// Checks the options against each other and against `styleCount` style images.
    ///
    /// - Throws: `ImpastoError.invalidArgument` with one sentence naming the offending option.
    public func validate(styleCount: Int) throws {
        func fail(_ message: String) -> ImpastoError { .invalidArgument(message) }
        for layer in contentLayers + styleLayers { _ = try VGG19.checkedChannels(of: layer) }
        if contentLayers.isEmpty && styleLayers.isEmpty { throw fail("Name at least one content or style layer.") }
        if styleCount < 1 && !styleLayers.isEmpty { throw fail("Give at least one style image.") }
        if let weights = styleBlendWeights {
            if weights.count != styleCount {
                throw fail("There are \(styleCount) style image(s) but \(weights.count) style blend weight(s); give one weight per style image.")
            }
            if weights.contains(where: { !($0 >= 0) }) || !(weights.reduce(0, +) > 0) {
                throw fail("Style blend weights must be non-negative and not all zero.")
            }
        }
        for side in [size] + scales where !Self.sizeRange.contains(side) {
            throw fail("Image size \(side) is outside \(Self.sizeRange.lowerBound)…\(Self.sizeRange.upperBound) pixels.")
        }
        for stage in stages {
            let styleSide = Int(Double(stage.size) * styleScale)
            if !styleLayers.isEmpty && !Self.sizeRange.contains(styleSide) {
                throw fail("Style scale \(styleScale) makes the style images \(styleSide) pixels, outside \(Self.sizeRange.lowerBound)…\(Self.sizeRange.upperBound).")
            }
        }
        if !iterationsPerScale.isEmpty && iterationsPerScale.count != scales.count {
            throw fail("There are \(scales.count) scale(s) but \(iterationsPerScale.count) iteration count(s); give one per scale.")
        }
        if stages.contains(where: { $0.iterations < 1 }) { throw fail("The number of iterations must be at least 1.") }
        if !(learningRate > 0) { throw fail("The learning rate must be positive.") }
        if historySize < 1 { throw fail("The L-BFGS history size must be at least 1.") }
        if saveEvery < 0 { throw fail("Save-every must be 0 (never) or a positive number of iterations.") }
        if let colors = styleColors, !(1...256).contains(colors) {
            throw fail("Style colours must be between 1 and 256, not \(colors).")
        }
        for (name, weight) in [("content", contentWeight), ("style", styleWeight), ("TV", tvWeight)]
        where !(weight >= 0 && weight.isFinite) {
            throw fail("The \(name) weight must be a non-negative number, not \(weight).")
        }
    }
}
