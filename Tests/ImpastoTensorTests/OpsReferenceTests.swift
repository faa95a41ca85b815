import Testing
@testable import ImpastoTensor

/// A tensor from the PyTorch reference file: its shape and its row-major elements, written as text
/// (a string literal compiles far faster than thousands of float literals).
struct OpsReferenceArray: Sendable {
    let shape: [Int]
    let values: [Float]

    init(_ shape: [Int], _ text: String) {
        self.shape = shape
        values = text.split(separator: " ").map { Float(String($0))! }
    }

    var tensor: Tensor { Tensor(shape: shape, scalars: values) }
}

/// One op applied by PyTorch: its inputs, output, the direction the output was projected on, and the
/// gradients of that projection with respect to each input.
struct OpsReferenceCase: Sendable {
    let inputs: [OpsReferenceArray]
    let output: OpsReferenceArray
    let direction: OpsReferenceArray
    let gradients: [OpsReferenceArray]
}

/// The Impasto op behind each case of scripts/make_ops_reference.py, with the same parameters.
private let opsUnderTest: [String: @Sendable ([Tensor]) -> Tensor] = [
    "instanceNormAffine": { instanceNorm($0[0], weight: $0[1], bias: $0[2]) },
    "instanceNormPlain": { instanceNorm($0[0]) },
    "reflectionPad": { reflectionPad2d($0[0], padding: (left: 2, right: 1, top: 3, bottom: 4)) },
    "replicationPad": { replicationPad2d($0[0], padding: (left: 3, right: 0, top: 1, bottom: 2)) },
    "constantPad": { constantPad2d($0[0], padding: (left: 1, right: 2, top: 0, bottom: 3), value: 0.5) },
    "constantPadCrop": { constantPad2d($0[0], padding: (left: -1, right: 2, top: 1, bottom: -2), value: -1) },
    "nearestScale2": { upsampleNearest2d($0[0], scaleFactor: 2) },
    "nearestScale3": { upsampleNearest2d($0[0], scaleFactor: 3) },
    "nearestSize": { upsampleNearest2d($0[0], size: (8, 3)) },
    "bilinear": { upsampleBilinear2d($0[0], size: (7, 9)) },
    "bilinearAlignCorners": { upsampleBilinear2d($0[0], size: (7, 9), alignCorners: true) },
    "bilinearDown": { upsampleBilinear2d($0[0], size: (4, 3)) },
    "bilinearDownAlignCorners": { upsampleBilinear2d($0[0], size: (4, 3), alignCorners: true) },
    "preluChannels": { prelu($0[0], weight: $0[1]) },
    "preluShared": { prelu($0[0], weight: $0[1]) },
    "concatChannels": { concat($0, axis: 1) },
    "concatLast": { concat($0, axis: -1) },
    "softmaxChannels": { softmax($0[0], axis: 1) },
    "softmaxLast": { softmax($0[0], axis: -1) },
    "logSoftmaxChannels": { logSoftmax($0[0], axis: 1) },
    "logSoftmaxLast": { logSoftmax($0[0], axis: -1) },
    "crossEntropy": { crossEntropy(logits: $0[0], targets: [0, 3, 1, 1, 2]) },
    "mseLoss": { mseLoss($0[0], $0[1]) },
    "l1Loss": { l1Loss($0[0], $0[1]) },
    "gramMatrix": { gramMatrix($0[0]) },
    "totalVariationAbsolute": { totalVariationLoss($0[0]) },
    "totalVariationSquared": { totalVariationLoss($0[0], penalty: .squared) },
]

/// Largest |actual − expected| over the elements.
private func worstDifference(_ actual: Tensor, _ expected: OpsReferenceArray) -> Float {
    #expect(actual.shape == expected.shape)
    return zip(actual.scalars, expected.values).map { abs($0 - $1) }.max() ?? 0
}

@Test func referenceCoversEveryOp() {
    #expect(Set(opsUnderTest.keys) == Set(opsReferenceCases.keys))
    #expect(!opsReferenceTorchVersion.isEmpty)
}

@Test(arguments: opsReferenceCases.keys.sorted())
func opMatchesPyTorch(_ name: String) throws {
    let reference = try #require(opsReferenceCases[name])
    let op = try #require(opsUnderTest[name])
    let inputs = reference.inputs.map { $0.tensor.requiringGradient() }
    let output = op(inputs)
    #expect(worstDifference(output, reference.output) <= 1e-4, "\(name) output")
    let gradients = (output * reference.direction.tensor).sum().backward()
    for (index, (input, expected)) in zip(inputs, reference.gradients).enumerated() {
        let gradient = try #require(gradients[input], "\(name) gradient \(index)")
        #expect(worstDifference(gradient, expected) <= 1e-4, "\(name) gradient \(index)")
    }
}
