import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
@testable import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// Eight 32² examples: a crop of astronaut.png (the "person", a rectangle) pasted at different places and sizes on
/// scikit-image's brick, grass, gravel and coffee; the mask is the pasted rectangle.
private func pastedExamples(side: Int = 32) throws -> SegmentationExamples {
    let person = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png")).rgb()
        .cropped(x: 150, y: 20, width: 220, height: 300)
    let backgrounds = try ["brick.png", "grass.png", "gravel.png", "coffee.png"].map {
        try Image(contentsOf: testWeightsFile("scikit-image-0.26.0/\($0)")).rgb().resized(width: side, height: side, filter: .bilinear)
    }
    var examples = SegmentationExamples(side: side)
    for index in 0..<8 {
        let width = 10 + index % 3 * 3, height = 14 + index % 2 * 4
        let left = (index * 5) % (side - width), top = (index * 7) % (side - height)
        let patch = person.resized(width: width, height: height, filter: .bilinear)
        var pixels = backgrounds[index % 4].pixels
        var mask = [Float](repeating: 0, count: side * side)
        for y in 0..<height {
            for x in 0..<width {
                mask[(top + y) * side + left + x] = 1
                for c in 0..<3 { pixels[c * side * side + (top + y) * side + left + x] = patch.pixels[c * width * height + y * width + x] }
            }
        }
        try examples.add(picture: Image(width: side, height: side, channels: 3, pixels: pixels),
                         mask: Image(width: side, height: side, channels: 1, pixels: mask), name: "pasted-\(index)")
    }
    return examples
}

private func tinyConfiguration() -> SegmenterTrainingConfiguration {
    var configuration = SegmenterTrainingConfiguration()
    (configuration.imageSize, configuration.batchSize, configuration.epochs) = (32, 2, 6)
    configuration.validationShare = 0.25
    return configuration
}

@Suite struct SegmenterTrainerTests {
    /// A few epochs on the pasted examples: the training loss falls and the validation IoU is a fraction.
    @Test func trainingLowersTheLoss() throws {
        let trainer = try SegmenterTrainer(examples: try pastedExamples(), configuration: tinyConfiguration())
        #expect(trainer.training.count == 6 && trainer.validation.count == 2)
        var epochs: [SegmenterEpoch] = []
        for _ in 0..<6 { epochs.append(try #require(trainer.trainEpoch())) }
        #expect(epochs.last!.loss < 0.7 * epochs.first!.loss, "loss \(epochs.map(\.loss))")
        #expect(epochs.allSatisfy { (0...1).contains($0.validationIoU) })
        #expect(trainer.bestIoU == epochs.map(\.validationIoU).max())
        let picture = trainer.predictionPicture()
        #expect(picture.width == 96 && picture.height == 64)
    }

    /// The job writes the best model, a checkpoint, the log and a picture per epoch; resumed, it continues from
    /// the checkpoint's epoch (same weights as saved) and appends to the log; the model loads into a fresh network.
    @Test func checkpointRoundTripsAndResumeContinues() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = folder.appendingPathComponent("images"), masks = folder.appendingPathComponent("masks")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        let examples = try pastedExamples()
        for index in 0..<examples.count {
            try examples.pictures[index].write(to: images.appendingPathComponent("p\(index).png"), format: .png)
            try Image(width: 32, height: 32, channels: 1, pixels: examples.masks[index].map(Float.init))
                .write(to: masks.appendingPathComponent("p\(index).png"), format: .png)
        }
        var job = TrainSegmenterJob(source: .folders(images: images, masks: masks), output: folder.appendingPathComponent("seg.safetensors"))
        job.configuration = tinyConfiguration()
        job.configuration.epochs = 2
        let first = try job.run(JobContext(progress: .quiet))
        #expect(first.epochs.map(\.epoch) == [1, 2])
        for url in [job.output, job.checkpoint, job.log, job.picture(epoch: 1), job.picture(epoch: 2)] {
            #expect(FileManager.default.fileExists(atPath: url.path), "\(url.lastPathComponent)")
        }
        #expect(try SafeTensors.metadata(contentsOf: job.checkpoint)["epoch"] == "2")
        // The checkpoint's weights come back exactly.
        let resumed = try SegmenterTrainer(examples: examples, configuration: job.configuration)
        try resumed.resume(from: job.checkpoint)
        let saved = try SafeTensors.load(contentsOf: job.checkpoint)
        for (name, tensor) in resumed.network.stateDict() {
            #expect(tensor.scalars == saved["model.\(name)"]?.scalars, "\(name)")
        }
        #expect(resumed.epochsDone == 2)
        // The best model loads into a fresh network of the same architecture.
        let network = SegmenterArchitecture.fcdensenet56.makeNetwork()
        try network.load(try SafeTensors.load(contentsOf: job.output), source: job.output.path)
        // `cutout --model seg.safetensors`: a probability per pixel of any photo size.
        let trained = try TrainedSegmenter(contentsOf: job.output)
        let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png")).resized(width: 50, height: 40)
        let mask = trained.mask(of: photo)
        #expect(mask.count == 2000 && mask.allSatisfy { (0...1).contains($0) })
        #expect { try TrainedSegmenter(contentsOf: job.checkpoint) } throws: { "\($0)".contains(job.checkpoint.path) }
        let plain = folder.appendingPathComponent("plain.safetensors")
        try SafeTensors.write(["x": Tensor(zeros: [2])], to: plain)
        #expect { try TrainedSegmenter(contentsOf: plain) } throws: { "\($0)".contains(plain.path) && "\($0)".contains("train-segmenter") }
        // Resumed to 3 epochs: one more epoch, three log rows.
        job.configuration.epochs = 3
        job.resume = job.checkpoint
        let second = try job.run(JobContext(progress: .quiet))
        #expect(second.epochs.map(\.epoch) == [3])
        let rows = try String(contentsOf: job.log, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 4 && rows[0] == "epoch,loss,validation_iou" && rows[3].hasPrefix("3,"))
        // A different architecture is refused in one sentence naming the checkpoint.
        var other = job.configuration
        other.architecture = .unet
        #expect { try SegmenterTrainer(examples: examples, configuration: other).resume(from: job.checkpoint) } throws: {
            "\($0)".contains(job.checkpoint.path) && "\($0)".contains("architecture")
        }
    }

    /// A missing mask, a wrong output name and an unknown model are refused in one sentence.
    @Test func badInputIsRefused() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = SegmenterTrainingConfiguration()
        #expect { try configuration.setArchitecture(named: "fcdensenet99") } throws: { "\($0)".contains("fcdensenet103") }
        try configuration.setArchitecture(named: "UNet")
        #expect(configuration.architecture == .unet)
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png"),
                                         to: images.appendingPathComponent("astronaut.png"))
        let job = TrainSegmenterJob(source: .folders(images: images, masks: folder), output: folder.appendingPathComponent("seg.safetensors"))
        #expect { try job.run(JobContext(progress: .quiet)) } throws: { "\($0)".contains("No mask for") && "\($0)".contains("astronaut.png") }
        let wrongName = TrainSegmenterJob(source: .folders(images: images, masks: folder), output: folder.appendingPathComponent("seg.pt"))
        #expect { try wrongName.run(JobContext(progress: .quiet)) } throws: { "\($0)".contains("seg.pt") }
    }
}
