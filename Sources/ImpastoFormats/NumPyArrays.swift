import Foundation
import ImpastoTensor

/// Reads NumPy's `.npy` arrays and `.npz` archives (a ZIP of `.npy` files, stored or deflated, as
/// `numpy.savez` and Chainer's `serializers.save_npz` write them; waifu2x ships its weights this way).
///
/// An `.npy` file is the magic `\x93NUMPY`, a version (1.0: 16-bit header length; 2.0 and 3.0: 32-bit), a
/// Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (64, 3, 3, 3), }` and the
/// elements, row-major. Read here: little-endian (or byte-order-free) f2, f4, f8, i1, i2, i4, i8, u1 and
/// b1, C order; anything else is refused with one sentence naming the array. The header is parsed, never
/// evaluated; lengths are checked against the bytes present, so a corrupt file is an error, not a crash.
public enum NumPyArrays {
    /// The arrays in the `.npz` archive at `url`, keyed by entry name without `.npy` (Chainer's
    /// `conv1/W`); entries that are not `.npy` files are refused.
    public static func loadArchive(contentsOf url: URL) throws -> [String: Tensor] {
        try decodingFile(at: url) { bytes in
            guard ZipArchive.looksLikeZip(bytes) else {
                throw FormatError.malformed("it is not an .npz archive (a ZIP of .npy files)")
            }
            let archive = try ZipArchive(bytes)
            var arrays: [String: Tensor] = [:]
            for name in archive.names {
                guard name.hasSuffix(".npy") else {
                    throw FormatError.malformed("its entry \(name) is not an .npy array")
                }
                guard let data = try archive.data(of: name) else { continue }
                let key = String(name.dropLast(4))
                arrays[key] = try data.withUnsafeBytes { try array(in: $0, name: key) }
            }
            return arrays
        }
    }

    /// The array in the `.npy` file at `url`.
    public static func load(contentsOf url: URL) throws -> Tensor {
        try decodingFile(at: url) { bytes in try array(in: bytes, name: url.lastPathComponent) }
    }

    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The array in `.npy` bytes; `name` is what errors call it.
    static func array(in bytes: UnsafeRawBufferPointer, name: String) throws -> Tensor {
        var reader = ByteReader(bytes, part: "the header of array '\(name)'")
        guard try reader.take(magic.count).elementsEqual(magic) else {
            throw FormatError.malformed("array '\(name)' does not start with NumPy's magic \\x93NUMPY")
        }
        let major = try reader.integer(UInt8.self)
        _ = try reader.integer(UInt8.self) // minor version
        let headerLength: Int = switch major {
        case 1: Int(try reader.integer(UInt16.self))
        case 2, 3: Int(try reader.integer(UInt32.self))
        default: throw FormatError.malformed("array '\(name)' is in .npy format version \(major), not 1, 2 or 3")
        }
        let header = try NumPyHeader(String(decoding: try reader.take(headerLength), as: UTF8.self), name: name)
        let count = try checkedElementCount(header.shape, name: name)
        reader.part = "the data of array '\(name)'"
        let data = try reader.take(count * header.type.byteSize)
        guard count > 0, let source = data.baseAddress else { return Tensor(zeros: header.shape) }
        return header.type.tensor(shape: header.shape, contiguousAt: source)
    }
}

/// The dict literal of an `.npy` header: its element type and shape (fortran order is refused).
struct NumPyHeader {
    let type: ElementType
    let shape: [Int]

    init(_ text: String, name: String) throws {
        var scanner = DictLiteralScanner(text: Array(text.utf8), name: name)
        var descr: String?, fortranOrder: Bool?, shape: [Int]?
        try scanner.expect("{")
        while try !scanner.consume("}") {
            let key = try scanner.string()
            try scanner.expect(":")
            switch key {
            case "descr": descr = try scanner.string()
            case "fortran_order": fortranOrder = try scanner.boolean()
            case "shape": shape = try scanner.tuple()
            default: throw FormatError.malformed("array '\(name)' has an unknown header key '\(key)'")
            }
            _ = try scanner.consume(",")
        }
        guard let descr, let fortranOrder, let shape else {
            throw FormatError.malformed("array '\(name)' has a header without descr, fortran_order or shape")
        }
        guard !fortranOrder else {
            throw FormatError.malformed("array '\(name)' is stored in Fortran order, which Impasto does not read")
        }
        guard let type = Self.elementType(descr) else {
            throw FormatError.malformed("array '\(name)' holds elements of type '\(descr)'; Impasto reads little-endian f2, f4, f8, i1, i2, i4, i8, u1 and b1")
        }
        self.type = type
        self.shape = shape
    }

    /// The element type of a NumPy type string such as `<f4` (`|` and `=` mean no byte order, or native,
    /// which is little-endian on every machine Impasto runs on).
    private static func elementType(_ descr: String) -> ElementType? {
        guard let order = descr.first, "<|=".contains(order) else { return nil }
        switch descr.dropFirst() {
        case "f2": return .f16
        case "f4": return .f32
        case "f8": return .f64
        case "i1": return .i8
        case "i2": return .i16
        case "i4": return .i32
        case "i8": return .i64
        case "u1": return .u8
        case "b1": return .bool
        default: return nil
        }
    }
}

/// Just enough of Python's literal syntax for `.npy` headers: quoted strings, True/False, tuples of ints.
private struct DictLiteralScanner {
    let text: [UInt8]
    let name: String
    var position = 0

    init(text: [UInt8], name: String) {
        self.text = text
        self.name = name
    }

    private func malformed(_ what: String) -> FormatError {
        .malformed("array '\(name)' has a corrupt header (\(what) at byte \(position))")
    }

    private mutating func skipSpace() {
        while position < text.count, [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t")].contains(text[position]) {
            position += 1
        }
    }

    /// Consumes `token` when it comes next.
    mutating func consume(_ token: String) throws -> Bool {
        skipSpace()
        let bytes = Array(token.utf8)
        guard position + bytes.count <= text.count, Array(text[position..<position + bytes.count]) == bytes else {
            guard position < text.count else { throw malformed("it ends before its closing brace") }
            return false
        }
        position += bytes.count
        return true
    }

    /// Whether the next byte, after spaces, is `character`; consumes nothing but the spaces.
    mutating func peek(_ character: Character) -> Bool {
        skipSpace()
        return position < text.count && text[position] == character.asciiValue
    }

    mutating func expect(_ token: String) throws {
        guard try consume(token) else { throw malformed("'\(token)' expected") }
    }

    mutating func string() throws -> String {
        skipSpace()
        guard position < text.count, text[position] == UInt8(ascii: "'") || text[position] == UInt8(ascii: "\"") else {
            throw malformed("a quoted string expected")
        }
        let quote = text[position]
        guard let end = text[(position + 1)...].firstIndex(of: quote) else { throw malformed("an unterminated string") }
        defer { position = end + 1 }
        return String(decoding: text[(position + 1)..<end], as: UTF8.self)
    }

    mutating func boolean() throws -> Bool {
        if try consume("True") { return true }
        if try consume("False") { return false }
        throw malformed("True or False expected")
    }

    /// `()`, `(5,)` or `(64, 3, 3, 3)`.
    mutating func tuple() throws -> [Int] {
        try expect("(")
        var values: [Int] = []
        while try !consume(")") {
            skipSpace()
            let start = position
            while position < text.count, text[position] >= UInt8(ascii: "0"), text[position] <= UInt8(ascii: "9") {
                position += 1
            }
            // At most 18 digits, so the value fits an Int; the size checks come later.
            guard position > start, position - start <= 18,
                  let value = Int(String(decoding: text[start..<position], as: UTF8.self)) else {
                throw malformed("a dimension expected")
            }
            values.append(value)
            guard try consume(",") || peek(")") else { throw malformed("',' or ')' expected") }
        }
        return values
    }
}
