import Foundation
import ImpastoFormats
import ImpastoModels
import ImpastoTensor

/// One `impasto export` run: a network written as an ONNX file (opset 17, dynamic batch, height and width; the
/// selfie segmenters at their fixed input size) that onnxruntime, ONNX Runtime Mobile and other ONNX readers run
/// without Impasto, as pytorch/examples' fast style transfer users do with `--export_onnx`. The file is written
/// atomically. In JSON mode the one event is
/// `{"event":"done","output":…,"network":…,"operators":…,"bytes":…}`.
public struct ExportJob: Sendable {
    /// `mobilenet_v2`, `selfie-general`, `selfie-landscape`, a bundled style's name (`starry`), or a TransformerNet
    /// weight file (`.pth`, safetensors).
    public var model: String
    /// The `.onnx` file written.
    public var output: URL
    /// A torchvision MobileNetV2 state dict to use instead of the installed `mobilenet_v2`, or a selfie
    /// segmentation `.tflite` file instead of the installed one.
    public var weights: String?

    public init(model: String, output: URL) {
        self.model = model
        self.output = output
    }

    /// What was written.
    public struct Outcome: Sendable {
        public let output: URL
        /// "TransformerNet", "MobileNetV2" or "SelfieSegmentation".
        public let network: String
        public let operators: Int
        public let bytes: Int
    }

    private var isClassifier: Bool { model == "mobilenet_v2" }
    /// MediaPipe's selfie segmenters, run by Impasto's TensorFlow Lite interpreter.
    private var isSelfie: Bool { model == "selfie-general" || model == "selfie-landscape" }

    /// Checks the options before any work.
    public func validate() throws {
        guard output.pathExtension.lowercased() == "onnx" else {
            throw ImpastoError.invalidArgument("The output \(output.path) must be an .onnx file.")
        }
        if weights != nil, !isClassifier, !isSelfie {
            throw ImpastoError.invalidArgument("--weights goes with mobilenet_v2, selfie-general or selfie-landscape; a style network is named by its file directly.")
        }
        let styleFile = isClassifier || isSelfie ? nil : ((try? BundledStyles.modelFile(model)) ?? URL(fileURLWithPath: model))
        try Overwriting.refuse(outputs: [output], inputs: [styleFile, weights.map { URL(fileURLWithPath: $0) }].compactMap { $0 })
    }

    /// Loads the network, maps it to ONNX operators and writes the file.
    ///
    /// - Throws: `ImpastoError` for weights that cannot be read, `ONNXExportError` for a layer with no mapping,
    ///   or a write that fails (nothing is left at `output` then).
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try validate()
        let (network, onnx): (String, ONNXModel)
        if isSelfie {
            (network, onnx) = ("SelfieSegmentation", try selfieModel(context))
        } else if isClassifier {
            let classifier = try ModelCache.shared.installedClassifier(weights: weights)
            network = "MobileNetV2"
            onnx = try classifier.model.onnxModel(metadata: [
                ("impasto.network", network),
                ("impasto.input", "RGB in [0, 1], normalised by mean (0.485, 0.456, 0.406) and deviation (0.229, 0.224, 0.225); torchvision resizes to 256 and crops 224x224"),
                ("impasto.output", "ImageNet-1k logits"),
            ])
        } else {
            network = "TransformerNet"
            onnx = try BundledStyles.model(model).onnxModel(metadata: [
                ("impasto.network", network),
                ("impasto.style", StyleSource.model(model).name),
                ("impasto.input", "RGB 0-255, [N, 3, H, W]"),
                ("impasto.output", "RGB 0-255, unclamped; H and W rounded up to multiples of 4"),
            ])
        }
        let bytes = onnx.serialized()
        try bytes.withUnsafeBytes { try AtomicFile.write($0, to: output) }
        context.reporter(title: "export", unit: .steps(name: "file", rateSymbol: "files/s"), total: 1)
            .finish(summary: "Wrote \(network) to \(output.path): \(onnx.graph.nodes.count) operators, opset \(onnx.opset), \(bytes.count) bytes.",
                    json: [("event", "done"), ("output", .string(output.path)), ("network", .string(network)),
                           ("operators", .int(Int64(onnx.graph.nodes.count))), ("bytes", .int(Int64(bytes.count)))])
        return Outcome(output: output, network: network, operators: onnx.graph.nodes.count, bytes: bytes.count)
    }

    /// MediaPipe's selfie segmenter (installed, or `weights`) as ONNX, operator by operator from its TensorFlow
    /// Lite graph, with the input size fixed and the batch dynamic.
    private func selfieModel(_ context: JobContext) throws -> ONNXModel {
        let resolution = try ModelStore().resolve(model: model, explicitPath: weights)
        if let note = resolution.note { context.note(note) }
        let segmenter = try ModelCache.shared.selfieSegmentation(contentsOf: resolution.url)
        let size = "\(segmenter.inputHeight)x\(segmenter.inputWidth)"
        return try segmenter.interpreter.onnxModel(name: "SelfieSegmentation", input: "image", output: "mask", metadata: [
            ("impasto.network", "MediaPipe selfie segmentation (\(model.dropFirst(7)), mediapipe 0.10.14)"),
            ("impasto.input", "RGB in [0, 1], [N, 3, \(segmenter.inputHeight), \(segmenter.inputWidth)]: the whole picture stretched to \(size) (MediaPipe: bilinear warp, aspect ratio not kept)"),
            ("impasto.output", "person probability [N, 1, \(segmenter.inputHeight), \(segmenter.inputWidth)]; MediaPipe resizes it to the picture with bilinear interpolation (align_corners=False)"),
        ])
    }
}
