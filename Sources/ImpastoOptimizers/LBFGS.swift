import ImpastoTensor

/// Limited-memory BFGS, step for step the algorithm of `torch.optim.LBFGS` (itself a port of minFunc).
///
/// L-BFGS must evaluate the objective several times per step, so `step` takes the objective as a closure
/// rather than one set of gradients, as torch's does. Where torch's closure calls `backward()` and leaves the
/// gradients in `.grad`, ours returns them with the loss:
///
/// ```swift
/// let optimizer = LBFGS(parameters: [image], maxIterations: 500, toleranceGrad: -1, toleranceChange: -1)
/// optimizer.step {
///     let loss = styleLoss(image)
///     print(optimizer.evaluationCount, loss.scalar)   // progress: once per evaluation
///     return (loss.scalar, loss.backward())
/// }
/// ```
///
/// The closure runs once per function evaluation, with the parameters set to the point to evaluate
/// (line-search trials included), so it is the place to report progress; a run of `maxIterations`
/// iterations in one `step` calls it `maxIterations` times without a line search. A parameter the returned
/// gradients do not cover counts as having gradient zero. If the closure throws, the error propagates with
/// the parameters and the optimizer's state partway through the step.
///
/// Everything torch keeps as float32 tensors is float32 here too: the flat gradient, the search direction,
/// the curvature pairs, their dot products, `ρ`, the initial Hessian scale and the directional derivatives,
/// and the Armijo and curvature tests compare in float32 as torch's do. Dot products and sums accumulate in
/// `Double` before rounding to float32 (see `Tensor.dot`), and step lengths and the cubic
/// interpolation are `Double` where torch mixes Python floats with 0-dimensional float32 tensors; both put
/// differences from torch in the last bits, which grow over many iterations only as far as float32
/// rounding noise near a converged point lets them.
public final class LBFGS {
    /// How each iteration chooses its step length.
    public enum LineSearch: Sendable {
        /// A fixed step of `learningRate` along the L-BFGS direction (the first iteration of a run scales it
        /// by `min(1, 1 / ‖g‖₁)`).
        case none
        /// A line search for a step satisfying the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9), with
        /// cubic interpolation: torch's `line_search_fn="strong_wolfe"`.
        case strongWolfe
    }

    /// The tensors updated in place, which L-BFGS treats as one flat vector in this order.
    public let parameters: [Tensor]
    /// The step length before any line search.
    public var learningRate: Double
    /// The most iterations one `step` runs.
    public let maxIterations: Int
    /// The most function evaluations one `step` runs.
    public let maxEvaluations: Int
    /// A step stops when the largest gradient magnitude is at most this (-1 never stops on it).
    public let toleranceGrad: Double
    /// A step stops when the loss or the parameters change by less than this (-1 never stops on it).
    public let toleranceChange: Double
    /// How many curvature pairs approximate the inverse Hessian.
    public let historySize: Int
    /// How step lengths are chosen.
    public let lineSearch: LineSearch
    /// Iterations over all `step` calls so far (torch's `state["n_iter"]`).
    public private(set) var iterationCount = 0
    /// Function evaluations over all `step` calls so far (torch's `state["func_evals"]`).
    public private(set) var evaluationCount = 0

    private let count: Int
    /// The search direction and the step length last taken along it.
    private(set) var direction: Tensor
    private var stepLength: Double = 0
    /// The curvature pairs, oldest first: `y` (change of gradient), `s` (change of parameters), `ρ = 1/(y·s)`.
    private var history: [(y: Tensor, s: Tensor, rho: Float)] = []
    /// A pair of buffers for the next `y` and `s`: a rejected pair, or the one that fell out of the history.
    private var spare: (y: Tensor, s: Tensor)?
    /// `αᵢ` of the two-loop recursion.
    private var alphas: [Float]
    private var hessianDiagonal: Float = 1
    private var previousGradient: Tensor
    private var previousLoss: Double = 0
    /// The parameters where a line search starts.
    private(set) lazy var lineSearchOrigin = Tensor(zeros: [count])

    /// An L-BFGS optimizer over `parameters` with torch's defaults; `maxEvaluations` defaults to
    /// `maxIterations · 5 / 4`.
    public init(parameters: [Tensor], learningRate: Double = 1, maxIterations: Int = 20, maxEvaluations: Int? = nil,
                toleranceGrad: Double = 1e-7, toleranceChange: Double = 1e-9, historySize: Int = 100,
                lineSearch: LineSearch = .none) {
        precondition(learningRate >= 0, "invalid learning rate \(learningRate)")
        precondition(historySize > 0, "invalid history size \(historySize)")
        self.parameters = validated(parameters)
        self.learningRate = learningRate
        self.maxIterations = maxIterations
        self.maxEvaluations = maxEvaluations ?? maxIterations * 5 / 4
        self.toleranceGrad = toleranceGrad
        self.toleranceChange = toleranceChange
        self.historySize = historySize
        self.lineSearch = lineSearch
        count = parameters.reduce(0) { $0 + $1.count }
        direction = Tensor(zeros: [count])
        previousGradient = Tensor(zeros: [count])
        alphas = Array(repeating: 0, count: historySize)
    }

    /// Runs up to `maxIterations` L-BFGS iterations on the objective `evaluate` computes at the current
    /// parameters, and returns the loss of its first evaluation (at the parameters the step started from).
    @discardableResult
    public func step(_ evaluate: () throws -> (loss: Float, gradients: Gradients)) rethrows -> Float {
        var (loss, gradient) = try evaluateFlat(evaluate)
        let originalLoss = Float(loss)
        guard count > 0 else { return originalLoss }
        var evaluations = 1
        evaluationCount += 1
        let toleranceGrad = Float(toleranceGrad)
        var isOptimal = gradient.absoluteMaximum() <= toleranceGrad
        if isOptimal { return originalLoss }

        var iteration = 0
        while iteration < maxIterations {
            iteration += 1
            iterationCount += 1

            if iterationCount == 1 {
                direction.assign(gradient, scaledBy: -1)
                history.removeAll()
                hessianDiagonal = 1
            } else {
                updateHistory(gradient: gradient)
                updateDirection(gradient: gradient)
            }
            previousGradient.assign(gradient)
            previousLoss = loss

            if iterationCount == 1 {
                // torch: min(1, 1 / |g|₁) · lr, a float32 product when the reciprocal wins.
                let reciprocal = 1 / gradient.absoluteSum()
                stepLength = reciprocal < 1 ? Double(reciprocal * Float(learningRate)) : learningRate
            } else {
                stepLength = learningRate
            }
            let slope = gradient.dot(direction)
            if slope > Float(-toleranceChange) { break }

            var newEvaluations = 0
            switch lineSearch {
            case .strongWolfe:
                copyParameters(to: lineSearchOrigin)
                let found = try strongWolfe(evaluate, step: stepLength, loss: loss, gradient: gradient,
                                            slope: slope, maxSteps: maxEvaluations - evaluations)
                (loss, gradient, stepLength, newEvaluations) = found
                addToParameters(direction, scaledBy: stepLength)
                isOptimal = gradient.absoluteMaximum() <= toleranceGrad
            case .none:
                addToParameters(direction, scaledBy: stepLength)
                // As torch: the last iteration does not evaluate again (in a stochastic setting it is wasted).
                if iteration != maxIterations {
                    (loss, gradient) = try evaluateFlat(evaluate)
                    isOptimal = gradient.absoluteMaximum() <= toleranceGrad
                    newEvaluations = 1
                }
            }
            evaluations += newEvaluations
            evaluationCount += newEvaluations

            if iteration == maxIterations || evaluations >= maxEvaluations || isOptimal { break }
            // |d · t|∞ equals |d|∞ · t in float32 too: rounding a product is monotonic in it.
            if direction.absoluteMaximum() * Float(stepLength) <= Float(toleranceChange) { break }
            if abs(loss - previousLoss) < toleranceChange { break }
        }
        return originalLoss
    }

    /// Adds the curvature pair of the last step, `y = g - g_prev` and `s = t · d`, when `y · s > 1e-10`
    /// (keeping the approximation positive definite), dropping the oldest pair when the history is full.
    private func updateHistory(gradient: Tensor) {
        let (y, s) = spare ?? (Tensor(zeros: [count]), Tensor(zeros: [count]))
        spare = nil
        y.assignDifference(gradient, previousGradient)
        s.assign(direction, scaledBy: Float(stepLength))
        let ys = y.dot(s)
        guard ys > 1e-10 else {
            spare = (y, s)
            return
        }
        if history.count == historySize {
            let oldest = history.removeFirst()
            spare = (oldest.y, oldest.s)
        }
        history.append((y, s, 1 / ys))
        hessianDiagonal = ys / y.dot(y)
    }

    /// The two-loop recursion: `direction = -H·g` for the inverse Hessian approximation `H`, built in place.
    private func updateDirection(gradient: Tensor) {
        direction.assign(gradient, scaledBy: -1)
        for i in history.indices.reversed() {
            alphas[i] = history[i].s.dot(direction) * history[i].rho
            direction.add(history[i].y, scaledBy: -alphas[i])
        }
        direction.assign(direction, scaledBy: hessianDiagonal)
        for i in history.indices {
            let beta = history[i].y.dot(direction) * history[i].rho
            direction.add(history[i].s, scaledBy: alphas[i] - beta)
        }
    }

    /// Calls the objective and concatenates the gradients in parameter order (zeros where one is missing).
    func evaluateFlat(_ evaluate: () throws -> (loss: Float, gradients: Gradients)) rethrows
        -> (loss: Double, gradient: Tensor) {
        let (loss, gradients) = try evaluate()
        let flat = Tensor(zeros: [count])
        for (parameter, range) in zip(parameters, flatRanges) {
            guard let gradient = gradients[parameter] else { continue }
            precondition(gradient.shape == parameter.shape,
                         "gradient of shape \(gradient.shape) for a parameter of shape \(parameter.shape)")
            flat.slice(range).assign(gradient, scaledBy: 1)
        }
        return (Double(loss), flat)
    }

    /// Where each parameter lies in the flat vectors.
    private var flatRanges: [Range<Int>] {
        var offset = 0
        return parameters.map { parameter in
            defer { offset += parameter.count }
            return offset..<offset + parameter.count
        }
    }

    /// `parameters += t · vector` in float32, torch's `_add_grad`.
    func addToParameters(_ vector: Tensor, scaledBy t: Double) {
        for (parameter, range) in zip(parameters, flatRanges) { parameter.add(vector.slice(range), scaledBy: Float(t)) }
    }

    /// Copies the parameters into `buffer`, in order.
    func copyParameters(to buffer: Tensor) {
        for (parameter, range) in zip(parameters, flatRanges) { buffer.slice(range).assign(parameter, scaledBy: 1) }
    }

    /// Sets the parameters from `buffer`, in order.
    func setParameters(from buffer: Tensor) {
        for (parameter, range) in zip(parameters, flatRanges) { parameter.assign(buffer.slice(range), scaledBy: 1) }
    }
}
