import Foundation
import ImpastoTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the `ffmpeg` and `ffprobe` executables are, which every video operation takes so that a test or
/// an unusual install can point elsewhere.
///
/// Impasto links no video codecs: it runs ffmpeg as a child process and moves raw RGB frames through
/// pipes, which keeps every container and codec ffmpeg knows available without a build-time dependency.
public struct FFmpeg: Sendable, Equatable {
    /// Path of the `ffmpeg` executable.
    public var ffmpegPath: String
    /// Path of the `ffprobe` executable.
    public var ffprobePath: String

    /// Tools at explicit paths.
    public init(ffmpegPath: String, ffprobePath: String) {
        self.ffmpegPath = ffmpegPath
        self.ffprobePath = ffprobePath
    }

    /// `IMPASTO_FFMPEG` and `IMPASTO_FFPROBE` when set, otherwise the first `ffmpeg` and `ffprobe` on `PATH`.
    public static var `default`: FFmpeg {
        let environment = ProcessInfo.processInfo.environment
        // A bare name fails the availability check with a sentence that names it.
        return FFmpeg(ffmpegPath: environment["IMPASTO_FFMPEG"] ?? executableInPath("ffmpeg") ?? "ffmpeg",
                      ffprobePath: environment["IMPASTO_FFPROBE"] ?? executableInPath("ffprobe") ?? "ffprobe")
    }

    /// `path` as an executable, or the error telling how to install it.
    func executable(_ path: String) throws -> URL {
        guard path.contains("/"), FileManager.default.isExecutableFile(atPath: path) else {
            let name = (path as NSString).lastPathComponent
            throw ImpastoError.invalidArgument(
                "Video needs \(name), which was not found at \(path); install ffmpeg (`apt-get install ffmpeg`, "
                + "`brew install ffmpeg`) or set IMPASTO_FFMPEG and IMPASTO_FFPROBE to the executables.")
        }
        return URL(fileURLWithPath: path)
    }
}

/// The first executable called `name` in `PATH`, or nil.
public func executableInPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// A running child process (ffmpeg, ffprobe, pip): its standard error is drained on another thread (so a
/// chatty child never blocks on a full pipe) and its last line becomes the reason of any failure.
public final class ChildProcess {
    let process = Process()
    private let errorTail = OutputTail()
    private var exitStatus: Int32?

    /// Starts `executable` with `arguments`; `input`/`output` are the child's standard input and output
    /// (pipes or `FileHandle.nullDevice`).
    public init(_ executable: URL, _ arguments: [String], input: Any = FileHandle.nullDevice,
                output: Any = FileHandle.nullDevice) throws {
        // A child that exits while we write to it must surface as EPIPE from write(2), not kill us.
        _ = ChildProcess.ignoreBrokenPipes
        let errors = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw ImpastoError.invalidArgument("Cannot start \(executable.path): \(error.localizedDescription).")
        }
        errorTail.drain(errors.fileHandleForReading)
    }

    /// SIGPIPE ignored for the whole process, once: the default action would terminate Impasto the moment
    /// ffmpeg stops reading frames, before we could report why it stopped. Every write checks its result.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Waits for the child to exit (reaping it) and returns its exit status.
    @discardableResult
    public func wait() -> Int32 {
        if let exitStatus { return exitStatus }
        process.waitUntilExit()
        errorTail.waitForEnd()
        let status = process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
        exitStatus = status
        return status
    }

    /// Stops the child at once (cancellation or an abandoned reader) and reaps it.
    func stop() {
        if exitStatus == nil && process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        wait()
    }

    /// Whether the child wrote a line about `path` to standard error; run with `-v error`, ffmpeg writes
    /// only errors ("Error writing trailer of PATH: No space left on device").
    func reportedError(about path: String) -> Bool {
        errorTail.lines.contains { $0.contains(path) }
    }

    /// The system's reason when the child could not write (a full disk, a quota, an I/O error): ffmpeg ends
    /// such a line with the `strerror` text, "Could not write header for output file #0 (incorrect codec
    /// parameters ?): No space left on device", and then logs a vaguer last line.
    var writeError: String? {
        let reasons = [ENOSPC, EDQUOT, EFBIG, EIO, EROFS, EACCES].map { String(cString: strerror($0)) }
        return errorTail.lines.reversed().lazy.compactMap { line in reasons.first { line.hasSuffix(": " + $0) } }.first
    }

    /// The last non-empty line the child wrote to standard error (without the `path: ` ffmpeg puts before
    /// messages about a file), or a description of how it ended.
    func failureReason(for path: String) -> String {
        if let line = lastErrorLine { return line.hasPrefix(path + ": ") ? String(line.dropFirst(path.count + 2)) : line }
        return process.terminationReason == .uncaughtSignal
            ? "ffmpeg was killed by signal \(process.terminationStatus)"
            : "ffmpeg exited with status \(process.terminationStatus)"
    }

    /// The last non-blank line the child wrote to standard error, trimmed, or nil.
    public var lastErrorLine: String? { errorTail.lastLine }
}

/// The end of a child's standard error, read to EOF on a background thread.
private final class OutputTail: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private let finished = DispatchSemaphore(value: 0)
    private static let limit = 16_384

    func drain(_ handle: FileHandle) {
        DispatchQueue.global().async { [self] in
            let descriptor = handle.fileDescriptor
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                lock.withLock {
                    bytes.append(contentsOf: chunk[0..<count])
                    if bytes.count > 2 * OutputTail.limit { bytes.removeFirst(bytes.count - OutputTail.limit) }
                }
            }
            try? handle.close()
            finished.signal()
        }
    }

    func waitForEnd() { finished.wait(); finished.signal() }

    /// The non-blank lines read so far, trimmed of spaces and final full stops.
    var lines: [String] {
        let text = lock.withLock { String(decoding: bytes, as: UTF8.self) }
        return text.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }.map { line in
            var trimmed = line.trimmingCharacters(in: .whitespaces)
            while trimmed.hasSuffix(".") { trimmed.removeLast() }
            return trimmed
        }
    }

    var lastLine: String? { lines.last }
}
