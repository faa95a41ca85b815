import Foundation
import ImpastoFormats
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// The TensorFlow Lite reader on mediapipe 0.10.14's models (fetched by scripts/fetch-test-weights.sh), and on
/// broken copies of them.
@Suite struct TFLiteTests {
    static func selfie(_ name: String = "selfie_segmentation") throws -> URL {
        try mediapipeModelFile("selfie_segmentation/\(name).tflite")
    }

    /// Operators of the model by name, counted.
    static func histogram(_ subgraph: TFLiteSubgraph) -> [String: Int] {
        subgraph.operators.reduce(into: [:]) { counts, op in counts[op.code.description, default: 0] += 1 }
    }

    @Test func readsTheGeneralSelfieModel() throws {
        let model = try TFLiteModel.load(contentsOf: try Self.selfie())
        #expect(model.version == 3 && model.description.hasPrefix("keras2tflite_selfiesegmentation"))
        let graph = try #require(model.subgraphs.first)
        #expect(graph.tensors.count == 360 && graph.operators.count == 246)
        let (input, output) = (graph.tensors[graph.inputs[0]], graph.tensors[graph.outputs[0]])
        #expect(input.name == "input_1" && input.shape == [1, 256, 256, 3] && input.type == .float32 && input.data == nil)
        #expect(output.shape == [1, 256, 256, 1])
        // Counted with TensorFlow Lite's own schema reader (mediapipe's schema_py_generated).
        #expect(Self.histogram(graph) == ["DEQUANTIZE": 110, "CONV_2D": 43, "RELU": 22, "ADD": 14, "HARD_SWISH": 11,
                                          "DEPTHWISE_CONV_2D": 11, "LOGISTIC": 11, "AVERAGE_POOL_2D": 10, "MUL": 10,
                                          "RESIZE_BILINEAR": 3, "Convolution2DTransposeBias": 1])
        // The first convolution: float16 weights dequantized by the operator before it, SAME, stride 2.
        let weights = graph.tensors[graph.operators[0].inputs[0]]
        #expect(weights.type == .float16 && weights.shape == [16, 3, 3, 3] && weights.data?.dtype == .f16)
        var window = TFLiteWindow(padding: .same, strideHeight: 2, strideWidth: 2)
        #expect(graph.operators[2].code == .builtin(.conv2D) && graph.operators[2].options == .window(window))
        // The last upsampling: MediaPipe's transposed convolution, options from its 12 custom bytes.
        let transpose = try #require(graph.operators.first { $0.code == .custom("Convolution2DTransposeBias") })
        #expect(transpose.options == .window(window))
        #expect(graph.tensors[transpose.inputs[1]].shape == [1, 2, 2, 16])
        for resize in graph.operators where resize.code == .builtin(.resizeBilinear) {
            #expect(resize.options == .resize(alignCorners: false, halfPixelCenters: true))
        }
        window = TFLiteWindow(padding: .valid, strideHeight: 64, strideWidth: 64)
        (window.filterHeight, window.filterWidth) = (64, 64)
        #expect(graph.operators[12].options == .window(window))
    }

    @Test func readsTheLandscapeModel() throws {
        let graph = try #require(try TFLiteModel.load(contentsOf: try Self.selfie("selfie_segmentation_landscape")).subgraphs.first)
        #expect(graph.tensors[graph.inputs[0]].shape == [1, 144, 256, 3])
        #expect(graph.tensors[graph.outputs[0]].name == "segment_back")
        let means = graph.operators.filter { $0.code == .builtin(.mean) }
        #expect(means.count == 10 && means.allSatisfy { $0.options == .reduction(keepingDimensions: true) })
        #expect(means.allSatisfy { graph.tensors[$0.inputs[1]].data?.scalars == [1, 2] })
    }

    @Test func aFileCutShortIsRefusedWherever() throws {
        let data = try Data(contentsOf: try Self.selfie())
        let scratch = try ScratchDirectory()
        // MediaPipe appends a ZIP of metadata files (labels.txt) after the FlatBuffer, in the last 200 bytes:
        // cutting into it loses nothing TensorFlow Lite reads.
        for length in stride(from: 0, to: data.count - 200, by: 997) {
            let url = try scratch.file("cut-\(length).tflite", data.prefix(length))
            expectFileError(url) { try TFLiteModel.load(contentsOf: url) }
        }
    }

    @Test func otherFilesAreNotTensorFlowLiteModels() throws {
        let scratch = try ScratchDirectory()
        for (name, bytes) in [("png.tflite", pngBytes), ("empty.tflite", Data())] {
            let url = try scratch.file(name, bytes)
            let error = expectFileError(url) { try TFLiteModel.load(contentsOf: url) }
            #expect(error?.description.contains("not a TensorFlow Lite model") == true, "\(String(describing: error))")
        }
    }

    /// Random bytes overwritten anywhere: the reader either reads a model or throws a sentence, never traps.
    @Test func corruptedBytesThrowOrLoadButNeverTrap() throws {
        let original = try Data(contentsOf: try Self.selfie())
        let scratch = try ScratchDirectory()
        var random = RandomGenerator(seed: 11)
        var refused = 0
        for trial in 0..<300 {
            var data = original
            for _ in 0..<(1 + trial % 4) {
                // Most of a model's bytes are weights; aim half the hits at the first and last 4 KiB, the tables.
                let span = trial % 2 == 0 ? data.count : 4096
                var position = Int(random.next() % UInt64(span))
                if trial % 4 == 1 { position = data.count - 1 - position }
                data[position] = UInt8(truncatingIfNeeded: random.next())
            }
            let url = try scratch.file("corrupt.tflite", data)
            do {
                _ = try TFLiteModel.load(contentsOf: url)
            } catch let error as ImpastoError {
                refused += 1
                #expect(error.description.contains(url.path) && !error.description.contains("\n"))
            }
        }
        #expect(refused > 0)
    }
}
