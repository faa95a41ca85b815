// A full disk: every writer must say so in one sentence, exit non-zero and leave nothing behind.
import Foundation
import ImpastoTestSupport
import Testing

/// Runs `command` with `arguments` and returns its exit status (or nil when it cannot start).
@discardableResult
private func system(_ command: String, _ arguments: [String]) -> Int32? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: command)
    process.arguments = arguments
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    process.waitUntilExit()
    return process.terminationStatus
}

/// A 64 KiB tmpfs filled to the last byte, as a full disk looks to a writer; nil where this process may not
/// mount file systems (not root, or a container without the capability).
private func fullDisk() throws -> URL? {
    let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-full-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
    guard system("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path]) == 0 else {
        try? FileManager.default.removeItem(at: mountPoint)
        return nil
    }
    let filler = FileHandle(forWritingAtPath: mountPoint.path + "/filler") ?? {
        FileManager.default.createFile(atPath: mountPoint.path + "/filler", contents: nil)
        return FileHandle(forWritingAtPath: mountPoint.path + "/filler")!
    }()
    while (try? filler.write(contentsOf: Data(count: 4096))) != nil {}
    try filler.close()
    return mountPoint
}

private let canMount: Bool = {
    guard let disk = try? fullDisk() else { return false }
    system("/bin/umount", [disk.path])
    try? FileManager.default.removeItem(at: disk)
    return true
}()

/// Skipped only on a developer's machine that cannot mount; in CI (`CI` set, as `.ci/run` does) a machine that
/// cannot mount fails the test instead, so a green CI always includes it.
private let runsInCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "0" && $0 != "false" } ?? false

@Test(.enabled(if: canMount || runsInCI, "needs to mount a tmpfs (root); CI fails instead of skipping"))
func aFullDiskIsOneSentenceAndLeavesNothing() throws {
    let disk = try #require(try fullDisk(), "cannot mount a tmpfs here: the full-disk test must run as root in CI")
    defer {
        system("/bin/umount", [disk.path])
        try? FileManager.default.removeItem(at: disk)
    }
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-full-input-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let clip = try makeClipWithAudio(in: work, width: 32, height: 24, seconds: 1)
    let images = repositoryRoot.appendingPathComponent("Examples/images")
    let model = repositoryRoot.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path

    let (photo, painting) = (images.appendingPathComponent("tubingen.jpg").path, images.appendingPathComponent("starry_night.jpg").path)
    // The output's name, the file the error names (training opens its loss log first), and the command.
    let jobs: [(output: String, failing: String, arguments: [String])] = [
        ("apply.png", "apply.png", ["apply", photo, "--model", model, "--size", "64"]),
        ("stylize.png", "stylize.png", ["stylize", photo, "--style", painting, "--weights", stylizeFixtures.weights,
                                        "--size", "32", "--iterations", "1", "--init", "image"]),
        ("video.mp4", "video.mp4", ["video", clip.path, "--model", model]),
        ("train.safetensors", "train.loss.csv", ["train", "--style", painting, "--photos", images.path,
                                                 "--vgg", stylizeFixtures.weights, "--loss-network", "vgg19",
                                                 "--iterations", "1", "--image-size", "16", "--batch-size", "1"]),
    ]
    for (name, failing, arguments) in jobs {
        let output = disk.appendingPathComponent(name).path
        let result = try runImpasto(arguments + ["-o", output, "--quiet"])
        #expect(result.status == 1, "\(arguments[0])")
        #expect(result.error == "error: Cannot write \(disk.appendingPathComponent(failing).path): No space left on device.\n",
                "\(arguments[0])")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == ["filler"], "\(arguments[0])")
    }
}
