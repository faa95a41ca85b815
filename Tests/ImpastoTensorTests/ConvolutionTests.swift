import Testing
@testable import ImpastoTensor

@Test func convolutionGradients() {
    var g = RandomGenerator(seed: 3)
    let x = Tensor.randomNormal([2, 4, 7, 6], generator: &g)
    let w = Tensor.randomNormal([6, 2, 3, 3], standardDeviation: 0.3, generator: &g)
    let b = Tensor.randomNormal([6], generator: &g)
    let r = checkGradients(of: { t in conv2d(t[0], weight: t[1], bias: t[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2) }, at: [x, w, b])
    #expect(r.worstError < 1e-2, "\(r)")
}
