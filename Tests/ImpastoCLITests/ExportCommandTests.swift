// `impasto export` as users run it: the built binary writing MediaPipe's selfie segmenter (mediapipe 0.10.14's
// .tflite, scripts/fetch-test-weights.sh) as ONNX; the parity of the file is in ImpastoStudioTests/ONNXExportTests.
import Foundation
import ImpastoTestSupport
import Testing

@Test func exportWritesTheSelfieSegmenterAndRefusesWeightsAStyleDoesNotTake() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let tflite = try mediapipeModelFile("selfie_segmentation/selfie_segmentation_landscape.tflite")
    let output = folder.appendingPathComponent("selfie.onnx")
    let run = try runImpasto(["export", "selfie-landscape", "--weights", tflite.path, "-o", output.path, "--json"])
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output.contains("\"network\":\"SelfieSegmentation\""), "\(run.output)")
    // float32 weights: twice the float16 .tflite's 250 KB.
    let size = try FileManager.default.attributesOfItem(atPath: output.path)[.size] as? Int ?? 0
    #expect(size > 400_000)
    let refused = try runImpasto(["export", "starry", "--weights", tflite.path, "-o", folder.appendingPathComponent("starry.onnx").path])
    #expect(refused.status != 0)
    #expect(refused.error == "error: --weights goes with mobilenet_v2, selfie-general or selfie-landscape; a style network is named by its file directly.\n")
}
