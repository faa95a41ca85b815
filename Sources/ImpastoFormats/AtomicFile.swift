import Foundation
import ImpastoTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in its destination's directory and renamed over the
/// destination by `commit()`: readers never see half a file, and a failed write (full disk, no
/// permission) leaves whatever was there before. Every failure is `ImpastoError.writeFailed`.
public final class AtomicFile {
    private let path: String
    private let temporaryPath: String
    private var descriptor: Int32

    /// Creates the temporary file beside `url`.
    public init(_ url: URL) throws {
        path = url.path
        temporaryPath = Self.temporaryPath(beside: url)
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { throw ImpastoError.writeFailed(path: path, reason: systemErrorMessage()) }
    }

    /// A fresh hidden name in `url`'s directory: `.<name>.<random>.partial`, or with `keepingExtension`
    /// `.<name>.<random>.<extension>` (for writers such as ffmpeg that pick the format from the name). The
    /// name part is shortened as needed so the whole stays within the 255 bytes most file systems allow in
    /// one name: a legal output name must never fail because of the temporary one beside it.
    public static func temporaryPath(beside url: URL, keepingExtension: Bool = false) -> String {
        let name = url.lastPathComponent
        let tail = "." + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            + (keepingExtension && !url.pathExtension.isEmpty ? "." + url.pathExtension : ".partial")
        var stem = Substring(name)
        while 1 + stem.utf8.count + tail.utf8.count > maximumNameBytes { stem = stem.dropLast() }
        return url.deletingLastPathComponent().appendingPathComponent("." + stem + tail).path
    }

    /// NAME_MAX of Linux's and macOS's file systems.
    static let maximumNameBytes = 255

    /// Writes `data` to `url` atomically, in one call.
    public static func write(_ data: Data, to url: URL) throws {
        try data.withUnsafeBytes { try write($0, to: url) }
    }

    /// Writes `bytes` to `url` atomically, in one call.
    public static func write(_ bytes: UnsafeRawBufferPointer, to url: URL) throws {
        let file = try AtomicFile(url)
        try file.append(bytes)
        try file.commit()
    }

    /// Writes `bytes` after what was written so far.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard writeFully(bytes, to: descriptor) else { throw failure() }
    }

    /// Makes the file durable and puts it in place.
    public func commit() throws {
        guard fsync(descriptor) == 0 else { throw failure() }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw failure() }
        guard rename(temporaryPath, path) == 0 else { throw failure() }
    }

    /// The current `errno` as a write error; the temporary file goes.
    private func failure() -> ImpastoError {
        let error = ImpastoError.writeFailed(path: path, reason: systemErrorMessage())
        unlink(temporaryPath)
        return error
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }
}

/// Writes all of `bytes` to `descriptor`, retrying after signals and short writes; false, with `errno` set,
/// when a write fails (a full disk, say).
public func writeFully(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result < 0 && errno == EINTR { continue }
        guard result > 0 else { return false }
        written += result
    }
    return true
}

/// Reads from `descriptor` until `buffer` is full or the stream ends, retrying after signals; the number of
/// bytes read (less than the buffer at the end of the stream, or on an error, which `errno` tells).
public func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
    var filled = 0
    while filled < buffer.count {
        let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        filled += count
    }
    return filled
}
