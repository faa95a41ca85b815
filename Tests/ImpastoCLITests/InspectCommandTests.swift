import Foundation
import ImpastoTestSupport
import ImpastoTensor
import Testing
@testable import ImpastoCLI

/// One of facenet-pytorch 2.6.0's MTCNN files (`pnet.pt` …), fetched by scripts/fetch-test-weights.sh.
func facenetFile(_ name: String) throws -> URL {
    try testWeightsFile("facenet-pytorch-2.6.0/\(name)")
}

/// Runs `impasto inspect` in-process and returns the user-facing error it ends with, if any.
func inspectError(_ arguments: [String]) throws -> ImpastoError? {
    let command = try InspectCommand.parse(arguments)
    do {
        try command.run()
        return nil
    } catch let error as ImpastoError {
        return error
    }
}

func temporaryFile(_ name: String, _ bytes: Data) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-\(UUID().uuidString)-\(name)")
    try bytes.write(to: url)
    return url
}

/// What the built binary prints for facenet-pytorch's ONet and the bundled photo: the tensor count, every
/// name with its shape, the verdict of --as, and an image's size.
@Test func realWeightsAndImagesInspectCleanly() throws {
    let onet = try facenetFile("onet.pt").path
    let weights = try runImpasto(["inspect", onet, "--as", "onet"])
    #expect(weights.status == 0 && weights.error.isEmpty, "\(weights.error)")
    let lines = weights.output.split(separator: "\n").map(String.init)
    #expect(lines.first == "\(onet): 21 tensors, 389040 values")
    #expect(lines.count == 23)
    #expect(lines.contains("  conv4.weight [128, 64, 2, 2]") && lines.contains("  dense5.weight [256, 1152]"))
    #expect(lines.last == "loads into onet: every tensor present with the expected shape")

    let photo = repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path
    let image = try runImpasto(["inspect", photo])
    #expect(image.status == 0 && image.output == "\(photo): image 1024×768, 3 channel(s)\n", "\(image.error)")
}

@Test func truncatedCheckpointIsOneSentence() throws {
    let whole = try Data(contentsOf: facenetFile("rnet.pt"))
    let truncated = try temporaryFile("rnet.pt", whole.prefix(whole.count / 2))
    defer { try? FileManager.default.removeItem(at: truncated) }
    let error = try #require(try inspectError([truncated.path]))
    #expect(error.description.contains(truncated.path))
    #expect(error.description.hasSuffix(".") && !error.description.contains("\n"))
    #expect(error.description.contains("cut short"))
}

@Test func wrongNetworkNamesKeyAndShapes() throws {
    let error = try inspectError([try facenetFile("pnet.pt").path, "--as", "rnet"])
    #expect(error == .shapeMismatch(key: "conv1.weight", expected: [28, 3, 3, 3], actual: [10, 3, 3, 3]))
}

@Test func missingKeyIsNamed() throws {
    // O-Net's file has none of VGG-19's tensors: the first one the network asks for is reported.
    let error = try inspectError([try facenetFile("onet.pt").path, "--as", "vgg19"])
    #expect(error == .missingKey(key: "features.0.weight", source: try facenetFile("onet.pt").path))
}

@Test func nonImageNonCheckpointIsRefused() throws {
    let text = try temporaryFile("notes.png", Data("these are not pixels\n".utf8))
    defer { try? FileManager.default.removeItem(at: text) }
    let error = try #require(try inspectError([text.path]))
    #expect(error.description.hasPrefix("\(text.path) is not a valid"))

    let fakeJPEG = try temporaryFile("photo.jpg", Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 16]))
    defer { try? FileManager.default.removeItem(at: fakeJPEG) }
    let imageError = try #require(try inspectError([fakeJPEG.path]))
    #expect(imageError.description.contains(fakeJPEG.path))
}
