// Element-wise activations; each backend runs them in the layout and type it is given.

/// max(x, 0), element-wise. Its backward rule is the one `BackwardRules.relu` names when `backward()` runs.
public func relu(_ x: Tensor) -> Tensor {
    x.backend.activation(.relu, x) { gradient, standard in
        switch BackwardRules.relu {
        case .standard: standard()
        case .guided: relu(standard())  // where the input was positive, and only positive gradients
        case .deconvnet: relu(gradient)  // only positive gradients, wherever the input was
        }
    }
}

/// x for x > 0, `negativeSlope` · x otherwise.
public func leakyRelu(_ x: Tensor, negativeSlope: Float = 0.01) -> Tensor {
    x.backend.activation(.leakyRelu(negativeSlope: negativeSlope), x, rule: nil)
}

/// min(max(x, 0), 6), element-wise (MobileNetV2's activation, PyTorch's `relu6`). Its gradient passes where
/// 0 < x < 6. It is not `relu`, so `BackwardRules.relu` leaves it alone, as captum's guided backpropagation
/// leaves PyTorch's `ReLU6` modules alone.
public func relu6(_ x: Tensor) -> Tensor {
    x.backend.activation(.clip(lower: 0, upper: 6), x, rule: nil)
}

/// The hyperbolic tangent, element-wise. (Foundation's `tanh` on plain numbers is unaffected.)
public func tanh(_ x: Tensor) -> Tensor {
    x.backend.activation(.tanh, x, rule: nil)
}

/// The logistic function 1 / (1 + e^−x), element-wise.
public func sigmoid(_ x: Tensor) -> Tensor {
    x.backend.activation(.sigmoid, x, rule: nil)
}

/// x · relu6(x + 3) / 6, element-wise (MobileNetV3's activation, PyTorch's `hardswish`).
public func hardSwish(_ x: Tensor) -> Tensor {
    x.backend.activation(.hardSwish, x, rule: nil)
}

/// x · Φ(x), Φ the standard normal's distribution function (`F.gelu`: transformers' activation); with
/// `tanhApproximation`, Hendrycks and Gimpel's tanh form (`F.gelu(approximate="tanh")`).
public func gelu(_ x: Tensor, tanhApproximation: Bool = false) -> Tensor {
    x.backend.activation(.gelu(tanhApproximation: tanhApproximation), x, rule: nil)
}
