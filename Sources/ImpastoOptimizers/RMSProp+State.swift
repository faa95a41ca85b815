import ImpastoTensor

extension RMSProp {
    /// The optimizer's state as tensors, named as torch's `state_dict()["state"]` names them (`<index>.square_avg`,
    /// `<index>.grad_avg`, `<index>.momentum_buffer`), for parameters that have taken a step: what resuming needs.
    public func stateTensors() -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (index, state) in states.enumerated() {
            guard let state else { continue }
            tensors["\(index).square_avg"] = state.squareAverage.copy()
            if let average = state.gradientAverage { tensors["\(index).grad_avg"] = average.copy() }
            if let buffer = state.momentumBuffer { tensors["\(index).momentum_buffer"] = buffer.copy() }
        }
        return tensors
    }

    /// Restores state saved by `stateTensors()` for the same parameters; parameters without saved state start afresh.
    ///
    /// - Throws: `ImpastoError.missingKey` or `.shapeMismatch` (naming `source`) when the state does not fit.
    public func loadState(_ tensors: [String: Tensor], source: String) throws {
        var restored: [State?] = Array(repeating: nil, count: parameters.count)
        for (index, parameter) in parameters.enumerated() {
            guard tensors["\(index).square_avg"] != nil else { continue }
            let state = State(shape: parameter.shape, centered: centered, momentum: momentum > 0)
            var buffers = [("square_avg", state.squareAverage)]
            if let average = state.gradientAverage { buffers.append(("grad_avg", average)) }
            if let buffer = state.momentumBuffer { buffers.append(("momentum_buffer", buffer)) }
            try restore(buffers, ofParameter: index, shape: parameter.shape, from: tensors, source: source)
            restored[index] = state
        }
        states = restored
    }
}
