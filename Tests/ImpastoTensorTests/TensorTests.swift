import Testing
@testable import ImpastoTensor

@Test func broadcastingAddAndGradient() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).requiringGradient()
    let b = Tensor(shape: [3], scalars: [10, 20, 30]).requiringGradient()
    let y = ((a + b) * a).sum()
    let expected: Float = 11 + 44 + 99 + 56 + 125 + 216
    #expect(y.scalar == expected)
    let grads = y.backward()
    // d/da (a+b)*a = 2a + b ; d/db = sum over rows of a
    #expect(grads[a]!.scalars == [12, 24, 36, 18, 30, 42])
    #expect(grads[b]!.scalars == [5, 7, 9])
}

@Test func matmulGradient() {
    let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).requiringGradient()
    let b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
    let y = Tensor.matmul(a, b)
    #expect(y.scalars == [19, 22, 43, 50])
    let g = y.sum().backward()
    #expect(g[a]!.scalars == [11, 15, 11, 15])
    #expect(g[b] == nil)
}

@Test func elementwiseGradientsMatchFiniteDifferences() {
    var generator = RandomGenerator(seed: 1)
    let a = Tensor.randomUniform([2, 3, 4], in: 0.5...2, generator: &generator)
    let b = Tensor.randomUniform([3, 1], in: 0.5...2, generator: &generator)
    let result = checkGradients(of: { x in ((x[0] / x[1]).exp() + x[0].log() * x[1] + 2).sqrt() }, at: [a, b])
    #expect(result.worstError < 1e-2, "\(result)")
}
