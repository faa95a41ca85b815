import Foundation
import ImpastoFormats
import ImpastoTensor

/// Encodes RGB frames to H.264 through ffmpeg, optionally with the audio of another file copied untouched.
///
/// Frames go to ffmpeg as raw `rgb24` through a pipe, at the exact rational frame rate given. ffmpeg writes
/// a hidden temporary file beside the destination, which `finish()` renames over it once ffmpeg has
/// succeeded; a failure, `cancel()`, or a writer dropped unfinished deletes it, so no half-written video is
/// ever left under the destination's name.
///
/// Colour: frames are converted with the BT.709 matrix to limited-range 4:2:0 and tagged as BT.709, which
/// players honour for any size (untagged video is shown as BT.601 or BT.709 depending on its height).
public final class VideoWriter {
    /// The destination.
    public let url: URL
    /// Columns of the frames `append` takes.
    public let width: Int
    /// Rows of the frames `append` takes.
    public let height: Int
    /// Frames appended so far.
    public private(set) var framesWritten = 0

    private let temporaryPath: String
    private let keepsAlpha: Bool
    private var child: ChildProcess?
    private var input: FileHandle?

    /// Starts ffmpeg encoding `width` × `height` frames at `frameRate` into `url` (nil: each frame stamped by
    /// the wall clock when it is appended, for live input).
    ///
    /// The container follows `url`'s extension (MP4 when it has none). 4:2:0 needs even sizes, so an odd
    /// last column or row is cropped off. `crf` is x264's constant rate factor (0 lossless … 51; 18 is
    /// visually near-lossless, x264's own default 23); `preset` trades encoding speed for file size.
    /// `audioFrom`'s audio streams, if it has any, are copied without re-encoding.
    ///
    /// - Throws: `ImpastoError.writeFailed` when the destination's directory does not take a new file,
    ///   `ImpastoError.invalidArgument` for a `crf` out of range or a missing ffmpeg.
    ///
    /// With `keepsAlpha` frames keep their transparency: `.webm` is VP9 with an alpha plane (yuva420p, `crf`
    /// as libvpx's quality, audio re-encoded to Opus, which WebM requires), `.mov` ProRes 4444 (yuva444p10le;
    /// `crf` and `preset` do not apply); other extensions are refused.
    public init(to url: URL, width: Int, height: Int, frameRate: FrameRate?, crf: Int = 18,
                preset: String = "medium", audioFrom source: URL? = nil, keepsAlpha: Bool = false,
                ffmpeg: FFmpeg = .default) throws {
        precondition(width > 1 && height > 1, "cannot encode \(width)×\(height) frames")
        guard (0...51).contains(crf) else {
            throw ImpastoError.invalidArgument("The CRF must be between 0 and 51, not \(crf).")
        }
        let container = url.pathExtension.lowercased()
        guard !keepsAlpha || ["webm", "mov"].contains(container) else {
            throw ImpastoError.invalidArgument("The output \(url.path) must end in .webm or .mov to keep transparency.")
        }
        let executable = try ffmpeg.executable(ffmpeg.ffmpegPath)
        self.url = url
        self.width = width
        self.height = height
        self.keepsAlpha = keepsAlpha
        let path = url.path
        // Keeping the extension last lets ffmpeg pick the container from the temporary name.
        temporaryPath = AtomicFile.temporaryPath(beside: url, keepingExtension: true)
        // Creating the file ourselves turns an unwritable destination into the system's reason, before
        // ffmpeg starts and buries it in its own log.
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImpastoError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        close(descriptor)
        PartialFiles.shared.insert(temporaryPath)

        // Live frames keep the times they were appended at (variable frame rate), neither doubled nor dropped.
        let timing = frameRate.map { ["-framerate", $0.description] } ?? ["-use_wallclock_as_timestamps", "1"]
        var arguments = ["-v", "error", "-y",
                         "-f", "rawvideo", "-pix_fmt", keepsAlpha ? "rgba" : "rgb24", "-video_size", "\(width)x\(height)"]
            + timing + ["-i", "pipe:0"] + (frameRate == nil ? ["-fps_mode", "vfr"] : [])
        if let source { arguments += ["-i", source.path] }
        let audio = container == "webm" ? ["-c:a", "libopus"] : ["-c:a", "copy"]
        arguments += ["-map", "0:v"] + (source == nil ? [] : ["-map", "1:a?"] + audio)
        arguments += Self.encoder(keepsAlpha ? container : "h264", width: width, height: height, crf: crf, preset: preset)
        if url.pathExtension.isEmpty { arguments += ["-f", "mp4"] }
        arguments.append(temporaryPath)

        let pipe = Pipe()
        do {
            child = try ChildProcess(executable, arguments, input: pipe, output: FileHandle.nullDevice)
        } catch {
            PartialFiles.shared.remove(temporaryPath)
            throw error
        }
        input = pipe.fileHandleForWriting
    }

    /// ffmpeg's filters and codec options for H.264 (`h264`), VP9 with alpha (`webm`) or ProRes 4444 (`mov`).
    private static func encoder(_ kind: String, width: Int, height: Int, crf: Int, preset: String) -> [String] {
        let tagged = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
        let even = width % 2 != 0 || height % 2 != 0 ? ["crop=\(width / 2 * 2):\(height / 2 * 2):0:0"] : []
        switch kind {
        case "webm":
            return ["-vf", (even + ["scale=out_color_matrix=bt709:out_range=tv", "format=yuva420p"]).joined(separator: ","),
                    "-c:v", "libvpx-vp9", "-crf", "\(crf)", "-b:v", "0"] + tagged
        case "mov":
            return ["-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuva444p10le",
                    "-c:v", "prores_ks", "-profile:v", "4444"] + tagged
        default:
            return ["-vf", (even + ["scale=out_color_matrix=bt709:out_range=tv", "format=yuv420p"]).joined(separator: ","),
                    "-c:v", "libx264", "-preset", preset, "-crf", "\(crf)"] + tagged
        }
    }

    /// Sends one frame to the encoder; it must be `width` × `height`. Gray and alpha are converted as
    /// `Image.rgb()` does.
    ///
    /// - Throws: `ImpastoError.writeFailed` with ffmpeg's reason when it stopped (full disk, an audio codec
    ///   the container cannot hold, …); the temporary file is gone by then.
    public func append(_ frame: Image) throws {
        precondition(frame.width == width && frame.height == height,
                     "a \(frame.width)×\(frame.height) frame sent to a \(width)×\(height) video")
        guard let input else { preconditionFailure("frames appended to a finished or cancelled video") }
        let bytes = (keepsAlpha ? frame.rgba() : frame.rgb()).interleavedBytes()
        let descriptor = input.fileDescriptor
        var sent = 0
        let complete = bytes.withUnsafeBytes { bytes in
            while sent < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + sent, bytes.count - sent)
                if count < 0 && errno == EINTR { continue }
                // EPIPE: ffmpeg has exited, and its exit status says why.
                guard count > 0 else { return false }
                sent += count
            }
            return true
        }
        guard complete else { throw failure() }
        framesWritten += 1
    }

    /// Ends the stream, waits for ffmpeg to write the file, and puts it in place under `url`.
    public func finish() throws {
        guard let child, let input else { preconditionFailure("a video finished twice or after cancel()") }
        self.input = nil
        try? input.close()
        // ffmpeg 5.1 exits with status 0 when it cannot write the end of its output (a full disk), so an
        // error naming the file fails the video too.
        guard child.wait() == 0, !child.reportedError(about: temporaryPath) else { throw failure() }
        self.child = nil
        guard rename(temporaryPath, url.path) == 0 else {
            let error = ImpastoError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
            PartialFiles.shared.remove(temporaryPath)
            throw error
        }
        PartialFiles.shared.forget(temporaryPath)
    }

    /// Stops ffmpeg and deletes what it wrote; the destination keeps whatever it held before.
    public func cancel() {
        guard let child else { return }
        try? input?.close()
        input = nil
        child.stop()
        self.child = nil
        PartialFiles.shared.remove(temporaryPath)
    }

    /// ffmpeg's reason for stopping, after reaping it and deleting its output.
    private func failure() -> ImpastoError {
        try? input?.close()
        input = nil
        let reason = child.map { child in
            child.wait()
            return child.writeError ?? "ffmpeg stopped: " + child.failureReason(for: temporaryPath)
        } ?? "ffmpeg stopped"
        child = nil
        PartialFiles.shared.remove(temporaryPath)
        return ImpastoError.writeFailed(path: url.path, reason: reason)
    }

    deinit { cancel() }

    /// Makes Ctrl-C (SIGINT) and SIGTERM delete the temporary files of every unfinished writer before the
    /// process exits with 128 + the signal number, as a shell expects. Command-line tools call this once;
    /// a library embedded in a larger program should leave signals to it.
    public static func removePartialFilesOnInterrupt() {
        PartialFiles.shared.installSignalHandlers()
    }
}

/// The temporary files writers have open, so an interrupt can delete them.
final class PartialFiles: @unchecked Sendable {
    static let shared = PartialFiles()
    private let lock = NSLock()
    private var paths: Set<String> = []
    private var sources: [DispatchSourceSignal] = []

    func insert(_ path: String) { lock.withLock { _ = paths.insert(path) } }

    /// Deletes the file and stops tracking it.
    func remove(_ path: String) {
        lock.withLock {
            unlink(path)
            paths.remove(path)
        }
    }

    /// Stops tracking a file that has been renamed into place.
    func forget(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    var count: Int { lock.withLock { paths.count } }

    func installSignalHandlers() {
        lock.withLock {
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                // The default action would end the process before the handler could run.
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in
                    lock.withLock { for path in paths { unlink(path) } }
                    exit(128 + number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
