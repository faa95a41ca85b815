// Bad input to apply, video, flicker and inspect as users meet it: the built binary's exit status, the one
// sentence on standard error, nothing on standard output and no output file. (stylize, train and models have
// their own tables beside their other tests.)
import Foundation
import ImpastoTestSupport
import Testing

@Suite struct CommandErrorTests {
    @Test func eachBadInputIsOneSentenceAndAnExitStatus() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = repositoryRoot.appendingPathComponent("Examples/images")
        let photo = images.appendingPathComponent("tubingen.jpg").path
        let model = repositoryRoot.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path
        let truncated = folder.appendingPathComponent("truncated.jpg").path
        try Data(contentsOf: URL(fileURLWithPath: photo)).prefix(3000).write(to: URL(fileURLWithPath: truncated))
        let notes = folder.appendingPathComponent("notes.png").path
        try Data("not pixels\n".utf8).write(to: URL(fileURLWithPath: notes))
        let missing = folder.appendingPathComponent("missing").path
        let output = folder.appendingPathComponent("out.png").path, video = folder.appendingPathComponent("out.mp4").path

        let cases: [([String], Int32, String)] = [
            (["apply", missing + ".jpg", "--model", model, "-o", output], 1, "Cannot read \(missing).jpg: it does not exist."),
            (["apply", truncated, "--model", model, "-o", output], 1,
             "\(truncated) is not a valid file of the expected kind: the file ends before the image data does."),
            (["apply", notes, "--model", model, "-o", output], 1,
             "\(notes) is not a valid file of the expected kind: it is neither a PNG nor a JPEG image."),
            (["apply", photo, "--model", photo, "-o", output], 1,
             "\(photo) is not a valid file of the expected kind: it is neither a ZIP-format nor a legacy PyTorch checkpoint."),
            (["apply", photo, "--model", model, "-o", folder.appendingPathComponent("out.gif").path], 64,
             "The output \(folder.path)/out.gif must end in .png, .jpg or .jpeg."),
            (["apply", photo, "--model", model, "-o", missing + "/out.png"], 1,
             "Cannot write \(missing): the folder does not exist or is not writable."),
            (["apply", photo, "--model", model, "-o", output, "--size", "0"], 64, "--size must be at least 16 pixels, not 0."),
            (["apply", photo, "--model", model, "-o", photo], 1, "Refusing to overwrite the input \(photo); choose another output."),
            (["video", missing + ".mp4", "--model", model, "-o", video], 1,
             "Cannot read \(missing).mp4: it does not exist or cannot be opened."),
            (["video", notes, "--model", model, "-o", video], 1,
             "\(notes) is not a valid file of the expected kind: it has no video stream."),
            (["flicker", missing + ".mp4", notes], 1, "Cannot read \(missing).mp4: it does not exist or cannot be opened."),
            (["flicker", notes, notes], 1, "\(notes) is not a valid file of the expected kind: it has no video stream."),
            (["inspect", missing + ".pt"], 1, "Cannot read \(missing).pt: No such file or directory."),
            (["inspect", notes], 1,
             "\(notes) is not a valid file of the expected kind: it is neither a ZIP-format nor a legacy PyTorch checkpoint."),
        ]
        for (arguments, status, sentence) in cases {
            let result = try runImpasto(arguments)
            #expect(result.status == status, "\(arguments): \(result.error)")
            #expect(result.error == "error: \(sentence)\n", "\(arguments)")
            #expect(result.output.isEmpty, "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: output) && !FileManager.default.fileExists(atPath: video),
                    "\(arguments) wrote an output")
        }
    }
}
