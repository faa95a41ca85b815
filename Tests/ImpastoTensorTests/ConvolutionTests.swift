import Testing
internal import CDNNL
@testable import ImpastoTensor
import ImpastoTestSupport

@Test(.onTestDevice) func convolutionGradients() {
    var g = RandomGenerator(seed: 3)
    let x = Tensor.randomNormal([2, 4, 7, 6], generator: &g)
    let w = Tensor.randomNormal([6, 2, 3, 3], standardDeviation: 0.3, generator: &g)
    let b = Tensor.randomNormal([6], generator: &g)
    let strided = checkGradients(of: { t in
        conv2d(t[0], weight: t[1], bias: t[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2)
    }, at: [x, w, b])
    #expect(strided.worstError < 1e-2, "\(strided)")
    let depthwise = checkGradients(of: { t in conv2d(t[0], weight: t[1], stride: (2, 2), padding: (1, 1), groups: 4) },
                                   at: [x, Tensor.randomNormal([8, 1, 3, 3], generator: &g)])
    #expect(depthwise.worstError < 1e-2, "\(depthwise)")
    let dense = checkGradients(of: { t in conv2d(t[0], weight: t[1], bias: t[2], padding: (1, 1)) },
                               at: [x, Tensor.randomNormal([5, 4, 3, 3], standardDeviation: 0.3, generator: &g),
                                    Tensor.randomNormal([5], generator: &g)])
    #expect(dense.worstError < 1e-2, "\(dense)")
}

@Test(.onTestDevice) func transposedConvolutionGradients() {
    var g = RandomGenerator(seed: 4)
    let x = Tensor.randomNormal([2, 4, 4, 5], generator: &g)
    let grouped = checkGradients(of: { t in
        convTranspose2d(t[0], weight: t[1], bias: t[2], stride: (2, 2), padding: (1, 0), outputPadding: (1, 1),
                        groups: 2)
    }, at: [x, Tensor.randomNormal([4, 3, 3, 3], standardDeviation: 0.3, generator: &g),
            Tensor.randomNormal([6], generator: &g)])
    #expect(grouped.worstError < 1e-2, "\(grouped)")
    let dilated = checkGradients(of: { t in
        convTranspose2d(t[0], weight: t[1], stride: (1, 2), padding: (2, 1), outputPadding: (0, 1), dilation: (2, 1))
    }, at: [x, Tensor.randomNormal([4, 2, 3, 2], standardDeviation: 0.3, generator: &g)])
    #expect(dilated.worstError < 1e-2, "\(dilated)")
}

@Test(.onTestDevice) func convolutionMatchesPyTorch() {
    let grouped = OpReference.convGrouped
    let y = conv2d(grouped["input"], weight: grouped["weight"], bias: grouped["bias"], stride: (2, 1),
                   padding: (1, 2), dilation: (1, 2), groups: 2)
    #expect(maxAbsDifference(y, grouped["output"]) <= 1e-4)
    let depthwise = OpReference.convDepthwise
    let z = conv2d(depthwise["input"], weight: depthwise["weight"], stride: (2, 2), padding: (1, 1), groups: 3)
    #expect(maxAbsDifference(z, depthwise["output"]) <= 1e-4)
}

@Test(.onTestDevice) func transposedConvolutionMatchesPyTorch() {
    let grouped = OpReference.deconvGrouped
    let y = convTranspose2d(grouped["input"], weight: grouped["weight"], bias: grouped["bias"], stride: (2, 2),
                            padding: (1, 0), outputPadding: (1, 1), groups: 2)
    #expect(maxAbsDifference(y, grouped["output"]) <= 1e-4)
    let dilated = OpReference.deconvDilated
    let z = convTranspose2d(dilated["input"], weight: dilated["weight"], stride: (1, 2), padding: (2, 1),
                            dilation: (2, 1))
    #expect(maxAbsDifference(z, dilated["output"]) <= 1e-4)
}

@Test(.onTestDevice) func bf16ConvolutionIsCloseToFP32() {
    var g = RandomGenerator(seed: 5)
    let x = Tensor.randomNormal([1, 32, 20, 20], generator: &g).requiringGradient()
    let w = Tensor.randomNormal([32, 32, 3, 3], standardDeviation: 0.1, generator: &g)
    let b = Tensor.randomNormal([32], generator: &g)
    let full = conv2d(x, weight: w, bias: b, padding: (1, 1))
    let half = conv2d(x, weight: w, bias: b, padding: (1, 1), precision: .bf16)
    #expect(testDevice != .cpu || (half.dtype == .bf16 && half.isBlocked))
    #expect(relativeDifference(half, full) < 1e-2)
    // bf16 through the backward pass too: the input gradient comes back bf16, close to fp32's.
    var h = RandomGenerator(seed: 6)
    let seed = Tensor.randomNormal(full.shape, generator: &h)
    let fullGradient = full.backward(seed: seed)[x]!
    let halfGradient = half.backward(seed: seed)[x]!
    #expect(halfGradient.dtype == .bf16)
    #expect(relativeDifference(halfGradient, fullGradient) < 2e-2)
    let upsampled = convTranspose2d(x.detached(), weight: w, bias: b, stride: (2, 2), padding: (1, 1),
                                    outputPadding: (1, 1), precision: .bf16)
    #expect(upsampled.dtype == .bf16)
    #expect(relativeDifference(upsampled, convTranspose2d(x.detached(), weight: w, bias: b, stride: (2, 2),
                                                          padding: (1, 1), outputPadding: (1, 1))) < 1e-2)
}

@Test(.onTestDevice) func blockedLayoutFlowsThroughConvReluPool() {
    var g = RandomGenerator(seed: 7)
    let x = Tensor.randomNormal([1, 16, 12, 12], generator: &g)
    let w1 = Tensor.randomNormal([32, 16, 3, 3], standardDeviation: 0.1, generator: &g)
    let w2 = Tensor.randomNormal([32, 32, 3, 3], standardDeviation: 0.1, generator: &g)
    for precision in Precision.allCases {
        let a = conv2d(x, weight: w1, padding: (1, 1), precision: precision)
        let r = relu(a)
        let c = conv2d(r, weight: w2, padding: (1, 1), precision: precision)
        let p = maxPool2d(relu(c), kernelSize: (2, 2))
        for t in [a, r, c, p] {
            #expect(testDevice != .cpu || (t.isBlocked && t.dtype == precision.dtype), "\(precision) \(t.layout)")
        }
        // The same computation with every intermediate converted to plain NCHW float32.
        let plain = maxPool2d(relu(conv2d(relu(conv2d(x, weight: w1, padding: (1, 1), precision: precision)
            .plain()).plain(), weight: w2, padding: (1, 1), precision: precision).plain()).plain(), kernelSize: (2, 2))
        #expect(plain.isPlain)
        #expect(maxAbsDifference(p.plain(), plain) <= (precision == .fp32 ? 1e-5 : 2e-2))
    }
}

@Test(.onTestDevice) func frozenWeightsGetNoGradient() {
    var g = RandomGenerator(seed: 8)
    let x = Tensor.randomNormal([1, 3, 6, 6], generator: &g).requiringGradient()
    let w = Tensor.randomNormal([4, 3, 3, 3], generator: &g)
    let b = Tensor.randomNormal([4], generator: &g)
    let grads = conv2d(x, weight: w, bias: b).sum().backward()
    #expect(grads[x] != nil && grads[w] == nil && grads[b] == nil)
    // A trainable bias alone is summed from the output gradient, without a backward-weights pass.
    let trainableBias = b.requiringGradient()
    let biasOnly = conv2d(x.detached(), weight: w, bias: trainableBias).sum().backward()
    #expect(biasOnly[trainableBias]!.scalars == [Float](repeating: 16, count: 4))
    #expect(biasOnly.count == 1)
}

@Test(.onTestDevice) func primitivesAndConvertedWeightsAreReused() {
    var g = RandomGenerator(seed: 9)
    let x = Tensor.randomNormal([1, 16, 8, 8], generator: &g)
    let w = Tensor.randomNormal([16, 16, 3, 3], generator: &g)
    let plan = ConvolutionPlan(kind: .convolution, source: x.shape, weights: w.shape, weightOrder: dnnl_abcd,
                               destination: [1, 16, 8, 8], stride: (1, 1), padding: (1, 1), paddingAfter: (1, 1), dilation: (1, 1),
                               hasBias: false, dtype: .bf16)
    let forward = plan.forward(training: false)
    #expect(forward === plan.forward(training: false))
    #expect(forward.implementation.contains("bf16"), "\(forward.implementation)")
    let target = forward.descriptor(dnnl_query_weights_md)
    let converted = WeightCache.shared.weights(w, viewedAs: plan.weightSource, in: target)
    #expect(converted.dtype == .bf16)
    #expect(converted === WeightCache.shared.weights(w, viewedAs: plan.weightSource, in: target))
    // Changing the weight in place invalidates its converted copy.
    w.mutate { $0[0] += 1 }
    let reconverted = WeightCache.shared.weights(w, viewedAs: plan.weightSource, in: target)
    #expect(reconverted !== converted)
    #expect(relativeDifference(conv2d(x, weight: w, padding: (1, 1), precision: .bf16),
                               conv2d(x, weight: w, padding: (1, 1))) < 1e-2)
}

/// The few-output path (3 output channels, stride 1, no padding) against oneDNN's convolution, which `conv2d`
/// runs when a gradient is recorded; without one `conv2d` takes the few-output path itself.
@Test(.onTestDevice) func fewOutputConvolutionIsAConvolution() {
    var generator = RandomGenerator(seed: 5)
    let input = Tensor.randomNormal([2, 5, 23, 19], generator: &generator)
    let weight = Tensor.randomNormal([3, 5, 4, 3], generator: &generator)
    let bias = Tensor.randomNormal([3], generator: &generator)
    let expected = conv2d(input, weight: weight.requiringGradient(), bias: bias).scalars
    // Bands of 4 rows, so that rows meet across band edges; and one band for the whole image.
    for bandElements in [3 * 12 * 19 * 7, 1 << 24] {
        let actual = fewOutputConvolution(input, weight: weight, bias: bias, bandElements: bandElements).scalars
        let worst = zip(actual, expected).map { abs($0 - $1) / max(abs($1), 1) }.max()!
        #expect(worst < 1e-5, "\(bandElements): \(worst)")
    }
    #expect(conv2d(input, weight: weight, bias: bias).scalars == fewOutputConvolution(input, weight: weight, bias: bias).scalars)
    #expect(withoutGradients { conv2d(input, weight: weight.requiringGradient(), bias: bias).scalars }
                == fewOutputConvolution(input, weight: weight, bias: bias).scalars)
}
