import Foundation
import ImpastoMedia
import ImpastoNN
import ImpastoTensor
import Testing
@testable import ImpastoModels
@testable import ImpastoStudio

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The random-weight TransformerNet fixture, its last layer scaled so that outputs span 0…255 like a trained
/// network's (the raw random net answers within ±2, which would clamp to black and hide colour handling).
private func transformerNet() throws -> TransformerNet {
    let net = try TransformerNet(contentsOf: root.appendingPathComponent(
        "Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth"))
    let (weight, bias) = (net.deconv3.conv2d.weight, net.deconv3.conv2d.bias!)
    weight.assign(Tensor(shape: weight.shape, scalars: weight.scalars.map { $0 * 60 }))
    bias.assign(Tensor(shape: bias.shape, scalars: bias.scalars.map { $0 + 128 }))
    return net
}

private let photo = try! Image(contentsOf: root.appendingPathComponent("Examples/images/tubingen.jpg"))
private let portrait = try! Image(contentsOf: root.appendingPathComponent("Examples/images/astronaut.png"))

@Test func fastStyleKeepsOddSizesAndMatchesTheNetwork() throws {
    let net = try transformerNet()
    let result = try FastStyle.apply(image: photo, model: net, size: 50)
    let input = photo.resized(longestSide: 50)
    #expect((result.width, result.height) == (input.width, input.height) && input.height % 4 != 0)

    // The raw network output, 0…255 and a few rows larger, cropped and scaled by hand.
    let raw = withoutGradients { net(input.tensor() * 255) }
    #expect(raw.shape[2] > input.height)
    let expected = Image(tensor: raw * (1 / 255)).cropped(width: input.width, height: input.height)
    #expect(zip(result.pixels, expected.pixels).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
}

@Test func batchesGiveWhatSingleImagesGive() throws {
    let net = try transformerNet()
    let images = [photo.resized(longestSide: 40), portrait.resized(longestSide: 32), photo.resized(longestSide: 40)
        .cropped(width: 40, height: 30), photo.resized(longestSide: 40)]
    let batched = try FastStyle.apply(images: images, model: net, batchSize: 2)
    for (image, result) in zip(images, batched) {
        let single = try FastStyle.apply(image: image, model: net)
        #expect((result.width, result.height) == (image.width, image.height))
        #expect(zip(result.pixels, single.pixels).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
    }
    #expect(ImageBatch.groups(of: images, limit: 2) == [[0, 2], [3], [1]])
}

@Test func preservedColoursKeepChromaAndTakeLuminance() throws {
    let net = try transformerNet()
    let input = portrait.resized(longestSide: 48)
    let plain = try FastStyle.apply(image: input, model: net)
    let kept = try FastStyle.apply(image: input, model: net, preserveColors: true)
    let count = input.width * input.height
    var checked = 0
    for i in 0..<count {
        let rgb = { (image: Image) in (0..<3).map { image.pixels[$0 * count + i] } }
        let (original, styled, result) = (rgb(input), rgb(plain), rgb(kept))
        guard result.allSatisfy({ $0 > 0 && $0 < 1 }), styled.allSatisfy({ $0 > 0 && $0 < 1 }) else { continue }
        checked += 1
        // Chroma differences (R − G, B − G) are the input's; the luma is the stylized one.
        #expect(Swift.abs((result[0] - result[1]) - (original[0] - original[1])) < 1e-5)
        #expect(Swift.abs((result[2] - result[1]) - (original[2] - original[1])) < 1e-5)
        #expect(Swift.abs(luma(result[0], result[1], result[2]) - luma(styled[0], styled[1], styled[2])) < 1e-5)
    }
    #expect(checked > count / 4)
}

@Test func tinyImagesAreRefusedWithASentence() throws {
    let tiny = photo.resized(longestSide: 12)
    #expect(throws: ImpastoError.self) { try FastStyle.apply(image: tiny, model: TransformerNet()) }
}

@Test func adainKeepsSizeBatchesAndValidates() throws {
    let net = Initialization.withSeed(3) { AdaIN() }
    let content = photo.resized(longestSide: 45)  // 45×33: neither side a multiple of 8
    let styles = [portrait.resized(longestSide: 40), photo.resized(longestSide: 24)]
    let result = try AdaINStyle.apply(content: content, styles: styles, weights: [1, 3], alpha: 0.7, model: net,
                                      styleSize: nil)
    #expect((result.width, result.height) == (content.width, content.height))

    let both = try AdaINStyle.apply(contents: [content, content], styles: styles, weights: [0.25, 0.75],
                                    alpha: 0.7, model: net, styleSize: nil)
    #expect(both.allSatisfy { zip($0.pixels, result.pixels).allSatisfy { Swift.abs($0 - $1) < 1e-4 } })

    let preserved = try AdaINStyle.apply(contents: [content, portrait.resized(longestSide: 45)], styles: styles,
                                         preserveColors: true, model: net, styleSize: 32)
    #expect(preserved.map(\.width) == [45, 45])

    #expect(throws: ImpastoError.invalidArgument("Give one weight per style: 2 style(s) but 1 weight(s).")) {
        try AdaINStyle.apply(content: content, styles: styles, weights: [1], model: net)
    }
    #expect(throws: ImpastoError.self) { try AdaINStyle.apply(content: content, styles: styles, weights: [0, 0], model: net) }
    #expect(throws: ImpastoError.self) { try AdaINStyle.apply(content: content, styles: styles, alpha: 1.5, model: net) }
    #expect(throws: ImpastoError.self) { try AdaINStyle.apply(content: content, styles: [], model: net) }
}

@Test func largeImagesAreNotBatched() {
    let frame = Image(width: 1280, height: 720, channels: 3, pixels: [Float](repeating: 0.5, count: 3 * 1280 * 720))
    let photo = Image(width: 3000, height: 2000, channels: 3, pixels: [Float](repeating: 0.5, count: 3 * 6_000_000))
    #expect(ImageBatch.groups(of: Array(repeating: frame, count: 6), limit: 8) == [[0, 1, 2, 3], [4, 5]])
    #expect(ImageBatch.groups(of: [photo, photo], limit: 8) == [[0], [1]])
}
