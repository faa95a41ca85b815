import Foundation
import ImpastoFormats
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoModels
@testable import ImpastoStudio

// captum 0.8.0's attributions on torchvision's MobileNetV2 (scripts/make_mobilenet_reference.py), for each
// photo's top-1 class. captum hooks only `nn.ReLU` modules, and MobileNetV2's activations are `nn.ReLU6`, so its
// GuidedBackprop and Deconvolution return the plain gradient there; `relu6` is likewise not `relu` for the
// engine's override, and the same holds here. VGG-19, whose activations are ReLUs, is where the rules differ.

/// The score `impasto explain` attributes: one class's logit.
func classScore(_ model: MobileNetV2, _ target: Int) -> (Tensor) -> Tensor {
    { model($0).sliced(axis: 1, target..<target + 1) }
}

/// Expects `attribution` within `tolerance` of captum's in L1 (Σ|Δ| / Σ|captum| over the sampled positions) and its
/// sums (completeness, for integrated gradients) within 1e-4 relative.
///
/// Why L1 and not the largest difference: a ReLU6 network's input gradient is discontinuous in the last bit of its
/// weights. A unit whose pre-activation lies within rounding of 0 or 6 passes its gradient in one implementation and
/// blocks it in the other, which moves a few pixels by up to 1 % of the largest gradient. PyTorch against itself
/// with its batch norms folded (`fuse_conv_bn_eval`, as Impasto folds them) shows the same: on the astronaut, max
/// |Δ| 1.1 % of max |gradient|, L1 6.1e-5; integrated gradients, which also sample inputs near the black baseline
/// where many units sit near 0, L1 3.5e-4.
func expectMatchesCaptum(_ attribution: Tensor, _ key: String, tolerance: Float = 1e-4,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let values = attribution.scalars
    let expected = mobilenetReference[key]!.scalars
    let indices = mobilenetReference["sample_indices"]!.integers
    let error = zip(indices, expected).map { abs(values[$0] - $1) }.reduce(0, +) / expected.map(abs).reduce(0, +)
    #expect(error <= tolerance, "\(key): Σ|Δ| / Σ|captum| = \(error)", sourceLocation: sourceLocation)
    let sums = mobilenetReference[key + ".sums"]!.scalars
    let total = values.reduce(0, +), magnitude = values.map(abs).reduce(0, +)
    #expect(abs(total - sums[0]) <= 1e-4 * sums[1] && abs(magnitude - sums[1]) <= 1e-4 * sums[1],
            "\(key): sums \(total), \(magnitude) against \(sums)", sourceLocation: sourceLocation)
}

@Test(arguments: ["astronaut", "chelsea", "coffee"])
func attributionsMatchCaptum(_ name: String) throws {
    let model = try torchvisionMobileNetV2()
    let input = try imagenetInput(name)
    let target = Int(mobilenetReference["\(name).target"]!.integers[0])
    let score = classScore(model, target)
    for method in [AttributionMethod.saliency, .guided, .deconvnet] {
        expectMatchesCaptum(Attribution.backpropagation(method, of: score, at: input), "\(name).\(method)")
    }
    expectMatchesCaptum(Attribution.integratedGradients(of: score, at: input, steps: 50, batchSize: 10),
                        "\(name).integrated", tolerance: 1e-3)
    let features = withoutGradients { model(input, keeping: [18]).features[18]! }
    let cam = Attribution.gradCAM(features: features) {
        model.logits(fromFeatures: $0).sliced(axis: 1, target..<target + 1)
    }
    expectClose(cam, mobilenetReference["\(name).gradcam"]!, fraction: 1e-4)
}

@Test func gaussLegendreMatchesNumPy() {
    // numpy.polynomial.legendre.leggauss(n), mapped to [0, 1] as captum maps it.
    let (two, twoWeights) = Attribution.gaussLegendre(2)
    #expect(abs(two[0] - (0.5 - 0.5 / 3.0.squareRoot())) < 1e-15 && abs(two[1] - (0.5 + 0.5 / 3.0.squareRoot())) < 1e-15)
    #expect(twoWeights.allSatisfy { abs($0 - 0.5) < 1e-15 })
    let (three, threeWeights) = Attribution.gaussLegendre(3)
    #expect(abs(three[0] - (0.5 - 0.5 * 0.6.squareRoot())) < 1e-15 && abs(three[1] - 0.5) < 1e-15)
    #expect(abs(threeWeights[0] - 5.0 / 18) < 1e-14 && abs(threeWeights[1] - 8.0 / 18) < 1e-14)
    let (nodes, weights) = Attribution.gaussLegendre(50)
    #expect(abs(weights.reduce(0, +) - 1) < 1e-13 && zip(nodes, nodes.dropFirst()).allSatisfy { $0 < $1 })
    // ∫₀¹ x⁹⁹ dx = 1/100, exact for 50 nodes.
    #expect(abs(zip(nodes, weights).map { pow($0, 99) * $1 }.reduce(0, +) - 0.01) < 1e-14)
}

/// On VGG-19, whose activations are ReLUs, guided backpropagation and deconvnet change the gradient (on this crop
/// by up to 88 % and 126 % of its largest value): the override computes what captum's hooks compute.
@Test func reluRuleOverridesMatchCaptumOnVGG19() throws {
    let url = Bundle.module.url(forResource: "vgg-explain-reference", withExtension: "safetensors", subdirectory: "Fixtures")!
    let reference = try SafeTensors.load(contentsOf: url)
    let file = try pasticheVGG19File()
    let vgg = try VGG19.pretrained(VGG19.weights(contentsOf: file), source: file.path)
    let channel = Int(reference["channel"]!.integers[0])
    let score: (Tensor) -> Tensor = { vgg($0, layers: ["relu4_1"])["relu4_1"]!.sliced(axis: 1, channel..<channel + 1) }
    let input = reference["input"]!
    for (method, key) in [(AttributionMethod.guided, "guided"), (.deconvnet, "deconvnet")] {
        let attribution = Attribution.backpropagation(method, of: score, at: input)
        let expected = reference[key]!
        let error = zip(attribution.scalars, expected.scalars).map { abs($0 - $1) }.reduce(0, +)
            / expected.scalars.map(abs).reduce(0, +)
        #expect(error <= 1e-4, "\(key): Σ|Δ| / Σ|captum| = \(error)")
        #expect(maxAbsDifference(attribution, reference["saliency"]!) > 0.5 * reference["saliency"]!.scalars.map(abs).max()!,
                "\(key) must differ from the plain gradient, or this test proves nothing")
    }
    #expect(maxAbsDifference(Attribution.gradient(of: score, at: input), reference["saliency"]!)
            <= 1e-4 * reference["saliency"]!.scalars.map(abs).max()!)
}
