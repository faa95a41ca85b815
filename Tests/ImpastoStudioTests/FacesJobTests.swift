import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

private let fixtures = repositoryRoot.appendingPathComponent("Tests/ImpastoStudioTests/Fixtures/mtcnn-detect")

@Suite struct FacesJobTests {
    /// One event per image with its faces (none for the rocket), annotated copies named after their inputs, one
    /// crop per face; the boxes are the detector's.
    @Test func reportsDrawsAndCropsEveryFace() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var job = FacesJob(inputs: [fixtures.appendingPathComponent("group.png"), fixtures.appendingPathComponent("rocket.png")])
        job.weights = try testWeightsFile("facenet-pytorch-2.6.0")
        job.annotated = .folder(folder.appendingPathComponent("annotated"))
        job.crops = FacesJob.Crops(folder: folder.appendingPathComponent("crops"), size: 64, margin: 8)
        let log = EventLog()
        let outcome = try job.run(JobContext(progress: .json, streams: log.streams))
        #expect(!outcome.stopped && outcome.images.map(\.faces.count) == [5, 0])
        let images = try outcome.images.map { try Image(contentsOf: $0.input) }
        #expect(outcome.images.map(\.faces) == (try facenetMTCNN()).detect(images))

        let events = log.events
        #expect(events.count == 3 && events.last?["event"] as? String == "done" && events.last?["faces"] as? Int == 5)
        let faces = try #require(events.first?["faces"] as? [[String: Any]])
        let box = try #require(faces.first?["box"] as? [Double])
        #expect(box.map(Float.init) == { let b = outcome.images[0].faces[0].box; return [b.x1, b.y1, b.x2, b.y2] }())
        #expect((faces.first?["landmarks"] as? [[Double]])?.count == 5)
        #expect((events[1]["faces"] as? [Any])?.isEmpty == true)

        #expect(outcome.images.map { $0.annotated?.lastPathComponent } == ["group-faces.png", "rocket-faces.png"])
        #expect(outcome.images[0].crops.map(\.lastPathComponent) == (1...5).map { "group-face\($0).png" })
        let crop = try Image(contentsOf: outcome.images[0].crops[0])
        #expect((crop.width, crop.height, crop.channels) == (64, 64, 3))
    }

    /// A face turned 20° comes out upright: MTCNN finds it again in the crop with its eyes level.
    @Test func cropsLevelTheEyes() throws {
        let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png"))
        let angle = Float(20 * Double.pi / 180)
        let centre = Float(photo.width - 1) / 2
        let turned = photo.warped(width: photo.width, height: photo.height, sourceOfPixel: AffineTransform(
            a: cos(angle), b: -sin(angle), c: centre - cos(angle) * centre + sin(angle) * centre,
            d: sin(angle), e: cos(angle), f: centre - sin(angle) * centre - cos(angle) * centre))
        let detector = try facenetMTCNN()
        let face = try #require(detector.detect([turned]).first?.first)
        let tilt = atan2(face.landmarks[1].y - face.landmarks[0].y, face.landmarks[1].x - face.landmarks[0].x)
        #expect(abs(tilt) > 0.2)
        let crop = face.alignedCrop(of: turned, size: 160, margin: 32)
        let again = try #require(detector.detect([crop]).first?.first)
        #expect(abs(again.landmarks[1].y - again.landmarks[0].y) < 2)
        #expect(again.box.x1 > 0 && again.box.x2 < 160 && again.box.y1 > 0 && again.box.y2 < 160)
    }

    /// facenet-pytorch's `select_boxes` keeps one face by its method; none when nothing passes the threshold.
    @Test func selectionKeepsOneFace() throws {
        let group = try Image(contentsOf: fixtures.appendingPathComponent("group.png"))
        let faces = try facenetMTCNN().detect([group])[0]
        #expect(FaceSelection.largest.select(faces, width: group.width, height: group.height) == faces[0])
        let mostProbable = faces.max { $0.probability < $1.probability }
        #expect(FaceSelection.probability.select(faces, width: group.width, height: group.height) == mostProbable)
        #expect(FaceSelection.largestOverThreshold(1.5).select(faces, width: group.width, height: group.height) == nil)
        #expect(FaceSelection.largest.select([], width: 1, height: 1) == nil)
    }

    /// A file holding another network is refused in one sentence that names it.
    @Test func theWrongWeightFileIsNamed() throws {
        let weights = try testWeightsFile("facenet-pytorch-2.6.0")
        let onet = weights.appendingPathComponent("onet.pt")
        #expect {
            _ = try MTCNNDetector(pnet: onet, rnet: weights.appendingPathComponent("rnet.pt"), onet: onet)
        } throws: { error in
            (error as? ImpastoError)?.description == "\(onet.path) is not a valid file of the expected kind: it does not "
                + "hold MTCNN's P-Net (conv1.weight is [32, 3, 3, 3], not [10, 3, 3, 3])."
        }
    }

    /// Two images of one name in two folders would crop to the same files: refused before anything is read.
    @Test func cropsThatTwoImagesWouldShareAreRefused() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copies = try ["a", "b"].map { name in
            let copy = folder.appendingPathComponent("\(name)/rocket.png")
            try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("rocket.png"), to: copy)
            return copy
        }
        var job = FacesJob(inputs: copies)
        job.crops = FacesJob.Crops(folder: folder.appendingPathComponent("crops"))
        let first = folder.appendingPathComponent("crops/rocket-face1.png").path
        #expect(throws: ImpastoError.invalidArgument("Two inputs would both be written to \(first); rename one of them.")) {
            try job.plan()
        }
    }
}
