/// Finite-difference checking of backward rules, as `torch.autograd.gradcheck` does, adapted to float32.
///
/// The function's output is projected onto a fixed random direction so that one scalar exercises every
/// output element; each input element is then nudged by ±`epsilon` and the central difference is
/// compared with the analytic gradient.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The largest |analytic − numeric| / max(1, |numeric|) seen, over all checked elements.
    public let worstError: Float
    /// Where it occurred: input index, flat element index, analytic and numeric values.
    public let worstAt: (input: Int, element: Int, analytic: Float, numeric: Float)

    public var description: String {
        "worst error \(worstError) at input \(worstAt.input)[\(worstAt.element)]: analytic \(worstAt.analytic), numeric \(worstAt.numeric)"
    }
}

/// Compares `f`'s backward rules with central differences at `inputs`.
///
/// - Parameters:
///   - maxElementsPerInput: checks at most this many elements of each input (spread evenly), to keep
///     large inputs affordable.
public func checkGradients(of f: ([Tensor]) -> Tensor, at inputs: [Tensor], epsilon: Float = 1e-2,
                           maxElementsPerInput: Int = 64, seed: UInt64 = 7) -> GradientCheckResult {
    var generator = RandomGenerator(seed: seed)
    let leaves = inputs.map { $0.copy().requiringGradient() }
    let output = f(leaves)
    let direction = Tensor.randomNormal(output.shape, generator: &generator)
    let projected = (output.plain() * direction).sum()
    let gradients = projected.backward()

    func objective(_ values: [Tensor]) -> Double {
        withoutGradients {
            let out = f(values).plain()
            var total: Double = 0
            let o = out.scalars, d = direction.scalars
            for i in o.indices { total += Double(o[i]) * Double(d[i]) }
            return total
        }
    }

    var worst: Float = 0
    var worstAt = (input: 0, element: 0, analytic: Float(0), numeric: Float(0))
    for (index, leaf) in leaves.enumerated() {
        let analytic = gradients[leaf]?.scalars ?? [Float](repeating: 0, count: leaf.count)
        let step = max(1, leaf.count / maxElementsPerInput)
        for element in stride(from: 0, to: leaf.count, by: step) {
            var values = leaves.map { $0.copy() }
            let base = values[index].scalars[element]
            values[index].mutate { $0[element] = base + epsilon }
            let plus = objective(values)
            values[index].mutate { $0[element] = base - epsilon }
            let minus = objective(values)
            let numeric = Float((plus - minus) / Double(2 * epsilon))
            var error = Swift.abs(analytic[element] - numeric) / max(1, Swift.abs(numeric))
            if !error.isFinite { error = .infinity }  // a NaN anywhere is a failure, never a pass
            if error > worst || (error.isInfinite && worst.isFinite) {
                worst = error
                worstAt = (index, element, analytic[element], numeric)
            }
        }
    }
    return GradientCheckResult(worstError: worst, worstAt: worstAt)
}
