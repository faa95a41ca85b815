/// The few protocol-buffer encodings an ONNX file needs (developers.google.com/protocol-buffers/docs/encoding):
/// varints, little-endian 32-bit floats, and length-delimited fields for strings, bytes, packed numbers and
/// nested messages. Writing only, so there is nothing to bound-check; ONNX export is the one user.
struct ProtobufEncoder {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 { case varint = 0, fixed32 = 5, lengthDelimited = 2 }

    private mutating func key(_ field: Int, _ wire: WireType) {
        varint(UInt64(field) << 3 | wire.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// An int32/int64/enum field; negative values take ten bytes, as the encoding prescribes.
    mutating func int(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func lengthDelimited(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, Array(value.utf8)) }

    /// A nested message, encoded by `body` into its own buffer and written length-delimited.
    mutating func message(_ field: Int, _ body: (inout ProtobufEncoder) -> Void) {
        var nested = ProtobufEncoder()
        body(&nested)
        lengthDelimited(field, nested.bytes)
    }

    /// A repeated int64 field, packed (the default for repeated scalars since proto3, and what ONNX's readers take).
    mutating func packedInts(_ field: Int, _ values: [Int]) {
        var packed = ProtobufEncoder()
        for value in values { packed.varint(UInt64(bitPattern: Int64(value))) }
        lengthDelimited(field, packed.bytes)
    }

    /// A repeated float field, packed.
    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        var packed: [UInt8] = []
        packed.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { packed.append(contentsOf: $0) } }
        lengthDelimited(field, packed)
    }
}
