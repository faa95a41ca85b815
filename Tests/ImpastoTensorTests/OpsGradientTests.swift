import Foundation
import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

// Finite-difference checks of every backward rule in Sources/ImpastoTensor/Ops, on odd shapes, plus
// small exact cases that pin down the index rules.

private func normal(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomNormal(shape, generator: &generator)
}

/// Random values at least 0.1 from zero, so that ±ε nudges never cross a kink (ReLU-like ops, |x|).
private func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    normal(shape, seed: seed).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
}

private func expectGradients(_ f: @escaping ([Tensor]) -> Tensor, at inputs: [Tensor],
                             sourceLocation: SourceLocation = #_sourceLocation) {
    let result = checkGradients(of: f, at: inputs)
    #expect(result.worstError < 1e-2, "\(result)", sourceLocation: sourceLocation)
}

@Test(.onTestDevice) func instanceNormGradients() {
    let x = normal([2, 3, 4, 5], seed: 1), weight = normal([3], seed: 2), bias = normal([3], seed: 3)
    expectGradients({ instanceNorm($0[0], weight: $0[1], bias: $0[2]) }, at: [x, weight, bias])
    expectGradients({ instanceNorm($0[0], weight: $0[1]) }, at: [x, weight])
    expectGradients({ instanceNorm($0[0]) }, at: [normal([1, 2, 3, 3], seed: 4) * 5 + 2])
}

@Test(.onTestDevice) func instanceNormNormalises() {
    let y = instanceNorm(normal([2, 3, 7, 9], seed: 5) * 4 + 3)
    for plane in y.reshaped([6, 63]).scalars.chunked(63) {
        let mean = plane.reduce(0, +) / 63
        let variance = plane.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 63
        #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-3)
    }
}

@Test(.onTestDevice) func paddingGradients() {
    let x = normal([2, 3, 5, 7], seed: 6)
    expectGradients({ reflectionPad2d($0[0], padding: (left: 2, right: 3, top: 1, bottom: 4)) }, at: [x])
    expectGradients({ replicationPad2d($0[0], padding: (left: 1, right: 2, top: 3, bottom: 0)) }, at: [x])
    expectGradients({ constantPad2d($0[0], padding: (left: 2, right: 1, top: 1, bottom: 2), value: 3) }, at: [x])
    expectGradients({ constantPad2d($0[0], padding: (left: -2, right: 1, top: 2, bottom: -3)) }, at: [x])
}

@Test(.onTestDevice) func paddingIndexRules() {
    let x = Tensor(shape: [1, 3], scalars: [1, 2, 3])
    #expect(reflectionPad2d(x, padding: (left: 2, right: 1, top: 0, bottom: 0)).scalars == [3, 2, 1, 2, 3, 2])
    #expect(replicationPad2d(x, padding: (left: 2, right: 1, top: 0, bottom: 0)).scalars == [1, 1, 1, 2, 3, 3])
    #expect(constantPad2d(x, padding: (left: 1, right: -1, top: 1, bottom: 0), value: 9).scalars
            == [9, 9, 9, 9, 1, 2])
    let column = Tensor(shape: [3, 1], scalars: [1, 2, 3])
    #expect(reflectionPad2d(column, padding: (left: 0, right: 0, top: 1, bottom: 2)).scalars == [2, 1, 2, 3, 2, 1])
}

@Test(.onTestDevice) func upsamplingGradients() {
    let x = normal([2, 3, 3, 5], seed: 7)
    expectGradients({ upsampleNearest2d($0[0], scaleFactor: 2) }, at: [x])
    expectGradients({ upsampleNearest2d($0[0], scaleFactor: 3) }, at: [x])
    expectGradients({ upsampleNearest2d($0[0], size: (7, 4)) }, at: [x])
    for alignCorners in [false, true] {
        expectGradients({ upsampleBilinear2d($0[0], size: (7, 11), alignCorners: alignCorners) }, at: [x])
        expectGradients({ upsampleBilinear2d($0[0], size: (2, 3), alignCorners: alignCorners) }, at: [x])
        expectGradients({ upsampleBilinear2d($0[0], size: (1, 1), alignCorners: alignCorners) }, at: [x])
    }
}

@Test(.onTestDevice) func upsamplingIndexRules() {
    let x = Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    #expect(upsampleNearest2d(x, scaleFactor: 2).scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    #expect(upsampleNearest2d(x, size: (1, 3)).scalars == [1, 1, 2])
    // align_corners=False: output 0 of 4 maps to −0.25, clamped to 0; output 1 to 0.25.
    let row = Tensor(shape: [1, 1, 1, 2], scalars: [0, 4])
    #expect(upsampleBilinear2d(row, size: (1, 4)).scalars == [0, 1, 3, 4])
    #expect(upsampleBilinear2d(row, size: (1, 5), alignCorners: true).scalars == [0, 1, 2, 3, 4])
}

@Test(.onTestDevice) func preluGradients() {
    expectGradients({ prelu($0[0], weight: $0[1]) },
                    at: [awayFromZero([2, 3, 4, 5], seed: 8), normal([3], seed: 9)])
    expectGradients({ prelu($0[0], weight: $0[1]) }, at: [awayFromZero([3, 4], seed: 10), normal([1], seed: 11)])
    expectGradients({ prelu($0[0], weight: $0[1]) }, at: [awayFromZero([5], seed: 12), normal([1], seed: 13)])
}

@Test(.onTestDevice) func concatGradients() {
    let a = normal([2, 3, 4], seed: 14), b = normal([2, 1, 4], seed: 15), c = normal([2, 2, 4], seed: 16)
    expectGradients({ concat($0, axis: 1) }, at: [a, b, c])
    expectGradients({ concat($0, axis: 0) }, at: [a, normal([1, 3, 4], seed: 17)])
    expectGradients({ concat($0, axis: -1) }, at: [a, normal([2, 3, 3], seed: 18)])
    expectGradients({ concat($0, axis: 0) }, at: [normal([3], seed: 19), normal([5], seed: 20)])
    #expect(concat([Tensor(shape: [2, 1], scalars: [1, 2]), Tensor(shape: [2, 2], scalars: [3, 4, 5, 6])],
                   axis: 1).scalars == [1, 3, 4, 2, 5, 6])
}

@Test(.onTestDevice) func softmaxGradients() {
    let image = normal([2, 3, 4, 5], seed: 21), matrix = normal([3, 7], seed: 22)
    for op in [softmax, logSoftmax] {
        expectGradients({ op($0[0], 1) }, at: [image])
        expectGradients({ op($0[0], -1) }, at: [matrix])
        expectGradients({ op($0[0], 0) }, at: [matrix])
    }
}

@Test(.onTestDevice) func softmaxIsStableForLargeInputs() {
    let x = Tensor(shape: [1, 3], scalars: [1000, 1001, 1002])
    let p = softmax(x, axis: 1).scalars, log = logSoftmax(x, axis: 1).scalars
    #expect(p.allSatisfy(\.isFinite) && abs(p.reduce(0, +) - 1) < 1e-6)
    #expect(abs(log[2] - -0.40760596) < 1e-5)
}

@Test(.onTestDevice) func lossGradients() {
    let logits = normal([5, 4], seed: 23)
    expectGradients({ crossEntropy(logits: $0[0], targets: [0, 3, 1, 1, 2]) }, at: [logits])
    let a = normal([3, 4, 5], seed: 24), b = normal([3, 4, 5], seed: 25)
    expectGradients({ mseLoss($0[0], $0[1]) }, at: [a, b])
    expectGradients({ l1Loss($0[0], $0[1]) }, at: [a, a + awayFromZero([3, 4, 5], seed: 26)])
}

@Test(.onTestDevice) func gramMatrixGradients() {
    expectGradients({ gramMatrix($0[0]) }, at: [normal([2, 3, 4, 5], seed: 27)])
    expectGradients({ gramMatrix($0[0]) }, at: [normal([1, 5, 3, 3], seed: 28)])
    let f = Tensor(shape: [1, 2, 1, 2], scalars: [1, 2, 3, 4])
    #expect(gramMatrix(f).scalars == [5, 11, 11, 25])
}

@Test(.onTestDevice) func totalVariationGradients() {
    // A checkerboard of ±(1 + noise): every neighbour difference is far from the kink of |Δ| at 0.
    let noise = normal([2, 3, 5, 6], seed: 29).map { 1 + 0.2 * $0 }
    let checkerboard = Tensor(shape: [2, 3, 5, 6]) { buffer in
        for i in buffer.indices { buffer[i] = (i / 6 + i % 6) % 2 == 0 ? 1 : -1 }
    }
    expectGradients({ totalVariationLoss($0[0]) }, at: [noise * checkerboard])
    expectGradients({ totalVariationLoss($0[0], penalty: .squared) }, at: [normal([2, 3, 5, 6], seed: 30)])
    let x = Tensor(shape: [1, 1, 2, 2], scalars: [0, 1, 3, 7])
    #expect(totalVariationLoss(x).scalar == 1 + 6 + 3 + 4)
    #expect(totalVariationLoss(x, penalty: .squared).scalar == 0.5 * (1 + 9))
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

@Test(.onTestDevice) func opsAcceptOtherLayoutsAndTypes() {
    // A bfloat16 input goes through `plain()`; its gradient comes back through the conversion.
    let x = normal([1, 2, 3, 4], seed: 31)
    let stored = DNNL.reorder(x, to: DNNL.plainDescriptor(x.shape, .bf16)).requiringGradient()
    let rounded = stored.plain().detached()
    #expect(reflectionPad2d(stored, padding: (1, 1, 1, 1)).scalars
            == reflectionPad2d(rounded, padding: (1, 1, 1, 1)).scalars)
    let gradient = concat([stored, rounded], axis: 1).sum().backward()[stored]
    #expect(gradient?.dtype == .bf16 && gradient?.scalars == [Float](repeating: 1, count: x.count))
}

@Test(.onTestDevice) func vectorExponentialMatchesLibm() {
    var worst: Float = 0
    for step in -8700...8800 {
        let x = Float(step) / 100
        worst = max(worst, abs(exponential(x) - Foundation.exp(x)) / Foundation.exp(x))
    }
    #expect(worst < 3e-7)
    #expect(exponential(-1000) < 1e-37 && exponential(0) == 1)
}
