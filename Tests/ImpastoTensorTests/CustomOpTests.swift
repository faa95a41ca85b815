import Testing
import ImpastoTensor

/// ReLU's backward rule swapped for a scope, against values worked out by hand: x = [−1, 2, 3, −4] and an
/// upstream gradient g = [1, −1, 2, 3] (the weights of a weighted sum of relu(x)).
@Test(arguments: [
    (BackwardRules.ReLU.standard, [Float(0), -1, 2, 0]),  // g · [x > 0]
    (.guided, [0, 0, 2, 0]),  // max(g, 0) · [x > 0]
    (.deconvnet, [1, 0, 2, 3]),  // max(g, 0)
])
func reluBackwardRuleCanBeReplacedForAScope(rule: BackwardRules.ReLU, expected: [Float]) {
    let x = Tensor(shape: [1, 1, 2, 2], scalars: [-1, 2, 3, -4]).requiringGradient()
    let g = Tensor(shape: [1, 1, 2, 2], scalars: [1, -1, 2, 3])
    let score = (relu(x) * g).sum()
    let gradient = BackwardRules.$relu.withValue(rule) { score.backward()[x]! }
    #expect(gradient.scalars == expected)
    // Outside the scope the rule is the derivative again.
    let again = (relu(x) * g).sum().backward()[x]!
    #expect(again.scalars == [0, -1, 2, 0])
}

/// x³, defined outside the engine with its own backward rule.
private struct Cube: CustomOp {
    let name = "cube"
    func forward(_ inputs: [Tensor]) -> Tensor { inputs[0] * inputs[0] * inputs[0] }
    func backward(_ inputs: [Tensor], output: Tensor, gradient: Tensor) -> [Tensor?] {
        [gradient * inputs[0] * inputs[0] * 3]
    }
}

@Test func aCustomOpTakesPartInAutograd() {
    let x = Tensor(shape: [3], scalars: [-2, 0.5, 3]).requiringGradient()
    let y = Tensor.apply(Cube(), [x])
    #expect(y.scalars == [-8, 0.125, 27])
    // Composed with built-in ops on both sides: d/dx sum(2 · cube(x)) = 6x².
    let gradient = (Tensor.apply(Cube(), [x]) * 2).sum().backward()[x]!
    #expect(gradient.scalars == [24, 1.5, 54])
    // Without gradients asked for, nothing is recorded.
    #expect(!Tensor.apply(Cube(), [x.detached()]).requiresGrad)
}
