import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto explain IMAGE --method M [--class N | --layer L --channel C] -o OUT.png`: what a CNN looks at.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which pixels a network's answer depends on: saliency, deconvnet, guided backprop, Grad-CAM or integrated gradients.",
        discussion: """
            With MobileNetV2 (the default) the answer is an ImageNet class, the photo's most likely unless --class \
            names one; the network sees torchvision's 224×224 centre crop. With --model vgg19 it is one channel of \
            a layer (--layer relu4_1 --channel 59): what that channel responds to. Saliency, Grad-CAM and \
            integrated gradients are drawn as heat over the photo (--no-overlay: alone); guided backprop and \
            deconvnet as the image they reconstruct. The attributions are captum's.

            Examples:
              impasto explain photo.jpg --method gradcam -o cam.png
              impasto explain photo.jpg --method integrated --class 285 --steps 100 -o ig.png
              impasto explain photo.jpg --method guided --model vgg19 --layer relu4_1 --channel 59 -o guided.png
              impasto explain --atlas photos/ -o atlas.png
            """)

    @Argument(help: "A JPEG or PNG image (with --atlas: images and folders of them).")
    var inputs: [String]

    @Flag(help: "Instead of one attribution: an atlas of what each VGG-19 block's strongest channels respond to in the images.")
    var atlas = false

    @Option(help: "With --atlas: channels per block.")
    var channels = 4

    @Option(help: "saliency, deconvnet, guided, gradcam or integrated.",
            transform: { text in
                guard let method = AttributionMethod(rawValue: text) else {
                    throw ValidationError("--method must be one of \(AttributionMethod.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'.")
                }
                return method
            })
    var method: AttributionMethod?

    @Option(name: .shortAndLong, help: "The picture (.png, .jpg or .jpeg).")
    var output: String

    @Option(help: "mobilenet_v2 (classes) or vgg19 (channels).",
            transform: { text in
                guard let network = ExplainJob.Network(rawValue: text) else {
                    throw ValidationError("--model must be mobilenet_v2 or vgg19, not '\(text)'.")
                }
                return network
            })
    var model: ExplainJob.Network = .mobilenetV2

    @Option(name: .customLong("class"), help: "The ImageNet class to explain, 0 to 999 (default: the most likely).")
    var targetClass: Int?

    @Option(help: "The VGG-19 layer whose channel is explained (relu1_1 … pool5).")
    var layer: String?

    @Option(help: "The channel of --layer.")
    var channel: Int?

    @Option(help: "Integrated gradients: quadrature nodes along the path from black.")
    var steps = 50

    @Option(help: "Integrated gradients: nodes evaluated per batch (bounds memory whatever --steps is).")
    var batchSize = 10

    @Option(help: "VGG-19: the longest side the photo is scaled to.")
    var size = 256

    @Flag(inversion: .prefixedNo, help: "Draw heat over the photo.")
    var overlay = true

    @Option(help: "A weight file to use instead of the installed one.")
    var weights: String?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if atlas {
            guard method == nil else { throw ValidationError("--atlas draws its own guided reconstructions; leave out --method.") }
        } else {
            guard method != nil else { throw ValidationError("Give --method (saliency, deconvnet, guided, gradcam or integrated), or --atlas.") }
            guard inputs.count == 1 else { throw ValidationError("explain takes one image (--atlas takes several).") }
        }
    }

    func run() throws {
        let context = JobContext(progress: progress.mode)
        if atlas {
            var job = LayerAtlas(photos: inputs.map { URL(fileURLWithPath: $0) }, output: URL(fileURLWithPath: output))
            job.channels = channels
            job.weights = weights
            return try job.run(context)
        }
        var job = ExplainJob(input: URL(fileURLWithPath: inputs[0]), output: URL(fileURLWithPath: output), method: method!)
        job.network = model
        job.targetClass = targetClass
        job.layer = layer
        job.channel = channel
        job.steps = steps
        job.batchSize = batchSize
        job.size = size
        job.overlay = overlay
        job.weights = weights
        _ = try job.run(context)
    }
}
