// `--protect-faces` and `--overlay` as users run them: the built binary with MTCNN's real weights in a fresh model cache.
import Foundation
import ImpastoMedia
import ImpastoTestSupport
import Testing

@Suite struct FaceStyleCommandTests {
    static func modelCache() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-facestyle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["pnet.pt", "rnet.pt", "onet.pt"] {
            try FileManager.default.copyItem(at: try testWeightsFile("facenet-pytorch-2.6.0/\(name)"),
                                             to: folder.appendingPathComponent(name))
        }
        return folder
    }

    @Test func applyAndVideoWearMasksAndKeepFaces() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let environment = ["IMPASTO_MODELS": models.path]
        let photo = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path
        let glasses = repositoryRoot.appendingPathComponent("docs/faces/glasses.png").path
        let output = models.appendingPathComponent("worn.png")
        let applied = try runImpasto(["apply", photo, "--model", "starry", "--size", "96", "--overlay", glasses,
                                      "--protect-faces", "0.5", "-o", output.path, "--quiet"], environment: environment)
        #expect(applied.status == 0 && applied.error.isEmpty, "\(applied.error)")
        #expect(try Image(contentsOf: output).width == 96)

        let clip = try makeClipWithAudio(in: models, width: 96, height: 64, seconds: 1)
        let video = models.appendingPathComponent("worn.mp4")
        let styled = try runImpasto(["video", clip.path, "--model", "starry", "--overlay", glasses, "--protect-faces", "0.5",
                                     "-o", video.path, "--quiet"], environment: environment)
        #expect(styled.status == 0 && styled.error.isEmpty, "\(styled.error)")
        #expect(FileManager.default.fileExists(atPath: video.path))

        let jpeg = repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path
        let refused = try runImpasto(["apply", photo, "--model", "starry", "--overlay", jpeg, "-o", output.path],
                                     environment: environment)
        #expect(refused.status == 1)
        #expect(refused.error == "error: The overlay \(jpeg) has no alpha channel; use an RGBA PNG whose transparent parts let the face through.\n")
    }

    /// --face-detector blazeface: apply finds the faces with the installed BlazeFace, which is all this cache holds
    /// (without the flag, MTCNN is missing).
    @Test func blazeFaceFindsTheFacesToo() throws {
        let models = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: models) }
        let detector = try mediapipeModelFile("face_detection/face_detection_short_range.tflite")
        try FileManager.default.copyItem(at: detector, to: models.appendingPathComponent(detector.lastPathComponent))
        let environment = ["IMPASTO_MODELS": models.path]
        let photo = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path
        let glasses = repositoryRoot.appendingPathComponent("docs/faces/glasses.png").path
        let output = models.appendingPathComponent("worn.png")
        let applied = try runImpasto(["apply", photo, "--model", "starry", "--size", "96", "--overlay", glasses, "--protect-faces",
                                      "0.5", "--face-detector", "blazeface", "-o", output.path, "--quiet"], environment: environment)
        #expect(applied.status == 0 && applied.error.isEmpty, "\(applied.error)")
        #expect(try Image(contentsOf: output).width == 96)
        let withMTCNN = try runImpasto(["apply", photo, "--model", "starry", "--protect-faces", "0.5", "-o", output.path],
                                       environment: environment)
        #expect(withMTCNN.status == 1 && withMTCNN.error.hasPrefix("error: Run `impasto models fetch mtcnn`"), "\(withMTCNN.error)")
    }
}
