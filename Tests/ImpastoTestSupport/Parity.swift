import ImpastoTensor
import Testing

/// The largest `|a − b|` over all elements; the shapes must agree.
public func maxAbsDifference(_ a: Tensor, _ b: Tensor, sourceLocation: SourceLocation = #_sourceLocation) -> Float {
    #expect(a.shape == b.shape, sourceLocation: sourceLocation)
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
}

/// Expects `actual` within `fraction` of `expected`'s range everywhere: the parity criterion against a reference.
public func expectClose(_ actual: Tensor, _ expected: Tensor, fraction: Float = 1e-3,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let values = expected.scalars
    let range = values.max()! - values.min()!
    let difference = maxAbsDifference(actual, expected, sourceLocation: sourceLocation)
    #expect(difference <= fraction * range, "max |Δ| \(difference), output range \(range)",
            sourceLocation: sourceLocation)
}
