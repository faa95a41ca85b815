import Foundation
import ImpastoTensor
import Testing
@testable import ImpastoMedia

@Test(arguments: MediaFixture.shared.decoded.filter { $0.file.hasSuffix(".png") }.map(\.file))
func pngDecodesExactlyLikePillow(file: String) throws {
    let expected = MediaFixture.shared.decoded.first { $0.file == file }!
    let image = try Image(contentsOf: fixtureURL(file))
    #expect(image == expected.image, "\(file) (\(expected.note)): max difference \(maxLevelDifference(image, expected.image))")
}

/// Pillow 13 bundles libjpeg-turbo 3.2 and Debian 12 ships 2.1.5; both use the accurate integer IDCT and
/// the same fancy upsampling by default, and the pixels agree exactly.
@Test(arguments: MediaFixture.shared.decoded.filter { $0.file.hasSuffix(".jpg") }.map(\.file))
func jpegDecodesLikePillow(file: String) throws {
    let expected = MediaFixture.shared.decoded.first { $0.file == file }!
    let image = try Image(contentsOf: fixtureURL(file))
    if file == "cmyk.jpg" {
        // Pillow converts CMYK to RGB with rounded 8-bit integer arithmetic; ours stays in float.
        #expect(maxLevelDifference(image, expected.image) <= 0.5 + 1e-3, "\(expected.note)")
    } else {
        #expect(image == expected.image,
                "\(file) (\(expected.note)): max difference \(maxLevelDifference(image, expected.image))")
    }
}

@Test func orientationsThatTurnTheImageSwapItsSides() throws {
    for orientation in 1...8 {
        let image = try Image(contentsOf: fixtureURL("orientation\(orientation).jpg"))
        let turned = orientation >= 5
        #expect((image.width, image.height) == (turned ? 32 : 48, turned ? 48 : 32), "orientation \(orientation)")
    }
    #expect(Image.exifOrientation(ofJPEG: try readFile(at: fixtureURL("rgb.jpg").path)) == 1)
    #expect(Image.exifOrientation(ofJPEG: try readFile(at: fixtureURL("orientation6_motorola.jpg").path)) == 6)
}

@Test func exampleImagesDecodeLikePillow() throws {
    for example in MediaFixture.shared.examples {
        let image = try Image(contentsOf: exampleImages.appendingPathComponent(example.file)).rgb()
        #expect((image.width, image.height) == (example.width, example.height), "\(example.file)")
        let checksum = image.interleavedBytes().enumerated().reduce(0) { $0 + Int($1.element) * ($1.offset % 251 + 1) }
        #expect(checksum == example.checksum, "\(example.file)")
    }
}

// MARK: - Bad input

/// The error `body` throws, which must be an `ImpastoError` whose message names `path`.
private func impastoError(naming path: String, _ body: () throws -> Void) -> ImpastoError? {
    do {
        try body()
    } catch let error as ImpastoError {
        #expect(error.description.contains(path), "\(error) does not name \(path)")
        return error
    } catch {
        Issue.record("expected an ImpastoError, got \(error)")
        return nil
    }
    Issue.record("expected an error for \(path)")
    return nil
}

/// The error decoding `bytes` (saved as `name`) gives.
private func decodingError(_ bytes: [UInt8], name: String) throws -> ImpastoError? {
    let directory = try TemporaryDirectory()
    let url = directory.file(name)
    try Data(bytes).write(to: url)
    return impastoError(naming: url.path) { _ = try Image(contentsOf: url) }
}

private func isInvalidFormat(_ error: ImpastoError?, mentioning text: String) -> Bool {
    guard case let .invalidFormat(_, reason) = error else { return false }
    return reason.contains(text)
}

@Test func missingFilesAndDirectoriesAreUnreadable() throws {
    let directory = try TemporaryDirectory()
    let missing = directory.file("missing.png")
    let error = impastoError(naming: missing.path) { _ = try Image(contentsOf: missing) }
    #expect(error == .unreadableFile(path: missing.path, reason: "No such file or directory"))
    let notAFile = impastoError(naming: directory.url.path) { _ = try Image(contentsOf: directory.url) }
    #expect(notAFile == .unreadableFile(path: directory.url.path, reason: "Is a directory"))
}

@Test func emptyTextAndForeignFilesAreRejected() throws {
    #expect(isInvalidFormat(try decodingError([], name: "empty.png"), mentioning: "empty"))
    let text = Array("Not an image, just a note.\n".utf8)
    #expect(isInvalidFormat(try decodingError(text, name: "note.jpg"), mentioning: "neither a PNG nor a JPEG"))
    let gif = Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20)
    #expect(isInvalidFormat(try decodingError(gif, name: "animation.png"), mentioning: "GIF"))
}

@Test func truncatedFilesAreRejected() throws {
    for file in ["rgb.jpg", "progressive.jpg", "rgb.png", "palette_trns.png", "rgb16.png"] {
        let bytes = try readFile(at: fixtureURL(file).path)
        // Cut inside the header, and inside the compressed pixels.
        for length in [20, bytes.count * 2 / 3] {
            let error = try decodingError(Array(bytes[0..<length]), name: "cut-\(file)")
            guard case .invalidFormat = error else {
                Issue.record("\(file) cut to \(length) bytes gave \(String(describing: error))")
                continue
            }
        }
    }
    let cut = try decodingError(Array(try readFile(at: fixtureURL("rgb.jpg").path).dropLast(300)), name: "cut.jpg")
    #expect(isInvalidFormat(cut, mentioning: "ends before the image data does"))
}

@Test func absurdDimensionsAreRefusedBeforeDecoding() throws {
    // A JPEG whose frame header claims 40000×40000 pixels.
    var jpeg = try readFile(at: fixtureURL("rgb.jpg").path)
    let frame = (2..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
    jpeg.replaceSubrange(frame + 5..<frame + 9, with: [0x9C, 0x40, 0x9C, 0x40])
    #expect(isInvalidFormat(try decodingError(jpeg, name: "huge.jpg"), mentioning: "40000×40000"))

    // A PNG whose IHDR claims 20000×30000 (600 megapixels), with a correct CRC so libpng accepts it.
    var png = try readFile(at: fixtureURL("rgb.png").path)
    png.replaceSubrange(16..<24, with: [0, 0, 0x4E, 0x20, 0, 0, 0x75, 0x30])
    let crc = crc32(png[12..<29])
    png.replaceSubrange(29..<33, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * $0)) })
    #expect(isInvalidFormat(try decodingError(png, name: "huge.png"), mentioning: "20000×30000"))
}

private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

// MARK: - Conversions

@Test func tensorConversionRoundTrips() throws {
    let image = try Image(contentsOf: fixtureURL("rgba.png"))
    let tensor = image.tensor()
    #expect(tensor.shape == [1, 4, 32, 48])
    #expect(tensor.scalars == image.pixels)
    #expect(Image(tensor: tensor) == image)
    #expect(Image(tensor: tensor.reshaped([4, 32, 48])) == image)
}

@Test func tensorValuesAreClampedAndTruncatedLikeToPILImage() {
    let values: [Float] = [-0.5, 0, 0.5, 0.999, 1, 7, .nan, 100.0 / 255]
    let image = Image(tensor: Tensor(shape: [1, 1, 2, 4], scalars: values))
    #expect(image.pixels == [0, 0, 0.5, 0.999, 1, 1, 0, 100.0 / 255])
    // torchvision: x.clamp(0, 1).mul(255).byte() gives 0 0 127 254 255 255 0 100.
    #expect(image.interleavedBytes() == [0, 0, 127, 254, 255, 255, 0, 100])
}

@Test func channelConversions() throws {
    let rgba = try Image(contentsOf: fixtureURL("rgba.png"))
    let rgb = try Image(contentsOf: fixtureURL("rgb.png"))
    #expect(rgba.rgb() == rgb)
    let gray = try Image(contentsOf: fixtureURL("gray.png"))
    #expect(gray.rgb().plane(2) == gray.plane(0))

    let flattened = rgba.removingAlpha(background: 1)
    #expect(flattened.channels == 3)
    let (color, alpha, composite) = (rgba.pixels[100], rgba.pixels[3 * 48 * 32 + 100], flattened.pixels[100])
    #expect(abs(composite - (color * alpha + (1 - alpha))) < 1e-6)

    let expected = expectedImage(MediaFixture.shared.grayscale.pixels, width: 48, height: 32, channels: 1)
    #expect(maxLevelDifference(rgb.grayscale(), expected) <= 0.5 + 1e-3, "Pillow rounds luma to 8 bits")
    #expect(rgba.grayscale() == rgb.grayscale())
}
