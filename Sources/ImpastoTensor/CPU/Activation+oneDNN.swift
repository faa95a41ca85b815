internal import CDNNL

// Activations through oneDNN's eltwise primitive: they run in whatever layout and type they are given
// (nChw16c bf16 straight out of a convolution) and return the same, so a network never reorders
// between its layers. Where the derivative can be read off the output, the backward pass keeps the
// output rather than the input (`*_use_dst_for_bwd`): it is the next layer's input, alive anyway.

extension Activation {
    /// oneDNN's algorithm, its α and β, and whether the backward pass reads the output rather than the input.
    var oneDNN: (algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float, keepsOutput: Bool) {
        switch self {
        case .relu: (dnnl_eltwise_relu_use_dst_for_bwd, 0, 0, true)
        // The output determines the derivative only while the slope keeps its sign.
        case .leakyRelu(let slope): slope > 0 ? (dnnl_eltwise_relu_use_dst_for_bwd, slope, 0, true)
                                              : (dnnl_eltwise_relu, slope, 0, false)
        case .tanh: (dnnl_eltwise_tanh_use_dst_for_bwd, 0, 0, true)
        case .sigmoid: (dnnl_eltwise_logistic_use_dst_for_bwd, 0, 0, true)
        case .hardSwish: (dnnl_eltwise_hardswish, 0, 0, false)
        case .gelu(let tanh): (tanh ? dnnl_eltwise_gelu_tanh : dnnl_eltwise_gelu_erf, 0, 0, false)
        // clip_v2, not clip: its derivative is 0 at both bounds, as PyTorch's (clip passes it at the upper one).
        case .clip(let lower, let upper): (dnnl_eltwise_clip_v2, lower, upper, false)
        }
    }
}

/// One activation through oneDNN. `rule`, when given, decides the input gradient from the output gradient
/// and the standard rule (a closure, so a replacement that ignores it costs nothing).
func eltwise(_ x: Tensor, _ algorithm: dnnl_alg_kind_t, alpha: Float = 0, beta: Float = 0,
                     keepsOutput: Bool, rule: ActivationGradientRule? = nil) -> Tensor {
    let x = x.computable
    let training = recordsGradient([x])
    let data = DNNL.descriptor(of: x)
    let parameters = [Int(algorithm.rawValue), Int(alpha.bitPattern), Int(beta.bitPattern)]
    let forward = PrimitiveCache.shared.primitive(
        for: PrimitiveKey("eltwise.forward", integers: parameters + [training ? 1 : 0], descriptors: [data])) {
        var data = data
        return DNNL.plan("eltwise on \(x.shape)", dnnl_eltwise_desc_t()) { op in
            dnnl_eltwise_forward_desc_init(op, DNNL.propagation(training: training), algorithm, &data, alpha, beta)
        }
    }
    let output = DNNL.allocate(x.shape, data)
    DNNL.execute(forward, [(DNNL_ARG_SRC, x), (DNNL_ARG_DST, output)])
    guard training else { return output }

    // Detached: the output keeping itself alive through its own backward rule would be a cycle.
    let saved = keepsOutput ? output.detached() : x.detached()
    return Tensor.record(output, inputs: [x]) { grad in
        let standard = {
            let backward = PrimitiveCache.shared.primitive(
                for: PrimitiveKey("eltwise.backward", integers: parameters, descriptors: [data])) {
                var data = data, diffData = data
                return DNNL.plan("eltwise backward on \(saved.shape)", dnnl_eltwise_desc_t(), hint: forward) { op in
                    dnnl_eltwise_backward_desc_init(op, algorithm, &diffData, &data, alpha, beta)
                }
            }
            let diffDst = DNNL.reorder(grad, to: data)
            let diffSrc = DNNL.allocate(saved.shape, data)
            DNNL.execute(backward, [(keepsOutput ? DNNL_ARG_DST : DNNL_ARG_SRC, saved),
                                    (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)])
            return diffSrc
        }
        return [rule.map { $0(grad, standard) } ?? standard()]
    }
}

