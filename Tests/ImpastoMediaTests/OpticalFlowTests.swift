import Foundation
import ImpastoTensor
import Testing
@testable import ImpastoMedia

/// The houses of tubingen.jpg (texture everywhere, unlike the flat sky and water where no method can see
/// motion), small enough for the debug build's pure-Swift loops.
let photo: Image = {
    let full = try! Image(contentsOf: exampleImages.appendingPathComponent("tubingen.jpg")).rgb()
    let (left, top, width, height) = (400, 300, 400, 300)
    var pixels: [Float] = []
    for channel in 0..<3 {
        for y in top..<top + height {
            let start = (channel * full.height + y) * full.width + left
            pixels += full.pixels[start..<start + width]
        }
    }
    return Image(width: width, height: height, channels: 3, pixels: pixels)
        .resized(width: 128, height: 96, filter: .bilinear)
}()

/// `image` moved `right` and `down` whole pixels, the uncovered edge filled by replicating the border.
func shifted(_ image: Image, right: Int, down: Int) -> Image {
    let (width, height) = (image.width, image.height)
    var pixels = image.pixels
    for channel in 0..<image.channels {
        for y in 0..<height {
            for x in 0..<width {
                let source = min(max(y - down, 0), height - 1) * width + min(max(x - right, 0), width - 1)
                pixels[(channel * height + y) * width + x] = image.pixels[channel * width * height + source]
            }
        }
    }
    return Image(width: width, height: height, channels: image.channels, pixels: pixels)
}

/// The largest |value − expected| over pixels at least `margin` from every edge.
func interiorError(_ plane: [Float], width: Int, height: Int, margin: Int, expected: Float) -> Float {
    var worst: Float = 0
    for y in margin..<height - margin {
        for x in margin..<width - margin { worst = max(worst, abs(plane[y * width + x] - expected)) }
    }
    return worst
}

@Test func farnebackRecoversAShiftOfARealPhoto() {
    let moved = shifted(photo, right: 3, down: 2)
    let flow = OpticalFlow.farneback(from: photo, to: moved)
    #expect(interiorError(flow.dx, width: 128, height: 96, margin: 12, expected: 3) < 0.25)
    #expect(interiorError(flow.dy, width: 128, height: 96, margin: 12, expected: 2) < 0.25)
    // The other direction, and warping undoes the shift.
    let back = OpticalFlow.farneback(from: moved, to: photo)
    #expect(interiorError(back.dx, width: 128, height: 96, margin: 12, expected: -3) < 0.25)
    #expect(interiorError(back.dy, width: 128, height: 96, margin: 12, expected: -2) < 0.25)
    let restored = flow.warped(moved)
    var worst: Float = 0
    for channel in 0..<3 {
        for y in 12..<84 {
            for x in 12..<116 {
                let i = (channel * 96 + y) * 128 + x
                worst = max(worst, abs(restored.pixels[i] - photo.pixels[i]))
            }
        }
    }
    #expect(worst < 0.1, "worst restored difference \(worst)")
}

@Test func reliabilityRejectsContentFromOutsideAndInconsistentFlow() {
    // Exact flows of a 3-pixel shift to the right.
    let (width, height) = (40, 30)
    let forward = FlowField(width: width, height: height, dx: .init(repeating: 3, count: width * height),
                            dy: .init(repeating: 0, count: width * height))
    let backward = FlowField(width: width, height: height, dx: .init(repeating: -3, count: width * height),
                             dy: .init(repeating: 0, count: width * height))
    let mask = backward.reliability(reverse: forward)
    // Backward flow points 3 pixels left: the first three columns came from outside the frame.
    for y in 0..<height {
        #expect(mask[(y * width)..<(y * width + 3)].allSatisfy { $0 == 0 })
        #expect(mask[(y * width + 3)..<(y * width + width)].allSatisfy { $0 == 1 })
    }
    // A reverse flow that does not lead back marks everything occluded.
    let wrong = FlowField(width: width, height: height, dx: .init(repeating: 3, count: width * height),
                          dy: .init(repeating: 2, count: width * height))
    #expect(backward.reliability(reverse: wrong).allSatisfy { $0 == 0 })
}

@Test func warpingErrorOfAVideoAgainstItselfIsNearZeroAndAgainstAShuffleLarge() throws {
    let directory = try TemporaryDirectory()
    let frames = try VideoReader(contentsOf: Clips.small).nextBatch(maxCount: 6)
    let shuffledURL = directory.file("shuffled.mp4")
    let original = directory.file("original.mp4")
    for (url, order) in [(original, Array(0..<6)), (shuffledURL, [0, 3, 5, 1, 4, 2])] {
        let writer = try VideoWriter(to: url, width: 96, height: 72, frameRate: FrameRate(25), crf: 12,
                                     preset: "ultrafast")
        for index in order { try writer.append(frames[index]) }
        try writer.finish()
    }
    let same = try WarpingErrorMeter.measure(original: original, processed: original)
    let shuffled = try WarpingErrorMeter.measure(original: original, processed: shuffledURL)
    #expect(same.pairs == 5 && shuffled.pairs == 5)
    #expect(same.value < 0.0005, "self: \(same.value)")
    #expect(shuffled.value > 10 * same.value && shuffled.value > 0.002, "shuffled: \(shuffled.value)")

    let error = try #require(throws: ImpastoError.self) {
        try WarpingErrorMeter.measure(original: original, processed: Clips.small)
    }
    #expect(sentence(of: error).contains("frames"))
}

@Test func stabilizerLowersTheWarpingErrorOfAFlickeringVideo() throws {
    // A "stylization" that flickers: every frame gets its own fixed pattern of noise.
    let frames = try VideoReader(contentsOf: Clips.small).nextBatch(maxCount: 5)
    var generator = SystemRandomNumberGenerator()
    let noisy = frames.map { frame in
        Image(width: frame.width, height: frame.height, channels: 3,
              pixels: frame.pixels.map { min(max($0 + Float.random(in: -0.1...0.1, using: &generator), 0), 1) })
    }
    var raw = WarpingErrorMeter()
    var steady = WarpingErrorMeter()
    var stabilizer = TemporalStabilizer()
    for (frame, stylized) in zip(frames, noisy) {
        raw.add(original: frame, processed: stylized)
        steady.add(original: frame, processed: stabilizer(original: frame, stylized: stylized))
    }
    #expect(steady.value < 0.7 * raw.value, "stabilized \(steady.value), raw \(raw.value)")
}

/// `Fixtures/flow/flow.json`, written by `scripts/make_flow_fixture.py` with OpenCV.
struct FlowFixture: Decodable {
    let options: [String: Double]
    let width: Int
    let height: Int
    let stride: Int
    let dx: [Float]
    let dy: [Float]
}

@Test func farnebackMatchesOpenCV() throws {
    let fixture = try JSONDecoder().decode(FlowFixture.self, from: Data(contentsOf: fixtureURL("flow/flow.json")))
    var options = OpticalFlow.Options()
    options.pyramidScale = fixture.options["pyramidScale"]!
    options.levels = Int(fixture.options["levels"]!)
    options.windowSize = Int(fixture.options["windowSize"]!)
    options.iterations = Int(fixture.options["iterations"]!)
    options.polynomialNeighborhood = Int(fixture.options["polynomialNeighborhood"]!)
    options.polynomialSigma = fixture.options["polynomialSigma"]!
    #expect(options == OpticalFlow.Options(), "the fixture checks the defaults")
    let pyramids = try ["first", "second"].map { name in
        let image = try Image(contentsOf: fixtureURL("flow/\(name).png"))
        return OpticalFlow.Pyramid(intensities: image.pixels.map { ($0 * 255).rounded() }, width: image.width,
                                   height: image.height, options: options)
    }
    let flow = OpticalFlow.farneback(from: pyramids[0], to: pyramids[1])
    let columns = (fixture.width + fixture.stride - 1) / fixture.stride
    var worstInterior: Float = 0, total: Float = 0
    for (index, (expectedX, expectedY)) in zip(fixture.dx, fixture.dy).enumerated() {
        let (x, y) = (index % columns * fixture.stride, index / columns * fixture.stride)
        let i = y * fixture.width + x
        let difference = max(abs(flow.dx[i] - expectedX), abs(flow.dy[i] - expectedY))
        total += difference
        // Near the edges the second frame holds replicated border pixels, where the flow is ill-posed and
        // rounding differences grow.
        if x >= 16 && y >= 16 && x < fixture.width - 16 && y < fixture.height - 16 {
            worstInterior = max(worstInterior, difference)
        }
    }
    #expect(worstInterior < 0.02, "largest difference from OpenCV away from the edges: \(worstInterior) px")
    #expect(total / Float(fixture.dx.count) < 0.01, "mean difference from OpenCV: \(total / Float(fixture.dx.count)) px")
}
