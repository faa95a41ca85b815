import ImpastoTensor

extension LBFGS {
    /// One evaluated point of a line search: step length, loss, gradient and directional derivative.
    private struct Trial {
        var step: Double
        var loss: Double
        var gradient: Tensor
        var slope: Float
    }

    /// torch's `_strong_wolfe` (from lswolfe.lua): brackets a step length satisfying the strong Wolfe
    /// conditions along `direction` from the parameters saved in `lineSearchOrigin`, then zooms in on it
    /// with safeguarded cubic interpolation. Returns the best point found and the evaluations spent;
    /// the parameters are left at the origin.
    ///
    /// `toleranceChange` here is torch's default 1e-9, not the optimizer's: `LBFGS.step` does not pass its own.
    func strongWolfe(_ evaluate: () throws -> (loss: Float, gradients: Gradients), step initialStep: Double,
                     loss: Double, gradient: Tensor, slope: Float, maxSteps: Int) rethrows
        -> (loss: Double, gradient: Tensor, step: Double, evaluations: Int) {
        let c1 = 1e-4, c2 = 0.9, toleranceChange = 1e-9
        let directionNorm = direction.absoluteMaximum()
        // The Armijo and curvature tests, in float32 as torch's tensor arithmetic does them.
        func sufficientDecrease(_ trial: Trial) -> Bool {
            !(Float(trial.loss) > Float(loss) + Float(c1 * trial.step) * slope)
        }
        func curvatureHolds(_ trial: Trial) -> Bool { abs(trial.slope) <= Float(-c2) * slope }
        func evaluated(at step: Double) throws -> Trial {
            addToParameters(direction, scaledBy: step)
            let (loss, gradient) = try evaluateFlat(evaluate)
            setParameters(from: lineSearchOrigin)
            return Trial(step: step, loss: loss, gradient: gradient, slope: gradient.dot(direction))
        }

        var current = try evaluated(at: initialStep)
        var evaluations = 1
        var previous = Trial(step: 0, loss: loss, gradient: gradient, slope: slope)
        var bracket: [Trial] = []
        var done = false
        var iterations = 0
        // Bracketing: grow the step until an interval must contain an acceptable one.
        while iterations < maxSteps {
            if !sufficientDecrease(current) || (iterations > 1 && current.loss >= previous.loss) {
                bracket = [previous, current]
                break
            }
            if curvatureHolds(current) {
                bracket = [current]
                done = true
                break
            }
            if current.slope >= 0 {
                bracket = [previous, current]
                break
            }
            let step = current.step
            let next = cubicInterpolate(previous, current,
                                        bounds: (step + 0.01 * (step - previous.step), step * 10))
            previous = current
            current = try evaluated(at: next)
            evaluations += 1
            iterations += 1
        }
        if iterations >= maxSteps {
            bracket = [Trial(step: 0, loss: loss, gradient: gradient, slope: slope), current]
        }

        // Zoom: shrink the bracket until a point satisfies both conditions.
        func ordered() -> (low: Int, high: Int) { bracket[0].loss <= bracket[bracket.count - 1].loss ? (0, 1) : (1, 0) }
        var (low, high) = ordered()
        var insufficientProgress = false
        while !done && iterations < maxSteps {
            let lower = min(bracket[0].step, bracket[1].step), upper = max(bracket[0].step, bracket[1].step)
            if (upper - lower) * Double(directionNorm) < toleranceChange { break }
            var step = cubicInterpolate(bracket[0], bracket[1])
            // A point too close to an end of the bracket gains little: after two in a row, or one
            // outside it, move it a tenth of the bracket inside.
            let margin = 0.1 * (upper - lower)
            if min(upper - step, step - lower) < margin {
                if insufficientProgress || step >= upper || step <= lower {
                    step = abs(step - upper) < abs(step - lower) ? upper - margin : lower + margin
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }
            let trial = try evaluated(at: step)
            evaluations += 1
            iterations += 1

            if !sufficientDecrease(trial) || trial.loss >= bracket[low].loss {
                bracket[high] = trial
                (low, high) = ordered()
            } else {
                if curvatureHolds(trial) {
                    done = true
                } else if Double(trial.slope) * (bracket[high].step - bracket[low].step) >= 0 {
                    bracket[high] = bracket[low]
                }
                bracket[low] = trial
            }
        }
        let best = bracket[low]
        return (best.loss, best.gradient, best.step, evaluations)
    }

    private func cubicInterpolate(_ a: Trial, _ b: Trial, bounds: (Double, Double)? = nil) -> Double {
        ImpastoOptimizers.cubicInterpolate(x1: a.step, f1: a.loss, g1: Double(a.slope),
                                           x2: b.step, f2: b.loss, g2: Double(b.slope), bounds: bounds)
    }
}

/// The minimiser of the cubic through two points with their values `f` and slopes `g`, clamped to `bounds`
/// (default: between the points), or the bounds' midpoint when the cubic has no minimum: torch's
/// `_cubic_interpolate` (from polyinterp.lua).
func cubicInterpolate(x1: Double, f1: Double, g1: Double, x2: Double, f2: Double, g2: Double,
                      bounds: (Double, Double)? = nil) -> Double {
    let (lower, upper) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
    let d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    let d2Square = d1 * d1 - g1 * g2
    guard d2Square >= 0 else { return (lower + upper) / 2 }
    let d2 = d2Square.squareRoot()
    let minimum = x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, lower), upper)
}
