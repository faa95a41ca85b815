import CZlib
import Foundation
import ImpastoTensor

/// The entries of a ZIP archive, found through the central directory (ZIP64 records included, which torch
/// always writes). Stored entries, as `torch.save` writes them, are read without copying; deflated ones,
/// as in Python wheels and `.npz` files, are inflated with zlib.
struct ZipArchive {
    private struct Entry {
        let method: UInt16
        let size: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    private static let stored: UInt16 = 0
    private static let deflated: UInt16 = 8

    private let bytes: UnsafeRawBufferPointer
    private let entries: [String: Entry]
    /// Entry names in directory order.
    let names: [String]

    private static let localHeaderSignature: UInt32 = 0x0403_4B50
    private static let directorySignature: UInt32 = 0x0201_4B50
    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    /// Whether `bytes` start like a ZIP archive (a local file header).
    static func looksLikeZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self)) == localHeaderSignature
    }

    init(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes = bytes
        let part = "its ZIP archive"
        // The end record sits in the last 22 bytes plus a comment of at most 64 KiB; a file cut short
        // has lost it.
        guard let end = Self.findEndRecord(bytes) else { throw FormatError.truncated(part: part) }
        var record = ByteReader(bytes, at: end + 10, part: part)
        var entryCount = Int(try record.integer(UInt16.self))
        _ = try record.integer(UInt32.self) // directory size
        var directoryOffset = Int(try record.integer(UInt32.self))
        if end >= 20, UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: end - 20, as: UInt32.self))
            == Self.zip64LocatorSignature {
            var locator = ByteReader(bytes, at: end - 20 + 8, part: part)
            var zip64 = ByteReader(bytes, at: try locator.offset(), part: part)
            guard try zip64.integer(UInt32.self) == Self.zip64EndSignature else {
                throw FormatError.malformed("its ZIP64 end record is missing")
            }
            try zip64.skip(8 + 2 + 2 + 4 + 4 + 8) // record size, versions, disk numbers, entries on this disk
            entryCount = try zip64.offset()
            _ = try zip64.offset() // directory size
            directoryOffset = try zip64.offset()
        }

        var directory = ByteReader(bytes, at: directoryOffset, part: "its ZIP directory")
        var entries: [String: Entry] = [:]
        var names: [String] = []
        for _ in 0..<entryCount {
            guard try directory.integer(UInt32.self) == Self.directorySignature else {
                throw FormatError.malformed("its ZIP directory is corrupt")
            }
            try directory.skip(6) // versions, flags
            let method = try directory.integer(UInt16.self)
            try directory.skip(8) // time, date, CRC
            var size = Int(try directory.integer(UInt32.self)) // compressed size: the bytes to read
            var uncompressedSize = Int(try directory.integer(UInt32.self))
            let nameLength = Int(try directory.integer(UInt16.self))
            let extraLength = Int(try directory.integer(UInt16.self))
            let commentLength = Int(try directory.integer(UInt16.self))
            try directory.skip(8) // disk, attributes
            var localHeaderOffset = Int(try directory.integer(UInt32.self))
            let name = String(decoding: try directory.take(nameLength), as: UTF8.self)
            var extra = ByteReader(try directory.take(extraLength), part: "its ZIP directory")
            while !extra.isAtEnd {
                let id = try extra.integer(UInt16.self)
                var field = ByteReader(try extra.take(Int(try extra.integer(UInt16.self))), part: "its ZIP directory")
                // ZIP64 extended information: 64-bit values for the 32-bit fields that overflowed, in
                // order (uncompressed size, compressed size, header offset).
                guard id == 1 else { continue }
                if uncompressedSize == 0xFFFF_FFFF { uncompressedSize = try field.offset() }
                if size == 0xFFFF_FFFF { size = try field.offset() }
                if localHeaderOffset == 0xFFFF_FFFF { localHeaderOffset = try field.offset() }
            }
            try directory.skip(commentLength)
            entries[name] = Entry(method: method, size: size, uncompressedSize: uncompressedSize,
                                  localHeaderOffset: localHeaderOffset)
            names.append(name)
        }
        self.entries = entries
        self.names = names
    }

    private static func findEndRecord(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 22 else { return nil }
        let last = bytes.count - 22
        for start in stride(from: last, through: max(0, last - 0xFFFF), by: -1)
        where UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt32.self)) == endSignature {
            return start
        }
        return nil
    }

    /// The stored bytes of entry `name`, or nil when the archive has no such entry. Only for entries stored
    /// uncompressed, as PyTorch writes them; `data(of:)` reads any entry.
    func contents(of name: String) throws -> UnsafeRawBufferPointer? {
        guard let entry = entries[name] else { return nil }
        guard entry.method == Self.stored else {
            throw FormatError.malformed("its entry \(name) is compressed, and PyTorch stores entries uncompressed")
        }
        return try rawBytes(of: entry, name: name)
    }

    /// The contents of entry `name`, stored or deflated, or nil when the archive has no such entry.
    func data(of name: String) throws -> Data? {
        guard let entry = entries[name] else { return nil }
        let raw = try rawBytes(of: entry, name: name)
        switch entry.method {
        case Self.stored: return Data(raw)
        case Self.deflated: return try Self.inflate(raw, expectedSize: entry.uncompressedSize, name: name)
        default: throw FormatError.malformed("its entry \(name) uses ZIP compression method \(entry.method), not stored or deflate")
        }
    }

    /// The bytes of an entry as they lie in the archive, after its local header.
    private func rawBytes(of entry: Entry, name: String) throws -> UnsafeRawBufferPointer {
        var header = ByteReader(bytes, at: entry.localHeaderOffset, part: "its ZIP entry \(name)")
        guard try header.integer(UInt32.self) == Self.localHeaderSignature else {
            throw FormatError.malformed("its ZIP entry \(name) has no local header")
        }
        try header.skip(22)
        let nameLength = Int(try header.integer(UInt16.self))
        let extraLength = Int(try header.integer(UInt16.self))
        // Sizes come from the directory: torch writes zeros here and puts them in data descriptors.
        try header.skip(nameLength + extraLength)
        return try header.take(entry.size)
    }

    /// Raw deflate (RFC 1951) of `compressed`, which must come to exactly `expectedSize` bytes. Deflate
    /// expands at most 1032-fold, so a directory claiming more than that is refused before anything is
    /// allocated: a few lying bytes cannot ask for gigabytes.
    private static func inflate(_ compressed: UnsafeRawBufferPointer, expectedSize: Int, name: String) throws -> Data {
        let (bound, overflow) = compressed.count.multipliedReportingOverflow(by: 1032)
        guard overflow || expectedSize <= bound + 64 else {
            throw FormatError.malformed("its entry \(name) claims \(expectedSize) bytes from \(compressed.count) deflated ones")
        }
        guard expectedSize < Int(UInt32.max), compressed.count < Int(UInt32.max) else {
            throw FormatError.malformed("its entry \(name) claims \(expectedSize) bytes, more than Impasto inflates")
        }
        // One byte more than expected, so that an entry inflating to more than it claims is caught.
        var output = Data(count: expectedSize + 1)
        var stream = z_stream()
        // windowBits -15: a raw deflate stream, without zlib's header and checksum.
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw FormatError.malformed("zlib could not start inflating its entry \(name)")
        }
        defer { inflateEnd(&stream) }
        let status = output.withUnsafeMutableBytes { (destination: UnsafeMutableRawBufferPointer) -> Int32 in
            stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(compressed.count)
            stream.next_out = destination.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(destination.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        switch status {
        case Z_STREAM_END where stream.total_out == UInt(expectedSize):
            output.removeLast()
        case Z_BUF_ERROR where stream.avail_out > 0, Z_OK where stream.avail_out > 0:
            throw FormatError.truncated(part: "its deflated entry \(name)")
        default:
            throw FormatError.malformed("its entry \(name) is not deflate data of the \(expectedSize) bytes it claims")
        }
        return output
    }
}

/// Reading single entries of ZIP files such as Python wheels.
public enum ZipFile {
    /// The contents of entry `name` of the ZIP archive at `url` (stored or deflated), or nil when the
    /// archive has no such entry.
    ///
    /// - Throws: `ImpastoError` naming the file when it is unreadable, not a ZIP archive, or corrupt.
    public static func contents(ofEntry name: String, inArchiveAt url: URL) throws -> Data? {
        try decodingFile(at: url) { bytes in try ZipArchive(bytes).data(of: name) }
    }
}
