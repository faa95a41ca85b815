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

    @Test func wrongInputShapesAreOneSentence() throws {
        let (model, path) = try Self.selfie()
        let interpreter = try TFLiteInterpreter(model: model, source: path)
        #expect(throws: ImpastoError.invalidArgument("The model \(path) takes inputs of shapes [[1, 3, 256, 256]], not [[1, 3, 8, 8]].")) {
            try interpreter([Tensor(zeros: [1, 3, 8, 8])])
        }
    }
}
