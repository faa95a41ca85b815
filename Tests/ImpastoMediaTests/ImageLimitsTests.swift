import Foundation
import ImpastoTensor
import Testing
@testable import ImpastoMedia

/// The decoders' limits, in process (the release binary runs the whole corpus in HostileCorpusTests).
@Suite struct ImageLimitsTests {
    /// Tests/Corpus, made by scripts/make_hostile_corpus.py.
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Corpus")

    static func error(_ url: URL) -> ImpastoError? {
        do {
            _ = try Image(contentsOf: url)
            return nil
        } catch {
            return error as? ImpastoError
        }
    }

    @Test func sizesBeyondTheLimitsAreRefusedFromTheHeader() throws {
        let limit = "more than the \(Image.maximumSide)-pixel side or \(Image.maximumPixelCount / 1_000_000)-megapixel limit"
        for name in ["png-header-10001x10000.png", "jpeg-header-30000x16666.jpg", "png-header-side-40000x10.png"] {
            let url = Self.corpus.appendingPathComponent("refused/\(name)")
            #expect(Self.error(url)?.description.contains(limit) == true, "\(name)")
        }
    }

    /// One-component 8×8 progressive JPEGs of `scans` DC scans, each coding the single block's DC.
    static func progressiveJPEG(scans: Int) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)
        bytes += [0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]
        bytes += [0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01] + [UInt8](repeating: 0, count: 15) + [0x00]
        for _ in 0..<scans { bytes += [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x7F] }
        return bytes + [0xFF, 0xD9]
    }

    @Test func progressiveScansAreLimited() throws {
        let atLimit = try Image(decoding: Self.progressiveJPEG(scans: Image.maximumJPEGScans), path: "ok.jpg")
        #expect(atLimit.width == 8 && atLimit.height == 8)
        #expect(throws: ImpastoError.invalidFormat(path: "many.jpg", reason: "it has more than \(Image.maximumJPEGScans) progressive scans, the most Impasto decodes for an image of 8×8 pixels")) {
            try Image(decoding: Self.progressiveJPEG(scans: Image.maximumJPEGScans + 1), path: "many.jpg")
        }
    }

    @Test func onlyRegularFilesAreRead() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fifo = scratch.appendingPathComponent("photo.png")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        for path in [fifo.path, "/dev/zero", "/dev/null"] {
            let expected = ImpastoError.unreadableFile(path: path, reason: "it is not a regular file (a device, FIFO or socket)")
            #expect(Self.error(URL(fileURLWithPath: path)) == expected)
            #expect(throws: expected) { try Image.hasImageSignature(at: URL(fileURLWithPath: path)) }
        }
        #expect(throws: ImpastoError.unreadableFile(path: scratch.path, reason: "Is a directory")) {
            try Image.hasImageSignature(at: scratch)
        }
    }

    @Test func filesBeyondTheSizeLimitAreNotRead() throws {
        // A sparse file one byte over the limit, starting like a PNG: refused from its size alone.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-huge-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(Image.maximumFileSize + 1))
        try handle.close()
        #expect(Self.error(url) == .invalidFormat(path: url.path, reason: "it is larger than the 1 GiB Impasto reads as an image"))
    }
}
