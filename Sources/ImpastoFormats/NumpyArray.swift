import Foundation
import ImpastoTensor

/// numpy's `.npy` files (format versions 1–3, numpy's `lib/format.py`): a magic string, a Python-literal header
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (200, 25, 25), }`, then the data in C order. Read here for
/// scikit-image's `lfw_subset.npy`; only little-endian float32/float64 arrays in C order are accepted, every length
/// is checked against the file, and anything else is refused in one sentence.
public enum NumpyArray {
    /// The array in `url` as a float32 tensor of its shape.
    public static func load(contentsOf url: URL) throws -> Tensor {
        try decodingFile(at: url) { bytes in try parse(bytes) }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> Tensor {
        var reader = ByteReader(bytes, part: "its header")
        let magic = try reader.take(6)
        guard Array(magic) == [0x93] + Array("NUMPY".utf8) else { throw FormatError.malformed("it does not start with numpy's magic string") }
        let major = try reader.integer(UInt8.self)
        _ = try reader.integer(UInt8.self)
        let headerLength: Int
        switch major {
        case 1: headerLength = Int(try reader.integer(UInt16.self))
        case 2, 3: headerLength = Int(try reader.integer(UInt32.self))
        default: throw FormatError.malformed("its format version \(major) is not 1, 2 or 3")
        }
        guard let header = String(bytes: try reader.take(headerLength), encoding: .utf8) else {
            throw FormatError.malformed("its header is not text")
        }
        let descr = try field("descr", in: header)
        guard descr == "'<f8'" || descr == "'<f4'" else { throw FormatError.malformed("its dtype \(descr) is not little-endian float32 or float64") }
        guard try field("fortran_order", in: header) == "False" else { throw FormatError.malformed("it is stored in Fortran order") }
        let shape = try dimensions(try field("shape", in: header))
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw FormatError.malformed("its shape \(shape) is too large") }
            count = product
        }
        let width = descr == "'<f8'" ? 8 : 4
        reader.part = "its \(shape) array"
        let (size, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow else { throw FormatError.malformed("its shape \(shape) is too large") }
        let data = try reader.take(size)
        let values: [Float] = (0..<count).map { i in
            width == 8 ? Float(Double(bitPattern: UInt64(littleEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                : Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// The text of `key`'s value in the header's dict: up to the next top-level comma (a tuple kept whole).
    private static func field(_ key: String, in header: String) throws -> String {
        guard let start = header.range(of: "'\(key)':") else { throw FormatError.malformed("its header has no '\(key)'") }
        var depth = 0
        var value = ""
        for character in header[start.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            value.append(character)
        }
        return value.trimmingCharacters(in: .whitespaces)
    }

    /// `(200, 25, 25)` as [200, 25, 25].
    private static func dimensions(_ tuple: String) throws -> [Int] {
        guard tuple.hasPrefix("("), tuple.hasSuffix(")") else { throw FormatError.malformed("its shape \(tuple) is not a tuple") }
        return try tuple.dropFirst().dropLast().split(separator: ",").map { part in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)), value >= 0 else {
                throw FormatError.malformed("its shape \(tuple) holds \(part), not a size")
            }
            return value
        }
    }
}
