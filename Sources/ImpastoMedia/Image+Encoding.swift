import CImageCodecs
import Foundation
import ImpastoFormats
import ImpastoTensor

/// How `Image.write` encodes a file.
public enum ImageFileFormat: Sendable, Equatable {
    /// Lossless 8-bit PNG (gray, gray + alpha, RGB or RGBA, as the image has), with optional text chunks.
    case png
    /// Baseline JPEG with 4:2:0 chroma subsampling at `quality` 1 to 100 (Pillow's default is 75).
    case jpeg(quality: Int)

    /// The file extensions Impasto reads and writes images by, lower case.
    public static let fileExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The format a file name's extension asks for (any case), JPEG at `jpegQuality`; nil for other extensions.
    public init?(pathExtension: String, jpegQuality: Int) {
        switch pathExtension.lowercased() {
        case "png": self = .png
        case "jpg", "jpeg": self = .jpeg(quality: jpegQuality)
        default: return nil
        }
    }
}

extension Image {
    /// Writes the image to `url`, replacing any file there only once the new one is complete.
    ///
    /// Samples become 8-bit by truncation, `UInt8(x * 255)` after clamping to [0, 1], exactly like
    /// torchvision's `to_pil_image` which neural-style-pt uses to save its results; decoded 8-bit images
    /// therefore round-trip unchanged. `textChunks` go into the PNG as tEXt chunks (iTXt when a value
    /// is not Latin-1), sorted by key.
    ///
    /// The bytes go to a temporary file in the destination's directory, are flushed to disk, and the file
    /// is renamed over `url`, so readers never see a partial image and a failed write leaves nothing behind.
    ///
    /// - Throws: `ImpastoError.invalidArgument` for a JPEG with alpha or text, a quality outside 1...100, or
    ///   a text key PNG cannot store; `ImpastoError.writeFailed` when the file system refuses (missing
    ///   directory, permissions, full disk).
    public func write(to url: URL, format: ImageFileFormat, textChunks: [String: String] = [:]) throws {
        let bytes = try encoded(format: format, textChunks: textChunks, path: url.path)
        try bytes.withUnsafeBytes { try AtomicFile.write($0, to: URL(fileURLWithPath: url.path)) }
    }

    /// The bytes of the file `write(to:format:textChunks:)` writes (for a pipe); `path` names them in errors.
    public func encoded(format: ImageFileFormat, textChunks: [String: String] = [:], path: String) throws -> [UInt8] {
        let bytes = interleavedBytes()
        var message = [CChar](repeating: 0, count: Int(IC_ERROR_SIZE))
        var encoded: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status: Int32
        switch format {
        case .jpeg(let quality):
            guard !hasAlpha else {
                throw ImpastoError.invalidArgument(
                    "JPEG cannot store transparency; call removingAlpha() or rgb() before writing \(path).")
            }
            guard (1...100).contains(quality) else {
                throw ImpastoError.invalidArgument("JPEG quality must be between 1 and 100, not \(quality).")
            }
            guard textChunks.isEmpty else {
                throw ImpastoError.invalidArgument("Text chunks can only be stored in PNG files, not in \(path).")
            }
            status = ic_jpeg_encode(bytes, Int32(width), Int32(height), Int32(channels), Int32(quality),
                                    &encoded, &size, &message)
        case .png:
            let texts = try PNGText(textChunks)
            defer { texts.deallocate() }
            status = ic_png_encode(bytes, Int32(width), Int32(height), Int32(channels), texts.entries,
                                   Int32(texts.entries.count), &encoded, &size, &message)
        }
        guard status == 0, let encoded else {
            throw ImpastoError.writeFailed(path: path, reason: String(cString: message))
        }
        defer { ic_free(encoded) }
        return Array(UnsafeBufferPointer(start: encoded, count: size))
    }

    /// The samples as interleaved 8-bit values, truncated like torchvision's `mul(255).byte()`.
    public func interleavedBytes() -> [UInt8] {
        let count = width * height
        return [UInt8](unsafeUninitializedCapacity: pixels.count) { bytes, initialized in
            pixels.withUnsafeBufferPointer { planar in
                for channel in 0..<channels {
                    for i in 0..<count {
                        bytes[i * channels + channel] = UInt8(clampedSample(planar[channel * count + i]) * 255)
                    }
                }
            }
            initialized = pixels.count
        }
    }

    /// The tEXt and uncompressed iTXt chunks of the PNG at `url`, keyed by keyword (zTXt and compressed
    /// iTXt are skipped). This is how settings stored by `write(to:format:textChunks:)` are read back.
    ///
    /// - Throws: `ImpastoError.unreadableFile`, or `ImpastoError.invalidFormat` when the file is not a
    ///   PNG or ends inside a chunk.
    public static func textChunks(contentsOf url: URL) throws -> [String: String] {
        let path = url.path
        let bytes = try readFile(at: path)
        guard Codec(signature: bytes) == .png else {
            throw ImpastoError.invalidFormat(path: path, reason: "it is not a PNG image")
        }
        var texts: [String: String] = [:]
        var at = 8
        while at < bytes.count {
            guard at + 12 <= bytes.count else {
                throw ImpastoError.invalidFormat(path: path, reason: "the file ends inside a chunk header")
            }
            let length = bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[at + 4..<at + 8], as: UTF8.self)
            guard length <= bytes.count - at - 12 else {
                throw ImpastoError.invalidFormat(path: path, reason: "the file ends inside its \(type) chunk")
            }
            let data = bytes[at + 8..<at + 8 + length]
            let latin1 = { (bytes: ArraySlice<UInt8>) in String(bytes.map { Character(Unicode.Scalar($0)) }) }
            if type == "tEXt", let end = data.firstIndex(of: 0) {
                texts[latin1(data[..<end])] = latin1(data[(end + 1)...])
            } else if type == "iTXt", let end = data.firstIndex(of: 0), end + 3 <= data.endIndex, data[end + 1] == 0 {
                // keyword NUL, compression flag (0: none) and method, language tag NUL, translated keyword NUL, text.
                let tags = data[(end + 3)...].split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
                if tags.count == 3 { texts[latin1(data[..<end])] = String(decoding: tags[2], as: UTF8.self) }
            } else if type == "IEND" {
                break
            }
            at += 12 + length
        }
        return texts
    }
}

/// Text chunks as C strings for libpng, validated against what PNG allows in a keyword.
private struct PNGText {
    var entries: [ic_text] = []

    init(_ chunks: [String: String]) throws {
        for (key, text) in chunks.sorted(by: { $0.key < $1.key }) {
            guard let keyBytes = key.latin1Bytes, (1...79).contains(keyBytes.count),
                  keyBytes.allSatisfy({ (32...126).contains($0) || $0 >= 161 }),
                  key.first != " ", key.last != " ", !key.contains("  ") else {
                deallocate()
                throw ImpastoError.invalidArgument(
                    "PNG text keys are 1 to 79 printable Latin-1 characters without leading, trailing or double "
                    + "spaces; '\(key)' is not one.")
            }
            guard !text.contains("\0") else {
                deallocate()
                throw ImpastoError.invalidArgument("The PNG text for '\(key)' contains a NUL character.")
            }
            let latin1 = text.latin1Bytes
            entries.append(ic_text(key: Self.cString(keyBytes), text: Self.cString(latin1 ?? Array(text.utf8)),
                                   utf8: latin1 == nil ? 1 : 0))
        }
    }

    private static func cString(_ bytes: [UInt8]) -> UnsafePointer<CChar> {
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (i, byte) in bytes.enumerated() { copy[i] = CChar(bitPattern: byte) }
        copy[bytes.count] = 0
        return UnsafePointer(copy)
    }

    func deallocate() {
        for entry in entries {
            UnsafeMutablePointer(mutating: entry.key).deallocate()
            UnsafeMutablePointer(mutating: entry.text).deallocate()
        }
    }
}

extension String {
    /// The string's bytes in ISO 8859-1, or nil when it has characters outside it.
    fileprivate var latin1Bytes: [UInt8]? {
        var bytes: [UInt8] = []
        for scalar in unicodeScalars {
            guard scalar.value < 256 else { return nil }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }
}

