// `impasto train` as a user runs it: the built binary on 16-pixel crops of the stylize fixtures, with their
// random-weight VGG-19 as the loss network. Its help, the sentence and the untouched folder each bad input
// leaves, the files a run writes, what it prints in each mode, and Ctrl-C followed by --resume.
import Foundation
import ImpastoTestSupport
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
@testable import ImpastoStudio
import ImpastoTensor
import Testing
@testable import ImpastoCLI

/// A fresh folder with `photos/` holding the two stylize crops, and the arguments of a tiny run on them.
private struct TrainingJob {
    let folder: URL

    init() throws {
        folder = try temporaryDirectory()
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        for (index, path) in [stylizeFixtures.content, stylizeFixtures.style].enumerated() {
            try FileManager.default.copyItem(atPath: path, toPath: photos.appendingPathComponent("photo\(index).png").path)
        }
    }

    var photos: URL { folder.appendingPathComponent("photos") }
    var files: TrainingFiles { TrainingFiles(model: folder.appendingPathComponent("model.safetensors")) }

    /// `impasto train` with 16-pixel crops, one per step, three steps, then `extra` (a repeated option wins).
    func arguments(_ extra: [String] = []) -> [String] {
        ["train", "--style", stylizeFixtures.style, "--photos", photos.path, "-o", files.model.path,
         "--vgg", stylizeFixtures.weights, "--loss-network", "vgg19",
         "--iterations", "3", "--batch-size", "1", "--image-size", "16"] + extra
    }

    /// Every path under the folder, relative to it.
    func contents() throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: folder.path).sorted()
    }

    /// A file in the folder holding `bytes`.
    func write(_ bytes: Data, to name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

/// The iteration numbers of the loss log's rows, after checking its header and that every row is complete.
private func loggedIterations(_ url: URL) throws -> [Int] {
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    #expect(lines.first.map(String.init) == TrainingLosses.csvHeader)
    let columns = TrainingLosses.csvHeader.split(separator: ",").count
    #expect(lines.dropFirst().allSatisfy { $0.split(separator: ",").count == columns }, "\(lines)")
    return lines.dropFirst().compactMap { $0.split(separator: ",").first.flatMap { Int($0) } }
}

/// The iteration a checkpoint was written after.
private func checkpointIteration(_ url: URL) throws -> Int? {
    try SafeTensors.metadata(contentsOf: url)["iteration"].flatMap { Int($0) }
}

/// Each test starts its own processes, so they may run side by side.
@Suite struct TrainCommandTests {
    @Test func helpListsTheOptionsAndTheFilesARunWrites() {
        let help = TrainCommand.helpMessage(columns: 200)
        for option in ["--style", "--photos", "-o, --output", "--vgg", "--loss-network", "--iterations", "--batch-size",
                       "--image-size", "--content-weight", "--style-weight", "--tv-weight", "--heatmap-weight",
                       "--noise-weight", "--noise-sigma", "--learning-rate", "--seed", "--snapshot-every", "--resume",
                       "--quiet", "--json"] {
            #expect(help.contains(option), "\(option) missing from the help")
        }
        for file in ["<name>.loss.csv", "<name>.checkpoint.safetensors", "<name>-<iteration>.png", "Ctrl-C"] {
            #expect(help.contains(file), "\(file) missing from the help")
        }
    }

    @Test func badInputIsOneSentenceAndWritesNothing() throws {
        let job = try TrainingJob()
        defer { job.remove() }
        let style = try Data(contentsOf: URL(fileURLWithPath: stylizeFixtures.style))
        let truncated = try job.write(style.prefix(style.count / 2), to: "truncated.png")
        let notAnImage = try job.write(Data("not pixels\n".utf8), to: "notes.png")
        let empty = job.folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        _ = try job.write(Data("no photos here\n".utf8), to: "empty/readme.txt")
        // A checkpoint in every respect but its network: the settings match, the weights are VGG's.
        let foreign = job.folder.appendingPathComponent("foreign.checkpoint.safetensors")
        try SafeTensors.write(["model.features.0.weight": Tensor(zeros: [64, 3, 3, 3])],
                              metadata: ["iteration": "2", "seed": "42", "batch_size": "1", "image_size": "16"], to: foreign)
        let otherSettings = job.folder.appendingPathComponent("other.checkpoint.safetensors")
        try SafeTensors.write(["model.features.0.weight": Tensor(zeros: [1])],
                              metadata: ["iteration": "2", "seed": "42", "batch_size": "4", "image_size": "16"], to: otherSettings)
        let transformer = repositoryRoot
            .appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path
        let missing = job.folder.appendingPathComponent("missing").path
        let before = try job.contents()

        // The extra arguments, the exit status and the sentence (or, after "…", its start) each must give.
        let cases: [([String], Int32, String)] = [
            (["--style", missing + ".png"], 1, "Cannot read \(missing).png: No such file or directory."),
            (["--style", truncated], 1,
             "\(truncated) is not a valid file of the expected kind: the file ends before the image data does."),
            (["--style", notAnImage], 1,
             "\(notAnImage) is not a valid file of the expected kind: it is neither a PNG nor a JPEG image."),
            (["--photos", missing], 1, "Cannot read \(missing): it is not a readable folder."),
            (["--photos", empty.path], 1, "The folder \(empty.path) holds no JPEG or PNG images."),
            (["-o", missing + "/model.safetensors"], 64, "The output folder \(missing) does not exist or is not writable."),
            // Tests run as root, whom permissions do not stop; a regular file is a folder no one can write into.
            (["-o", notAnImage + "/model.safetensors"], 64,
             "The output folder \(notAnImage) does not exist or is not writable."),
            (["-o", job.folder.appendingPathComponent("model.png").path], 64, "-o must name a .safetensors file, not '…"),
            (["--loss-network", "vgg16"], 1,
             "The weights in \(stylizeFixtures.weights) have no tensor named 'features.17.weight'."),
            (["--vgg", transformer], 1, "The weights in \(transformer) have no tensor named 'features.0.weight'."),
            (["--resume", foreign.path], 1, "The weights in \(foreign.path) have no tensor named 'conv1.conv2d.weight'."),
            (["--resume", otherSettings.path], 1,
             "\(otherSettings.path) was trained with batch_size 4, not 1; resume with the same settings."),
            (["--resume", stylizeFixtures.weights], 1, "\(stylizeFixtures.weights) is not a valid file of the expected kind: "
                + "it is not a training checkpoint (no iteration)."),
            (["--resume", stylizeFixtures.style], 1, "\(stylizeFixtures.style) is not a valid file of the expected kind: …"),
            (["--image-size", "0"], 64, "--image-size must be a multiple of 4 from 16 to 2048, not 0."),
            (["--image-size", "100000"], 64, "--image-size must be a multiple of 4 from 16 to 2048, not 100000."),
            (["--batch-size", "0"], 64, "--batch-size must be at least 1, not 0."),
            (["--style-size", "8"], 64, "--style-size must be from 16 to 8192, not 8."),
            (["--iterations", "0"], 64, "--iterations must be at least 1, not 0."),
            (["--iterations=-5"], 64, "--iterations must be at least 1, not -5."),
            // A bare negative number reads as an option.
            (["--iterations", "-5"], 64, "Missing value for '--iterations <iterations>'"),
            (["--snapshot-every", "1", "-o", job.photos.appendingPathComponent("model.safetensors").path], 64,
             "--snapshot-every would write validation grids into the photos folder \(job.photos.path); put -o elsewhere."),
            (["--vgg", job.files.lossLog.path], 64,
             "Refusing to overwrite the input \(job.files.lossLog.path); choose another output."),
        ]
        for (extra, status, sentence) in cases {
            let result = try runImpasto(job.arguments(extra))
            #expect(result.status == status, "\(extra): \(result.error)")
            #expect(result.output.isEmpty, "\(extra)")
            if sentence.hasSuffix("…") {
                #expect(result.error.hasPrefix("error: " + sentence.dropLast()) && result.error.hasSuffix(".\n"), "\(extra)")
                #expect(result.error.dropLast().split(separator: "\n").count == 1, "\(extra): \(result.error)")
            } else {
                #expect(result.error == "error: \(sentence)\n", "\(extra)")
            }
            #expect(try job.contents() == before, "\(extra) left files behind")
        }
    }

    @Test func aRunWritesTheModelTheLossLogAndSnapshotsWithProgressOnStandardError() throws {
        let job = try TrainingJob()
        defer { job.remove() }
        let result = try runImpasto(job.arguments(["--iterations", "2", "--snapshot-every", "1"]))
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.isEmpty)

        let files = job.files
        #expect(try job.contents() == ["model-000001.png", "model-000001.safetensors", "model.checkpoint.safetensors",
                                       "model.loss.csv", "model.safetensors", "photos", "photos/photo0.png", "photos/photo1.png"])
        // What `impasto apply --model` loads.
        _ = try TransformerNet(contentsOf: files.model)
        _ = try TransformerNet(contentsOf: files.snapshot(1))
        #expect(try loggedIterations(files.lossLog) == [1, 2])
        #expect(try checkpointIteration(files.checkpoint) == 2)
        // Both photos on top, their stylizations below.
        let grid = try Image(contentsOf: files.grid(1))
        #expect((grid.width, grid.height) == (2 * 16, 2 * 16))

        // Standard error is a pipe here: a line per update (each crosses 10 %), the snapshot, then the summary.
        let lines = result.error.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(result.error)")
        for (index, iteration) in [(0, 1), (2, 2)] where index < lines.count {
            #expect(lines[index].hasPrefix("train  [") && lines[index].contains("iteration \(iteration)/2"), "\(lines[index])")
        }
        #expect(lines.contains("Saved \(files.snapshot(1).path) and \(files.grid(1).path)"))
        #expect(lines.last?.hasPrefix("Wrote \(files.model.path) (2 iterations, ") == true, "\(lines)")
    }

    @Test func aPhotoThatFailsMidRunLeavesACheckpointToResumeFrom() throws {
        let job = try TrainingJob()
        defer { job.remove() }
        // Three photos, the one the default seed's shuffle reaches in the second step truncated.
        let photos = (0..<3).map { job.photos.appendingPathComponent("photo\($0).png") }
        let broken = TrainingPhotos(files: photos, imageSize: 16, seed: 42).indices(iteration: 1, batchSize: 1)[0]
        let good = try Data(contentsOf: URL(fileURLWithPath: stylizeFixtures.content))
        for (index, url) in photos.enumerated() { try (index == broken ? good.prefix(good.count / 2) : good).write(to: url) }

        let result = try runImpasto(job.arguments())
        #expect(result.status == 1)
        let lines = result.error.split(separator: "\n").map(String.init)
        #expect(lines.suffix(2) == ["Saved \(job.files.checkpoint.path) for --resume",
                                    "error: \(photos[broken].path) is not a valid file of the expected kind: "
                                        + "the file ends before the image data does."], "\(lines)")
        #expect(try checkpointIteration(job.files.checkpoint) == 1)
        #expect(!FileManager.default.fileExists(atPath: job.files.model.path))
    }

    /// A photo that fails in the first step: no weights changed, so nothing is written, not even the loss log.
    @Test func aPhotoThatFailsAtTheFirstStepLeavesNothing() throws {
        let job = try TrainingJob()
        defer { job.remove() }
        let good = try Data(contentsOf: URL(fileURLWithPath: stylizeFixtures.content))
        for index in 0..<2 { try good.prefix(good.count / 2).write(to: job.photos.appendingPathComponent("photo\(index).png")) }
        let before = try job.contents()
        let result = try runImpasto(job.arguments())
        #expect(result.status == 1)
        #expect(result.error.hasPrefix("error: \(job.photos.path)/photo") && result.error.hasSuffix(
            " is not a valid file of the expected kind: the file ends before the image data does.\n"), "\(result.error)")
        #expect(try job.contents() == before)
    }

    @Test func ctrlCWritesTheLatestWeightsAndExits130AndAQuietResumeContinues() throws {
        let job = try TrainingJob()
        defer { job.remove() }
        let (process, stdout, stderr) = try startImpasto(job.arguments(["--iterations", "1000", "--json"]))
        // The first iteration's line comes after the handler is installed.
        var received = Data()
        while !received.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            let ended = { String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            try #require(!chunk.isEmpty, "impasto ended before its first iteration: \(ended())")
            received += chunk
        }
        process.interrupt()
        received += stdout.fileHandleForReading.readDataToEndOfFile()
        let printed = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        // JSON only, on standard output: one object per iteration, then the last event.
        #expect(printed.isEmpty, "\(String(decoding: printed, as: UTF8.self))")
        let objects = try String(decoding: received, as: UTF8.self).split(separator: "\n").map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
        }
        let event = try #require(objects.last)
        #expect(event["event"] as? String == "stopped" && event["model"] as? String == job.files.model.path)
        let done = try #require(event["iterations"] as? Int)
        #expect(done >= 1 && done < 1000)
        #expect(objects.dropLast().map { $0["iteration"] as? Int } == Array(1...done))
        #expect(objects.dropLast().allSatisfy { ($0["loss"] as? Double)?.isFinite == true })

        // The model holds the weights of the last iteration, as the checkpoint does, and the log agrees.
        let files = job.files
        _ = try TransformerNet(contentsOf: files.model)
        let model = try SafeTensors.load(contentsOf: files.model), checkpoint = try SafeTensors.load(contentsOf: files.checkpoint)
        #expect(!model.isEmpty && model.allSatisfy { checkpoint["model." + $0.key]?.scalars == $0.value.scalars })
        #expect(try checkpointIteration(files.checkpoint) == done)
        #expect(try loggedIterations(files.lossLog) == Array(1...done))

        let resumed = try runImpasto(job.arguments(["--iterations", String(done + 1), "--resume", files.checkpoint.path,
                                                    "--quiet"]))
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.isEmpty && resumed.error.isEmpty, "--quiet printed \(resumed)")
        #expect(try checkpointIteration(files.checkpoint) == done + 1)
        #expect(try loggedIterations(files.lossLog) == Array(1...done + 1))
    }
}
