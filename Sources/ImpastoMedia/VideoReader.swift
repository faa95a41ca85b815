import Foundation
import ImpastoFormats
import ImpastoTensor

/// Decodes a video's frames one at a time (or in batches) through ffmpeg, as RGB `Image`s.
///
/// ffmpeg writes raw `rgb24` frames to a pipe and this reads exactly `width * height * 3` bytes per frame,
/// so only the frames being worked on are in memory, whatever the length of the video. Every decoded frame
/// comes out once (`-vsync passthrough`), so frame *n* of two decodings of the same file line up.
public final class VideoReader {
    /// What ffprobe said about the file.
    public let info: VideoInfo
    /// Columns of the frames this reader returns (the video's, or the requested size).
    public let width: Int
    /// Rows of the frames this reader returns.
    public let height: Int
    /// Frames returned so far.
    public private(set) var framesRead = 0

    private var child: ChildProcess?
    private let frames: FileHandle
    private var bytes: [UInt8]

    /// Starts decoding `url`, scaled by ffmpeg to `size` when one is given (area averaging when shrinking,
    /// bicubic when enlarging).
    ///
    /// - Throws: what `VideoInfo(contentsOf:)` throws: a missing file, no video stream, no ffmpeg.
    public init(contentsOf url: URL, size: (width: Int, height: Int)? = nil, ffmpeg: FFmpeg = .default) throws {
        info = try VideoInfo(contentsOf: url, ffmpeg: ffmpeg)
        let executable = try ffmpeg.executable(ffmpeg.ffmpegPath)
        (width, height) = size ?? (info.width, info.height)
        precondition(width > 0 && height > 0, "cannot decode to \(width)×\(height) frames")
        var arguments = ["-v", "error", "-nostdin", "-i", url.path, "-map", "0:\(info.streamIndex)",
                         "-vsync", "passthrough"]
        if width != info.width || height != info.height {
            let shrinking = width <= info.width && height <= info.height
            arguments += ["-vf", "scale=\(width):\(height):flags=\(shrinking ? "area" : "bicubic")"]
        }
        arguments += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        let output = Pipe()
        frames = output.fileHandleForReading
        bytes = [UInt8](repeating: 0, count: width * height * 3)
        child = try ChildProcess(executable, arguments, input: FileHandle.nullDevice, output: output)
    }

    /// The next frame, or nil after the last one.
    ///
    /// - Throws: `ImpastoError.unreadableFile` with ffmpeg's reason when decoding fails part way.
    public func nextFrame() throws -> Image? {
        guard let child else { return nil }
        let filled = bytes.withUnsafeMutableBytes { ImpastoFormats.readFully(frames.fileDescriptor, into: $0) }
        if filled == bytes.count {
            framesRead += 1
            return Image(rgb24: bytes, width: width, height: height)
        }
        self.child = nil
        try? frames.close()
        let path = info.url.path
        guard child.wait() == 0 else {
            throw ImpastoError.unreadableFile(
                path: path,
                reason: "ffmpeg stopped decoding it after \(framesRead) frame(s) (\(child.failureReason(for: path)))")
        }
        guard filled == 0 else {
            throw ImpastoError.unreadableFile(path: path, reason: "its frame \(framesRead + 1) ends early")
        }
        return nil
    }

    /// Up to `maxCount` next frames; empty after the last one. Batches let a network stylize several frames
    /// in one pass.
    public func nextBatch(maxCount: Int) throws -> [Image] {
        precondition(maxCount > 0, "a batch holds at least one frame, not \(maxCount)")
        var batch: [Image] = []
        while batch.count < maxCount, let frame = try nextFrame() { batch.append(frame) }
        return batch
    }

    /// Stops decoding part way and reaps ffmpeg (which would otherwise sit blocked on a pipe nobody reads);
    /// later calls to `nextFrame` return nil. Reading to the end needs no `close`.
    public func close() {
        guard let child else { return }
        self.child = nil
        try? frames.close()
        child.stop()
    }

    deinit { close() }
}

extension Image {
    /// An RGB image from interleaved 8-bit samples, each becoming exactly `k / 255` like a decoded PNG.
    public init(rgb24 bytes: [UInt8], width: Int, height: Int) {
        let count = width * height
        let pixels = [Float](unsafeUninitializedCapacity: 3 * count) { planar, initialized in
            bytes.withUnsafeBufferPointer { interleaved in
                for i in 0..<count {
                    planar[i] = Float(interleaved[3 * i]) / 255
                    planar[count + i] = Float(interleaved[3 * i + 1]) / 255
                    planar[2 * count + i] = Float(interleaved[3 * i + 2]) / 255
                }
            }
            initialized = 3 * count
        }
        self.init(width: width, height: height, channels: 3, pixels: pixels)
    }
}
