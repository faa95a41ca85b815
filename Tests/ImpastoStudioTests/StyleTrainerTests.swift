import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoStudio

/// Real photos (the two in Examples/images) plus crops of them, small, in a fresh folder; and the style image.
private func trainingFolder() throws -> (photos: URL, style: Image) {
    let folder = try temporaryDirectory().appendingPathComponent("photos", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let images = root.appendingPathComponent("Examples/images")
    for name in ["tubingen.jpg", "astronaut.png"] {
        let photo = try Image(contentsOf: images.appendingPathComponent(name)).rgb().resized(longestSide: 96)
        try photo.write(to: folder.appendingPathComponent(name + ".png"), format: .png)
        // Two off-center crops per photo, so the folder holds more than two distinct scenes.
        for (index, corner) in [(0, 0), (photo.width / 3, photo.height / 3)].enumerated() {
            let crop = TrainingPhotos.squareCrop(cropped(photo, left: corner.0, top: corner.1), size: 48)
            try crop.write(to: folder.appendingPathComponent("\(name)-crop\(index).png"), format: .png)
        }
    }
    let style = try Image(contentsOf: images.appendingPathComponent("starry_night.jpg")).resized(longestSide: 48)
    return (folder, style)
}

private let root = repositoryRoot

/// The part of `image` right of `left` and below `top`.
private func cropped(_ image: Image, left: Int, top: Int) -> Image {
    var pixels: [Float] = []
    for channel in 0..<image.channels {
        let plane = Array(image.plane(channel))
        for y in top..<image.height { pixels += plane[(y * image.width + left)..<((y + 1) * image.width)] }
    }
    return Image(width: image.width - left, height: image.height - top, channels: image.channels, pixels: pixels)
}

/// A random-weight VGG-16 loss network, fixed by a seed.
private func randomLossNetwork() -> LossNetwork {
    LossNetwork(Initialization.withSeed(7) { VGG16() })
}

private func smallConfiguration() -> StyleTrainingConfiguration {
    var configuration = StyleTrainingConfiguration()
    configuration.batchSize = 2
    configuration.imageSize = 32
    configuration.seed = 3
    return configuration
}

private func trainer(_ configuration: StyleTrainingConfiguration = smallConfiguration()) throws -> StyleTrainer {
    let (photos, style) = try trainingFolder()
    return try StyleTrainer(style: style,
                            photos: TrainingPhotos(folder: photos, imageSize: configuration.imageSize, seed: configuration.seed),
                            lossNetwork: randomLossNetwork(), configuration: configuration)
}

private func weights(_ model: TransformerNet) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor.scalars) })
}

@Suite("Style training", .serialized)
struct StyleTrainerTests {
    @Test("the total loss falls over 40 iterations")
    func lossFalls() throws {
        let trainer = try trainer()
        let totals = try (0..<40).map { _ in try trainer.step().total }
        let first = totals.prefix(10).reduce(0, +) / 10, last = totals.suffix(10).reduce(0, +) / 10
        #expect(totals.allSatisfy { $0.isFinite })
        #expect(last < 0.7 * first, "first-10 mean \(first), last-10 mean \(last)")
    }

    @Test("snapshots and resume give the weights of an uninterrupted run")
    func resumeMatchesUninterrupted() throws {
        let folder = try temporaryDirectory()
        let whole = try trainer()
        let wholeFiles = TrainingFiles(model: folder.appendingPathComponent("whole.safetensors"))
        try whole.train(iterations: 6, files: wholeFiles, snapshotEvery: 3)
        for path in [wholeFiles.snapshot(3), wholeFiles.grid(3), wholeFiles.model, wholeFiles.checkpoint, wholeFiles.lossLog] {
            #expect(FileManager.default.fileExists(atPath: path.path), "\(path.lastPathComponent)")
        }
        let grid = try Image(contentsOf: wholeFiles.grid(3))
        #expect(grid.width == 4 * 32 && grid.height == 2 * 32)
        let rows = try String(contentsOf: wholeFiles.lossLog, encoding: .utf8).split(separator: "\n")
        #expect(rows.first == Substring(TrainingLosses.csvHeader))
        #expect(rows.dropFirst().map { $0.split(separator: ",").first! } == ["1", "2", "3", "4", "5", "6"])
        #expect(rows.dropFirst().allSatisfy { $0.split(separator: ",").count == 8 })

        let partFiles = TrainingFiles(model: folder.appendingPathComponent("part.safetensors"))
        try trainer().train(iterations: 3, files: partFiles)
        let resumed = try trainer()
        try resumed.resume(from: partFiles.checkpoint)
        #expect(resumed.iteration == 3)
        try resumed.train(iterations: 6, files: partFiles)

        let expected = weights(whole.model), actual = weights(resumed.model)
        var worst: Float = 0
        for (name, values) in expected {
            worst = max(worst, zip(values, actual[name]!).map { abs($0 - $1) }.max() ?? 0)
        }
        #expect(worst <= 1e-6, "max abs weight difference \(worst)")
        let resumedRows = try String(contentsOf: partFiles.lossLog, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(resumedRows.map { $0.split(separator: ",").first! } == ["1", "2", "3", "4", "5", "6"])
        // The saved model loads as a TransformerNet, as `impasto apply --model` will load it.
        let loaded = try TransformerNet(contentsOf: wholeFiles.model)
        #expect(weights(loaded) == expected)
    }

    @Test("each weighted term appears only when asked for")
    func optionsHonoured() throws {
        var configuration = smallConfiguration()
        let plain = try trainer(configuration).step()
        #expect(plain.tv == 0 && plain.heatmap == 0 && plain.noise == 0 && plain.content > 0 && plain.style > 0)
        configuration.tvWeight = 1e-3
        configuration.heatmapWeight = 1
        configuration.noiseWeight = 1
        configuration.noiseSigma = 20
        let all = try trainer(configuration).step()
        #expect(all.tv > 0 && all.heatmap > 0 && all.noise > 0)
        #expect(abs(all.total - (all.content + all.style + all.tv + all.heatmap + all.noise)) <= 1e-3 * all.total)
        configuration.contentWeight = 2e5
        let doubled = try trainer(smallConfiguration().with { $0.contentWeight = 2e5 }).step()
        #expect(abs(doubled.content - 2 * plain.content) <= 1e-4 * doubled.content)
    }

    @Test("a checkpoint from a run with another seed is refused")
    func resumeRefusesOtherSettings() throws {
        let folder = try temporaryDirectory()
        let files = TrainingFiles(model: folder.appendingPathComponent("m.safetensors"))
        try trainer().train(iterations: 1, files: files)
        let other = try trainer(smallConfiguration().with { $0.seed = 4 })
        #expect(throws: ImpastoError.self) { try other.resume(from: files.checkpoint) }
    }

    @Test("Adam's state round-trips through tensors")
    func adamState() throws {
        let trainer = try trainer()
        _ = try trainer.step()
        let url = try temporaryDirectory().appendingPathComponent("c.safetensors")
        try trainer.saveCheckpoint(to: url)
        let tensors = try SafeTensors.load(contentsOf: url)
        #expect(tensors["adam.0.step"]?.scalar == 1)
        #expect(tensors.keys.filter { $0.hasPrefix("adam.") }.count == 3 * trainer.model.parameters().count)
    }
}

private extension StyleTrainingConfiguration {
    func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }
}

@Suite("training photos") struct TrainingPhotosTests {
    /// A 6×4 RGB image whose red sample is the pixel's index, so every crop says where it came from.
    private static let indexed = Image(width: 6, height: 4, channels: 3,
                                       pixels: (0..<24).map(Float.init) + [Float](repeating: 0.5, count: 48))

    @Test("random views are fixed by seed, iteration and slot, and cover crops, zooms and mirror images")
    func randomViews() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photo = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/chelsea.png"))
            .resized(longestSide: 64)
        try photo.write(to: folder.appendingPathComponent("chelsea.png"), format: .png)
        var photos = try TrainingPhotos(folder: folder, imageSize: 32, seed: 5)
        let center = try photos.batch([0, 0], iteration: 3).scalars
        photos.augmentation = true
        let first = try photos.batch([0, 0], iteration: 3).scalars
        #expect(try photos.batch([0, 0], iteration: 3).scalars == first, "the same step gives the same views")
        #expect(first[..<(3 * 32 * 32)] != first[(3 * 32 * 32)...], "the two slots of a step differ")
        #expect(first != center)
        let views = try (0..<8).map { try photos.batch([0], iteration: $0).scalars }
        #expect(Set(views.map { $0.hashValue }).count == 8, "every step draws a new view")
        // Without augmentation (the validation grid) the center crop is kept.
        photos.augmentation = false
        #expect(try photos.batch([0, 0], iteration: 3).scalars == center)
    }

    @Test("a mirrored view is the unmirrored one read right to left, at the offset drawn")
    func mirroring() {
        let plain = TrainingPhotos.crop(Self.indexed, size: 4, zoom: 1) { room in room }
        let mirrored = TrainingPhotos.crop(Self.indexed, size: 4, zoom: 1, mirrored: true) { room in room }
        // Zoom 1 keeps the 6×4 image; the offset takes all the room (2 columns): columns 2…5.
        #expect(Array(plain.plane(0)) == [2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 16, 17, 20, 21, 22, 23])
        #expect(Array(mirrored.plane(0)) == [5, 4, 3, 2, 11, 10, 9, 8, 17, 16, 15, 14, 23, 22, 21, 20])
        #expect(Array(mirrored.plane(1)) == [Float](repeating: 0.5, count: 16))
    }
}
