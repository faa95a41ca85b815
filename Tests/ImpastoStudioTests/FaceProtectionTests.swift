import Foundation
import ImpastoMedia
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoStudio

@Test func faceMaskIsOneOnTheFaceAndFadesToNothing() {
    let face = DetectedFace(box: FaceBox(x1: 40, y1: 40, x2: 60, y2: 64), probability: 1,
                            landmarks: Array(repeating: FacePoint(x: 50, y: 50), count: 5))
    let mask = FaceProtection.mask([face], width: 100, height: 100)
    #expect(mask[50 * 100 + 50] == 1, "the face's centre")
    #expect(mask[0] == 0 && mask[99 * 100 + 99] == 0, "far corners")
    // Along a row through the centre the weight never rises moving outwards.
    let row = (50..<100).map { mask[49 * 100 + $0] }
    #expect(zip(row, row.dropFirst()).allSatisfy { $0 >= $1 } && row.last == 0)
}

/// On a real portrait stylized with a bundled style, the protected face is far closer to the photo than the
/// unprotected one, and the background is untouched.
@Test func protectedFacesStayCloseToThePhoto() throws {
    let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png"))
        .rgb().resized(width: 192, height: 192)
    let stylized = try FastStyle.apply(images: [photo], model: BundledStyles.model("starry"), size: nil,
                                       precision: .fp32, preserveColors: false, batchSize: 1)[0]
    let folder = try testWeightsFile("facenet-pytorch-2.6.0/pnet.pt").deletingLastPathComponent()
    let faces = try ModelCache.shared.installedMTCNN(weights: folder).detect([photo])[0]
    #expect(faces.count == 1)
    let protected = FaceProtection(strength: 0.8).apply(to: stylized, photo: photo, faces: faces)
    let box = faces[0].box
    func distance(_ image: Image, inFace: Bool) -> Float {
        var total: Float = 0, count = 0
        for y in 0..<192 {
            for x in 0..<192 {
                let inside = Float(x) > box.x1 + 4 && Float(x) < box.x2 - 4 && Float(y) > box.y1 + 4 && Float(y) < box.y2 - 4
                let far = x >= 172 && y >= 172  // the helmet, well away from the face
                guard inFace ? inside : far else { continue }
                for c in 0..<3 { total += abs(image.pixels[c * 192 * 192 + y * 192 + x] - photo.pixels[c * 192 * 192 + y * 192 + x]) }
                count += 3
            }
        }
        return total / Float(count)
    }
    #expect(distance(protected, inFace: true) < 0.3 * distance(stylized, inFace: true))
    #expect(distance(protected, inFace: false) == distance(stylized, inFace: false))
}

/// A face whose box jitters by ±4 pixels frame to frame moves half as much once tracked, and a frame in which
/// the detector misses it keeps its protection.
@Test func trackedFacesJitterLessAndSurviveAMissedFrame() {
    func face(_ dx: Float) -> DetectedFace {
        DetectedFace(box: FaceBox(x1: 40 + dx, y1: 40, x2: 80 + dx, y2: 90), probability: 0.99,
                     landmarks: Array(repeating: FacePoint(x: 60 + dx, y: 60), count: 5))
    }
    var tracker = FaceTracker()
    var positions: [Float] = []
    for frame in 0..<8 {
        let found = frame == 5 ? [] : [face(frame % 2 == 0 ? 4 : -4)]
        let tracked = tracker.update(found)
        #expect(tracked.count == 1, "frame \(frame)")
        positions.append(tracked[0].box.x1)
    }
    let steps = zip(positions.dropFirst(), positions).map { abs($0 - $1) }
    #expect(steps.max()! <= 4.5, "tracked steps \(steps), raw steps 8")
    #expect(positions[5] == positions[4], "the missed frame keeps the last box")
    for _ in 0..<4 { _ = tracker.update([]) }
    #expect(tracker.update([]).isEmpty, "a face gone for longer than the patience is dropped")
}

/// In a Gatys run, a protected region ends closer to the photo than the same region unprotected, and the
/// reported content loss includes the region's extra term.
@Test func protectedRegionKeepsItsContentInGatys() throws {
    // From the photo, as people run it (`--init image`): the style pulls the unprotected centre away from it.
    var options = smallJob(size: 48, iterations: 12)
    options.initialization = .content
    let plain = try run(options)
    let width = plain.result.image.width, height = plain.result.image.height
    let scale = Float(referenceContent.width) / Float(width)
    // A "face" over the middle third of the image, in the content image's pixels.
    options.protectedFaces = [DetectedFace(
        box: FaceBox(x1: Float(width) / 3 * scale, y1: Float(height) / 3 * scale,
                     x2: Float(width) * 2 / 3 * scale, y2: Float(height) * 2 / 3 * scale),
        probability: 1, landmarks: Array(repeating: FacePoint(x: 0, y: 0), count: 5))]
    options.faceStrength = 1
    let protected = try run(options)
    let photo = referenceContent.rgb().resized(width: width, height: height, filter: .bilinear)
    func centreDistance(_ image: Image) -> Float {
        var total: Float = 0
        for c in 0..<3 {
            for y in height * 2 / 5..<height * 3 / 5 {
                for x in width * 2 / 5..<width * 3 / 5 {
                    total += abs(image.pixels[(c * height + y) * width + x] - photo.pixels[(c * height + y) * width + x])
                }
            }
        }
        return total
    }
    #expect(centreDistance(protected.result.image) < 0.8 * centreDistance(plain.result.image))
    #expect(protected.losses[0].content > plain.losses[0].content)
}

/// The overlay's placement is exact for a head that is a scaled, turned copy of the mask's anchors, and the
/// mask lands on the face: its opaque centre pixel covers the point between the eyes.
@Test func overlaysFollowTheEyesAndNose() throws {
    // Anchors turned by 30°, scaled by 2 and moved: the least-squares similarity recovers that map exactly.
    let (cosine, sine): (Float, Float) = (cos(.pi / 6), sin(.pi / 6))
    let from: [(Float, Float)] = [(35, 42), (65, 42), (50, 62)]
    let to = from.map { (2 * (cosine * $0.0 - sine * $0.1) + 7, 2 * (sine * $0.0 + cosine * $0.1) - 3) }
    let map = FaceOverlay.similarity(from: from, to: to)
    for (source, target) in zip(from, to) {
        let mapped = map.apply(x: source.0, y: source.1)
        #expect(abs(mapped.x - target.0) < 1e-3 && abs(mapped.y - target.1) < 1e-3)
    }
    // A 10×10 opaque red mask on a gray 100×100 photo, eyes at (40, 50) and (60, 50), nose at (50, 60).
    let folder = try temporaryDirectory()
    let maskURL = folder.appendingPathComponent("red.png")
    try Image(width: 10, height: 10, channels: 4,
              pixels: [Float](repeating: 1, count: 100) + [Float](repeating: 0, count: 200) + [Float](repeating: 1, count: 100))
        .write(to: maskURL, format: .png)
    let face = DetectedFace(box: FaceBox(x1: 30, y1: 35, x2: 70, y2: 80), probability: 1,
                            landmarks: [FacePoint(x: 40, y: 50), FacePoint(x: 60, y: 50), FacePoint(x: 50, y: 60),
                                        FacePoint(x: 42, y: 70), FacePoint(x: 58, y: 70)])
    let photo = Image(width: 100, height: 100, channels: 3, pixels: [Float](repeating: 0.5, count: 30_000))
    let worn = try FaceOverlay(contentsOf: maskURL).apply(to: photo, faces: [face])
    #expect(worn.pixels[50 * 100 + 50] == 1 && worn.pixels[10_000 + 50 * 100 + 50] == 0, "red between the eyes")
    #expect(worn.pixels[5 * 100 + 5] == 0.5, "the corner is untouched")
}
