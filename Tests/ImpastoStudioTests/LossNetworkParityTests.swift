import Foundation
import ImpastoFormats
import ImpastoModels
import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// The VGG-16 loss network of `impasto train` against pytorch/examples `fast_neural_style`'s: torchvision's
/// `vgg16().features` on `utils.normalize_batch` of a 0…255 crop, activations from scripts/make_vgg16_reference.py,
/// on hashed weights both sides compute. This covers the ImageNet normalisation `LossNetwork` folds into one
/// multiply-add, VGG-16's layer layout and key names, and floor-mode pooling of odd sizes (7 × 5 to 3 × 2).
@Test func vgg16LossNetworkMatchesPyTorch() throws {
    let url = try #require(Bundle.module.url(forResource: "vgg16-reference", withExtension: "safetensors",
                                             subdirectory: "Fixtures"))
    let reference = try SafeTensors.load(contentsOf: url)
    let vgg = VGG16()
    try vgg.load(deterministicVGGWeights(seed: 2, convolutionsPerBlock: [2, 2, 3, 3, 3]), source: "hashed VGG-16")
    let features = withoutGradients {
        LossNetwork(vgg).features(reference["image"]!, layers: LossNetwork.styleLayers)
    }
    for layer in LossNetwork.styleLayers {
        expectClose(try #require(features[layer]), try #require(reference[layer]))
    }
}
