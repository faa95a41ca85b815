import ArgumentParser
import Foundation
import ImpastoTestSupport
import ImpastoTensor
import Testing
@testable import ImpastoCLI

/// A `frames`-frame zoom into tubingen.jpg at `width` × `height`, made with ffmpeg.
func makeZoomClip(_ name: String, width: Int, height: Int, frames: Int) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-\(UUID().uuidString)-\(name)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-v", "error", "-i", repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path,
                         "-vf", "scale=\(4 * width):-2,zoompan=z='zoom+0.01':d=\(frames):s=\(width)x\(height):fps=25",
                         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", url.path]
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return url
}

/// Runs any subcommand in-process and returns the user-facing error it ends with, if any.
func commandError<Command: ParsableCommand>(_: Command.Type, _ arguments: [String]) throws -> ImpastoError? {
    var command = try Command.parse(arguments)
    do {
        try command.run()
        return nil
    } catch let error as ImpastoError {
        return error
    }
}

@Test func flickerPrintsTheWarpingErrorWithSixDecimalsOrJSON() throws {
    let command = try FlickerCommand.parse(["a.mp4", "b.mp4"])
    #expect(command.report(0.0012344, pairs: 9) == "warping error: 0.001234")
    let json = try FlickerCommand.parse(["a.mp4", "b.mp4", "--json"]).report(0.5, pairs: 9)
    let fields = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    #expect(fields["warping_error"] as? Double == 0.5 && fields["pairs"] as? Int == 9)
    #expect(fields["original"] as? String == "a.mp4" && fields["stylized"] as? String == "b.mp4")

}

/// The number itself, from the built binary: a clip scored against itself keeps only the residue of warping
/// it by its own flow, a copy whose every other frame is brighter scores far worse.
@Test func flickerScoresAFlickeringCopyWorseThanTheClipItself() throws {
    let clip = try makeZoomClip("clip.mp4", width: 64, height: 48, frames: 6)
    let flickering = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-\(UUID().uuidString)-flicker.mp4")
    defer { for url in [clip, flickering] { try? FileManager.default.removeItem(at: url) } }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-v", "error", "-i", clip.path, "-vf", "eq=brightness='0.25*mod(n,2)':eval=frame",
                         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", flickering.path]
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    func score(_ stylized: URL) throws -> Double {
        let run = try runImpasto(["flicker", clip.path, stylized.path, "--json"])
        try #require(run.status == 0, "\(run.error)")
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        #expect(fields["pairs"] as? Int == 5)
        return try #require(fields["warping_error"] as? Double)
    }
    let itself = try score(clip), flickered = try score(flickering)
    #expect(itself > 0 && itself < 0.01, "\(itself)")
    #expect(flickered > 10 * itself && flickered > 0.01, "\(flickered) against \(itself)")
}

@Test func flickerRefusesVideosThatDoNotMatch() throws {
    let clip = try makeZoomClip("clip.mp4", width: 64, height: 48, frames: 4)
    let longer = try makeZoomClip("longer.mp4", width: 64, height: 48, frames: 6)
    let larger = try makeZoomClip("larger.mp4", width: 80, height: 48, frames: 4)
    defer { for url in [clip, longer, larger] { try? FileManager.default.removeItem(at: url) } }
    for (other, words) in [(longer, "6 frames but"), (larger, "80×48 but")] {
        let error = try #require(try commandError(FlickerCommand.self, [clip.path, other.path]))
        #expect(error.description.contains(words) && !error.description.contains("\n"), "\(error)")
    }
    let missing = try #require(try commandError(FlickerCommand.self, [clip.path, "/nonexistent/video.mp4"]))
    #expect(missing == .unreadableFile(path: "/nonexistent/video.mp4", reason: "it does not exist or cannot be opened"))
}
