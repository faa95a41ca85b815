import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

// `impasto live` through the built binary, with real ffmpeg, real pipes and a real socket: frames are dropped,
// never queued; every frame that arrived is either delivered or dropped; the last one is always delivered.

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-live-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The final JSON event of a `--json` run.
private func doneEvent(_ output: String) throws -> [String: Any] {
    let last = try #require(output.split(separator: "\n").last)
    return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
}

@Test func aFilePlayedInRealTimeIsStylizedDroppingWhatTheNetworkCannotTake() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let clip = try makeClipWithAudio(in: folder, seconds: 2)
    let output = folder.appendingPathComponent("live.mp4")
    let result = try runImpasto(["live", clip.path, "-o", output.path, "--model", "starry", "--size", "64x48", "--json"])
    #expect(result.status == 0, "\(result.error)")
    let done = try doneEvent(result.output)
    let arrived = done["arrived"] as? Int ?? 0, delivered = done["delivered"] as? Int ?? 0
    #expect(arrived == 50 && delivered >= 1)
    #expect(delivered + (done["dropped"] as? Int ?? -1) == arrived)
    #expect(done["end"] as? String == "the input ended")
    let written = try VideoInfo(contentsOf: output)
    #expect(written.width == 64 && written.height == 48 && written.frameCount == delivered)
}

@Test func rawFramesFromAPipeComeOutStylizedTheLastOneAlways() throws {
    let (width, height, count) = (64, 48, 6)
    let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg"))
    // Frames as 8-bit bytes hold them, so that the in-process reference sees exactly what the pipe carries.
    let frames = (0..<count).map { index -> Image in
        let crop = photo.cropped(x: index * 20, y: index * 10, width: 4 * width, height: 4 * height).resized(width: width, height: height)
        return Image(rgb24: crop.rgb().interleavedBytes(), width: width, height: height)
    }
    let process = Process()
    process.executableURL = try impastoBinary()
    process.arguments = ["live", "-", "--input-size", "\(width)x\(height)", "-o", "-", "--model", "starry", "--quiet"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    for frame in frames { input.fileHandleForWriting.write(Data(frame.rgb().interleavedBytes())) }
    try input.fileHandleForWriting.close()
    let bytes = [UInt8](output.fileHandleForReading.readDataToEndOfFile())
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let frameBytes = width * height * 3
    #expect(bytes.count % frameBytes == 0 && (1...count).contains(bytes.count / frameBytes))
    let last = Image(rgb24: Array(bytes.suffix(frameBytes)), width: width, height: height)
    let expected = try FastStyle.apply(image: frames.last!, model: BundledStyles.model("starry"))
    let difference = zip(last.pixels, expected.pixels).map { abs($0 - $1) }.max() ?? 1
    #expect(difference <= 1.0 / 255 + 1e-6, "the last frame out is the last frame in, stylized")
}

@Test func thePreviewServesAPageAndAMotionJPEGStream() throws {
    // Raw frames from the test, one every 50 ms for as long as the test needs them.
    let (process, _, errors) = try startImpastoWithInput(["live", "-", "--input-size", "64x48", "-o", "preview:0",
                                                          "--model", "starry"])
    let feeding = FrameFeeder(process.standardInput as! Pipe, frame: [UInt8](repeating: 90, count: 64 * 48 * 3))
    defer { feeding.stop(); process.waitUntilExit() }
    // The note names the port the system chose.
    var text = ""
    var port: Int?
    while port == nil, let chunk = try errors.fileHandleForReading.read(upToCount: 256), !chunk.isEmpty {
        text += String(decoding: chunk, as: UTF8.self)
        if let range = text.range(of: #"preview at http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression) {
            port = Int(text[range].split(separator: ":").last!.dropLast())
        }
    }
    let preview = try #require(port, "no preview note in: \(text)")
    #expect(try httpGet(port: preview, path: "/", limit: 4096).contains("<img src=\"/stream.mjpg\""))
    #expect(try httpGet(port: preview, path: "/elsewhere", limit: 4096).hasPrefix("HTTP/1.0 404"))
    // The stream: headers, then a part whose Content-Length bytes are a JPEG of the stylized size.
    let stream = try httpGetBytes(port: preview, path: "/stream.mjpg", until: { bytes in
        guard let text = String(bytes: bytes.prefix(600), encoding: .isoLatin1),
              let range = text.range(of: #"Content-Length: (\d+)\r\n\r\n"#, options: .regularExpression) else { return false }
        let length = Int(text[range].dropFirst(16).prefix { $0.isNumber })!
        return bytes.count >= text.distance(from: text.startIndex, to: range.upperBound) + length
    })
    let text2 = String(decoding: stream.prefix(600), as: UTF8.self)
    #expect(text2.contains("multipart/x-mixed-replace; boundary=impastoframe"))
    let start = try #require(stream.firstRange(of: [0xFF, 0xD8, 0xFF])?.lowerBound)
    let jpeg = try Image(decoding: Array(stream[start...]), path: "stream")
    #expect(jpeg.width == 64 && jpeg.height == 48)
}

@Test func aStalledOrCutInputEndsWithOneSentence() throws {
    let frame = [UInt8](repeating: 128, count: 32 * 24 * 3)
    for (stall, expected) in [(true, "no frame came for 1 s; the stream stalled"),
                              (false, "its frame 2 ends after 100 of 2304 bytes")] {
        let process = Process()
        process.executableURL = try impastoBinary()
        process.arguments = ["live", "-", "--input-size", "32x24", "-o", "-", "--model", "starry", "--quiet",
                             "--stall-timeout", "1"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, errors)
        try process.run()
        input.fileHandleForWriting.write(Data(frame + frame.prefix(100)))
        if !stall { try input.fileHandleForWriting.close() }
        _ = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if stall { try input.fileHandleForWriting.close() }
        #expect(process.terminationStatus == 1)
        #expect(message.contains(expected) && message.split(separator: "\n").count == 1, "\(message)")
    }
}

@Test func liveRefusesOptionsThatCannotWork() throws {
    for (arguments, sentence) in [
        (["-", "--model", "starry"], "Raw frames on standard input need --input-size WIDTHxHEIGHT."),
        (["-", "--input-size", "32x24", "-o", "-", "--model", "starry", "--json"],
         "--json writes events to standard output, where the raw frames go; drop one."),
        (["rtsp://127.0.0.1:1/cam", "--model", "starry", "--size", "640"],
         "Give --size as WIDTHxHEIGHT for a camera or a stream (its size is not known before it starts)."),
    ] {
        let result = try runImpasto(["live"] + arguments)
        #expect(result.status != 0 && result.error.contains(sentence), "\(arguments): \(result.error)")
    }
}

/// Starts `impasto` with a pipe on standard input too.
private func startImpastoWithInput(_ arguments: [String]) throws -> (Process, output: Pipe, error: Pipe) {
    let process = Process()
    let input = Pipe(), output = Pipe(), error = Pipe()
    process.executableURL = try impastoBinary()
    process.arguments = arguments
    (process.standardInput, process.standardOutput, process.standardError) = (input, output, error)
    try process.run()
    return (process, output, error)
}

/// Writes one raw frame every 50 ms on a background thread until stopped; stopping closes the pipe, which
/// ends the input.
private final class FrameFeeder: @unchecked Sendable {
    private let pipe: Pipe
    private let lock = NSLock()
    private var running = true

    init(_ pipe: Pipe, frame: [UInt8]) {
        self.pipe = pipe
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                pipe.fileHandleForWriting.write(Data(frame))
                usleep(50_000)
            }
            try? pipe.fileHandleForWriting.close()
        }
    }

    func stop() { lock.withLock { running = false } }
}

// MARK: - A minimal HTTP client over a socket (curl is not on every machine)

private func connect(port: Int) throws -> Int32 {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let status = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    try #require(status == 0, "cannot connect to 127.0.0.1:\(port)")
    var timeout = timeval(tv_sec: 20, tv_usec: 0)
    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return socket
}

private func httpGetBytes(port: Int, path: String, until done: ([UInt8]) -> Bool) throws -> [UInt8] {
    let socket = try connect(port: port)
    defer { close(socket) }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while !done(bytes) {
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}

private func httpGet(port: Int, path: String, limit: Int) throws -> String {
    String(decoding: try httpGetBytes(port: port, path: path, until: { $0.count >= limit }), as: UTF8.self)
}
