import Foundation
import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

@Test(.onTestDevice) func activationsMatchPyTorch() {
    let reference = OpReference.activations
    let x = reference["input"]
    #expect(maxAbsDifference(leakyRelu(x, negativeSlope: 0.2), reference["leakyRelu"]) <= 1e-4)
    #expect(maxAbsDifference(hardSwish(x), reference["hardSwish"]) <= 1e-4)
    #expect(maxAbsDifference(sigmoid(x), reference["sigmoid"]) <= 1e-4)
    #expect(maxAbsDifference(tanh(x), reference["tanh"]) <= 1e-4)
    #expect(relu(x).scalars == x.scalars.map { max($0, 0) })
    // The Tensor overload leaves Foundation's alone.
    let number: Double = tanh(0.5)
    #expect(abs(number - 0.46211715726) < 1e-9)
}

@Test(.onTestDevice) func activationGradients() {
    var g = RandomGenerator(seed: 21)
    // Kinks at 0 and ±3 are kept clear of the finite-difference steps.
    let x = Tensor.randomUniform([2, 3, 4, 5], in: 0.05...2.5, generator: &g)
        * Tensor.randomUniform([2, 3, 4, 5], generator: &g).map { $0 < 0.5 ? -1 : 1 }
    let activations: [(String, (Tensor) -> Tensor)] = [
        ("relu", relu), ("leakyRelu", { leakyRelu($0, negativeSlope: 0.1) }),
        ("leakyRelu negative", { leakyRelu($0, negativeSlope: -0.3) }), ("tanh", tanh), ("sigmoid", sigmoid),
        ("hardSwish", hardSwish),
    ]
    for (name, activation) in activations {
        let result = checkGradients(of: { activation($0[0]) }, at: [x], epsilon: 1e-3)
        #expect(result.worstError < 1e-2, "\(name): \(result)")
    }
}

@Test(.onTestDevice) func activationsKeepLayoutAndType() {
    var g = RandomGenerator(seed: 22)
    let x = Tensor.randomNormal([1, 16, 5, 5], generator: &g).requiringGradient()
    let w = Tensor.randomNormal([16, 16, 3, 3], generator: &g)
    for precision in Precision.allCases {
        let y = conv2d(x, weight: w, padding: (1, 1), precision: precision)
        for activated in [relu(y), tanh(y), sigmoid(y), hardSwish(y), leakyRelu(y)] {
            #expect(testDevice != .cpu || (activated.isBlocked && activated.dtype == precision.dtype))
            #expect(DNNL.equal(DNNL.descriptor(of: activated), DNNL.descriptor(of: y)))
        }
        let gradient = relu(y).sum().backward()[x]!
        #expect(gradient.shape == x.shape)
    }
}
