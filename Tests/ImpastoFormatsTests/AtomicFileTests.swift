import Foundation
import ImpastoFormats
import Testing

/// A fresh empty folder, removed by the caller.
private func scratchFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-atomic-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct AtomicFileTests {
    /// A name of the 255 bytes the file system allows (once refused: the hidden name beside it was longer).
    @Test func theLongestLegalNameIsWritten() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in [String(repeating: "a", count: 251) + ".png", String(repeating: "é", count: 125) + ".png"] {
            #expect(name.utf8.count <= 255)
            let url = folder.appendingPathComponent(name)
            try AtomicFile.write(Data("picture".utf8), to: url)
            #expect(try Data(contentsOf: url) == Data("picture".utf8))
            let temporary = URL(fileURLWithPath: AtomicFile.temporaryPath(beside: url, keepingExtension: true))
            #expect(temporary.lastPathComponent.utf8.count <= 255 && temporary.pathExtension == "png")
            #expect(String(data: Data(temporary.lastPathComponent.utf8), encoding: .utf8) != nil, "cut inside a character")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2, "a temporary file was left")
    }

    /// What was there stays until the new content is complete; an unwritable place leaves nothing.
    @Test func aFailedWriteLeavesTheOldFile() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        try AtomicFile.write(Data("old".utf8), to: url)
        let file = try AtomicFile(url)
        try Data("half".utf8).withUnsafeBytes { try file.append($0) }
        #expect(try Data(contentsOf: url) == Data("old".utf8))
        try file.commit()
        #expect(try Data(contentsOf: url) == Data("half".utf8))
        #expect(throws: (any Error).self) { try AtomicFile.write(Data(), to: url.appendingPathComponent("inside-a-file")) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
    }
}
