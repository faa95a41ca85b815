import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

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
    "conv2dAsymmetricPadding": {
        conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (left: 0, right: 1, top: 1, bottom: 2))
    },
    "conv2dSameDepthwise": {
        let (top, bottom) = samePadding(size: 8, kernel: 3, stride: 2), (left, right) = samePadding(size: 8, kernel: 3, stride: 2)
        return conv2d($0[0], weight: $0[1], stride: (2, 2), padding: (left: left, right: right, top: top, bottom: bottom),
                      groups: 3)
    },
    "conv1d": { conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: (1, 2)) },
    "conv1dDilatedGroups": { conv1d($0[0], weight: $0[1], padding: (2, 2), dilation: 2, groups: 2) },
    "convTranspose1d": { convTranspose1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1) },
    "gelu": { gelu($0[0]) },
    "geluTanh": { gelu($0[0], tanhApproximation: true) },
    "relu6": { relu6($0[0]) },
    "circularPad2d": { circularPad2d($0[0], padding: (left: 2, right: 1, top: 1, bottom: 3)) },
    "layerNorm": { layerNorm($0[0], normalizedShape: [6], weight: $0[1], bias: $0[2]) },
    "layerNormPlain2d": { layerNorm($0[0], normalizedShape: [4, 5]) },
    "matmulBroadcast": { Tensor.matmul($0[0], $0[1]) },
    "matmulVectorLeft": { Tensor.matmul($0[0], $0[1]) },
    "matmulVectorRight": { Tensor.matmul($0[0], $0[1]) },
    "linear3d": { linear($0[0], weight: $0[1], bias: $0[2]) },
    "indexSelect": { indexSelect($0[0], axis: 1, indices: Tensor(shape: [4], integers: [4, 0, 4, 2])) },
    "embedding": { embedding(Tensor(shape: [2, 2], integers: [1, 5, 0, 1], dtype: .i32), weight: $0[0]) },
    "gather": { gather($0[0], axis: 1, indices: Tensor(shape: [3, 2], integers: [0, 0, 3, 1, 2, 2])) },
    "where": { which(Tensor(shape: [3, 1], booleans: [true, false, true]), $0[0], $0[1]) },
    "roll": { roll($0[0], shifts: [1, -2], axes: [1, 2]) },
    "constantPadChannels": { constantPad($0[0], axis: 1, before: 1, after: 2, value: 0.25) },
    "permutedAdd": { $0[0].permuted([2, 1, 0]) + $0[1] },
    "transposedMatmul": { Tensor.matmul($0[0].transposed(), $0[1]) },
    "permutedBatchMatmul": { Tensor.matmul($0[0].permuted([0, 2, 1]), $0[1]) },
    "expandedMultiply": { $0[0].expanded(to: [2, 3, 4]) * $0[1] },
    "narrowedMatmul": { Tensor.matmul($0[0].sliced(axis: 1, 1..<5), $0[1]) },
    "roiAlign": {
        roiAlign($0[0], boxes: roiBoxes, outputSize: (3, 4), spatialScale: 0.5, samplingRatio: -1, aligned: false)
    },
    "roiAlignAligned": {
        roiAlign($0[0], boxes: roiBoxes, outputSize: (2, 2), spatialScale: 1, samplingRatio: 2, aligned: true)
    },
]

/// The boxes of scripts/make_ops_reference.py's ROI_BOXES.
private let roiBoxes = Tensor(shape: [3, 5], scalars: [0, 1.5, 2.2, 8.7, 7.1, 1, 0, 0, 11, 9, 0, -2, 3, 4, 20])

/// Largest |actual − expected| over the elements.
private func worstDifference(_ actual: Tensor, _ expected: OpsReferenceArray) -> Float {
    #expect(actual.shape == expected.shape)
    return zip(actual.scalars, expected.values).map { abs($0 - $1) }.max() ?? 0
}

@Test(.onTestDevice) func referenceCoversEveryOp() {
    #expect(Set(opsUnderTest.keys) == Set(opsReferenceCases.keys))
    #expect(!opsReferenceTorchVersion.isEmpty)
}

@Test(.onTestDevice, arguments: opsReferenceCases.keys.sorted())
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
