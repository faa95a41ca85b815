import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// One `impasto explain` run: which pixels of a photo a network's score depends on, by one of captum's methods,
/// drawn as a picture. The score is an ImageNet class of MobileNetV2 (the photo's most likely by default), or
/// one channel of a VGG-19 layer summed over the map (what that channel responds to, as in the seed's figures).
public struct ExplainJob: Sendable {
    /// The networks explained.
    public enum Network: String, Sendable, CaseIterable {
        case mobilenetV2 = "mobilenet_v2"
        case vgg19
    }

    public var input: URL
    /// A PNG or JPEG file.
    public var output: URL
    public var method: AttributionMethod
    public var network: Network = .mobilenetV2
    /// The ImageNet class explained (MobileNetV2); nil: the photo's most likely class.
    public var targetClass: Int?
    /// The layer (`relu4_1`) and channel explained (VGG-19).
    public var layer: String?
    public var channel: Int?
    /// Gauss–Legendre nodes for integrated gradients, and how many run per batch.
    public var steps = 50
    public var batchSize = 10
    /// The longest side VGG-19 sees (MobileNetV2 sees torchvision's 224×224 centre crop).
    public var size = 256
    /// Heat drawn over the photo (else alone).
    public var overlay = true
    /// A weight file to use instead of the installed one.
    public var weights: String?
    public var quality = 95

    public init(input: URL, output: URL, method: AttributionMethod) {
        self.input = input
        self.output = output
        self.method = method
    }

    /// What was explained, and where the picture went.
    public struct Outcome: Sendable {
        /// "class 285 (Egyptian cat), p = 0.72" or "relu4_1 channel 59".
        public let target: String
        public let output: URL
    }

    /// Checks the options against each other before any work.
    public func validate() throws {
        _ = try outputFormat()
        try Overwriting.refuse(outputs: [output], inputs: [input] + (weights.map { [URL(fileURLWithPath: $0)] } ?? []))
        guard steps >= 1, batchSize >= 1 else {
            throw ImpastoError.invalidArgument("--steps and --batch-size must be at least 1.")
        }
        switch network {
        case .mobilenetV2:
            guard layer == nil, channel == nil else {
                throw ImpastoError.invalidArgument("--layer and --channel explain VGG-19's channels; add --model vgg19, or use --class with MobileNetV2.")
            }
            if let targetClass, !(0..<1000).contains(targetClass) {
                throw ImpastoError.invalidArgument("--class must be an ImageNet class from 0 to 999, not \(targetClass).")
            }
        case .vgg19:
            guard targetClass == nil else {
                throw ImpastoError.invalidArgument("VGG-19's weights here have no classifier; explain a channel with --layer and --channel, or a class with --model mobilenet_v2.")
            }
            guard method != .gradcam else {
                throw ImpastoError.invalidArgument("Grad-CAM explains a class; use it with --model mobilenet_v2.")
            }
            guard let layer, let channel else {
                throw ImpastoError.invalidArgument("With --model vgg19, give --layer (e.g. relu4_1) and --channel.")
            }
            _ = try VGG19.checkedChannels(of: layer, channel: channel)
            guard size >= 32 else { throw ImpastoError.invalidArgument("--size must be at least 32, not \(size).") }
        }
    }

    /// Computes the attribution and writes its picture atomically.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try validate()
        let photo = try Image(contentsOf: input)
        let reporter = context.reporter(title: "explain", unit: .steps(name: "step", rateSymbol: "steps/s"), total: nil)
        let (attribution, seen, target) = switch network {
        case .mobilenetV2: try explainClass(photo, context)
        case .vgg19: try explainChannel(photo, context)
        }
        let picture = AttributionPicture.draw(method, attribution, over: seen, overlay: overlay)
        try picture.write(to: output, format: try outputFormat())
        reporter.finish(summary: "Wrote \(output.path): \(method.rawValue) of \(target)",
                        json: [("event", "done"), ("output", .string(output.path)), ("target", .string(target)),
                               ("method", .string(method.rawValue))])
        return Outcome(target: target, output: output)
    }

    private func outputFormat() throws -> ImageFileFormat { try ImageInputs.format(of: output, quality: quality) }

    /// MobileNetV2's class score on torchvision's centre crop.
    private func explainClass(_ photo: Image, _ context: JobContext) throws -> (Tensor, Image, String) {
        let classifier = try ModelCache.shared.installedClassifier(weights: weights)
        let input = classifier.input(for: photo)
        let logits = withoutGradients { classifier.model(input) }
        let best = classifier.classes(logits: logits, top: 1)[0]
        let target = targetClass ?? best.index
        let probability = withoutGradients { softmax(logits, axis: 1) }.scalars[target]
        let name = "class \(target) (\(classifier.classNames[target])), p = \(String(format: "%.3f", probability))"
        context.note("explaining \(name)")
        let model = classifier.model
        let score: (Tensor) -> Tensor = { model($0).sliced(axis: 1, target..<target + 1) }
        let attribution = attribute(score, input) {
            let features = withoutGradients { model(input, keeping: [18]).features[18]! }
            return Attribution.gradCAM(features: features) {
                model.logits(fromFeatures: $0).sliced(axis: 1, target..<target + 1)
            }
        }
        return (attribution, VGGPreprocessing.torchvision.image(from: input), name)
    }

    /// A VGG-19 channel's summed activation, on the photo scaled to `size`.
    private func explainChannel(_ photo: Image, _ context: JobContext) throws -> (Tensor, Image, String) {
        let (vgg, preprocessing) = try ModelCache.shared.installedVGG19(weights: weights)
        let scaled = photo.rgb().resized(longestSide: min(size, max(photo.width, photo.height)))
        let input = preprocessing.networkInput(from: scaled)
        let (layer, channel) = (self.layer!, self.channel!)
        let score: (Tensor) -> Tensor = { vgg($0, layers: [layer])[layer]!.sliced(axis: 1, channel..<channel + 1) }
        let attribution = attribute(score, input) { preconditionFailure("validated: no Grad-CAM on VGG-19") }
        return (attribution, scaled, "\(layer) channel \(channel)")
    }

    /// The attribution of `score` at `input` by this job's method (`gradCAM` computes Grad-CAM).
    private func attribute(_ score: (Tensor) -> Tensor, _ input: Tensor, gradCAM: () -> Tensor) -> Tensor {
        switch method {
        case .saliency, .guided, .deconvnet: Attribution.backpropagation(method, of: score, at: input)
        case .integrated: Attribution.integratedGradients(of: score, at: input, steps: steps, batchSize: batchSize)
        case .gradcam: gradCAM()
        }
    }
}
