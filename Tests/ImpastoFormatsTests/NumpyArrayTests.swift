import Foundation
@testable import ImpastoFormats
import ImpastoTensor
import Testing

/// `.npy` files as numpy writes them, and hostile ones: every cut and every bad header is one error, never a crash.
@Suite struct NumpyArrayTests {
    /// numpy's version-1 layout: magic, version, header length, the dict padded with spaces to 16 bytes and a
    /// newline, then the data.
    static func file(_ header: String, data: [UInt8]) -> [UInt8] {
        var dict = Array(header.utf8)
        let unpadded = 10 + dict.count + 1
        dict += Array(repeating: UInt8(ascii: " "), count: (16 - unpadded % 16) % 16) + [UInt8(ascii: "\n")]
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.count & 0xFF), UInt8(dict.count >> 8)] + dict + data
    }

    static func float32Data(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    static func parse(_ bytes: [UInt8]) throws -> Tensor {
        try bytes.withUnsafeBytes { try NumpyArray.parse($0) }
    }

    @Test func readsFloat32AndFloat64InCOrder() throws {
        let values: [Float] = [0, 0.5, -1, 2, 3.25, 1e-3]
        let f4 = try Self.parse(Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: Self.float32Data(values)))
        #expect(f4.shape == [2, 3] && f4.scalars == values)
        let doubles = values.flatMap { value in withUnsafeBytes(of: Double(value).bitPattern.littleEndian) { Array($0) } }
        let f8 = try Self.parse(Self.file("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", data: doubles))
        #expect(f8.shape == [6] && f8.scalars == values)
    }

    @Test func everyCutIsAnError() throws {
        let bytes = Self.file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: Self.float32Data([1, 2, 3, 4, 5, 6]))
        for length in 0..<bytes.count {
            #expect(throws: FormatError.self) { try Self.parse(Array(bytes.prefix(length))) }
        }
    }

    @Test(arguments: [
        "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': 2, }",
        "{'descr': '<f4', 'fortran_order': False, }",
        "{'fortran_order': False, 'shape': (2,), }",
    ])
    func badHeadersAreRefused(header: String) throws {
        #expect(throws: FormatError.self) { try Self.parse(Self.file(header, data: Self.float32Data([1, 2]))) }
    }
}
