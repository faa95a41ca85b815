import ArgumentParser
import Foundation
import ImpastoTestSupport
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoStudio
import ImpastoTensor
import Testing
@testable import ImpastoCLI

private let transformerFixture = repositoryRoot
    .appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path

/// Runs ffmpeg with `arguments` and requires it to succeed.
private func ffmpeg(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["ffmpeg", "-v", "error", "-nostdin"] + arguments
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "ffmpeg \(arguments)")
}

/// A zoom into tubingen.jpg, `seconds` long at 25 fps and `width` × `height`, with a 440 Hz tone as audio.
func makeClipWithAudio(in folder: URL, width: Int = 160, height: Int = 120, seconds: Int = 3) throws -> URL {
    let url = folder.appendingPathComponent("clip.mp4")
    let frames = 25 * seconds
    try ffmpeg(["-i", repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path,
                "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)",
                "-vf", "scale=\(4 * width):-2,zoompan=z='zoom+0.005':d=\(frames):s=\(width)x\(height):fps=25",
                "-frames:v", "\(frames)", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", url.path])
    return url
}

/// A fresh empty folder.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-video-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `impasto video` in-process with ffmpeg at `tools` and returns the user-facing error it ends with, if any.
private func video(_ arguments: [String], tools: FFmpeg = .default) throws -> ImpastoError? {
    let command = try VideoCommand.parse(arguments + ["--quiet"])
    do {
        try command.run(ffmpeg: tools)
        return nil
    } catch let error as ImpastoError {
        return error
    }
}

@Test func stylizesAClipKeepingFrameCountRateAndAudio() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let clip = try makeClipWithAudio(in: folder)
    let original = try VideoInfo(contentsOf: clip)
    #expect(original.frameCount == 75 && original.hasAudio)

    let output = folder.appendingPathComponent("styled.mp4")
    #expect(try video([clip.path, "--model", transformerFixture, "-o", output.path, "--batch-size", "3"]) == nil)
    let styled = try VideoInfo(contentsOf: output)
    #expect(styled.frameCount == original.frameCount)
    #expect(styled.frameRate == original.frameRate)
    #expect((styled.width, styled.height) == (160, 120))
    #expect(styled.hasAudio)

    // Scaled, stabilized and in bf16, the timing and the sound still come through.
    let small = folder.appendingPathComponent("small.mkv")
    #expect(try video([clip.path, "--model", transformerFixture, "-o", small.path, "--size", "40", "--stabilize",
                       "--stabilize-strength", "0.5", "--precision", "bf16"]) == nil)
    let smallInfo = try VideoInfo(contentsOf: small)
    #expect((smallInfo.width, smallInfo.height, smallInfo.frameCount) == (40, 30, 75))
    #expect(smallInfo.frameRate == original.frameRate && smallInfo.hasAudio)
    // Only the clip and the two results: no temporary files left beside them.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        == ["clip.mp4", "small.mkv", "styled.mp4"])
}

@Test func videoErrorsAreOneSentenceAndLeaveNoOutput() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let clip = try makeClipWithAudio(in: folder, width: 32, height: 24, seconds: 1)
    let output = folder.appendingPathComponent("out.mp4")

    // A model file of another architecture: AdaIN's decoder given where a TransformerNet belongs.
    let decoder = folder.appendingPathComponent("decoder.safetensors")
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: AdaIN().decoder.stateDict().map { ($0.name, $0.tensor) }),
                          to: decoder)
    let architecture = try #require(try video([clip.path, "--model", decoder.path, "-o", output.path]))
    #expect(architecture == .missingKey(key: "conv1.conv2d.weight", source: decoder.path))

    // A file without a video stream.
    let tone = folder.appendingPathComponent("tone.m4a")
    try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", tone.path])
    let noVideo = try #require(try video([tone.path, "--model", transformerFixture, "-o", output.path]))
    #expect(noVideo == .invalidFormat(path: tone.path, reason: "it has no video stream"))

    // ffmpeg missing, as IMPASTO_FFMPEG and IMPASTO_FFPROBE pointing nowhere make it.
    let nowhere = FFmpeg(ffmpegPath: "/nonexistent/ffmpeg", ffprobePath: "/nonexistent/ffprobe")
    let missing = try #require(try video([clip.path, "--model", transformerFixture, "-o", output.path], tools: nowhere))
    #expect(missing.description.contains("install ffmpeg"))

    // An output folder that does not exist.
    let unwritable = folder.appendingPathComponent("missing/out.mp4")
    let write = try #require(try video([clip.path, "--model", transformerFixture, "-o", unwritable.path]))
    #expect(write == .writeFailed(path: unwritable.path, reason: "No such file or directory"))

    // The input itself as the output.
    let overwrite = try #require(try video([clip.path, "--model", transformerFixture, "-o", clip.path]))
    #expect(overwrite.description.hasPrefix("Refusing to overwrite the input"))

    for error in [architecture, noVideo, missing, write, overwrite] {
        #expect(!error.description.contains("\n") && error.description.hasSuffix("."), "\(error)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        == ["clip.mp4", "decoder.safetensors", "tone.m4a"])
}

@Test func contradictoryVideoOptionsAreRefusedBeforeWork() {
    let cases: [([String], String)] = [
        (["in.mp4", "-o", "out.mp4"], "Give either --model"),
        (["in.mp4", "--model", "m.pth", "--style", "s.jpg", "-o", "out.mp4"], "Give either --model"),
        (["in.mp4", "--style", "s.jpg", "-o", "out.mp4"], "AdaIN needs --vgg"),
        (["in.mp4", "--model", "m.pth", "-o", "out.mp4", "--crf", "60"], "--crf must be between 0 and 51"),
        (["in.mp4", "--model", "m.pth", "-o", "out.mp4", "--stabilize-strength", "0.3"], "only with --stabilize"),
        (["in.mp4", "--model", "m.pth", "-o", "out.mp4", "--stabilize", "--stabilize-strength", "2"], "between 0 and 1"),
        (["in.mp4", "--model", "m.pth", "-o", "out.mp4", "--quiet", "--json"], "either --quiet or --json"),
        (["in.mp4", "--model", "m.pth", "-o", "out.mp4", "--precision", "fp16"], "fp32 or bf16"),
    ]
    for (arguments, message) in cases {
        do {
            _ = try VideoCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let text = VideoCommand.message(for: error)
            #expect(text.contains(message), "\(arguments): \(text)")
        }
    }
}

@Test func adainStylizesAClipWithOneStyleEncoding() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let clip = try makeClipWithAudio(in: folder, width: 32, height: 24, seconds: 1)
    // Random weights in the key layouts of vgg_normalised.pth and decoder.pth.
    let net = AdaIN()
    let vgg = folder.appendingPathComponent("vgg_normalised.safetensors")
    let decoder = folder.appendingPathComponent("decoder.safetensors")
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: net.encoder.stateDict().map { ($0.name, $0.tensor) }), to: vgg)
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: net.decoder.stateDict().map { ($0.name, $0.tensor) }), to: decoder)
    let style = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path
    let output = folder.appendingPathComponent("adain.mp4")
    #expect(try video([clip.path, "--style", style, "--alpha", "0.5", "--style-size", "32", "--vgg", vgg.path,
                       "--decoder", decoder.path, "-o", output.path]) == nil)
    let info = try VideoInfo(contentsOf: output)
    #expect((info.width, info.height, info.frameCount, info.hasAudio) == (32, 24, 25, true))
}

@Test func smallFramesAreBatchedLargeOnesGoAlone() {
    #expect(VideoStyle.automaticBatchSize(width: 160, height: 120) == 4)
    #expect(VideoStyle.automaticBatchSize(width: 640, height: 360) == 4)
    #expect(VideoStyle.automaticBatchSize(width: 854, height: 480) == 2)
    #expect(VideoStyle.automaticBatchSize(width: 1280, height: 720) == 1)
    #expect(VideoStyle.automaticBatchSize(width: 3840, height: 2160) == 1)
}
