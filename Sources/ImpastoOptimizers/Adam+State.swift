import ImpastoTensor

extension Adam {
    /// The optimizer's state as tensors, named as torch's `state_dict()["state"]` names them
    /// (`<index>.step`, `<index>.exp_avg`, `<index>.exp_avg_sq`, `<index>.max_exp_avg_sq`), for parameters
    /// that have taken a step; with the weights it is what resuming a run needs to continue bit for bit.
    public func stateTensors() -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for (index, state) in states.enumerated() {
            guard let state else { continue }
            tensors["\(index).step"] = Tensor(Float(state.step))
            tensors["\(index).exp_avg"] = state.firstMoment.copy()
            tensors["\(index).exp_avg_sq"] = state.secondMoment.copy()
            if let maximum = state.maximumSecondMoment { tensors["\(index).max_exp_avg_sq"] = maximum.copy() }
        }
        return tensors
    }

    /// Restores state saved by `stateTensors()` for the same parameters; parameters without saved state
    /// start afresh.
    ///
    /// - Throws: `ImpastoError.missingKey` or `.shapeMismatch` (naming `source`) when the state does not fit.
    public func loadState(_ tensors: [String: Tensor], source: String) throws {
        var restored: [State?] = Array(repeating: nil, count: parameters.count)
        for (index, parameter) in parameters.enumerated() {
            guard let step = tensors["\(index).step"] else { continue }
            let state = State(shape: parameter.shape, amsgrad: amsgrad)
            state.step = Double(step.scalar)
            var buffers = [("exp_avg", state.firstMoment), ("exp_avg_sq", state.secondMoment)]
            if let maximum = state.maximumSecondMoment { buffers.append(("max_exp_avg_sq", maximum)) }
            try restore(buffers, ofParameter: index, shape: parameter.shape, from: tensors, source: source)
            restored[index] = state
        }
        states = restored
    }
}
