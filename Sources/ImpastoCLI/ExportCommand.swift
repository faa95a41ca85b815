import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto export MODEL -o model.onnx`: a network as an ONNX file for phones and other runtimes.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a network as an ONNX file (opset 17, dynamic height and width) for onnxruntime and phones.",
        discussion: """
            MODEL is a style network (a bundled style's name or a TransformerNet .pth/.safetensors file) or \
            mobilenet_v2. A style network's ONNX graph takes RGB 0–255 [N, 3, H, W] as `image` and gives \
            unclamped RGB 0–255 as `stylized`; MobileNetV2's takes ImageNet-normalised RGB and gives `logits`.

            Examples:
              impasto export starry -o starry.onnx
              impasto export my-style.pth -o my-style.onnx
              impasto export mobilenet_v2 -o mobilenet_v2.onnx
            """)

    @Argument(help: "A bundled style's name, a TransformerNet weight file, or mobilenet_v2.")
    var model: String

    @Option(name: .shortAndLong, help: "The .onnx file to write.")
    var output: String

    @Option(help: "A torchvision MobileNetV2 state dict to use instead of the installed one (with mobilenet_v2).")
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
