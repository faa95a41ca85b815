import Foundation
import ImpastoFormats
import ImpastoTensor
import Testing

/// `pattern.bin` of deflated.zip (scripts/make_format_fixtures.py): byte i is i · 7 mod 251.
private let pattern = Data((0..<10_000).map { UInt8($0 * 7 % 251) })

@Test func readsStoredAndDeflatedEntries() throws {
    let url = Fixtures.url("deflated.zip")
    #expect(try ZipFile.contents(ofEntry: "stored.txt", inArchiveAt: url) == Data("hello, wheel\n".utf8))
    #expect(try ZipFile.contents(ofEntry: "pattern.bin", inArchiveAt: url) == pattern)
    #expect(try ZipFile.contents(ofEntry: "missing.bin", inArchiveAt: url) == nil)
}

@Test func everyCutOfADeflatedArchiveIsOneSentence() throws {
    let bytes = try Fixtures.data("deflated.zip")
    let scratch = try ScratchDirectory()
    for length in cutLengths(bytes.count) {
        let cut = try scratch.file("cut-\(length).zip", bytes.prefix(length))
        let error = expectFileError(cut) { try ZipFile.contents(ofEntry: "pattern.bin", inArchiveAt: cut) as Any }
        #expect(isUnreadable(error) || isInvalid(error), "\(length) bytes: \(String(describing: error))")
    }
}

@Test func corruptOrLyingDeflatedEntriesAreRefused() throws {
    let bytes = try Fixtures.data("deflated.zip")
    let scratch = try ScratchDirectory()
    // pattern.bin's deflate stream starts after its 30-byte local header and 11-byte name, at 53 + 41.
    var garbled = bytes
    for offset in 94..<110 { garbled[offset] ^= 0xFF }
    let corrupt = try scratch.file("corrupt.zip", garbled)
    #expect(isInvalid(expectFileError(corrupt) { try ZipFile.contents(ofEntry: "pattern.bin", inArchiveAt: corrupt) as Any }))

    // The central directory's uncompressed size of pattern.bin (its entry starts after stored.txt's
    // local header, data, and the 46 + 10 bytes of stored.txt's directory entry).
    let directory = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: bytes.count - 6, as: UInt32.self) })
    let sizeField = directory + 46 + 10 + 24
    for (claimed, name) in [(UInt32(9_999), "short"), (10_001, "long"), (0xFFFF_FFF0, "huge")] {
        var lying = bytes
        withUnsafeBytes(of: claimed.littleEndian) { lying.replaceSubrange(sizeField..<sizeField + 4, with: $0) }
        let url = try scratch.file("\(name).zip", lying)
        let error = expectFileError(url) { try ZipFile.contents(ofEntry: "pattern.bin", inArchiveAt: url) as Any }
        #expect(isInvalid(error), "\(name): \(String(describing: error))")
    }
}
