import Foundation
import ImpastoFormats
import ImpastoTensor

// BlazeFace: Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs" (2019), an SSD
// detector with 896 anchors on 16×16 and 8×8 grids; per anchor a box, six keypoints and a face score.
//
// Weights: mediapipe 0.10.14 (PyPI wheel, Apache-2.0), `mediapipe/modules/face_detection/
// face_detection_short_range.tflite` (faces within about 2 m of the camera), float16 weights; SHA-256 in
// scripts/fetch-test-weights.sh and Studio's ModelRegistry. Run by the TFLite interpreter (its PAD, MAX_POOL_2D,
// RESHAPE and CONCATENATION operators are this model's).
//
// Input, as mediapipe's face_detection.pbtxt prepares it: the RGB image letterboxed (aspect ratio kept, zero
// borders) to 128×128 by OpenCV's bilinear warp in 8 bits, values in [-1, 1] (mediaPipeImageToTensor).
// Output: `regressors` [1, 896, 16] (box centre x, y, width, height, then six x, y keypoints, in tensor pixels
// from the anchor's centre) and `classificators` [1, 896, 1] (score logits). Decoded here as the graph's
// SsdAnchorsCalculator and TensorsToDetectionsCalculator options say; non-maximum suppression and the projection
// to the image are Studio's (BlazeFaceDetector).

/// One anchor's decoded detection, in fractions of the tensor's width and height (0 at its top-left corner).
public struct BlazeFaceDetection: Sendable, Equatable {
    public var xMin: Float, yMin: Float, xMax: Float, yMax: Float
    /// The face probability: the logit clipped to ±100, then the logistic function.
    public var score: Float
    /// Six points: right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the
    /// person's right and left: for a face looking at the camera, the right eye is on the image's left).
    public var keypoints: [(x: Float, y: Float)]

    public init(xMin: Float, yMin: Float, xMax: Float, yMax: Float, score: Float, keypoints: [(x: Float, y: Float)]) {
        (self.xMin, self.yMin, self.xMax, self.yMax, self.score, self.keypoints) = (xMin, yMin, xMax, yMax, score, keypoints)
    }

    public static func == (a: Self, b: Self) -> Bool {
        (a.xMin, a.yMin, a.xMax, a.yMax, a.score) == (b.xMin, b.yMin, b.xMax, b.yMax, b.score)
            && a.keypoints.elementsEqual(b.keypoints) { $0 == $1 }
    }
}

/// MediaPipe's short-range face detector.
public struct BlazeFace: Sendable {
    public let interpreter: TFLiteInterpreter
    /// The model's square input side (128).
    public let inputSize: Int
    /// Each anchor's centre, in fractions of the tensor.
    public let anchors: [(x: Float, y: Float)]
    /// Positions of the regressors and classificators among the interpreter's outputs.
    private let regressorOutput: Int, scoreOutput: Int

    /// face_detection_short_range.pbtxt's anchor grid: strides 8, 16, 16, 16 with two anchors per layer
    /// (aspect ratio 1 and the interpolated scale), fixed size: 2 per cell of the 16×16 grid, 6 per cell of the
    /// 8×8 one.
    public static let strides = [8, 16, 16, 16], anchorsPerLayer = 2
    /// The regressors' scale (x_scale, y_scale, w_scale, h_scale: the input size).
    public static let coordinateScale: Float = 128
    /// TensorsToDetectionsCalculator's score_clipping_thresh.
    public static let logitClip: Float = 100

    /// The model in the `.tflite` file at `url`. Throws a sentence naming the file when it is not a TensorFlow
    /// Lite model, not a detector of this kind (one square RGB image in; [1, 896, 16] boxes and [1, 896, 1] scores
    /// out), or uses an operator the interpreter does not implement.
    public init(contentsOf url: URL) throws {
        let model = try TFLiteModel.load(contentsOf: url)
        let (regressors, scores) = try Self.checkSignature(model, path: url.path)
        interpreter = try TFLiteInterpreter(model: model, source: url.path)
        (regressorOutput, scoreOutput) = (regressors, scores)
        inputSize = interpreter.inputShapes[0][2]
        anchors = Self.anchors(inputSize: inputSize)
    }

    /// SsdAnchorsCalculator with fixed anchor sizes: layers of equal stride share one grid, each cell holding
    /// their anchors one after another; centres at (x + 0.5) / gridWidth, in float32.
    public static func anchors(inputSize: Int) -> [(x: Float, y: Float)] {
        var anchors: [(x: Float, y: Float)] = []
        var layer = 0
        while layer < strides.count {
            let stride = strides[layer]
            let sameStride = strides[layer...].prefix { $0 == stride }.count
            let grid = (inputSize + stride - 1) / stride
            for y in 0..<grid {
                for x in 0..<grid {
                    let center = ((Float(x) + 0.5) / Float(grid), (Float(y) + 0.5) / Float(grid))
                    anchors += Array(repeating: center, count: sameStride * anchorsPerLayer)
                }
            }
            layer += sameStride
        }
        return anchors
    }

    /// The letterboxed input tensor for `image` (`[1, 3, H, W]`, RGB in [0, 1]) and where it lies in the image.
    public func input(for image: Tensor) throws -> (tensor: Tensor, region: MediaPipeRegion) {
        guard image.rank == 4, image.shape[0] == 1, image.shape[1] == 3, image.shape[2] > 0, image.shape[3] > 0 else {
            throw ImpastoError.invalidArgument("BlazeFace takes one RGB image [1, 3, H, W], not \(image.shape).")
        }
        let tensor = mediaPipeImageToTensor(image, width: inputSize, height: inputSize, range: -1...1, keepAspectRatio: true)
        let region = MediaPipeRegion(imageWidth: image.shape[3], imageHeight: image.shape[2], tensorWidth: inputSize,
                                     tensorHeight: inputSize, keepAspectRatio: true)
        return (tensor, region)
    }

    /// The model's raw outputs for an input tensor: regressors (anchors × 16) and score logits (anchors).
    public func rawOutputs(for input: Tensor) throws -> (regressors: [Float], logits: [Float]) {
        let outputs = try interpreter([input])
        return (outputs[regressorOutput].scalars, outputs[scoreOutput].scalars)
    }

    /// The anchors whose score reaches `minScore`, decoded (in anchor order), as TensorsToDetectionsCalculator
    /// with reverse_output_order: boxes of negative or NaN size are dropped, as MediaPipe drops them.
    public func decode(regressors: [Float], logits: [Float], minScore: Float) -> [BlazeFaceDetection] {
        precondition(regressors.count == 16 * anchors.count && logits.count == anchors.count,
                     "BlazeFace.decode: \(regressors.count) regressors and \(logits.count) logits for \(anchors.count) anchors")
        let scale = Self.coordinateScale
        let scores = sigmoid(Tensor(shape: [logits.count], scalars: logits).clamped(to: -Self.logitClip...Self.logitClip)).scalars
        var detections: [BlazeFaceDetection] = []
        for (index, anchor) in anchors.enumerated() {
            let score = scores[index]
            guard score >= minScore else { continue }
            let raw = regressors[(16 * index)..<(16 * index + 16)].map { $0 }
            let (centerX, centerY) = (raw[0] / scale + anchor.x, raw[1] / scale + anchor.y)
            let (width, height) = (raw[2] / scale, raw[3] / scale)
            let box = (xMin: centerX - width / 2, yMin: centerY - height / 2, xMax: centerX + width / 2, yMax: centerY + height / 2)
            guard box.xMax - box.xMin >= 0, box.yMax - box.yMin >= 0 else { continue }
            let keypoints = (0..<6).map { k in (x: raw[4 + 2 * k] / scale + anchor.x, y: raw[5 + 2 * k] / scale + anchor.y) }
            detections.append(BlazeFaceDetection(xMin: box.xMin, yMin: box.yMin, xMax: box.xMax, yMax: box.yMax,
                                                 score: score, keypoints: keypoints))
        }
        return detections
    }

    /// One float32 square RGB input [1, S, S, 3]; outputs [1, A, 16] and [1, A, 1] for the anchors A this file's
    /// input size gives (896 at 128). Returns the positions of the two outputs.
    private static func checkSignature(_ model: TFLiteModel, path: String) throws -> (regressors: Int, scores: Int) {
        let graph = model.subgraphs[0]
        let inputs = graph.inputs.map { graph.tensors[$0] }, outputs = graph.outputs.map { graph.tensors[$0] }
        if inputs.count == 1, outputs.count == 2, inputs[0].type == .float32, outputs.allSatisfy({ $0.type == .float32 }) {
            let input = inputs[0].shape
            if input.count == 4, input[0] == 1, input[1] == input[2], input[1] >= 16, input[3] == 3 {
                let count = anchors(inputSize: input[1]).count
                let shapes = outputs.map(\.shape)
                if let regressors = shapes.firstIndex(of: [1, count, 16]), let scores = shapes.firstIndex(of: [1, count, 1]) {
                    return (regressors, scores)
                }
            }
        }
        let described = { (tensors: [TFLiteTensor]) in tensors.map { "\($0.shape)" }.joined(separator: " and ") }
        throw ImpastoError.invalidFormat(path: path, reason: "it is not a BlazeFace face detector: it takes "
            + "\(described(inputs)) and gives \(described(outputs)), where one RGB image [1, S, S, 3] in and boxes "
            + "[1, anchors, 16] and scores [1, anchors, 1] out are needed")
    }
}
