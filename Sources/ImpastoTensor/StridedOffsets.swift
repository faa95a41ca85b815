/// An odometer over the positions of `shape` in row-major order that keeps, for each of several operands,
/// the element offset its strides give there: the one index loop behind broadcasting, permutes, gathers
/// and strided copies. Operands may have stride 0 (broadcast) or any other stride (views, transposes).
///
///     var position = StridedOffsets(shape: [2, 3], strides: [[3, 1], [1, 2]])
///     repeat { use(position.offsets[0], position.offsets[1]) } while position.advance()
public struct StridedOffsets {
    public let shape: [Int]
    private let strides: [[Int]]
    /// The current position, one coordinate per dimension.
    public private(set) var index: [Int]
    /// Each operand's element offset at `index`.
    public private(set) var offsets: [Int]

    /// Starts at the `start`-th position in row-major order (0: the origin).
    public init(shape: [Int], strides: [[Int]], start: Int = 0) {
        precondition(strides.allSatisfy { $0.count == shape.count }, "strides \(strides) for shape \(shape)")
        self.shape = shape
        self.strides = strides
        index = [Int](repeating: 0, count: shape.count)
        var remainder = start
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            index[axis] = remainder % shape[axis]
            remainder /= shape[axis]
        }
        let start = index
        offsets = strides.map { operand in zip(start, operand).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// Moves to the next position; false (and back at the origin) after the last one.
    @discardableResult
    public mutating func advance() -> Bool {
        var axis = shape.count - 1
        while axis >= 0 {
            index[axis] += 1
            for operand in offsets.indices { offsets[operand] += strides[operand][axis] }
            if index[axis] < shape[axis] { return true }
            for operand in offsets.indices { offsets[operand] -= strides[operand][axis] * index[axis] }
            index[axis] = 0
            axis -= 1
        }
        return false
    }
}
