import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

@Test(.onTestDevice) func poolingOutputSizesFollowPyTorch() {
    // MTCNN's MaxPool2d(2, 2, ceil_mode=True) and MaxPool2d(3, 2, ceil_mode=True).
    #expect(PoolingPlan.outputSize(23, kernel: 2, stride: 2, padding: 0, ceilMode: true) == 12)
    #expect(PoolingPlan.outputSize(23, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 11)
    #expect(PoolingPlan.outputSize(23, kernel: 3, stride: 2, padding: 0, ceilMode: false) == 11)
    #expect(PoolingPlan.outputSize(22, kernel: 3, stride: 2, padding: 0, ceilMode: true) == 11)
    // The last window would start in the right padding: dropped.
    #expect(PoolingPlan.outputSize(5, kernel: 2, stride: 2, padding: 1, ceilMode: true) == 3)
    #expect(PoolingPlan.outputSize(6, kernel: 2, stride: 2, padding: 1, ceilMode: true) == 4)
}

@Test(.onTestDevice) func poolingMatchesPyTorch() {
    let reference = OpReference.pooling
    let x = reference["input"]
    let cases: [(String, Tensor)] = [
        ("maxCeil", maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)),
        ("maxCeil2", maxPool2d(x, kernelSize: (2, 2), ceilMode: true)),
        ("maxPadded", maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)),
        ("avgCeilIncludePad", avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)),
        ("avgCeilExcludePad", avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true,
                                        countIncludePad: false)),
        ("avgCeilUnpadded", avgPool2d(x, kernelSize: (2, 2), ceilMode: true)),
        ("avgFloor", avgPool2d(x, kernelSize: (3, 2), stride: (2, 3), padding: (1, 1))),
    ]
    for (name, output) in cases {
        let expected = reference[name]
        #expect(output.shape == expected.shape, "\(name)")
        if output.shape == expected.shape {
            #expect(maxAbsDifference(output, expected) <= 1e-4, "\(name)")
        }
    }
}

@Test(.onTestDevice) func poolingGradients() {
    var g = RandomGenerator(seed: 11)
    let x = Tensor.randomNormal([2, 3, 7, 9], generator: &g)
    let pools: [(String, (Tensor) -> Tensor)] = [
        ("max ceil", { maxPool2d($0, kernelSize: (3, 3), stride: (2, 2), ceilMode: true) }),
        ("max padded", { maxPool2d($0, kernelSize: (2, 3), stride: (2, 1), padding: (1, 1)) }),
        ("avg include ceil", { avgPool2d($0, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true) }),
        ("avg exclude ceil", {
            avgPool2d($0, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)
        }),
        ("avg unpadded ceil", { avgPool2d($0, kernelSize: (2, 2), ceilMode: true) }),
    ]
    for (name, pool) in pools {
        let result = checkGradients(of: { pool($0[0]) }, at: [x], epsilon: 1e-3)
        #expect(result.worstError < 1e-2, "\(name): \(result)")
    }
}

@Test(.onTestDevice) func poolingKeepsBlockedBF16() {
    var g = RandomGenerator(seed: 12)
    let x = Tensor.randomNormal([1, 16, 9, 9], generator: &g)
    let w = Tensor.randomNormal([16, 16, 1, 1], generator: &g)
    let y = conv2d(x, weight: w, precision: .bf16)
    for pooled in [maxPool2d(y, kernelSize: (3, 3), stride: (2, 2), ceilMode: true),
                   avgPool2d(y, kernelSize: (2, 2), countIncludePad: false)] {
        #expect(testDevice != .cpu || (pooled.dtype == .bf16 && pooled.isBlocked))
    }
    let reference = maxPool2d(y.plain(), kernelSize: (3, 3), stride: (2, 2), ceilMode: true)
    #expect(maxAbsDifference(maxPool2d(y, kernelSize: (3, 3), stride: (2, 2), ceilMode: true), reference) == 0)
}

@Test(.onTestDevice) func maxPoolIndicesRoundTripThroughUnpool() {
    var g = RandomGenerator(seed: 13)
    let x = Tensor.randomUniform([2, 3, 7, 9], in: 0.1...1, generator: &g)
    let (pooled, indices) = maxPool2dWithIndices(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)
    #expect(maxAbsDifference(pooled, maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)) == 0)
    let values = x.scalars, plane = 7 * 9, perPlane = pooled.count / 6
    for (i, index) in indices.enumerated() {
        #expect(values[i / perPlane * plane + Int(index)] == pooled.scalars[i])
    }
    let unpooled = maxUnpool2d(pooled, indices: indices, outputSize: (7, 9))
    #expect(unpooled.shape == x.shape)
    // Every maximum is back where it came from, everything else is zero.
    let restored = unpooled.scalars
    for i in restored.indices { #expect(restored[i] == 0 || restored[i] == values[i]) }
    #expect(maxAbsDifference(maxPool2d(unpooled, kernelSize: (3, 3), stride: (2, 2), ceilMode: true), pooled) == 0)

    let poolCheck = checkGradients(of: { maxPool2dWithIndices($0[0], kernelSize: (2, 2), ceilMode: true).output },
                                   at: [x], epsilon: 1e-3)
    #expect(poolCheck.worstError < 1e-2, "\(poolCheck)")
    let unpoolCheck = checkGradients(of: { maxUnpool2d($0[0], indices: indices, outputSize: (7, 9)) }, at: [pooled])
    #expect(unpoolCheck.worstError < 1e-2, "\(unpoolCheck)")
}
