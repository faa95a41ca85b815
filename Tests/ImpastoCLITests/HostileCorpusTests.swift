// The hostile corpus (Tests/Corpus, made by scripts/make_hostile_corpus.py) through the release binary:
// every malformed file ends in one sentence and exit status 1, never a signal or a hang, and the
// hostile-looking legal ones load.
import Foundation
import ImpastoMedia
import ImpastoTestSupport
import Testing

@Suite(.serialized) struct HostileCorpusTests {
    /// Per file: far more than any of them takes (the slowest, 25,000 progressive scans, about 3 s).
    static let timeout: Double = 20
    /// Address space per run, so that a file that makes the binary ask for gigabytes fails the test
    /// instead of the machine.
    static let memoryLimitKiB = 4 << 20

    static let corpus = repositoryRoot.appendingPathComponent("Tests/Corpus")

    static func files(_ kind: String) throws -> [URL] {
        let directory = corpus.appendingPathComponent(kind)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test func everyMalformedFileIsOneSentence() throws {
        let binary = try impastoReleaseBinary()
        let files = try Self.files("refused")
        #expect(files.count >= 60, "the corpus holds \(files.count) malformed files; run scripts/make_hostile_corpus.py")
        for file in files {
            expectRefusal(try inspect(file, with: binary), of: file.path)
        }
    }

    @Test func hostileButLegalFilesLoad() throws {
        let binary = try impastoReleaseBinary()
        for file in try Self.files("accepted") {
            let run = try inspect(file, with: binary)
            #expect(run.ending == .exit(0) && run.error.isEmpty && run.output.hasPrefix("\(file.path): "),
                    "\(file.lastPathComponent): \(run.summary)")
        }
    }

    /// What cannot be committed: a FIFO (which blocks a plain `open`), devices that never end or are
    /// empty, a directory, a symlink to /dev/zero named like an image, a missing file.
    @Test func specialFilesAreRefused() throws {
        let binary = try impastoReleaseBinary()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-special-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fifo = scratch.appendingPathComponent("weights.pt")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let zeros = scratch.appendingPathComponent("zeros.png")
        try FileManager.default.createSymbolicLink(atPath: zeros.path, withDestinationPath: "/dev/zero")
        let expected = [
            (fifo.path, "it is not a regular file"), ("/dev/zero", "it is not a regular file"),
            (zeros.path, "it is not a regular file"), ("/dev/null", "it is not a regular file"),
            (scratch.path, "Is a directory"), (scratch.appendingPathComponent("missing.pth").path, "No such file"),
        ]
        for (path, reason) in expected {
            let run = try inspect(URL(fileURLWithPath: path), with: binary)
            expectRefusal(run, of: path)
            #expect(run.error.contains(reason), "\(path): \(run.summary)")
        }
    }

    /// Legal images too thin for the networks once reached a `fatalError` in pooling; each command says so.
    @Test func imagesTooSmallForTheNetworksAreRefused() throws {
        let binary = try impastoReleaseBinary()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-thin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let model = repositoryRoot.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path
        let output = scratch.appendingPathComponent("out.png").path
        for (width, height) in [(300, 1), (300, 15), (1, 300)] {
            let thin = scratch.appendingPathComponent("thin-\(width)x\(height).png")
            try Image(width: width, height: height, channels: 3, pixels: Array(repeating: 0.5, count: 3 * width * height))
                .write(to: thin, format: .png)
            let runs = [
                (["stylize", thin.path, "--style", stylizeFixtures.style, "--weights", stylizeFixtures.weights,
                  "--size", "300", "--iterations", "1", "-o", output],
                 "The content image becomes \(width)×\(height) pixels at 300 px, too small to stylize"),
                (["stylize", stylizeFixtures.content, "--style", thin.path, "--weights", stylizeFixtures.weights,
                  "--size", "300", "--iterations", "1", "-o", output],
                 "The style image becomes \(width)×\(height) pixels at 300 px, too small to stylize"),
                (["apply", thin.path, "--model", model, "-o", output], "A \(width)×\(height) image is too small to stylize"),
            ]
            for (arguments, sentence) in runs {
                let run = try Run(binary, arguments, timeout: 60, memoryLimitKiB: Self.memoryLimitKiB)
                #expect(run.ending == .exit(1) && run.error.hasPrefix("error: " + sentence)
                        && run.error.split(separator: "\n").count == 1, "\(arguments): \(run.summary)")
                #expect(!FileManager.default.fileExists(atPath: output))
            }
        }
    }

    private func expectRefusal(_ run: Run, of path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let lines = run.error.split(separator: "\n", omittingEmptySubsequences: false)
        let sentence = lines.first.map(String.init) ?? ""
        #expect(run.ending == .exit(1), "\(name): \(run.summary)", sourceLocation: sourceLocation)
        #expect(lines.count == 2 && lines[1].isEmpty && sentence.hasPrefix("error: ") && sentence.hasSuffix("."),
                "\(name): not one sentence: \(run.summary)", sourceLocation: sourceLocation)
        #expect(sentence.contains(path), "\(name): the sentence does not name the file: \(sentence)",
                sourceLocation: sourceLocation)
        #expect(run.output.isEmpty, "\(name): printed \(run.output.prefix(200))", sourceLocation: sourceLocation)
    }

    /// Runs `impasto inspect FILE` under the time and memory limits.
    private func inspect(_ file: URL, with binary: URL) throws -> Run {
        try Run(binary, ["inspect", file.path], timeout: Self.timeout, memoryLimitKiB: Self.memoryLimitKiB)
    }
}

/// One run of a binary, its streams captured in files (pipes would need draining while it runs).
private struct Run {
    enum Ending: Equatable {
        case exit(Int32)
        case signal(Int32)
        case timedOut
    }

    let ending: Ending
    let output: String
    let error: String
    let seconds: Double

    init(_ binary: URL, _ arguments: [String], timeout: Double, memoryLimitKiB: Int) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputURL = scratch.appendingPathComponent("stdout"), errorURL = scratch.appendingPathComponent("stderr")
        for url in [outputURL, errorURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }

        let process = Process()
        // The shell sets the limit and then becomes the binary, so that its status is the binary's own.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -v \(memoryLimitKiB) && exec \"$0\" \"$@\"", binary.path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        let start = Date()
        try process.run()
        let timedOut = finished.wait(timeout: .now() + timeout) == .timedOut
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            finished.wait()
        }
        seconds = Date().timeIntervalSince(start)
        ending = timedOut ? .timedOut : process.terminationReason == .uncaughtSignal
            ? .signal(process.terminationStatus) : .exit(process.terminationStatus)
        output = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
        error = String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
    }

    /// How it ended and the start of what it wrote, for failure messages.
    var summary: String {
        "\(ending) after \(String(format: "%.1f", seconds)) s, stderr: \(error.prefix(300).debugDescription)"
            + (output.isEmpty ? "" : ", stdout: \(output.prefix(200).debugDescription)")
    }
}
