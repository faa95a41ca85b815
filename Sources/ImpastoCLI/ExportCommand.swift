import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto export MODEL -o model.onnx`: a network as an ONNX file for phones and other runtimes.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a network as an ONNX file (opset 17, dynamic height and width) for onnxruntime and phones.",
        discussion: """
            MODEL is a style network (a bundled style's name or a TransformerNet .pth/.safetensors file), \
            mobilenet_v2, or MediaPipe's selfie segmenter (selfie-general, selfie-landscape). A style network's \
            ONNX graph takes RGB 0–255 [N, 3, H, W] as `image` and gives unclamped RGB 0–255 as `stylized`; \
            MobileNetV2's takes ImageNet-normalised RGB and gives `logits`; a selfie segmenter's takes RGB in \
            [0, 1] at its fixed size (256×256 or 144×256, batch dynamic) and gives the person probability as `mask`.

            Examples:
              impasto export starry -o starry.onnx
              impasto export my-style.pth -o my-style.onnx
              impasto export mobilenet_v2 -o mobilenet_v2.onnx
              impasto export selfie-general -o selfie.onnx
            """)

    @Argument(help: "A bundled style's name, a TransformerNet weight file, mobilenet_v2, selfie-general or selfie-landscape.")
    var model: String

    @Option(name: .shortAndLong, help: "The .onnx file to write.")
    var output: String

    @Option(help: "A torchvision MobileNetV2 state dict (with mobilenet_v2) or a selfie segmentation .tflite file to use instead of the installed one.")
    var weights: String?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try validateJob { try job().validate() }
    }

    /// The job these arguments describe.
    func job() -> ExportJob {
        var job = ExportJob(model: model, output: URL(fileURLWithPath: output))
        job.weights = weights
        return job
    }

    func run() throws {
        _ = try job().run(JobContext(progress: progress.mode))
    }
}
