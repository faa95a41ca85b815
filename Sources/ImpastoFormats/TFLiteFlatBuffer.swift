// A bounds-checked reader of FlatBuffers, the serialization TensorFlow Lite models use (no generated code).
//
// The layout, as the FlatBuffers specification defines it: all scalars little-endian; a table starts with an
// int32 `soffset`, and its vtable sits at `table − soffset`: uint16 vtable size, uint16 table size, then one
// uint16 per field giving the field's position from the table start (0: absent, default value). Fields that
// point elsewhere (tables, vectors, strings) hold a uint32 offset from the field's own position. A vector
// is a uint32 count followed by its elements; a string is a byte vector followed by a NUL.
//
// Every position below is checked against the buffer before it is read, so hostile offsets throw
// `FormatError`s and never read outside the file.

/// The bytes of one FlatBuffer.
struct FlatBuffer {
    let bytes: UnsafeRawBufferPointer

    /// The root table: its uint32 offset is the buffer's first field.
    func root(_ what: String) throws -> FlatTable {
        try table(at: try offsetTarget(at: 0, what), what)
    }

    /// The table that starts at `position`.
    func table(at position: Int, _ what: String) throws -> FlatTable {
        let soffset = Int(try load(Int32.self, at: position, what))
        let (vtable, overflow) = position.subtractingReportingOverflow(soffset)
        guard !overflow, vtable >= 0 else { throw FormatError.malformed("\(what) points its field table outside the file") }
        let vtableSize = Int(try load(UInt16.self, at: vtable, what))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw FormatError.malformed("\(what) has a field table of \(vtableSize) bytes")
        }
        try require(vtable, vtableSize, what)
        let tableSize = Int(try load(UInt16.self, at: vtable + 2, what))
        try require(position, tableSize, what)
        return FlatTable(buffer: self, position: position, vtable: vtable, fieldCount: (vtableSize - 4) / 2,
                         size: tableSize, what: what)
    }

    /// The position a uint32 offset stored at `position` points to.
    func offsetTarget(at position: Int, _ what: String) throws -> Int {
        let target = position + Int(try load(UInt32.self, at: position, what))
        try require(target, 4, what)
        return target
    }

    /// The vector whose uint32 count is at `position`, of `elementSize`-byte elements.
    func vector(at position: Int, elementSize: Int, _ what: String) throws -> FlatVector {
        let count = Int(try load(UInt32.self, at: position, what))
        // count < 2³², elementSize ≤ 8: no overflow on 64-bit Int.
        try require(position + 4, count * elementSize, what)
        return FlatVector(buffer: self, start: position + 4, count: count, elementSize: elementSize, what: what)
    }

    func load<Value: FixedWidthInteger>(_: Value.Type, at position: Int, _ what: String) throws -> Value {
        try require(position, MemoryLayout<Value>.size, what)
        return Value(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Value.self))
    }

    /// Throws unless `count` bytes from `position` lie inside the buffer.
    func require(_ position: Int, _ count: Int, _ what: String) throws {
        guard position >= 0, count >= 0, position <= bytes.count, count <= bytes.count - position else {
            throw FormatError.truncated(part: what)
        }
    }
}

/// One table: fields by their index in the schema (a union takes two: its type, then its value).
struct FlatTable {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let fieldCount: Int
    let size: Int
    /// What the table is, for errors ("operator 12 of subgraph 0").
    let what: String

    /// The field's absolute position, nil when absent.
    private func field(_ index: Int, size fieldSize: Int) throws -> Int? {
        guard index < fieldCount else { return nil }
        let offset = Int(try buffer.load(UInt16.self, at: vtable + 4 + 2 * index, what))
        guard offset != 0 else { return nil }
        guard offset + fieldSize <= size else {
            throw FormatError.malformed("\(what) has field \(index) outside its \(size) bytes")
        }
        return position + offset
    }

    func scalar<Value: FixedWidthInteger>(_ index: Int, default value: Value) throws -> Value {
        guard let at = try field(index, size: MemoryLayout<Value>.size) else { return value }
        return try buffer.load(Value.self, at: at, what)
    }

    func bool(_ index: Int) throws -> Bool {
        try scalar(index, default: UInt8(0)) != 0
    }

    func table(_ index: Int, _ what: String) throws -> FlatTable? {
        guard let at = try field(index, size: 4) else { return nil }
        return try buffer.table(at: try buffer.offsetTarget(at: at, what), what)
    }

    func vector(_ index: Int, elementSize: Int, _ what: String) throws -> FlatVector? {
        guard let at = try field(index, size: 4) else { return nil }
        return try buffer.vector(at: try buffer.offsetTarget(at: at, what), elementSize: elementSize, what)
    }

    /// A string field, decoded as UTF-8 (invalid sequences become U+FFFD: names are only shown to people).
    func string(_ index: Int, _ what: String) throws -> String? {
        guard let bytes = try vector(index, elementSize: 1, what) else { return nil }
        return String(decoding: bytes.bytes, as: UTF8.self)
    }

    /// A vector of int32 (shapes, tensor indices).
    func int32s(_ index: Int, _ what: String) throws -> [Int] {
        guard let vector = try vector(index, elementSize: 4, what) else { return [] }
        return try (0..<vector.count).map { Int(try vector.scalar(Int32.self, $0)) }
    }

    /// The tables of a vector-of-tables field, each described by `what(i)`.
    func tables(_ index: Int, _ what: String, each: (Int) -> String) throws -> [FlatTable] {
        guard let vector = try vector(index, elementSize: 4, what) else { return [] }
        return try (0..<vector.count).map { try vector.table($0, each($0)) }
    }
}

/// A vector's elements.
struct FlatVector {
    let buffer: FlatBuffer
    let start: Int
    let count: Int
    let elementSize: Int
    let what: String

    /// The elements' bytes, inside the buffer (checked when the vector was made).
    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<start + count * elementSize])
    }

    func scalar<Value: FixedWidthInteger>(_: Value.Type, _ index: Int) throws -> Value {
        try buffer.load(Value.self, at: start + index * elementSize, what)
    }

    func table(_ index: Int, _ what: String) throws -> FlatTable {
        try buffer.table(at: try buffer.offsetTarget(at: start + index * elementSize, what), what)
    }
}
