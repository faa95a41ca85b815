import ImpastoTensor
import Testing
@testable import ImpastoOptimizers

/// What torch did on one problem, as recorded by scripts/make_optimizer_reference.py.
struct Trajectory {
    /// First-order optimizers: the loss each step started from. LBFGS: what each `step` call returned.
    let losses: [Float]
    /// All parameters, flattened and concatenated, after each step.
    let parameters: [[Float]]
    /// LBFGS only: the loss of every closure call, in order.
    var evaluations: [Float] = []
    /// LBFGS only: torch's `state["n_iter"]` and `state["func_evals"]` at the end.
    var iterations = 0
    var functionEvaluations = 0
}

/// The reference problems, built from the same float32 ops as in the generating script.
struct Problem {
    let parameters: [Tensor]
    let loss: () -> Tensor

    /// (1 - x)² + 100 (y - x²)² from (-1.5, 2), x and y separate parameters.
    static func rosenbrock() -> Problem {
        let x = Tensor(shape: [1], scalars: [-1.5]).requiringGradient()
        let y = Tensor(shape: [1], scalars: [2]).requiringGradient()
        return Problem(parameters: [x, y]) { ((1 - x).squared() + 100 * (y - x.squared()).squared()).sum() }
    }

    /// mean(log(1 + exp(z)) - T z) + 0.001 Σ W², z = X W + b.
    static func logistic() -> Problem {
        let inputs = Tensor(shape: [64, 10], scalars: Reference.logisticInputs)
        let targets = Tensor(shape: [64, 2], scalars: Reference.logisticTargets)
        let w = Tensor(shape: [10, 2], scalars: Reference.logisticWeights).requiringGradient()
        let b = Tensor(zeros: [2]).requiringGradient()
        return Problem(parameters: [w, b]) {
            let z = Tensor.matmul(inputs, w) + b
            return ((1 + z.exp()).log() - targets * z).mean() + 0.001 * (w * w).sum()
        }
    }

    var flatParameters: [Float] { parameters.flatMap(\.scalars) }

    /// The loss and its gradients at the current parameters: the LBFGS closure.
    func evaluate() -> (loss: Float, gradients: Gradients) {
        let value = loss()
        return (value.scalar, value.backward())
    }
}

/// Checks `actual` against `expected` element by element: |a - e| ≤ atol + rtol·|e|.
func expectClose(_ actual: [Float], _ expected: [Float], rtol: Float, atol: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)",
            sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated() where !(abs(a - e) <= atol + rtol * abs(e)) {
        Issue.record("\(what)[\(index)]: \(a), expected \(e) (difference \(abs(a - e)))",
                     sourceLocation: sourceLocation)
        return
    }
}

// MARK: - First-order optimizers against torch

/// Runs `steps` updates the way the script does, changing the learning rate before the steps in `schedule`.
func run(_ problem: Problem, steps: Int, schedule: [Int: Double] = [:],
         _ makeOptimizer: ([Tensor]) -> any Optimizer) -> Trajectory {
    let optimizer = makeOptimizer(problem.parameters)
    var losses: [Float] = [], parameters: [[Float]] = []
    for step in 0..<steps {
        if let rate = schedule[step] { optimizer.learningRate = rate }
        let loss = problem.loss()
        optimizer.step(loss.backward())
        losses.append(loss.scalar)
        parameters.append(problem.flatParameters)
    }
    return Trajectory(losses: losses, parameters: parameters)
}

/// Both sides run the same float32 formulas, so they differ only by the rounding of the problem's ops
/// (exp, log, matmul, sums) and of fused versus separate multiply-adds: about 1e-7 relative, which
/// these few steps do not amplify beyond 1e-5.
func expectMatches(_ actual: Trajectory, _ expected: Trajectory, rtol: Float = 2e-5, atol: Float = 2e-7,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual.losses, expected.losses, rtol: rtol, atol: atol, "losses", sourceLocation: sourceLocation)
    for (step, (a, e)) in zip(actual.parameters, expected.parameters).enumerated() {
        expectClose(a, e, rtol: rtol, atol: atol, "parameters after step \(step + 1)", sourceLocation: sourceLocation)
    }
}

@Test func sgdMatchesTorch() {
    expectMatches(run(.logistic(), steps: 10, schedule: [5: 0.25]) { SGD(parameters: $0, learningRate: 0.5) },
                  Reference.sgdPlain)
    expectMatches(run(.logistic(), steps: 10) {
        SGD(parameters: $0, learningRate: 0.2, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)
    }, Reference.sgdMomentum)
    expectMatches(run(.logistic(), steps: 10) {
        SGD(parameters: $0, learningRate: 0.2, momentum: 0.9, weightDecay: 0.01, nesterov: true)
    }, Reference.sgdNesterov)
    expectMatches(run(.rosenbrock(), steps: 20) { SGD(parameters: $0, learningRate: 2e-4, momentum: 0.9) },
                  Reference.sgdRosenbrock)
}

@Test func adamMatchesTorch() {
    expectMatches(run(.logistic(), steps: 10) { Adam(parameters: $0) }, Reference.adamDefault)
    expectMatches(run(.logistic(), steps: 10) {
        Adam(parameters: $0, learningRate: 0.05, betas: (0.8, 0.99), epsilon: 1e-6, weightDecay: 0.01, amsgrad: true)
    }, Reference.adamAMSGrad)
    expectMatches(run(.rosenbrock(), steps: 20) { Adam(parameters: $0, learningRate: 0.05) }, Reference.adamRosenbrock)
}

@Test func rmspropMatchesTorch() {
    expectMatches(run(.logistic(), steps: 10) { RMSProp(parameters: $0) }, Reference.rmspropDefault)
    expectMatches(run(.logistic(), steps: 10) {
        RMSProp(parameters: $0, learningRate: 0.01, alpha: 0.9, epsilon: 1e-6, weightDecay: 0.01, momentum: 0.5,
                centered: true)
    }, Reference.rmspropCentered)
    expectMatches(run(.rosenbrock(), steps: 20) { RMSProp(parameters: $0, learningRate: 0.01) },
                  Reference.rmspropRosenbrock)
}

@Test func parametersWithoutGradientsAreLeftAlone() {
    let used = Tensor(shape: [2], scalars: [1, 2]).requiringGradient()
    let unused = Tensor(shape: [2], scalars: [3, 4]).requiringGradient()
    let optimizer = Adam(parameters: [used, unused], learningRate: 0.1)
    optimizer.step((used * used).sum().backward())
    #expect(unused.scalars == [3, 4])
    #expect(used.scalars.map { ($0 * 1e4).rounded() } == [9000, 19000])  // Adam's first step is lr · sign(g)
}

@Test func largeTensorsUpdateInParallelChunks() {
    // Bigger than the optimizer kernels' chunk (2¹⁵ elements) on any machine with two or more cores; each element is its own problem.
    let count = 3 * (1 << 15) + 5
    let start = (0..<count).map { Float($0 % 97) - 48 }
    let parameter = Tensor(shape: [count], scalars: start).requiringGradient()
    let optimizer = SGD(parameters: [parameter], learningRate: 0.25, momentum: 0.5)
    for _ in 0..<2 { optimizer.step((parameter * parameter).sum().backward()) }
    // g = 2p: p₁ = p - 0.5p = 0.5p; b₁ = 2p, b₂ = 0.5 · 2p + p = 2p, p₂ = 0.5p - 0.5p = 0.
    #expect(parameter.scalars.allSatisfy { $0 == 0 })
}

// MARK: - L-BFGS against torch

/// Runs `steps` LBFGS steps, recording every closure call's loss.
func runLBFGS(_ problem: Problem, steps: Int, _ makeOptimizer: ([Tensor]) -> LBFGS) -> (Trajectory, LBFGS) {
    let optimizer = makeOptimizer(problem.parameters)
    var evaluations: [Float] = [], losses: [Float] = [], parameters: [[Float]] = []
    for _ in 0..<steps {
        losses.append(optimizer.step {
            let result = problem.evaluate()
            evaluations.append(result.loss)
            return result
        })
        parameters.append(problem.flatParameters)
    }
    return (Trajectory(losses: losses, parameters: parameters, evaluations: evaluations,
                       iterations: optimizer.iterationCount, functionEvaluations: optimizer.evaluationCount),
            optimizer)
}

/// Compares an L-BFGS run with torch's.
///
/// Both run the same float32 algorithm, but the rounding of the problem's ops (and of the dot products and
/// line-search scalars, see `LBFGS`) differs in the last bits, and L-BFGS feeds that back through its
/// curvature pairs. So the first `tight` evaluations are compared at rtol 1e-4: up to where the loss
/// reaches float32 noise, or on Rosenbrock, where the ill-conditioned valley amplifies the differences,
/// up to where they have grown past that. After that both sides must still reach the same optimum, but
/// which float32-equal loss ends a run by `toleranceChange`, and so the counts, may differ by
/// `countTolerance`; runs that end by `maxIterations` must match exactly.
func expectMatches(_ actual: Trajectory, _ expected: Trajectory, tight: Int, countTolerance: Int = 0,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(Array(actual.evaluations.prefix(tight)), Array(expected.evaluations.prefix(tight)),
                rtol: 1e-4, atol: 1e-6, "first evaluations", sourceLocation: sourceLocation)
    expectClose(actual.losses, expected.losses, rtol: 1e-4, atol: 1e-6, "step losses", sourceLocation: sourceLocation)
    expectClose(actual.evaluations.suffix(1), expected.evaluations.suffix(1), rtol: 1e-4, atol: 1e-6,
                "last evaluation", sourceLocation: sourceLocation)
    expectClose(actual.parameters.last ?? [], expected.parameters.last ?? [], rtol: 0, atol: 1e-3,
                "final parameters", sourceLocation: sourceLocation)
    #expect(abs(actual.iterations - expected.iterations) <= countTolerance, sourceLocation: sourceLocation)
    #expect(abs(actual.functionEvaluations - expected.functionEvaluations) <= countTolerance,
            sourceLocation: sourceLocation)
    #expect(actual.functionEvaluations == actual.evaluations.count, "one closure call per evaluation",
            sourceLocation: sourceLocation)
}

@Test func lbfgsWithoutLineSearchMatchesTorch() {
    // Three steps of 20 iterations: the second and third start from the state the first left.
    let (trajectory, _) = runLBFGS(.logistic(), steps: 3) { LBFGS(parameters: $0) }
    // The last step ends by toleranceChange, on whichever float32-equal loss repeats first: on a Zen 4 the count
    // matched torch's exactly, on a Sapphire Rapids Xeon (other OpenBLAS and oneDNN kernels) it is one more.
    expectMatches(trajectory, Reference.lbfgsDefault, tight: 20, countTolerance: 1)
}

@Test func lbfgsWithStrongWolfeMatchesTorch() {
    let (logistic, _) = runLBFGS(.logistic(), steps: 2) { LBFGS(parameters: $0, lineSearch: .strongWolfe) }
    expectMatches(logistic, Reference.lbfgsWolfeLogistic, tight: 20, countTolerance: 3)
    let (shortHistory, _) = runLBFGS(.logistic(), steps: 2) {
        LBFGS(parameters: $0, maxIterations: 15, historySize: 3, lineSearch: .strongWolfe)
    }
    expectMatches(shortHistory, Reference.lbfgsShortHistory, tight: 20, countTolerance: 3)
    let (rosenbrock, _) = runLBFGS(.rosenbrock(), steps: 1) {
        LBFGS(parameters: $0, maxIterations: 100, lineSearch: .strongWolfe)
    }
    expectMatches(rosenbrock, Reference.lbfgsWolfeRosenbrock, tight: 16, countTolerance: 8)
}

@Test func lbfgsWithNeuralStyleSettingsMatchesTorch() {
    // One step of N iterations that never stops early: the closure runs exactly N times, and every
    // evaluation stays within float32 noise of torch's even after the loss has converged.
    let (trajectory, optimizer) = runLBFGS(.logistic(), steps: 1) {
        LBFGS(parameters: $0, maxIterations: 40, toleranceGrad: -1, toleranceChange: -1, historySize: 100)
    }
    expectMatches(trajectory, Reference.lbfgsNeuralStyle, tight: 40)
    #expect(optimizer.evaluationCount == 40 && optimizer.iterationCount == 40)
}

@Test func cubicInterpolationFindsTheMinimumOfACubic() {
    // f(x) = x³ - 3x has its local minimum at 1; sampled at 0 and 2, or at 2 and 0.
    #expect(abs(cubicInterpolate(x1: 0, f1: 0, g1: -3, x2: 2, f2: 2, g2: 9) - 1) < 1e-12)
    #expect(abs(cubicInterpolate(x1: 2, f1: 2, g1: 9, x2: 0, f2: 0, g2: -3) - 1) < 1e-12)
    #expect(cubicInterpolate(x1: 0, f1: 0, g1: -3, x2: 2, f2: 2, g2: 9, bounds: (1.5, 3)) == 1.5)
    // Slopes 3 at both ends of a rise of 2: the cubic has no stationary point, so the midpoint.
    #expect(cubicInterpolate(x1: 0, f1: 0, g1: 3, x2: 1, f2: 2, g2: 3) == 0.5)
}
