import Testing
import ImpastoMedia

/// A 3×2 two-channel picture with distinct samples.
private let picture = Image(width: 3, height: 2, channels: 2, pixels: [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15])

@Test func theIdentityWarpKeepsEveryPixel() {
    let identity = AffineTransform(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)
    #expect(picture.warped(width: 3, height: 2, sourceOfPixel: identity) == picture)
}

/// Half a pixel right averages neighbours; points past the edge take the edge pixel; a transposing map swaps axes.
@Test func warpsSampleBilinearlyWithClampedEdges() {
    let shifted = picture.warped(width: 3, height: 2, sourceOfPixel: AffineTransform(a: 1, b: 0, c: 0.5, d: 0, e: 1, f: 0))
    #expect(shifted.pixels == [0.5, 1.5, 2, 3.5, 4.5, 5, 10.5, 11.5, 12, 13.5, 14.5, 15])
    let transposed = picture.warped(width: 2, height: 3, sourceOfPixel: AffineTransform(a: 0, b: 1, c: 0, d: 1, e: 0, f: 0))
    #expect(transposed.pixels == [0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15])
}
