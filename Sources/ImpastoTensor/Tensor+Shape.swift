/// Shape manipulation: views (`reshaped` and `slice` of plain tensors; `permuted`, `transposed`, `expanded`
/// and `sliced` of any) where the memory order allows, copies where it does not.
extension Tensor {
    /// The same elements with a new shape; one dimension may be -1 to be inferred. A view of plain
    /// tensors (no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            resolved[inferred] = count / known
        }
        precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        // Any plain tensor keeps its type (indices stay integers); other layouts become plain float32.
        let source = isPlain ? self : plain()
        let result = Tensor(shape: resolved, dtype: source.dtype, storage: source.storage, offset: source.offset)
        let originalShape = shape
        return Tensor.record(result, inputs: [source]) { grad in [grad.reshaped(originalShape)] }
    }

    /// Collapses dimensions `from...` into one (PyTorch's `flatten(start_dim)`).
    public func flattened(from axis: Int = 1) -> Tensor {
        reshaped(Array(shape[..<axis]) + [shape[axis...].reduce(1, *)])
    }

    /// Elements `range` along the first dimension, as a view.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "slice \(range) of \(shape)")
        let source = isPlain ? self : plain()
        let inner = shape.dropFirst().reduce(1, *)
        let result = Tensor(shape: [range.count] + shape.dropFirst(), dtype: source.dtype, storage: source.storage,
                            offset: source.offset + range.lowerBound * inner)
        let fullShape = shape
        return Tensor.record(result, inputs: [source]) { grad in
            let full = Tensor(zeros: fullShape)
            let g = grad.plain()
            full.floatBuffer[(range.lowerBound * inner)..<(range.upperBound * inner)]
                .update(fromContentsOf: g.floatBuffer)
            return [full]
        }
    }

    /// The dimensions reordered by `permutation` (PyTorch's `permute`): a strided view, no copy.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "permutation \(permutation) of rank \(rank)")
        let source = isDNNL ? plain() : self
        let strides = source.elementStrides
        let result = source.view(shape: permutation.map { shape[$0] }, strides: permutation.map { strides[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in permutation.enumerated() { inverse[axis] = position }
        return Tensor.record(result, inputs: [source]) { grad in [grad.permuted(inverse)] }
    }

    /// This tensor repeated along its dimensions of size 1 to `newShape` (PyTorch's `expand`; NumPy's
    /// broadcasting rules, so leading dimensions may be added): a view with stride 0, no copy.
    public func expanded(to newShape: [Int]) -> Tensor {
        precondition(broadcastShape(shape, newShape) == newShape, "cannot expand \(shape) to \(newShape)")
        let source = isDNNL ? plain() : self
        let result = source.view(shape: newShape, strides: source.broadcastElementStrides(to: newShape))
        let originalShape = shape
        return Tensor.record(result, inputs: [source]) { grad in [grad.summed(toShape: originalShape)] }
    }

    /// Elements `range` along `axis` (PyTorch's `narrow`): a view, no copy.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalizedAxis(axis, rank: rank, "sliced")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) of axis \(axis) of \(shape)")
        let source = isDNNL ? plain() : self
        let strides = source.elementStrides
        var newShape = shape
        newShape[axis] = range.count
        let result = source.view(shape: newShape, strides: strides, offset: source.offset + range.lowerBound * strides[axis])
        let size = shape[axis]
        return Tensor.record(result, inputs: [source]) { grad in
            [constantPad(grad, axis: axis, before: range.lowerBound, after: size - range.upperBound)]
        }
    }

    /// A view of this tensor's storage (plain when the strides happen to be row-major), no history.
    func view(shape: [Int], strides: [Int], offset: Int? = nil) -> Tensor {
        let layout: Layout = strides == Tensor.strides(of: shape) ? .plain : .strided(strides)
        return Tensor(shape: shape, dtype: dtype, storage: storage, offset: offset ?? self.offset, layout: layout)
    }

    /// Element strides that read this tensor as if it had `target`'s shape: 0 along broadcast dimensions.
    func broadcastElementStrides(to target: [Int]) -> [Int] {
        broadcastStrides(shape, strides: elementStrides, to: target)
    }

    /// Swaps the last two dimensions: a view.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed() needs rank ≥ 2, got \(shape)")
        var permutation = Array(0..<rank)
        permutation.swapAt(rank - 1, rank - 2)
        return permuted(permutation)
    }

    /// Row-major strides (in elements) of a shape.
    static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }
}
