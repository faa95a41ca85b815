import Foundation
import ImpastoFormats
import ImpastoTensor

// MediaPipe Selfie Segmentation: Google's person/background segmenter for video calls (model card "MediaPipe
// Selfie Segmentation", 2021): a MobileNetV3-style encoder (hard-swish, squeeze-and-excitation) and a small
// decoder, ending in a transposed convolution and a sigmoid.
//
// Weights: mediapipe 0.10.14 (PyPI wheel, Apache-2.0), `mediapipe/modules/selfie_segmentation/`:
// `selfie_segmentation.tflite` (general, 256×256 input) and `selfie_segmentation_landscape.tflite` (144×256,
// height × width); float16 weights; SHA-256 in scripts/fetch-test-weights.sh and Studio's ModelRegistry.
//
// Input, as mediapipe's selfie_segmentation_cpu graph prepares it: the whole RGB image stretched (aspect ratio
// not kept) to the model's size by OpenCV's bilinear warp in 8 bits, values in [0, 1] (mediaPipeImageToTensor).
// Output: one channel, already a probability (the graph applies no activation); MediaPipe resizes it to the
// image with OpenCV's bilinear `resize`, which is `align_corners=False` bilinear interpolation.

/// A selfie segmentation model: the probability that each pixel belongs to a person.
public struct SelfieSegmentation: Sendable {
    public let interpreter: TFLiteInterpreter
    /// The model's input size (256×256 for the general model, 144×256 for the landscape one).
    public let inputHeight: Int, inputWidth: Int

    /// The model in the `.tflite` file at `url`. Throws a sentence naming the file when it is not a
    /// TensorFlow Lite model, not a segmenter of this kind (one RGB image in, one same-sized mask out), or uses
    /// an operator the interpreter does not implement.
    public init(contentsOf url: URL) throws {
        let model = try TFLiteModel.load(contentsOf: url)
        try Self.checkSignature(model, path: url.path)
        interpreter = try TFLiteInterpreter(model: model, source: url.path)
        (inputHeight, inputWidth) = (interpreter.inputShapes[0][2], interpreter.inputShapes[0][3])
    }

    /// The person probability of each pixel of `image` (`[1, 3, H, W]`, RGB in [0, 1]), `[H, W]`, as
    /// `mp.solutions.selfie_segmentation` returns it.
    public func mask(for image: Tensor) throws -> Tensor {
        let output = try modelOutput(for: image)
        let (height, width) = (image.shape[2], image.shape[3])
        return upsampleBilinear2d(output, size: (height, width)).reshaped([height, width])
    }

    /// The model's own output for `image`: `[1, 1, inputHeight, inputWidth]` probabilities.
    public func modelOutput(for image: Tensor) throws -> Tensor {
        guard image.rank == 4, image.shape[0] == 1, image.shape[1] == 3 else {
            throw ImpastoError.invalidArgument("Selfie segmentation takes one RGB image [1, 3, H, W], not \(image.shape).")
        }
        return try interpreter([mediaPipeImageToTensor(image, width: inputWidth, height: inputHeight)])[0]
    }

    /// One float32 NHWC image input and one single-channel output of the same height and width.
    private static func checkSignature(_ model: TFLiteModel, path: String) throws {
        let graph = model.subgraphs[0]
        let inputs = graph.inputs.map { graph.tensors[$0] }, outputs = graph.outputs.map { graph.tensors[$0] }
        if inputs.count == 1, outputs.count == 1, inputs[0].type == .float32, outputs[0].type == .float32 {
            let (input, output) = (inputs[0].shape, outputs[0].shape)
            if input.count == 4, input[0] == 1, input[3] == 3, output == [1, input[1], input[2], 1] { return }
        }
        let described = { (tensors: [TFLiteTensor]) in tensors.map { "\($0.shape)" }.joined(separator: " and ") }
        throw ImpastoError.invalidFormat(path: path, reason: "it is not a selfie segmentation model: it takes "
            + "\(described(inputs)) and gives \(described(outputs)), where one RGB image [1, H, W, 3] in and one mask "
            + "[1, H, W, 1] out are needed")
    }
}
