import Foundation
import Testing
@testable import ImpastoStudio

private func digest(_ text: String) -> String {
    var hasher = SHA256()
    hasher.update(Data(text.utf8))
    return hasher.hexDigest()
}

@Test func sha256MatchesPublishedVectors() {
    // FIPS 180-4 examples and NIST's one-million-'a' message.
    #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(digest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
        == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    #expect(digest(String(repeating: "a", count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
}

@Test func sha256IsIndependentOfHowTheInputIsSplit() {
    let data = pseudoRandomBytes(1000)
    var whole = SHA256()
    whole.update(data)
    // Piece sizes straddle the 64-byte block and the 56-byte padding boundary.
    for pieceSize in [1, 7, 55, 56, 63, 64, 65, 999] {
        var pieces = SHA256()
        for start in stride(from: 0, to: data.count, by: pieceSize) {
            pieces.update(data[start..<min(start + pieceSize, data.count)])
        }
        #expect(pieces.hexDigest() == whole.hexDigest(), "pieces of \(pieceSize)")
    }
    // Every length around the padding boundaries.
    for length in 50...130 {
        var one = SHA256(), split = SHA256()
        one.update(data.prefix(length))
        split.update(data.prefix(length / 3))
        split.update(data.prefix(length).dropFirst(length / 3))
        #expect(one.hexDigest() == split.hexDigest(), "length \(length)")
    }
}

@Test func sha256OfAFileMatchesTheSystemTool() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("sample.bin")
    try pseudoRandomBytes(5_000_123).write(to: file)  // More than one 4 MiB read, not a whole number of blocks.

    let tool = Process()
    let output = Pipe()
    tool.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    tool.arguments = FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum")
        ? ["sha256sum", file.path] : ["shasum", "-a", "256", file.path]
    tool.standardOutput = output
    try tool.run()
    let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    tool.waitUntilExit()
    let expected = try #require(printed.split(separator: " ").first.map(String.init))

    #expect(try SHA256.hexDigest(ofFileAt: file) == expected)
}
