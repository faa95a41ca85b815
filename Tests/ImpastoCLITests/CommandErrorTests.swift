// Bad input to apply, video, flicker, faces, train-faces and inspect as users meet it: the built binary's exit status, the one
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
        let mtcnn = try testWeightsFile("facenet-pytorch-2.6.0").path
        // A weights folder whose pnet.pt is really O-Net.
        let wrongWeights = folder.appendingPathComponent("weights")
        try FileManager.default.createDirectory(at: wrongWeights, withIntermediateDirectories: true)
        for (name, source) in [("pnet", "onet"), ("rnet", "rnet"), ("onet", "onet")] {
            try FileManager.default.copyItem(atPath: "\(mtcnn)/\(source).pt", toPath: wrongWeights.appendingPathComponent("\(name).pt").path)
        }

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
            (["faces", missing + ".jpg", "--weights", mtcnn, "-o", output], 1, "Cannot read \(missing).jpg: it does not exist."),
            (["faces", truncated, "--weights", mtcnn, "-o", output], 1,
             "\(truncated) is not a valid file of the expected kind: the file ends before the image data does."),
            (["faces", notes, "--weights", mtcnn, "-o", output], 1,
             "\(notes) is not a valid file of the expected kind: it is neither a PNG nor a JPEG image."),
            (["faces", photo, "--weights", wrongWeights.path, "-o", output], 1,
             "\(wrongWeights.path)/pnet.pt is not a valid file of the expected kind: it does not hold MTCNN's P-Net "
                + "(conv1.weight is [32, 3, 3, 3], not [10, 3, 3, 3])."),
            (["faces", photo, "--weights", mtcnn, "--crop", folder.path, "--margin", "160"], 64,
             "The crop margin must be at least 0 and less than the crop size (160), not 160."),
            (["faces", photo, "--thresholds", "0.6,1.7,0.7"], 64,
             "The thresholds must be probabilities between 0 and 1, not 0.6, 1.7, 0.7."),
            (["faces", photo, "--detector", "cascade"], 64,
             "The face cascade has no installed weights: it needs the file impasto train-faces writes (impasto faces --detector cascade --weights FILE)."),
            (["faces", photo, "--detector", "cascade", "--weights", mtcnn + "/pnet.pt"], 1,
             "\(mtcnn)/pnet.pt is not a valid file of the expected kind: it does not hold the face cascade of impasto train-faces (no net12.conv1.weight)."),
            (["train-faces", "-o", folder.appendingPathComponent("cascade.bin").path, "--background", photo], 1,
             "The cascade is written as safetensors: name the output <name>.safetensors, not cascade.bin."),
            (["train-faces", "-o", folder.appendingPathComponent("cascade.safetensors").path, "--lfw", notes, "--background", photo], 1,
             "\(notes) is not a valid file of the expected kind: array 'notes.png' does not start with NumPy's magic \\x93NUMPY."),
            (["train-faces", "-o", folder.appendingPathComponent("cascade.safetensors").path, "--background", photo], 1,
             "No faces to train on: give --lfw or --photos with faces MTCNN finds."),
            (["train-segmenter", "-o", folder.appendingPathComponent("seg.bin").path, "--images", folder.path, "--masks", folder.path], 1,
             "The segmenter is written as safetensors: name the output <name>.safetensors, not seg.bin."),
            (["train-segmenter", "-o", folder.appendingPathComponent("seg.safetensors").path, "--images", folder.path, "--masks", folder.path,
              "--model", "fcdensenet99"], 1, "No segmenter named fcdensenet99: choose one of fcdensenet56, fcdensenet67, fcdensenet103, unet."),
            (["train-segmenter", "-o", folder.appendingPathComponent("seg.safetensors").path, "--images", folder.path], 64,
             "Give either --masks (with --images) or --coco (with --images), not both or neither."),
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

    /// A picture without faces is an empty result, not an error: exit status 0, one event with no faces.
    @Test func noFaceIsAnEmptyResult() throws {
        let rocket = repositoryRoot.appendingPathComponent("Tests/ImpastoStudioTests/Fixtures/mtcnn-detect/rocket.png").path
        let result = try runImpasto(["faces", rocket, "--json", "--weights", try testWeightsFile("facenet-pytorch-2.6.0").path])
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("{\"input\":\"\(rocket)\",\"width\":320,") && lines[0].contains("\"faces\":[]"))
        #expect(lines.last?.hasPrefix("{\"event\":\"done\",\"images\":1,\"faces\":0,") == true)
    }

    /// Without installed weights, faces names the one command that installs all three networks.
    @Test func missingMTCNNWeightsNameTheFetchCommand() throws {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-empty-\(UUID().uuidString)")
        let photo = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path
        let result = try runImpasto(["faces", photo], environment: ["IMPASTO_MODELS": cache.path])
        #expect(result.status == 1 && result.output.isEmpty)
        #expect(result.error == "error: Run `impasto models fetch mtcnn` to install MTCNN's pnet.pt, rnet.pt and onet.pt "
            + "(from PyPI's facenet-pytorch==2.6.0 wheel) into \(cache.path)/, or pass --weights with a folder holding them.\n")
    }
}
