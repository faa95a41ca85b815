// `impasto faces --detector blazeface` as users run it: the built binary on MediaPipe's real face detector, and
// one sentence for each bad input.
import Foundation
import ImpastoMedia
import ImpastoTestSupport
import Testing

@Suite struct FacesBlazeFaceCommandTests {
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/ImpastoStudioTests/Fixtures")

    static func detector() throws -> String {
        try mediapipeModelFile("face_detection/face_detection_short_range.tflite").path
    }

    /// Three faces in the trio (BlazeFaceParityTests checks where), largest first, six landmarks each; the
    /// annotated copy and one crop per face are written.
    @Test func findsDrawsAndCropsTheTrio() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let trio = Self.fixtures.appendingPathComponent("blazeface/trio.png").path
        let annotated = folder.appendingPathComponent("trio-faces.png"), crops = folder.appendingPathComponent("crops")
        let result = try runImpasto(["faces", trio, "--detector", "blazeface", "--weights", try Self.detector(), "--json",
                                     "-o", annotated.path, "--crop", crops.path, "--size", "64", "--margin", "8"])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        try #require(lines.count == 2)
        let event = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let faces = try #require(event["faces"] as? [[String: Any]])
        #expect(faces.count == 3)
        #expect(faces.allSatisfy { ($0["landmarks"] as? [[Double]])?.count == 6 })
        let areas = faces.compactMap { $0["box"] as? [Double] }.map { ($0[2] - $0[0]) * ($0[3] - $0[1]) }
        #expect(areas.count == 3 && areas == areas.sorted(by: >))
        #expect(try Image(contentsOf: annotated).width == 360)
        #expect(try FileManager.default.contentsOfDirectory(atPath: crops.path).sorted() == ["trio-face1.png", "trio-face2.png", "trio-face3.png"])
    }

    /// A picture without faces is an empty list and exit status 0.
    @Test func noFaceIsAnEmptyResult() throws {
        let rocket = Self.fixtures.appendingPathComponent("mtcnn-detect/rocket.png").path
        let result = try runImpasto(["faces", rocket, "--detector", "blazeface", "--weights", try Self.detector(), "--json"])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].contains("\"faces\":[]"))
        #expect(lines.last?.hasPrefix("{\"event\":\"done\",\"images\":1,\"faces\":0,") == true)
    }

    @Test func eachBadInputIsOneSentence() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photo = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path
        let detector = try Self.detector()
        let selfie = try mediapipeModelFile("selfie_segmentation/selfie_segmentation.tflite").path
        let pnet = try testWeightsFile("facenet-pytorch-2.6.0/pnet.pt").path
        let truncated = folder.appendingPathComponent("cut.tflite").path
        try Data(contentsOf: URL(fileURLWithPath: detector)).prefix(1000).write(to: URL(fileURLWithPath: truncated))
        let cases: [([String], Int32, String)] = [
            (["--weights", selfie], 1, "\(selfie) is not a valid file of the expected kind: it is not a BlazeFace face "
                + "detector: it takes [1, 256, 256, 3] and gives [1, 256, 256, 1], where one RGB image [1, S, S, 3] in and "
                + "boxes [1, anchors, 16] and scores [1, anchors, 1] out are needed."),
            (["--weights", detector, "--min-score", "1.5"], 64, "The lowest score must be a probability between 0 and 1, not 1.5."),
            (["--weights", detector, "--min-face-size", "40"], 64,
             "The smallest face size, thresholds and pyramid factor are MTCNN's; BlazeFace takes a lowest score instead."),
        ]
        for (arguments, status, sentence) in cases {
            let result = try runImpasto(["faces", photo, "--detector", "blazeface"] + arguments)
            #expect(result.status == status && result.output.isEmpty, "\(arguments): \(result.error)")
            #expect(result.error == "error: \(sentence)\n", "\(arguments)")
        }
        for weights in [pnet, truncated] {
            let result = try runImpasto(["faces", photo, "--detector", "blazeface", "--weights", weights])
            #expect(result.status == 1 && result.output.isEmpty)
            // "… is not a valid file of the expected kind: …" or "Cannot read …: the file ends in the middle of …".
            #expect(result.error.hasPrefix("error: ") && result.error.contains(weights) && result.error.hasSuffix(".\n")
                    && result.error.filter { $0 == "\n" }.count == 1, "\(result.error)")
        }
        let mtcnn = try runImpasto(["faces", photo, "--min-score", "0.7"])
        #expect(mtcnn.status == 64 && mtcnn.error == "error: The lowest score is BlazeFace's; MTCNN takes three thresholds instead.\n")
        let empty = folder.appendingPathComponent("empty-models")
        let missing = try runImpasto(["faces", photo, "--detector", "blazeface"], environment: ["IMPASTO_MODELS": empty.path])
        #expect(missing.status == 1 && missing.error == "error: Run `impasto models fetch blazeface --variant mediapipe` to "
            + "install face_detection_short_range.tflite (mediapipe/modules/face_detection/face_detection_short_range.tflite in "
            + "PyPI's mediapipe==0.10.14 wheel) into \(empty.path)/, or pass --weights PATH.\n", "\(missing.error)")
    }
}
