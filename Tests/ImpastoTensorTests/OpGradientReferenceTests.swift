internal import CDNNL
import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

// The backward passes of the oneDNN-backed ops against PyTorch's autograd: every case of
// scripts/make_op_reference.py records, for each output, a random direction d of its shape and PyTorch's
// gradients of sum(output · d) with respect to the op's input, weight and bias. Each test runs Impasto's
// op with gradients required, back-propagates d and compares every gradient element-wise.

/// Gradients may differ from PyTorch's by this much, relative to the larger of 1 and the largest
/// |PyTorch value| (float32 sums in a different order: ~1e-6 is typical).
private let tolerance: Float = 1e-4

/// max |actual − expected| / max(1, max |expected|); infinite when the shapes differ.
private func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    guard actual.shape == expected.shape else { return .infinity }
    let scale = max(1, expected.scalars.map { abs($0) }.max() ?? 0)
    return maxAbsDifference(actual, expected) / scale
}

/// The reference key of the direction projecting `output`, and of the gradient of that projection with
/// respect to `input` (see scripts/make_op_reference.py).
private func directionKey(_ output: String) -> String {
    output == "output" ? "direction" : output + "Direction"
}

private func gradientKey(_ output: String, _ input: String) -> String {
    output == "output" ? input + "Gradient" : output + input.prefix(1).uppercased() + input.dropFirst() + "Gradient"
}

private func tensor(_ reference: ReferenceCase, _ key: String) throws -> Tensor {
    let entry = try #require(reference.values[key], "no reference value \"\(key)\"")
    return Tensor(shape: entry.shape, scalars: entry.scalars)
}

/// Runs `op` on the reference's `inputs` (each requiring its gradient; any other tensor the op needs it
/// reads from the reference itself), back-propagates the reference direction of `output`, and checks
/// the output and every gradient against PyTorch's.
private func checkAgainstPyTorch(_ label: String, _ reference: ReferenceCase, output: String = "output",
                                 inputs names: [String], _ op: ([Tensor]) -> Tensor) throws {
    let inputs = try names.map { try tensor(reference, $0).requiringGradient() }
    let result = op(inputs)
    let outputError = relativeError(result, try tensor(reference, output))
    #expect(outputError <= tolerance, "\(label): output differs from PyTorch's by \(outputError) (relative)")
    let gradients = result.backward(seed: try tensor(reference, directionKey(output)))
    for (name, input) in zip(names, inputs) {
        let expected = try tensor(reference, gradientKey(output, name))
        // An all-zero reference would let a backward pass that returns zeros through.
        #expect(expected.scalars.contains { $0 != 0 }, "\(label): PyTorch's \(name) gradient is zero")
        let gradient = try #require(gradients[input], "\(label): no \(name) gradient")
        let error = relativeError(gradient, expected)
        #expect(error <= tolerance, "\(label): \(name) gradient differs from PyTorch's by \(error) (relative)")
    }
    #expect(gradients.count == names.count, "\(label): gradients for tensors that did not ask for one")
}

@Test(.onTestDevice) func referenceHasGradientsForEveryOutput() {
    #expect(!OpReference.torchVersion.isEmpty)
    let outputs: [(ReferenceCase, [String], [String])] = [
        (OpReference.convGrouped, ["output"], ["input", "weight", "bias"]),
        (OpReference.convDepthwise, ["output"], ["input", "weight"]),
        (OpReference.deconvGrouped, ["output"], ["input", "weight", "bias"]),
        (OpReference.deconvDilated, ["output"], ["input", "weight"]),
        (OpReference.convWinograd, ["output"], ["input", "weight", "bias"]),
        (OpReference.linear, ["output"], ["input", "weight", "bias"]),
        (OpReference.batchNormInference, ["output"], ["input", "weight", "bias"]),
        (OpReference.batchNormTraining, ["output"], ["input", "weight", "bias"]),
        (OpReference.pooling, poolingVariants, ["input"]),
        (OpReference.activations, referenceActivations.map(\.name), ["input"]),
    ]
    for (reference, names, inputs) in outputs {
        for output in names {
            #expect(reference.values[directionKey(output)]?.shape == reference.values[output]?.shape, "\(output)")
            for input in inputs {
                #expect(reference.values[gradientKey(output, input)]?.shape == reference.values[input]?.shape,
                        "\(output) \(input)")
            }
        }
    }
}

@Test(.onTestDevice) func convolutionGradientsMatchPyTorch() throws {
    try checkAgainstPyTorch("grouped strided dilated conv", OpReference.convGrouped,
                            inputs: ["input", "weight", "bias"]) {
        conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2)
    }
    try checkAgainstPyTorch("depthwise conv", OpReference.convDepthwise, inputs: ["input", "weight"]) {
        conv2d($0[0], weight: $0[1], stride: (2, 2), padding: (1, 1), groups: 3)
    }
    // Weights only, bias only: the backward-weights pass with and without a bias, the bias summed alone.
    let grouped = OpReference.convGrouped
    try checkAgainstPyTorch("grouped conv, input only", grouped, inputs: ["input"]) {
        conv2d($0[0], weight: grouped["weight"], bias: grouped["bias"], stride: (2, 1), padding: (1, 2),
               dilation: (1, 2), groups: 2)
    }
    try checkAgainstPyTorch("grouped conv, weight only", grouped, inputs: ["weight"]) {
        conv2d(grouped["input"], weight: $0[0], bias: grouped["bias"], stride: (2, 1), padding: (1, 2),
               dilation: (1, 2), groups: 2)
    }
    try checkAgainstPyTorch("grouped conv, bias only", grouped, inputs: ["bias"]) {
        conv2d(grouped["input"], weight: grouped["weight"], bias: $0[0], stride: (2, 1), padding: (1, 2),
               dilation: (1, 2), groups: 2)
    }
}

@Test(.onTestDevice) func transposedConvolutionGradientsMatchPyTorch() throws {
    try checkAgainstPyTorch("grouped transposed conv", OpReference.deconvGrouped, inputs: ["input", "weight", "bias"]) {
        convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 0), outputPadding: (1, 1),
                        groups: 2)
    }
    try checkAgainstPyTorch("dilated transposed conv", OpReference.deconvDilated, inputs: ["input", "weight"]) {
        convTranspose2d($0[0], weight: $0[1], stride: (1, 2), padding: (2, 1), dilation: (2, 1))
    }
}

/// A 3×3 stride-1 float32 convolution runs as Winograd by default (forward and both backward passes);
/// both algorithms must give PyTorch's gradients.
@Test(.onTestDevice, arguments: [true, false])
func winogradConvolutionGradientsMatchPyTorch(winograd: Bool) throws {
    let reference = OpReference.convWinograd
    try ConvolutionAlgorithm.$allowsWinograd.withValue(winograd) {
        try checkAgainstPyTorch("3×3 conv, winograd \(winograd)", reference, inputs: ["input", "weight", "bias"]) {
            conv2d($0[0], weight: $0[1], bias: $0[2], padding: (1, 1))
        }
        let input = reference["input"], weight = reference["weight"]
        let plan = ConvolutionPlan(kind: .convolution, source: input.shape, weights: weight.shape,
                                   weightOrder: dnnl_abcd, destination: input.shape, stride: (1, 1),
                                   padding: (1, 1), paddingAfter: (1, 1), dilation: (1, 1), hasBias: true, dtype: .f32)
        // With Winograd allowed, all three passes run it (oneDNN's jit_wino_4x3 on AVX-512).
        for (pass, primitive) in [("forward", plan.forward(training: true)), ("backward data", plan.backwardData()),
                                  ("backward weights", plan.backwardWeights(bias: true))] {
            #expect(primitive.implementation.contains("wino") == winograd, "\(pass): \(primitive.implementation)")
        }
    }
}

private let poolingVariants = ["maxCeil", "maxCeil2", "maxPadded", "avgCeilIncludePad", "avgCeilExcludePad",
                               "avgCeilUnpadded", "avgFloor"]

/// The Impasto call behind each pooling variant of the reference, with PyTorch's parameters.
private func pool(_ variant: String, _ x: Tensor) -> Tensor {
    switch variant {
    case "maxCeil": maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), ceilMode: true)
    case "maxCeil2": maxPool2d(x, kernelSize: (2, 2), ceilMode: true)
    case "maxPadded": maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)
    case "avgCeilIncludePad": avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true)
    case "avgCeilExcludePad":
        avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), ceilMode: true, countIncludePad: false)
    case "avgCeilUnpadded": avgPool2d(x, kernelSize: (2, 2), ceilMode: true)
    case "avgFloor": avgPool2d(x, kernelSize: (3, 2), stride: (2, 3), padding: (1, 1))
    default: preconditionFailure("unknown pooling variant \(variant)")
    }
}

@Test(.onTestDevice, arguments: poolingVariants)
func poolingGradientsMatchPyTorch(_ variant: String) throws {
    try checkAgainstPyTorch(variant, OpReference.pooling, output: variant, inputs: ["input"]) { pool(variant, $0[0]) }
}

/// The Swift max pooling that also returns indices has a backward rule of its own.
@Test(.onTestDevice, arguments: ["maxCeil", "maxCeil2", "maxPadded"])
func maxPoolWithIndicesGradientsMatchPyTorch(_ variant: String) throws {
    let kernel = variant == "maxCeil2" ? (2, 2) : (3, 3), padding = variant == "maxPadded" ? (1, 1) : (0, 0)
    try checkAgainstPyTorch("\(variant) with indices", OpReference.pooling, output: variant, inputs: ["input"]) {
        maxPool2dWithIndices($0[0], kernelSize: kernel, stride: (2, 2), padding: padding, ceilMode: true).output
    }
}

@Test(.onTestDevice) func linearGradientsMatchPyTorch() throws {
    let reference = OpReference.linear
    try checkAgainstPyTorch("linear", reference, inputs: ["input", "weight", "bias"]) {
        linear($0[0], weight: $0[1], bias: $0[2])
    }
    try checkAgainstPyTorch("linear, weight and bias only", reference, inputs: ["weight", "bias"]) {
        linear(reference["input"], weight: $0[0], bias: $0[1])
    }
}

@Test(.onTestDevice) func batchNormGradientsMatchPyTorch() throws {
    let inference = OpReference.batchNormInference
    try checkAgainstPyTorch("batch norm inference", inference, inputs: ["input", "weight", "bias"]) {
        batchNorm($0[0], runningMean: inference["runningMean"], runningVariance: inference["runningVariance"],
                  weight: $0[1], bias: $0[2], training: false)
    }
    try checkAgainstPyTorch("batch norm inference, input only", inference, inputs: ["input"]) {
        batchNorm($0[0], runningMean: inference["runningMean"], runningVariance: inference["runningVariance"],
                  weight: inference["weight"], bias: inference["bias"], training: false)
    }
    let training = OpReference.batchNormTraining
    try checkAgainstPyTorch("batch norm training", training, inputs: ["input", "weight", "bias"]) {
        batchNorm($0[0], runningMean: training["runningMean"], runningVariance: training["runningVariance"],
                  weight: $0[1], bias: $0[2], training: true, momentum: 0.1)
    }
    try checkAgainstPyTorch("batch norm training, no running statistics", training,
                            inputs: ["input", "weight", "bias"]) {
        batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: $0[1], bias: $0[2], training: true)
    }
    try checkAgainstPyTorch("batch norm training, input only", training, inputs: ["input"]) {
        batchNorm($0[0], runningMean: nil, runningVariance: nil, weight: training["weight"], bias: training["bias"],
                  training: true)
    }
}

/// The Impasto activation behind each output of the activations reference.
private let referenceActivations: [(name: String, apply: @Sendable (Tensor) -> Tensor)] = [
    ("leakyRelu", { leakyRelu($0, negativeSlope: 0.2) }), ("hardSwish", hardSwish), ("sigmoid", sigmoid),
    ("tanh", tanh), ("relu", relu), ("leakyReluNegative", { leakyRelu($0, negativeSlope: -0.3) }),
]

@Test(.onTestDevice, arguments: referenceActivations.map(\.name))
func activationGradientsMatchPyTorch(_ name: String) throws {
    let activation = try #require(referenceActivations.first { $0.name == name }).apply
    try checkAgainstPyTorch(name, OpReference.activations, output: name, inputs: ["input"]) { activation($0[0]) }
}
