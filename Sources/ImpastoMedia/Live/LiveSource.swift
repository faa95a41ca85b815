import Foundation
import ImpastoFormats
import ImpastoTensor

/// Frames arriving in real time — from a camera (v4l2), a network stream (RTSP, RTMP, HTTP, UDP, SRT), a file
/// played at its own pace, or raw RGB frames on a pipe (rembg's `b` mode) — of which only the newest is kept.
///
/// A reader thread takes every frame as it arrives and puts it in a one-frame mailbox; a frame that nobody
/// took before the next one came is dropped and counted. So a consumer slower than the input always gets the
/// latest frame and never falls behind (nothing queues), which is what live stylization needs.
public final class LiveSource: @unchecked Sendable {
    /// One frame, stamped when it arrived.
    public struct Frame: Sendable {
        public let image: Image
        /// `ProgressReporter`-style monotonic seconds (`LiveSource.now()`) when the last byte was read.
        public let arrival: Double
        /// 1 for the first frame the source delivered, counting dropped ones.
        public let number: Int
    }

    /// Where frames come from.
    public enum Input: Sendable, Equatable {
        /// Anything ffmpeg opens: a device (`/dev/video0`), a URL, or a file (`realTime`: read at its frame rate).
        case ffmpeg(String, realTime: Bool)
        /// Raw `rgb24` frames of this size on a file descriptor (standard input).
        case raw(descriptor: Int32, width: Int, height: Int)
    }

    public let width: Int
    public let height: Int
    /// How the input is named in messages.
    public let name: String

    private let lock = NSCondition()
    private var latest: Frame?
    private var ended = false
    private var failure: ImpastoError?
    private(set) var framesArrived = 0
    private var framesTaken = 0
    private var child: ChildProcess?
    private let descriptor: Int32

    /// Monotonic seconds.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Starts reading `input`, scaled by ffmpeg to `width` × `height` (raw input must already be that size).
    ///
    /// - Throws: `ImpastoError.invalidArgument` when ffmpeg is missing or the size is absurd.
    public init(_ input: Input, width: Int, height: Int, ffmpeg: FFmpeg = .default) throws {
        guard (16...7680).contains(width), (16...4320).contains(height) else {
            throw ImpastoError.invalidArgument("A live frame of \(width)×\(height) is outside 16×16 … 7680×4320.")
        }
        self.width = width
        self.height = height
        switch input {
        case let .raw(descriptor, rawWidth, rawHeight):
            guard rawWidth == width, rawHeight == height else {
                preconditionFailure("raw frames are read at their own size")
            }
            name = "standard input"
            self.descriptor = descriptor
        case let .ffmpeg(source, realTime):
            name = source
            var arguments = ["-v", "error", "-nostdin"]
            if source.hasPrefix("/dev/video") { arguments += ["-f", "v4l2"] }
            if realTime { arguments += ["-re"] }
            arguments += ["-i", source, "-map", "0:v:0", "-an",
                          "-vf", "scale=\(width):\(height):flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
            let output = Pipe()
            child = try ChildProcess(try ffmpeg.executable(ffmpeg.ffmpegPath), arguments, output: output)
            descriptor = output.fileHandleForReading.fileDescriptor
            // The pipe's read end must outlive the thread below; keep the handle with the thread.
            let handle = output.fileHandleForReading
            Thread.detachNewThread { [self] in withExtendedLifetime(handle) { readFrames() } }
            return
        }
        Thread.detachNewThread { [self] in readFrames() }
    }

    /// The newest frame not taken yet; waits for one up to `timeout` seconds. Nil when the input has ended.
    ///
    /// - Throws: `ImpastoError.unreadableFile` when ffmpeg failed, or when no frame came for `timeout`
    ///   seconds (a stalled stream).
    public func next(timeout: Double) throws -> Frame? {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while latest == nil && !ended {
            if !lock.wait(until: deadline) && latest == nil && !ended {
                throw ImpastoError.unreadableFile(
                    path: name, reason: "no frame came for \(Self.seconds(timeout)); the stream stalled")
            }
        }
        if let frame = latest {
            latest = nil
            framesTaken += 1
            return frame
        }
        if let failure { throw failure }
        return nil
    }

    /// Frames the input delivered so far.
    public var framesArrivedCount: Int { lock.withLock { framesArrived } }

    /// Frames that arrived and were replaced by a newer one before anyone took them.
    public var framesDropped: Int {
        lock.withLock { framesArrived - framesTaken - (latest == nil ? 0 : 1) }
    }

    /// Stops reading (the input may go on: a camera, a stream).
    public func close() {
        child?.stop()
        lock.withLock { ended = true; lock.broadcast() }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// The reader thread: whole frames into the mailbox until the input ends.
    private func readFrames() {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        while true {
            let filled = bytes.withUnsafeMutableBytes { ImpastoFormats.readFully(descriptor, into: $0) }
            let arrival = Self.now()
            guard filled == bytes.count else {
                finish(partial: filled)
                return
            }
            let image = Image(rgb24: bytes, width: width, height: height)
            lock.withLock {
                framesArrived += 1
                latest = Frame(image: image, arrival: arrival, number: framesArrived)
                lock.signal()
            }
        }
    }

    private func finish(partial: Int) {
        var reason: String?
        if let child, child.wait() != 0 {
            reason = "ffmpeg stopped reading it after \(framesArrived) frame(s) (\(child.failureReason(for: name)))"
        } else if partial > 0 {
            reason = "its frame \(framesArrived + 1) ends after \(partial) of \(width * height * 3) bytes"
        }
        lock.withLock {
            failure = reason.map { ImpastoError.unreadableFile(path: name, reason: $0) }
            ended = true
            lock.broadcast()
        }
    }
}
