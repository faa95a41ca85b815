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
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImpastoError.unreadableFile(path: path, reason: systemErrorMessage()) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ImpastoError.unreadableFile(path: path, reason: systemErrorMessage())
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ImpastoError.unreadableFile(path: path, reason: "it is not a regular file")
        }
        let size = Int(status.st_size)
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
