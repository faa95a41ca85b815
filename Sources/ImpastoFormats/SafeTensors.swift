import Foundation
import ImpastoTensor

/// Reads and writes safetensors files: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the tensors' bytes back to back.
public enum SafeTensors {
    /// The tensors in the safetensors file at `url`, each in its file's type (f64, i16 and i8 as float32).
    ///
    /// Reads F32, F16, BF16, F64, I64, I32, I16, I8, U8 and BOOL. The header is checked strictly: byte
    /// ranges must tile the data exactly, each must be as long as its shape and dtype need, and no tensor
    /// may exceed `WeightFile.maximumTensorBytes` as float32 or `WeightFile.maximumDimensions`.
    public static func load(contentsOf url: URL) throws -> [String: Tensor] {
        try decodingFile(at: url) { bytes in
            let (header, data) = try parse(bytes)
            var tensors: [String: Tensor] = [:]
            for entry in header.entries {
                guard let source = data.baseAddress, !entry.range.isEmpty else {
                    tensors[entry.name] = Tensor(zeros: entry.shape)
                    continue
                }
                tensors[entry.name] = entry.type.tensor(shape: entry.shape, contiguousAt: source + entry.range.lowerBound)
            }
            return tensors
        }
    }

    /// The free-form string pairs stored under `__metadata__` in the header of the file at `url`.
    public static func metadata(contentsOf url: URL) throws -> [String: String] {
        try decodingFile(at: url) { bytes in try parse(bytes).header.metadata }
    }

    /// Writes `tensors` as float32, with `metadata` in the header, to `url`, replacing any file there
    /// atomically. Tensors are laid out in name order; the header is padded to 8 bytes as the reference
    /// implementation does, so that data stays aligned.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        guard tensors[metadataKey] == nil else {
            throw ImpastoError.invalidArgument("A tensor cannot be named \(metadataKey) in a safetensors file.")
        }
        let names = tensors.keys.sorted()
        var fields: [(name: String, field: HeaderField)] = []
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            fields.append((name, HeaderField(dtype: ElementType.f32.rawValue, shape: tensor.shape,
                                             dataOffsets: [offset, offset + tensor.count * 4])))
            offset += tensor.count * 4
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(WrittenHeader(fields: fields, metadata: metadata))
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - json.count % 8) % 8))

        let file = try AtomicFile(url)
        try withUnsafeBytes(of: UInt64(json.count).littleEndian) { try file.append($0) }
        try json.withUnsafeBytes { try file.append($0) }
        for name in names {
            try tensors[name]!.scalars.withUnsafeBytes { try file.append($0) }
        }
        try file.commit()
    }

    private static let metadataKey = "__metadata__"
    /// The reference implementation's limit; a larger length means the file is not safetensors.
    private static let maximumHeaderSize = 100_000_000

    /// One tensor's header entry, as JSON.
    private struct HeaderField: Codable {
        let dtype: String
        let shape: [Int]
        let dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// The header as JSON gives it: tensor entries and metadata side by side under arbitrary keys.
    private struct ReadHeader: Decodable {
        var fields: [String: HeaderField] = [:]
        var metadata: [String: String] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if key.stringValue == SafeTensors.metadataKey {
                    metadata = try container.decode([String: String].self, forKey: key)
                } else {
                    fields[key.stringValue] = try container.decode(HeaderField.self, forKey: key)
                }
            }
        }
    }

    private struct WrittenHeader: Encodable {
        let fields: [(name: String, field: HeaderField)]
        let metadata: [String: String]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            if !metadata.isEmpty { try container.encode(metadata, forKey: Key(stringValue: SafeTensors.metadataKey)) }
            for (name, field) in fields { try container.encode(field, forKey: Key(stringValue: name)) }
        }
    }

    /// A validated tensor entry; `range` is in bytes from the start of the data.
    private struct Entry {
        let name: String
        let type: ElementType
        let shape: [Int]
        let range: Range<Int>
    }

    private struct Header {
        var entries: [Entry]
        var metadata: [String: String]
    }

    /// The validated header and the data it describes.
    private static func parse(_ bytes: UnsafeRawBufferPointer) throws -> (header: Header, data: UnsafeRawBufferPointer) {
        var reader = ByteReader(bytes, part: "its header")
        let headerSize = try reader.integer(UInt64.self)
        guard headerSize <= maximumHeaderSize else {
            throw FormatError.malformed("its header length \(headerSize) is beyond the \(maximumHeaderSize) bytes safetensors allows")
        }
        let json = try reader.take(Int(headerSize))
        guard json.first == UInt8(ascii: "{"),
              let decoded = try? JSONDecoder().decode(ReadHeader.self, from: Data(json)) else {
            throw FormatError.malformed("its header is not a JSON object of tensor entries {dtype, shape, data_offsets}")
        }
        let data = UnsafeRawBufferPointer(rebasing: bytes[reader.position...])

        var entries: [Entry] = []
        for (name, field) in decoded.fields {
            guard let type = ElementType(rawValue: field.dtype) else {
                throw FormatError.malformed("tensor '\(name)' has dtype \(field.dtype), which Impasto cannot read")
            }
            guard field.dataOffsets.count == 2, field.dataOffsets[0] >= 0, field.dataOffsets[0] <= field.dataOffsets[1] else {
                throw FormatError.malformed("tensor '\(name)' has data_offsets \(field.dataOffsets), which are not a byte range")
            }
            let range = field.dataOffsets[0]..<field.dataOffsets[1]
            // No overflow: the count is at most WeightFile.maximumTensorBytes / 4 elements.
            guard try checkedElementCount(field.shape, name: name) * type.byteSize == range.count else {
                throw FormatError.malformed("tensor '\(name)' has shape \(field.shape) of \(field.dtype) but \(range.count) bytes of data")
            }
            entries.append(Entry(name: name, type: type, shape: field.shape, range: range))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }

        var end = 0
        for entry in entries {
            guard entry.range.lowerBound == end else {
                throw FormatError.malformed(entry.range.lowerBound < end
                    ? "tensor '\(entry.name)' overlaps the tensor before it"
                    : "there are unused bytes before tensor '\(entry.name)'")
            }
            end = entry.range.upperBound
        }
        guard end <= data.count else { throw FormatError.truncated(part: "its tensor data") }
        guard end == data.count else {
            throw FormatError.malformed("it has \(data.count - end) bytes after its last tensor")
        }
        return (Header(entries: entries, metadata: decoded.metadata), data)
    }
}
