/// Sums and means, over everything or along axes.
extension Tensor {
    /// The sum of all elements, as a scalar tensor.
    public func sum() -> Tensor {
        let source = plain()
        let x = UnsafePointer(source.floatBuffer.baseAddress!)
        let total = withExtendedLifetime(source) {
            parallelSum(source.count) { range in vectorSum(range, { load16(x, $0) }, { x[$0] }) }
        }
        let result = Tensor(Float(total))
        let inputShape = shape
        return Tensor.record(result, inputs: [self]) { g in
            [Tensor(repeating: g.scalar, shape: inputShape)]
        }
    }

    /// The mean of all elements, as a scalar tensor.
    public func mean() -> Tensor {
        sum() * (1 / Float(Swift.max(count, 1)))
    }

    /// Sums along `axes`; kept as size-1 dimensions when `keepingDimensions` is true.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }
        let kept = shape.enumerated().map { normalized.contains($0.offset) ? 1 : $0.element }
        let reduced = plain().summed(toShape: kept)
        let result = keepingDimensions ? reduced
            : Tensor(shape: shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element),
                     storage: reduced.storage)
        let inputShape = shape
        return Tensor.record(result, inputs: [self]) { g in
            [g.reshaped(kept).zipMap(Tensor(zeros: inputShape)) { a, _ in a }]
        }
    }

    /// Means along `axes`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }
        let n = normalized.map { shape[$0] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(Swift.max(n, 1)))
    }
}

extension Tensor {
    /// Whether every element is finite (no NaN or infinity): what strict weight loading checks.
    public var allFinite: Bool {
        let source = plain()
        return withExtendedLifetime(source) {
            let x = source.floatBuffer
            // A sum of x·0 is NaN exactly when some x is NaN or infinite, and the loop vectorises.
            return parallelSum(x.count) { range in
                var lanes: Float = 0
                for i in range { lanes += x[i] * 0 }
                return Double(lanes)
            } == 0
        }
    }
}
