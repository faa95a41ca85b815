import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

@Test(.onTestDevice) func linearMatchesPyTorch() {
    let reference = OpReference.linear
    let y = linear(reference["input"], weight: reference["weight"], bias: reference["bias"])
    #expect(maxAbsDifference(y, reference["output"]) <= 1e-4)
}

@Test(.onTestDevice) func linearGradients() {
    var g = RandomGenerator(seed: 31)
    let inputs = [Tensor.randomNormal([3, 5], generator: &g), Tensor.randomNormal([4, 5], generator: &g),
                  Tensor.randomNormal([4], generator: &g)]
    let withBias = checkGradients(of: { linear($0[0], weight: $0[1], bias: $0[2]) }, at: inputs)
    #expect(withBias.worstError < 1e-2, "\(withBias)")
    let withoutBias = checkGradients(of: { linear($0[0], weight: $0[1]) }, at: Array(inputs.prefix(2)))
    #expect(withoutBias.worstError < 1e-2, "\(withoutBias)")
    // A frozen layer passes the input gradient only.
    let x = inputs[0].requiringGradient()
    let grads = linear(x, weight: inputs[1], bias: inputs[2]).sum().backward()
    #expect(grads.count == 1 && grads[x] != nil)
}
