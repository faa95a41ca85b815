/// A cursor over little-endian binary data that throws `FormatError.truncated` instead of reading past
/// the end, so that no decoder has to check lengths by hand.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    /// What the bytes hold, named in truncation errors ("its pickled state dict").
    var part: String

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0, part: String) {
        self.bytes = bytes
        self.position = position
        self.part = part
    }

    var isAtEnd: Bool { position >= bytes.count }

    /// The next `count` bytes, without copying.
    mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0 else { throw FormatError.malformed("\(part) declares a negative length, \(count)") }
        guard position <= bytes.count, count <= bytes.count - position else {
            throw FormatError.truncated(part: part)
        }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    mutating func skip(_ count: Int) throws {
        _ = try take(count)
    }

    mutating func integer<Value: FixedWidthInteger>(_: Value.Type = Value.self) throws -> Value {
        Value(littleEndian: try take(MemoryLayout<Value>.size).loadUnaligned(as: Value.self))
    }

    /// A 64-bit size or offset, which must fit an `Int` to mean anything in this file.
    mutating func offset() throws -> Int {
        let value = try integer(UInt64.self)
        guard let offset = Int(exactly: value) else { throw FormatError.malformed("it declares an offset of \(value) bytes") }
        return offset
    }

    /// Bytes up to (not including) the next newline, which is consumed.
    mutating func line() throws -> UnsafeRawBufferPointer {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[min(position, bytes.count)...])
        guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else { throw FormatError.truncated(part: part) }
        defer { position += 1 }
        return try take(newline)
    }
}
