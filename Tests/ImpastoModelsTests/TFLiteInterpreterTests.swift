import Foundation
import ImpastoFormats
import ImpastoModels
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// Graphs that read well but do not add up are refused when the interpreter is built, in one sentence, before
/// an engine precondition could stop the process.
@Suite struct TFLiteInterpreterTests {
    static func selfie() throws -> (model: TFLiteModel, path: String) {
        let url = try mediapipeModelFile("selfie_segmentation/selfie_segmentation.tflite")
        return (try TFLiteModel.load(contentsOf: url), url.path)
    }

    static func refusal(_ model: TFLiteModel, _ path: String) -> String? {
        do {
            _ = try TFLiteInterpreter(model: model, source: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aDeclaredShapeThatDisagreesIsNamed() throws {
        var (model, path) = try Self.selfie()
        // Tensor 3 is the first convolution's output, [1, 128, 128, 16] in the file.
        model.subgraphs[0].tensors[3].shape = [1, 64, 64, 16]
        #expect(Self.refusal(model, path) == "\(path) is not a valid file of the expected kind: operator 2 (CONV_2D) "
            + "cannot run: it gives [1, 16, 128, 128] (NCHW) where the file declares [1, 16, 64, 64].")
    }

    @Test func aValueReadBeforeItIsComputedIsNamed() throws {
        var (model, path) = try Self.selfie()
        model.subgraphs[0].operators.remove(at: 2)  // The convolution that computes tensor 3.
        let name = model.subgraphs[0].tensors[3].name
        #expect(Self.refusal(model, path) == "\(path) is not a valid file of the expected kind: operator 2 (HARD_SWISH) "
            + "cannot run: it reads '\(name)' before anything computes it.")
    }

    @Test func weightsThatDoNotFitAreNamed() throws {
        var (model, path) = try Self.selfie()
        let graph = model.subgraphs[0]
        // Give the first convolution its input's channels wrong: a 4-channel weight for an RGB input.
        let weight = graph.operators[0].inputs[0]
        model.subgraphs[0].tensors[weight].shape = [16, 3, 3, 4]
        model.subgraphs[0].tensors[weight].data = Tensor(zeros: [16, 3, 3, 4]).converted(to: .f16)
        model.subgraphs[0].tensors[graph.operators[0].outputs[0]].shape = [16, 3, 3, 4]
        let sentence = try #require(Self.refusal(model, path))
        #expect(sentence.hasSuffix("operator 2 (CONV_2D) cannot run: its weight [16, 4, 3, 3] and bias [16] do not fit its input [1, 3, 256, 256]."))
    }

    @Test func anOperatorItDoesNotImplementIsNamed() throws {
        var (model, path) = try Self.selfie()
        model.subgraphs[0].operators[2].code = .builtin(TFLiteBuiltinOperator(rawValue: 54))  // PRELU
        #expect(Self.refusal(model, path) == "\(path) is not a valid file of the expected kind: operator 2 (PRELU) "
            + "cannot run: Impasto's TensorFlow Lite interpreter does not implement it.")
    }

    static func blazeFace() throws -> (model: TFLiteModel, path: String) {
        let url = try mediapipeModelFile("face_detection/face_detection_short_range.tflite")
        return (try TFLiteModel.load(contentsOf: url), url.path)
    }

    /// BlazeFace's PAD, RESHAPE and CONCATENATION: their tables and shapes are checked when the graph is built.
    @Test func blazeFaceOperatorsThatDoNotAddUpAreNamed() throws {
        let (model, path) = try Self.blazeFace()
        let graph = model.subgraphs[0]
        func first(_ code: TFLiteBuiltinOperator) throws -> Int {
            try #require(graph.operators.firstIndex { $0.code == .builtin(code) })
        }
        var padded = model
        let pad = try first(.pad)
        let table = graph.operators[pad].inputs[1]
        padded.subgraphs[0].tensors[table].data = Tensor(shape: [4, 2], scalars: [0, 0, 0, 0, 0, 0, -1, 3]).converted(to: .i32)
        #expect(Self.refusal(padded, path)?.contains("operator \(pad) (PAD) cannot run: its paddings [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 3.0] are not whole numbers from 0 to 65536.") == true)
        var reshaped = model
        let reshape = try first(.reshape)
        reshaped.subgraphs[0].tensors[graph.operators[reshape].outputs[0]].shape = [1, 7, 16]
        let sentence = try #require(Self.refusal(reshaped, path))
        #expect(sentence.contains("operator \(reshape) (RESHAPE) cannot run: its output [1, 7, 16] does not hold the"), "\(sentence)")
        var joined = model
        let concatenation = try first(.concatenation)
        joined.subgraphs[0].operators[concatenation].options = .concatenation(axis: 5, activation: .none)
        #expect(Self.refusal(joined, path)?.contains("operator \(concatenation) (CONCATENATION) cannot run: its axis 5 is outside its inputs' rank 3.") == true)
    }

    /// Sizes and counts come from the file as numbers of any type: NaN or a huge float must be refused, not
    /// converted (Swift's `Int(_:)` traps on them, which would end the process).
    @Test func aNaNResizeSizeIsRefusedNotConverted() throws {
        var (model, path) = try Self.selfie()
        let resize = try #require(model.subgraphs[0].operators.firstIndex { $0.code == .builtin(.resizeBilinear) })
        let size = model.subgraphs[0].operators[resize].inputs[1]
        model.subgraphs[0].tensors[size].data = Tensor(shape: [2], scalars: [.nan, 1e30])
        #expect(Self.refusal(model, path)?.contains("operator \(resize) (RESIZE_BILINEAR) cannot run: its size [nan, 1e+30] are not whole numbers from 1 to 16384.") == true)
    }

    @Test func wrongInputShapesAreOneSentence() throws {
        let (model, path) = try Self.selfie()
        let interpreter = try TFLiteInterpreter(model: model, source: path)
        #expect(throws: ImpastoError.invalidArgument("The model \(path) takes inputs of shapes [[1, 3, 256, 256]], not [[1, 3, 8, 8]].")) {
            try interpreter([Tensor(zeros: [1, 3, 8, 8])])
        }
    }
}
