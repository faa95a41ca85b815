import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoStudio

/// What scripts/make_waifu2x_reference.py recorded from waifu2x 2024.0.1 itself (Chainer 7.8.1, NumPy 1.26.4,
/// Pillow 10.4.0): crops of real photos and waifu2x's results, with the options of each case.
private struct Waifu2xReference: Decodable {
    struct Case: Decodable, CustomTestStringConvertible {
        let name: String, model: String, scale: Double, noise: Int?, color: String, blockSize: Int
        var testDescription: String { name }
    }
    let cases: [Case]

    static let fixtures = Bundle.module.url(forResource: "waifu2x", withExtension: nil, subdirectory: "Fixtures")!
    static let shared = try! JSONDecoder().decode(Self.self, from: Data(contentsOf: fixtures.appendingPathComponent("waifu2x-reference.json")))
}

/// The folder of `architecture`'s test weights (scripts/fetch-test-weights.sh).
func waifu2xTestWeights(_ architecture: String) throws -> String {
    try testWeightsFile("waifu2x-2024.0.1/\(architecture)/anime_style_scale_rgb.npz")
        .deletingLastPathComponent().path
}

/// Differences between two 8-bit pictures of one size, in levels.
func levelDifferences(_ a: Image, _ b: Image) -> (largest: Int, differing: Double) {
    let diffs = zip(a.pixels, b.pixels).map { abs(Int(($0 * 255).rounded()) - Int(($1 * 255).rounded())) }
    return (diffs.max() ?? 0, Double(diffs.filter { $0 > 0 }.count) / Double(max(diffs.count, 1)))
}

@Test(arguments: Waifu2xReference.shared.cases)
private func waifu2xMatchesItsChainerImplementation(_ reference: Waifu2xReference.Case) throws {
    var options = UpscaleOptions(model: Waifu2xModel(rawValue: reference.model)!, scale: reference.scale,
                                 noise: reference.noise)
    options.color = UpscaleOptions.Color(rawValue: reference.color)!
    options.blockSize = reference.blockSize
    options.weightsFolder = try waifu2xTestWeights(reference.model)
    let upscaler = try Waifu2xUpscaler(options: options)
    let folder = Waifu2xReference.fixtures
    let input = try Image(contentsOf: folder.appendingPathComponent("\(reference.name)-input.png"))
    let expected = try Image(contentsOf: folder.appendingPathComponent("\(reference.name)-expected.png"))
    var tiles = 0
    let result = try #require(upscaler.process(input) { tiles += 1; return true })
    #expect(tiles == upscaler.tileCount(width: input.width, height: input.height, alpha: input.hasAlpha))
    #expect(result.channels == expected.channels)
    #expect(result.width == expected.width && result.height == expected.height)
    guard result.width == expected.width, result.height == expected.height else { return }
    let (largest, differing) = levelDifferences(result, expected)
    print("waifu2x \(reference.name): largest difference \(largest) levels, \(String(format: "%.3f", differing * 100)) % of samples differ")
    // Float32 sums in another order (oneDNN against NumPy's BLAS) move a few truncations by one level. Pillow's
    // YCbCr (Y models) is matched exactly for Y but not everywhere for Cb, Cr and the way back (1–3 % of colours a
    // level off, which the net can double). Pillow's Lanczos (denoising with a scaling net, then back to the
    // original size) rounds to 8 bits after each direction where Impasto's stays in float: one level, often.
    let (largestAllowed, shareAllowed) = reference.color == "y" ? (2, 0.05)
        : reference.scale == 1 && reference.model.hasPrefix("up") ? (1, 0.6) : (1, 0.001)
    #expect(largest <= largestAllowed)
    #expect(differing <= shareAllowed)
}

@Test func waifu2xStopsBetweenTilesWhenAsked() throws {
    var options = UpscaleOptions(model: .upconv7)
    options.blockSize = 32
    options.weightsFolder = try waifu2xTestWeights("upconv7")
    let input = try Image(contentsOf: Waifu2xReference.fixtures.appendingPathComponent("upconv7-scale-input.png"))
    var tiles = 0
    #expect(try Waifu2xUpscaler(options: options).process(input) { tiles += 1; return tiles < 2 } == nil)
    #expect(tiles == 2)
}

@Test func waifu2xWeightsOfAnotherShapeOrArchitectureAreOneSentence() throws {
    let vgg7 = URL(fileURLWithPath: try waifu2xTestWeights("vgg7")).appendingPathComponent("anime_style_scale_rgb.npz")
    // vgg7's conv1 has 32 filters, upconv7's 16.
    #expect(throws: ImpastoError.shapeMismatch(key: "conv1/W", expected: [16, 3, 3, 3], actual: [32, 3, 3, 3])) {
        try Waifu2xVGG7.load(.upconv7, contentsOf: vgg7)
    }
    #expect(throws: ImpastoError.missingKey(key: "conv_pre/W", source: vgg7.path)) {
        try Waifu2xVGG7.load(.resnet10, contentsOf: vgg7)
    }
    var options = UpscaleOptions(model: .vgg7, scale: 2, noise: 3)
    options.weightsFolder = try waifu2xTestWeights("vgg7")
    #expect(throws: ImpastoError.self) { try Waifu2xUpscaler(options: options) }
}

@Test func waifu2xIgnoresTheColourUnderTransparentPixels() throws {
    var options = UpscaleOptions(model: .upconv7)
    options.blockSize = 32
    options.weightsFolder = try waifu2xTestWeights("upconv7")
    let cutout = try Image(contentsOf: Waifu2xReference.fixtures.appendingPathComponent("upconv7-scale-rgba-input.png"))
    let count = cutout.width * cutout.height
    let alpha = cutout.plane(3)
    #expect(alpha.contains(0) && alpha.contains(1))
    // Magenta wherever alpha is 0: waifu2x fills those pixels from the visible edge before the net sees them,
    // so what a file holds there changes nothing (the result's own alpha comes from the net, not a copy).
    var painted = cutout.pixels
    for i in 0..<count where alpha[alpha.startIndex + i] == 0 { (painted[i], painted[count + i], painted[2 * count + i]) = (1, 0, 1) }
    let upscaler = try Waifu2xUpscaler(options: options)
    let result = try #require(upscaler.process(cutout))
    #expect(result.channels == 4 && result.width == 2 * cutout.width && result.height == 2 * cutout.height)
    #expect(try #require(upscaler.process(Image(width: cutout.width, height: cutout.height, channels: 4, pixels: painted))).pixels == result.pixels)
    #expect(try #require(upscaler.process(cutout.rgb())).pixels != Array(result.pixels[0..<3 * 4 * count]))
}
