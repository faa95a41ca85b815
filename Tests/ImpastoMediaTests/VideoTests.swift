import Foundation
import ImpastoTensor
import Testing
@testable import ImpastoMedia

/// Runs a tool (ffmpeg, ffprobe) to make or inspect a test file, returning its standard output.
@discardableResult
func runTool(_ name: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: name == "ffmpeg" ? FFmpeg.default.ffmpegPath : FFmpeg.default.ffprobePath)
    process.arguments = ["-v", "error"] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ImpastoError.invalidArgument("\(name) \(arguments.joined(separator: " ")) failed")
    }
    return String(decoding: data, as: UTF8.self)
}

/// A clip made from a real photo: a zoom into tubingen.jpg by `zoomStep` per frame with a 440 Hz tone,
/// `seconds` at 25 fps.
func makeClip(_ url: URL, width: Int, height: Int, seconds: Int, zoomStep: Double = 0.004) throws {
    let frames = seconds * 25
    try runTool("ffmpeg", [
        "-y", "-i", exampleImages.appendingPathComponent("tubingen.jpg").path,
        "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)",
        "-filter_complex", "[0:v]scale=\(4 * width):-2,zoompan=z='min(zoom+\(zoomStep),1.5)':x='iw/2-iw/zoom/2'"
            + ":y='ih/2-ih/zoom/2':d=\(frames):s=\(width)x\(height):fps=25[v]",
        "-map", "[v]", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", url.path,
    ])
}

/// Scratch files shared by the tests of this process, made once: the 3-second 320×240 clip and a small,
/// short one for the flow-heavy tests (the debug build runs the pure-Swift flow loops slowly).
enum Clips {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-clips-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Clips.directory) }
        return url
    }()
    static let standard: URL = {
        let url = directory.appendingPathComponent("zoom.mp4")
        try! makeClip(url, width: 320, height: 240, seconds: 3)
        return url
    }()
    static let small: URL = {
        let url = directory.appendingPathComponent("small.mp4")
        try! makeClip(url, width: 96, height: 72, seconds: 1, zoomStep: 0.02)
        return url
    }()
}

/// MD5 of a file's audio packets as stored, which only an untouched copy keeps.
func audioChecksum(_ url: URL) throws -> String {
    try runTool("ffmpeg", ["-i", url.path, "-map", "0:a", "-c", "copy", "-f", "md5", "-"])
}

/// What an error says, asserting it is one sentence on one line.
func sentence(of error: ImpastoError) -> String {
    let text = error.description
    #expect(!text.contains("\n") && text.hasSuffix("."), "\(text)")
    return text
}

@Test func probeReportsSizeRateCountAndAudio() throws {
    let info = try VideoInfo(contentsOf: Clips.standard)
    #expect(info.width == 320 && info.height == 240)
    #expect(info.frameRate == FrameRate(25, 1))
    #expect(info.frameCount == 75)
    #expect(abs(info.duration - 3) < 0.05)
    #expect(info.hasAudio)
    #expect(info.size(longerSide: 161) == (160, 120))
    #expect(info.size(longerSide: 64) == (64, 48))
}

@Test func roundTripKeepsFrameCountRateAndAudio() throws {
    let directory = try TemporaryDirectory()
    let output = directory.file("out.mp4")
    let reader = try VideoReader(contentsOf: Clips.standard)
    let writer = try VideoWriter(to: output, width: reader.width, height: reader.height,
                                 frameRate: reader.info.frameRate, crf: 23, preset: "veryfast",
                                 audioFrom: Clips.standard)
    var first: Image?
    while case let batch = try reader.nextBatch(maxCount: 8), !batch.isEmpty {
        first = first ?? batch[0]
        for frame in batch { try writer.append(frame) }
    }
    try writer.finish()
    #expect(reader.framesRead == 75 && writer.framesWritten == 75)
    #expect(directory.contents == ["out.mp4"])

    let info = try VideoInfo(contentsOf: output)
    #expect(info.width == 320 && info.height == 240)
    #expect(info.frameCount == 75)
    #expect(info.frameRate == FrameRate(25, 1))
    #expect(info.hasAudio)
    #expect(try audioChecksum(output) == audioChecksum(Clips.standard))
    // Colours and orientation survive RGB → BT.709 4:2:0 → RGB up to compression noise.
    let decoded = try #require(try VideoReader(contentsOf: output).nextFrame())
    let original = try #require(first)
    let meanDifference = zip(decoded.pixels, original.pixels).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
        / Float(original.pixels.count)
    #expect(meanDifference < 0.02, "mean difference \(meanDifference)")
}

@Test func scaledDecodeAndOddSizeEncode() throws {
    let directory = try TemporaryDirectory()
    let output = directory.file("odd.mkv")
    let reader = try VideoReader(contentsOf: Clips.small, size: (width: 51, height: 37))
    let writer = try VideoWriter(to: output, width: 51, height: 37, frameRate: FrameRate(30000, 1001),
                                 preset: "ultrafast")
    while let frame = try reader.nextFrame() {
        #expect(frame.width == 51 && frame.height == 37)
        try writer.append(frame)
    }
    try writer.finish()
    let info = try VideoInfo(contentsOf: output)
    // 4:2:0 needs even sizes: the odd last column and row are cropped; Matroska has no frame count, so it
    // is counted.
    #expect(info.width == 50 && info.height == 36)
    #expect(info.frameCount == 25)
    #expect(info.frameRate == FrameRate(30000, 1001))
    #expect(!info.hasAudio)
}

@Test func audioOnlyFileIsRefusedInOneSentence() throws {
    let directory = try TemporaryDirectory()
    let audio = directory.file("tone.m4a")
    try runTool("ffmpeg", ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audio.path])
    for attempt in [{ _ = try VideoInfo(contentsOf: audio) }, { _ = try VideoReader(contentsOf: audio) }] {
        let error = try #require(throws: ImpastoError.self, performing: attempt)
        #expect(error == .invalidFormat(path: audio.path, reason: "it has no video stream"))
        #expect(sentence(of: error).contains(audio.path))
    }
    let missing = directory.file("missing.mp4")
    let error = try #require(throws: ImpastoError.self) { try VideoInfo(contentsOf: missing) }
    #expect(sentence(of: error).contains("does not exist"))
}

@Test func missingFFmpegTellsHowToInstallIt() throws {
    let absent = FFmpeg(ffmpegPath: "/nonexistent/bin/ffmpeg", ffprobePath: "/nonexistent/bin/ffprobe")
    let directory = try TemporaryDirectory()
    let attempts: [() throws -> Void] = [
        { _ = try VideoInfo(contentsOf: Clips.small, ffmpeg: absent) },
        { _ = try VideoReader(contentsOf: Clips.small, ffmpeg: absent) },
        { _ = try VideoWriter(to: directory.file("out.mp4"), width: 8, height: 8, frameRate: FrameRate(25),
                              ffmpeg: absent) },
    ]
    for attempt in attempts {
        let error = try #require(throws: ImpastoError.self, performing: attempt)
        let text = sentence(of: error)
        #expect(text.contains("/nonexistent/bin/ff") && text.contains("apt-get install ffmpeg"), "\(text)")
    }
    #expect(directory.contents.isEmpty)
}

@Test func unwritableOutputIsOneSentenceAndLeavesNothing() throws {
    let directory = try TemporaryDirectory()
    let notADirectory = directory.file("file.txt")
    try Data("text".utf8).write(to: notADirectory)
    for destination in [directory.file("missing/out.mp4"), notADirectory.appendingPathComponent("out.mp4")] {
        let error = try #require(throws: ImpastoError.self) {
            try VideoWriter(to: destination, width: 8, height: 8, frameRate: FrameRate(25))
        }
        guard case .writeFailed(let path, _) = error else { Issue.record("\(error)"); continue }
        #expect(path == destination.path)
        _ = sentence(of: error)
    }
    #expect(directory.contents == ["file.txt"])
}

@Test func encoderFailureReportsFFmpegsReasonAndLeavesNothing() throws {
    // PCM audio cannot be copied into MP4: ffmpeg stops after the first frames arrive.
    let directory = try TemporaryDirectory()
    let wave = directory.file("tone.wav")
    try runTool("ffmpeg", ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", wave.path])
    let output = directory.file("out.mp4")
    let frames = try VideoReader(contentsOf: Clips.small).nextBatch(maxCount: 25)
    let writer = try VideoWriter(to: output, width: 96, height: 72, frameRate: FrameRate(25), audioFrom: wave)
    let error = try #require(throws: ImpastoError.self) {
        for frame in frames { try writer.append(frame) }
        try writer.finish()
    }
    guard case .writeFailed(let path, let reason) = error else { Issue.record("\(error)"); return }
    #expect(path == output.path && reason.hasPrefix("ffmpeg stopped: "))
    _ = sentence(of: error)
    #expect(directory.contents == ["tone.wav"])
}

@Test func cancelledWriterAndAbandonedReaderLeaveNothing() throws {
    let directory = try TemporaryDirectory()
    let reader = try VideoReader(contentsOf: Clips.small)
    let frames = try reader.nextBatch(maxCount: 3)
    reader.close()
    #expect(try reader.nextFrame() == nil && reader.framesRead == 3)
    do {
        let writer = try VideoWriter(to: directory.file("cancelled.mp4"), width: 96, height: 72,
                                     frameRate: FrameRate(25))
        for frame in frames { try writer.append(frame) }
        writer.cancel()
    }
    do {
        // Dropped without finish(): the same as cancel().
        let writer = try VideoWriter(to: directory.file("dropped.mp4"), width: 96, height: 72,
                                     frameRate: FrameRate(25))
        try writer.append(frames[0])
    }
    #expect(directory.contents.isEmpty)
}
