import Foundation

// Activations and gradient accumulation on Impasto's NVRTC kernels (CUDAKernels.swift).

extension CUDABackend {
    func activation(_ function: Activation, _ x: Tensor, rule: ActivationGradientRule?) -> Tensor {
        let (code, a, b, keepsOutput) = function.cuda
        let source = readable(x)
        let count = x.count
        let y = output(x.shape)
        context.kernels.launch("activation_forward", elements: count, [
            .address(source.address), .address(y.address), .count(count), .code(code.rawValue), .float(a), .float(b),
        ])
        guard recordsGradient([x]) else { return y.tensor }
        // Detached: the output keeping itself alive through its own backward rule would be a cycle.
        let saved = keepsOutput ? y.tensor.detached() : source.tensor.detached()
        return Tensor.record(y.tensor, inputs: [source.tensor]) { grad in
            let standard = {
                let dy = readable(grad), s = readable(saved)
                let dx = output(saved.shape)
                context.kernels.launch("activation_backward", elements: count, [
                    .address(s.address), .address(dy.address), .address(dx.address), .count(count),
                    .code(code.rawValue), .float(a), .float(b),
                ])
                return dx.tensor
            }
            return [rule.map { $0(grad, standard) } ?? standard()]
        }
    }

    func accumulate(_ a: Tensor, _ b: Tensor) -> Tensor {
        guard a.shape == b.shape, !a.isDNNL, !b.isDNNL else { return a.zipMap(b, +) }
        let x = readable(a), y = readable(b)
        let z = output(a.shape)
        context.kernels.launch("add", elements: a.count, [.address(x.address), .address(y.address), .address(z.address),
                                                          .count(a.count)])
        return withExtendedLifetime((x.tensor, y.tensor)) { z.tensor }
    }
}
