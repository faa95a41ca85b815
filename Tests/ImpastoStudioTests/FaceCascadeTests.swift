import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
@testable import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

private func scikitImageData(_ name: String) throws -> URL {
    try testWeightsFile("scikit-image-0.26.0/\(name)")
}

@Suite struct FaceCascadeTests {
    /// The seed's rule on hand-made probabilities: only the patterns above 1/45 count, weighted by probability.
    @Test func calibrationAveragesThePatternsAboveChance() throws {
        var probabilities = [Float](repeating: 0.2 / 43, count: 45)
        probabilities[0] = 0.5   // scale 0.83, x −0.17, y −0.17
        probabilities[44] = 0.3  // scale 1.21, x 0.17, y 0.17
        let pattern = try #require(CalibrationPattern.average(probabilities: probabilities[...]))
        #expect(abs(pattern.scale - (0.5 * 0.83 + 0.3 * 1.21) / 0.8) < 1e-6)
        #expect(abs(pattern.x - (0.5 * -0.17 + 0.3 * 0.17) / 0.8) < 1e-6)
        #expect(abs(pattern.y - pattern.x) < 1e-6)
        #expect(CalibrationPattern.average(probabilities: [Float](repeating: 1.0 / 45, count: 45)[...]) == nil)
        // A window moved off a face by pattern n is moved back onto it by pattern n.
        for candidate in CalibrationPattern.all {
            let moved = candidate.perturb(x: 10, y: 20, width: 40, height: 40)
            let back = candidate.adjust(x: moved.x, y: moved.y, width: moved.width, height: moved.height)
            #expect(abs(back.x - 10) < 1e-4 && abs(back.y - 20) < 1e-4 && abs(back.width - 40) < 1e-4)
        }
        #expect(CalibrationPattern.all.count == 45 && Set(CalibrationPattern.all.map(\.scale)) == [0.83, 0.91, 1.0, 1.10, 1.21])
    }

    /// The layer shapes of Li et al.'s table, with fc layers as convolutions over the whole feature map.
    @Test func netsHaveThePapersShapes() {
        let cascade = FaceCascade(batchNorm: true)
        let shapes = Dictionary(uniqueKeysWithValues: cascade.stateDict().map { ($0.name, $0.tensor.shape) })
        #expect(shapes["net12.conv1.weight"] == [16, 1, 3, 3] && shapes["net12.fc1.weight"] == [16, 16, 4, 4] && shapes["net12.fc2.weight"] == [2, 16, 1, 1])
        #expect(shapes["cal12.fc1.weight"] == [128, 16, 4, 4] && shapes["cal12.fc2.weight"] == [45, 128, 1, 1])
        #expect(shapes["net24.conv1.weight"] == [64, 1, 5, 5] && shapes["net24.fc1.weight"] == [128, 64, 9, 9])
        #expect(shapes["cal24.conv1.weight"] == [32, 1, 5, 5] && shapes["cal24.fc1.weight"] == [64, 32, 9, 9])
        #expect(shapes["net48.conv2.weight"] == [64, 64, 5, 5] && shapes["net48.fc1.weight"] == [256, 64, 8, 8] && shapes["net48.norm2.running_var"] == [64])
        #expect(shapes["cal48.fc1.weight"] == [256, 64, 17, 17] && shapes["cal48.fc2.weight"] == [45, 256, 1, 1])
        #expect(FaceCascade(batchNorm: false).stateDict().allSatisfy { !$0.name.contains("norm") })
    }

    /// scikit-image's LFW subset reads as [200, 25, 25] in 0…1; a cut file is refused in one sentence naming it.
    @Test func readsTheLFWSubsetAndRefusesACutOne() throws {
        let url = try scikitImageData("lfw_subset.npy")
        let array = try NumPyArrays.load(contentsOf: url)
        #expect(array.shape == [200, 25, 25])
        #expect(array.scalars.allSatisfy { (0...1).contains($0) } && array.scalars.max()! > 0.9)
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cut = folder.appendingPathComponent("cut.npy")
        try Data(try Data(contentsOf: url).prefix(5000)).write(to: cut)
        #expect {
            try NumPyArrays.load(contentsOf: cut)
        } throws: { error in
            "\(error)".contains(cut.path) && "\(error)".contains("cut short")
        }
        let text = folder.appendingPathComponent("text.npy")
        try Data("not numpy".utf8).write(to: text)
        #expect(throws: ImpastoError.self) { try NumPyArrays.load(contentsOf: text) }
    }

    /// A few seconds of training on the LFW subset and two face-free pictures: the 12-net's loss falls, and the
    /// written file loads back into a detector with the same tensors.
    @Test func trainingLowersTheLossAndTheFileRoundTrips() throws {
        var data = CascadeTrainingData()
        try data.addLFWSubset(try scikitImageData("lfw_subset.npy"))
        try data.addBackgrounds([try scikitImageData("brick.png"), try scikitImageData("coffee.png")])
        var configuration = CascadeTrainingConfiguration()
        (configuration.batchSize, configuration.epochs, configuration.learningRate) = (32, 1, 3e-3)
        let trainer = try CascadeTrainer(data: data, configuration: configuration)
        let losses = trainer.trainNet(.net12, steps: 60)
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(last < 0.8 * first, "12-net loss \(first) → \(last)")

        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cascade.safetensors")
        try trainer.save(to: url)
        let loaded = try CascadeDetector(weights: url)
        for ((name, saved), (_, read)) in zip(trainer.cascade.stateDict(), loaded.cascade.stateDict()) {
            #expect(saved.scalars == read.scalars, "\(name)")
        }
        #expect(try SafeTensors.metadata(contentsOf: url)["data"]?.contains("100 LFW face crops") == true)
    }

    /// The buffer hands on full batches as soon as they fill, the rest at the end.
    @Test func stageBufferHandsOnFullBatches() {
        var seen: [[Int]] = []
        let buffer = StageBuffer<Int>(size: 4) { seen.append($0) }
        for k in 0..<10 { buffer.push(k) }
        #expect(seen == [[0, 1, 2, 3], [4, 5, 6, 7]])
        buffer.finish()
        #expect(seen.last == [8, 9] && buffer.batchSizes == [4, 4, 2])
    }

    /// The staged pipeline finds the same faces whatever the batch size between stages (nets seeded, untrained,
    /// every threshold 0 so that windows reach the last stage), boxes inside the picture's neighbourhood.
    @Test func pipelineDoesNotDependOnTheBatchSize() throws {
        let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png"))
            .resized(width: 64, height: 64)
        let cascade = Initialization.withSeed(3) { FaceCascade(batchNorm: true) }
        var options = CascadeOptions()
        (options.minFaceSize, options.thresholds) = (24, [0, 0, 0])
        let results = [1, 7, 512].map { size in
            options.batchSize = size
            return CascadeDetector(cascade: cascade, options: options).detect(photo)
        }
        #expect(!results[0].isEmpty)
        for result in results.dropFirst() {
            #expect(result.count == results[0].count)
            for (a, b) in zip(result, results[0]) {
                #expect(abs(a.box.x1 - b.box.x1) < 1e-3 && abs(a.box.y2 - b.box.y2) < 1e-3 && abs(a.probability - b.probability) < 1e-5)
            }
        }
        for face in results[0] {
            let box = face.box
            #expect(face.landmarks.isEmpty && box.x2 > box.x1 && box.x1 > -64 && box.x2 < 128)
        }
    }

    /// The cascade needs its weights file, and says so in one sentence; a file of other weights is refused.
    @Test func cascadeWithoutWeightsIsRefused() throws {
        var job = FacesJob(inputs: [repositoryRoot.appendingPathComponent("Examples/images/astronaut.png")])
        job.detector = .cascade
        #expect { try job.validate() } throws: { "\($0)".contains("impasto train-faces") }
        #expect { try CascadeDetector(weights: try testWeightsFile("facenet-pytorch-2.6.0/pnet.pt")) } throws: { error in
            "\(error)".contains("pnet.pt") && "\(error)".contains("face cascade")
        }
    }
}
