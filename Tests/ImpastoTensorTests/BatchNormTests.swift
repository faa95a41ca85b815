import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

@Test(.onTestDevice) func batchNormMatchesPyTorch() {
    let inference = OpReference.batchNormInference
    let y = batchNorm(inference["input"], runningMean: inference["runningMean"],
                      runningVariance: inference["runningVariance"], weight: inference["weight"],
                      bias: inference["bias"], training: false)
    #expect(maxAbsDifference(y, inference["output"]) <= 1e-4)

    let training = OpReference.batchNormTraining
    let mean = training["runningMean"], variance = training["runningVariance"]
    let z = batchNorm(training["input"], runningMean: mean, runningVariance: variance, weight: training["weight"],
                      bias: training["bias"], training: true, momentum: 0.1)
    #expect(maxAbsDifference(z, training["output"]) <= 1e-4)
    #expect(maxAbsDifference(mean, training["updatedMean"]) <= 1e-5)
    #expect(maxAbsDifference(variance, training["updatedVariance"]) <= 1e-5)
}

@Test(.onTestDevice) func batchNormGradients() {
    var g = RandomGenerator(seed: 41)
    let x = Tensor.randomNormal([2, 3, 4, 5], mean: 1, standardDeviation: 2, generator: &g)
    let weight = Tensor.randomNormal([3], generator: &g), bias = Tensor.randomNormal([3], generator: &g)
    let trainingMode = checkGradients(of: { t in
        batchNorm(t[0], runningMean: nil, runningVariance: nil, weight: t[1], bias: t[2], training: true)
    }, at: [x, weight, bias])
    #expect(trainingMode.worstError < 1e-2, "\(trainingMode)")
    let mean = Tensor.randomNormal([3], generator: &g)
    let variance = Tensor.randomUniform([3], in: 0.5...2, generator: &g)
    let inferenceMode = checkGradients(of: { t in
        batchNorm(t[0], runningMean: mean, runningVariance: variance, weight: t[1], bias: t[2], training: false)
    }, at: [x, weight, bias])
    #expect(inferenceMode.worstError < 1e-2, "\(inferenceMode)")
    let unscaled = checkGradients(of: { t in
        batchNorm(t[0], runningMean: nil, runningVariance: nil, weight: nil, bias: nil, training: true)
    }, at: [x])
    #expect(unscaled.worstError < 1e-2, "\(unscaled)")
    let features = checkGradients(of: { t in
        batchNorm(t[0], runningMean: nil, runningVariance: nil, weight: t[1], bias: nil, training: true)
    }, at: [Tensor.randomNormal([5, 3], generator: &g), weight])
    #expect(features.worstError < 1e-2, "\(features)")
}

@Test(.onTestDevice) func batchNormRunsInBlockedLayout() {
    var g = RandomGenerator(seed: 42)
    let x = Tensor.randomNormal([2, 16, 5, 5], generator: &g)
    let w = Tensor.randomNormal([16, 16, 3, 3], generator: &g)
    let y = conv2d(x, weight: w, padding: (1, 1))
    let mean = Tensor(zeros: [16]), variance = Tensor(repeating: 1, shape: [16])
    let blocked = batchNorm(y, runningMean: mean, runningVariance: variance, weight: nil, bias: nil, training: true)
    #expect(testDevice != .cpu || blocked.isBlocked, "oneDNN keeps its blocked layout")
    let plain = batchNorm(y.plain(), runningMean: nil, runningVariance: nil, weight: nil, bias: nil, training: true)
    #expect(maxAbsDifference(blocked, plain) <= 1e-4)
}
