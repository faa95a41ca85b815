internal import CDNNL
import Testing
@testable import ImpastoTensor

/// Winograd and direct convolution compute the same function; only rounding differs.
@Test func winogradMatchesDirectConvolution() {
    var generator = RandomGenerator(seed: 11)
    let input = Tensor.randomUniform([1, 64, 24, 20], generator: &generator)
    let weight = Tensor.randomNormal([64, 64, 3, 3], standardDeviation: 0.05, generator: &generator)
    let bias = Tensor.randomNormal([64], generator: &generator)
    let seed = Tensor.randomNormal([1, 64, 24, 20], generator: &generator)

    func run(winograd: Bool) -> (output: [Float], inputGradient: [Float], weightGradient: [Float], algorithm: String) {
        let x = input.requiringGradient(), w = weight.requiringGradient()
        return ConvolutionAlgorithm.$allowsWinograd.withValue(winograd) {
            let output = conv2d(x, weight: w, bias: bias, padding: (1, 1))
            let gradients = output.backward(seed: seed)
            let plan = ConvolutionPlan(kind: .convolution, source: input.shape, weights: weight.shape, weightOrder: dnnl_abcd,
                                       destination: output.shape, stride: (1, 1), padding: (1, 1), paddingAfter: (1, 1), dilation: (1, 1),
                                       hasBias: true, dtype: .f32)
            return (output.scalars, gradients[x]!.scalars, gradients[w]!.scalars, plan.forward(training: true).implementation)
        }
    }
    let winograd = run(winograd: true), direct = run(winograd: false)
    #expect(winograd.algorithm.contains("wino"))
    #expect(!direct.algorithm.contains("wino"))
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        let difference = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        return (difference / b.map { $0 * $0 }.reduce(0, +)).squareRoot()
    }
    #expect(relativeError(winograd.output, direct.output) < 1e-5)
    #expect(relativeError(winograd.inputGradient, direct.inputGradient) < 1e-5)
    #expect(relativeError(winograd.weightGradient, direct.weightGradient) < 1e-5)
}
