import Foundation
import ImpastoTensor
import Testing
@testable import ImpastoMedia

@Test(arguments: ["gray.png", "gray_alpha.png", "rgb.png", "rgba.png"])
func pngRoundTripsExactly(file: String) throws {
    let directory = try TemporaryDirectory()
    let image = try Image(contentsOf: fixtureURL(file))
    try image.write(to: directory.file("copy.png"), format: .png)
    #expect(try Image(contentsOf: directory.file("copy.png")) == image)
}

@Test func jpegRoundTripStaysClose() throws {
    let directory = try TemporaryDirectory()
    for file in ["rgb.png", "gray.png"] {
        let image = try Image(contentsOf: fixtureURL(file))
        try image.write(to: directory.file("copy.jpg"), format: .jpeg(quality: 95))
        let copy = try Image(contentsOf: directory.file("copy.jpg"))
        #expect(copy.channels == image.channels && copy.width == image.width && copy.height == image.height)
        let meanError = zip(copy.pixels, image.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(image.pixels.count)
        #expect(meanError * 255 < 3, "\(file): mean error \(meanError * 255) levels at quality 95")
    }
}

@Test func textChunksAreReadBack() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("styled.png")
    let settings = ["impasto.style": "starry_night.jpg", "impasto.weights": "content=5 style=100",
                    "Comment": "Größe in Latin-1", "impasto.title": "夜 (iTXt, UTF-8)"]
    try gradientImage(width: 5, height: 4, channels: 3).write(to: url, format: .png, textChunks: settings)
    let readBack = try Image.textChunks(contentsOf: url)
    #expect(readBack == settings, "\(readBack)")

    let bytes = try readFile(at: url.path)
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.contains("tEXtimpasto.style\0starry_night.jpg"))
    #expect(text.contains("iTXtimpasto.title"))
}

@Test func badRequestsAreArgumentErrors() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("out.jpg")
    let rgba = gradientImage(width: 4, height: 4, channels: 4)
    let rgb = gradientImage(width: 4, height: 4, channels: 3)
    let attempts: [() throws -> Void] = [
        { try rgba.write(to: url, format: .jpeg(quality: 90)) },
        { try rgb.write(to: url, format: .jpeg(quality: 0)) },
        { try rgb.write(to: url, format: .jpeg(quality: 90), textChunks: ["a": "b"]) },
        { try rgb.write(to: url, format: .png, textChunks: ["": "empty key"]) },
        { try rgb.write(to: url, format: .png, textChunks: [" padded": "x"]) },
        { try rgb.write(to: url, format: .png, textChunks: ["夜": "non-Latin-1 key"]) },
    ]
    for attempt in attempts {
        #expect { try attempt() } throws: { error in
            guard case .invalidArgument = error as? ImpastoError else { return false }
            return true
        }
    }
    #expect(directory.contents.isEmpty)
}

@Test func writesAreAtomicAndLeaveNoTemporaryFiles() throws {
    let directory = try TemporaryDirectory()
    let url = directory.file("result.png")
    try gradientImage(width: 8, height: 6, channels: 3).write(to: url, format: .png)
    let replacement = gradientImage(width: 3, height: 2, channels: 1)
    try replacement.write(to: url, format: .png)
    #expect(directory.contents == ["result.png"])
    #expect(try Image(contentsOf: url) == replacement)
    let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
    #expect(mode == 0o644)
}

@Test func fileSystemFailuresAreWriteErrors() throws {
    let directory = try TemporaryDirectory()
    let image = gradientImage(width: 4, height: 4, channels: 3)
    let missing = directory.file("no-such-directory/result.png")
    #expect(throws: ImpastoError.writeFailed(path: missing.path, reason: "No such file or directory")) {
        try image.write(to: missing, format: .png)
    }
    // A directory where the file should go: the rename fails after the data was written.
    let occupied = directory.file("occupied")
    try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: false)
    #expect(throws: ImpastoError.writeFailed(path: occupied.path, reason: "Is a directory")) {
        try image.write(to: occupied, format: .jpeg(quality: 90))
    }
    #expect(directory.contents == ["occupied"])
}
