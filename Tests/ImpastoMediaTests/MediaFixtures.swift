import Foundation
@testable import ImpastoMedia

/// `Fixtures/media.json`, written by `scripts/make_media_fixtures.py` from what Pillow decodes.
struct MediaFixture: Decodable {
    struct Decoded: Decodable {
        let file: String
        let width: Int
        let height: Int
        let channels: Int
        let bitsPerSample: Int
        let pixels: String
        let note: String

        var image: Image {
            expectedImage(pixels, width: width, height: height, channels: channels, bitsPerSample: bitsPerSample)
        }
    }

    struct Resized: Decodable {
        let source: String
        let filter: String
        let width: Int
        let height: Int
        let pixels: String
    }

    struct Grayscale: Decodable {
        let source: String
        let pixels: String
    }

    struct Example: Decodable {
        let file: String
        let width: Int
        let height: Int
        let checksum: Int
    }

    let decoded: [Decoded]
    let resized: [Resized]
    let grayscale: Grayscale
    let examples: [Example]

    static let shared: MediaFixture = {
        let data = try! Data(contentsOf: fixtureURL("media.json"))
        return try! JSONDecoder().decode(MediaFixture.self, from: data)
    }()
}

func fixtureURL(_ name: String) -> URL {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// The repository's `Examples/images` directory, found from this source file.
let exampleImages = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Examples/images")

/// An image from base64 interleaved 8-bit or big-endian 16-bit samples, converted as the decoder should.
func expectedImage(_ base64: String, width: Int, height: Int, channels: Int, bitsPerSample: Int = 8) -> Image {
    let bytes = [UInt8](Data(base64Encoded: base64)!)
    let count = width * height
    var pixels = [Float](repeating: 0, count: channels * count)
    for channel in 0..<channels {
        for i in 0..<count {
            let at = i * channels + channel
            pixels[channel * count + i] = bitsPerSample == 16
                ? Float(UInt16(bytes[2 * at]) << 8 | UInt16(bytes[2 * at + 1])) / 65535
                : Float(bytes[at]) / 255
        }
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
}

/// The largest difference between two images' samples, in 8-bit levels (1 = 1/255).
func maxLevelDifference(_ a: Image, _ b: Image) -> Float {
    precondition(a.width == b.width && a.height == b.height && a.channels == b.channels,
                 "comparing \(a.width)×\(a.height)×\(a.channels) with \(b.width)×\(b.height)×\(b.channels)")
    return zip(a.pixels, b.pixels).map { abs($0 - $1) * 255 }.max() ?? 0
}

/// A scratch directory removed when the test's scope ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    var contents: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }
}

/// A deterministic test image with every sample distinct enough to catch misplaced pixels.
func gradientImage(width: Int, height: Int, channels: Int) -> Image {
    let count = width * height
    let pixels = (0..<channels * count).map { index -> Float in
        let (channel, i) = (index / count, index % count)
        return Float((i * 37 + channel * 91) % 256) / 255
    }
    return Image(width: width, height: height, channels: channels, pixels: pixels)
}
