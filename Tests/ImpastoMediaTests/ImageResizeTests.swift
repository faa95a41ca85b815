import Foundation
import Testing
@testable import ImpastoMedia

private let filters: [String: ResizeFilter] = ["bilinear": .bilinear, "bicubic": .bicubic, "lanczos": .lanczos]

/// Pillow rounds to 8 bits after each pass and at the end; we stay in float. Measured: at most 1.1 levels
/// apart (Lanczos upscaling), 0.85 to 1.0 for the others.
@Test(arguments: MediaFixture.shared.resized.indices)
func resizeMatchesPillow(index: Int) throws {
    let reference = MediaFixture.shared.resized[index]
    let source = try Image(contentsOf: fixtureURL(reference.source))
    let result = source.resized(width: reference.width, height: reference.height, filter: filters[reference.filter]!)
    let expected = expectedImage(reference.pixels, width: reference.width, height: reference.height, channels: 3)
    let difference = maxLevelDifference(result, expected)
    #expect(difference <= 1.5, "\(reference.filter) to \(reference.width)×\(reference.height): \(difference) levels")
}

@Test func longestSideKeepsTheAspectRatioTruncating() {
    let image = gradientImage(width: 48, height: 32, channels: 3)
    #expect(image.resized(longestSide: 48) == image)
    let half = image.resized(longestSide: 24)
    #expect((half.width, half.height) == (24, 16))
    // 32 * 37 / 48 = 24.67: neural-style-pt's int() gives 24.
    let odd = image.resized(longestSide: 37)
    #expect((odd.width, odd.height) == (37, 24))
    let tall = gradientImage(width: 3, height: 300, channels: 1).resized(longestSide: 50)
    #expect((tall.width, tall.height) == (1, 50))
}

@Test func constantImagesStayConstant() {
    for filter in [ResizeFilter.bilinear, .bicubic, .lanczos] {
        let gray = Image(width: 13, height: 9, channels: 1, pixels: Array(repeating: 0.3, count: 13 * 9))
        for (width, height) in [(5, 4), (31, 20), (13, 3)] {
            let result = gray.resized(width: width, height: height, filter: filter)
            #expect(result.pixels.allSatisfy { abs($0 - 0.3) < 1e-5 }, "\(filter) to \(width)×\(height)")
        }
    }
}

@Test func transparentPixelsDoNotBleedTheirColour() {
    // Left column opaque red, right column fully transparent green.
    let image = Image(width: 2, height: 1, channels: 4, pixels: [1, 0, 0, 1, 0, 0, 1, 0])
    let merged = image.resized(width: 1, height: 1, filter: .bilinear)
    #expect(merged.pixels == [1, 0, 0, 0.5])
}
