import Testing
@testable import ImpastoFormats

// The wire encodings of developers.google.com/protocol-buffers/docs/encoding, byte for byte.

@Test func varintsFloatsAndNestedMessagesAreEncodedAsTheSpecificationShows() {
    var out = ProtobufEncoder()
    out.int(1, 150)                          // the specification's example: 08 96 01
    out.int(2, -1)                           // negative int64: ten bytes of varint
    out.float(3, 1.5)                        // fixed32, little-endian 0x3FC00000
    out.string(4, "hi")
    out.message(5) { $0.int(1, 1) }
    out.packedInts(6, [3, 270])
    #expect(out.bytes == [0x08, 0x96, 0x01,
                          0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
                          0x1D, 0x00, 0x00, 0xC0, 0x3F,
                          0x22, 0x02, 0x68, 0x69,
                          0x2A, 0x02, 0x08, 0x01,
                          0x32, 0x03, 0x03, 0x8E, 0x02])
}

@Test func anONNXTensorCarriesItsDimsTypeNameAndRawLittleEndianData() {
    var out = ProtobufEncoder()
    ONNXTensor(name: "w", dims: [2], values: .float([1, -2])).encode(into: &out)
    #expect(out.bytes == [0x0A, 0x01, 0x02,               // dims, packed
                          0x10, 0x01,                     // data_type FLOAT
                          0x42, 0x01, 0x77,               // name "w"
                          0x4A, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])  // raw_data
}
