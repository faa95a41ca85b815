import Foundation
import ImpastoTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file.
///
/// Weight files run to hundreds of megabytes; mapping them lets the loaders convert straight from the
/// page cache into tensor storage, one copy in all, instead of reading the file into a buffer first.
final class MappedFile {
    /// The file's bytes, valid while this object lives.
    let bytes: UnsafeRawBufferPointer

    init(_ url: URL) throws {
        let path = url.path
        let (descriptor, size) = try openRegularFile(path)
        defer { close(descriptor) }
        guard size > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE | mapFlags, descriptor, 0),
              address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw ImpastoError.unreadableFile(path: path, reason: systemErrorMessage())
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// Opens `path` for reading, if it is a regular file, and returns the descriptor and the file's size.
///
/// Anything else is refused before a byte is read: a directory, a device such as /dev/zero (which
/// never ends), a FIFO or socket (which may never deliver). `O_NONBLOCK` keeps `open` itself from
/// waiting for a FIFO's writer; it changes nothing for regular files.
func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int) {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { throw ImpastoError.unreadableFile(path: path, reason: systemErrorMessage()) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
        let error = ImpastoError.unreadableFile(path: path, reason: systemErrorMessage())
        close(descriptor)
        throw error
    }
    let kind = status.st_mode & S_IFMT
    guard kind == S_IFREG else {
        close(descriptor)
        throw ImpastoError.unreadableFile(path: path, reason: kind == S_IFDIR
            ? String(cString: strerror(EISDIR)) : "it is not a regular file (a device, FIFO or socket)")
    }
    return (descriptor, Int(status.st_size))
}

/// `errno` as the C library words it, for error reasons.
func systemErrorMessage() -> String {
    String(cString: strerror(errno))
}

#if os(Linux)
/// Pre-faults the whole mapping in one call: every byte is about to be read, and taking the page
/// faults one at a time costs more than the copy itself.
private let mapFlags = MAP_POPULATE
#else
private let mapFlags: Int32 = 0
#endif
