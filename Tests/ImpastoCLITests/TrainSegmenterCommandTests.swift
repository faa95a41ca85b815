// `impasto train-segmenter --coco` and `impasto cutout --model FILE.safetensors` as users run them: the built
// binary on the committed COCO fixture (scripts/make_coco_fixture.py) with pictures cut from a real photo.
import Foundation
import ImpastoMedia
import ImpastoTestSupport
import Testing

@Suite struct TrainSegmenterCommandTests {
    /// The fixture's six images and their sizes; the seed's filter keeps 1, 2 and 4 (pycocotools' areas in
    /// expected.json), so only those three pictures are written: reading any other would fail the run.
    static let kept = [("img1.jpg", 40, 30), ("img2.jpg", 50, 40), ("img4.jpg", 60, 45)]

    @Test func trainsOnTheSeedsCOCOPeopleThenCutsOutWithTheResult() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-train-seg-\(UUID().uuidString)")
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let annotations = repositoryRoot.appendingPathComponent("Tests/ImpastoFormatsTests/Fixtures/coco/instances.json")
        let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg")).rgb()
        for (index, (name, width, height)) in Self.kept.enumerated() {
            try photo.cropped(x: 100 * index, y: 50, width: 400, height: 300).resized(width: width, height: height)
                .write(to: images.appendingPathComponent(name), format: .jpeg(quality: 90))
        }
        let model = folder.appendingPathComponent("seg.safetensors")
        let trained = try runImpasto(["train-segmenter", "--coco", annotations.path, "--images", images.path, "-o", model.path,
                                      "--image-size", "32", "--batch-size", "2", "--epochs", "1"])
        #expect(trained.status == 0, "\(trained.error)")
        #expect(trained.error.contains("2 training and 1 validation examples at 32²"), "\(trained.error)")
        let log = try String(contentsOf: folder.appendingPathComponent("seg-log.csv"), encoding: .utf8).split(separator: "\n")
        #expect(log.count == 2 && log[0] == "epoch,loss,validation_iou" && log[1].hasPrefix("1,"), "\(log)")
        #expect(FileManager.default.fileExists(atPath: model.path))

        // The trained file segments any photo size through `cutout --model`: an RGBA PNG of the photo's size.
        let astronaut = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png")
        let output = folder.appendingPathComponent("astronaut-cutout.png")
        let cut = try runImpasto(["cutout", astronaut.path, "--model", model.path, "-o", output.path, "--quiet"])
        #expect(cut.status == 0 && cut.error.isEmpty, "\(cut.error)")
        let cutout = try Image(contentsOf: output)
        #expect(cutout.channels == 4 && cutout.width == 512 && cutout.height == 512)
        let original = try Image(contentsOf: astronaut)
        #expect(Array(cutout.pixels[0..<(512 * 512)]) == Array(original.pixels[0..<(512 * 512)]), "the colour is the photo's")
        #expect(cutout.plane(3).allSatisfy { (0...1).contains($0) })
    }
}
