import Foundation
import ImpastoFormats
import ImpastoTensor

/// Where live frames go: each takes frames as fast as they come and at their own irregular pace.
public protocol LiveSink: AnyObject {
    /// Sends one frame.
    func send(_ frame: Image) throws
    /// Ends the output (a file is put in place; a stream is closed).
    func finish() throws
}

/// Raw `rgb24` frames on a file descriptor (standard output): rembg's `b` mode, for a program downstream.
public final class RawFrameSink: LiveSink {
    private let descriptor: Int32
    private let name: String

    public init(descriptor: Int32 = STDOUT_FILENO, name: String = "standard output") {
        self.descriptor = descriptor
        self.name = name
    }

    public func send(_ frame: Image) throws {
        let bytes = frame.rgb().interleavedBytes()
        guard bytes.withUnsafeBytes({ writeFully($0, to: descriptor) }) else {
            throw ImpastoError.writeFailed(path: name, reason: String(cString: strerror(errno)))
        }
    }

    public func finish() throws {}
}

/// H.264 through ffmpeg to a network stream (`rtmp://` as FLV, `rtsp://`, `udp://`/`srt://`/`tcp://` as MPEG-TS)
/// with each frame stamped by the wall clock as it is sent, so a stream that slows down plays slower rather
/// than faster; x264's `ultrafast` preset and `zerolatency` tuning keep encoding out of the latency.
public final class StreamSink: LiveSink {
    private let child: ChildProcess
    private let input: FileHandle
    private let url: String

    public init(url: String, width: Int, height: Int, ffmpeg: FFmpeg = .default) throws {
        let container = switch URL(string: url)?.scheme?.lowercased() {
        case "rtmp", "rtmps": "flv"
        case "rtsp": "rtsp"
        default: "mpegts"
        }
        let arguments = ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "\(width)x\(height)",
                         "-use_wallclock_as_timestamps", "1", "-i", "pipe:0",
                         "-vf", "crop=\(width / 2 * 2):\(height / 2 * 2):0:0,format=yuv420p",
                         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-f", container, url]
        let pipe = Pipe()
        child = try ChildProcess(try ffmpeg.executable(ffmpeg.ffmpegPath), arguments, input: pipe)
        input = pipe.fileHandleForWriting
        self.url = url
    }

    public func send(_ frame: Image) throws {
        guard frame.rgb().interleavedBytes().withUnsafeBytes({ writeFully($0, to: input.fileDescriptor) }) else {
            child.wait()
            throw ImpastoError.writeFailed(path: url, reason: "ffmpeg stopped: " + child.failureReason(for: url))
        }
    }

    public func finish() throws {
        try? input.close()
        guard child.wait() == 0 else {
            throw ImpastoError.writeFailed(path: url, reason: "ffmpeg stopped: " + child.failureReason(for: url))
        }
    }
}

/// A video file, written atomically by `VideoWriter` with wall-clock timestamps (what was shown, when).
public final class FileSink: LiveSink {
    private let writer: VideoWriter

    public init(url: URL, width: Int, height: Int, ffmpeg: FFmpeg = .default) throws {
        writer = try VideoWriter(to: url, width: width, height: height, frameRate: nil, preset: "ultrafast", ffmpeg: ffmpeg)
    }

    public func send(_ frame: Image) throws { try writer.append(frame) }
    public func finish() throws { try writer.finish() }
}
