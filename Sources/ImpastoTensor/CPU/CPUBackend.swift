internal import CDNNL

/// The CPU: oneDNN's primitives (convolutions, activations, inner products, pooling, batch norm, reorders
/// between its blocked layouts) and OpenBLAS's SGEMM, on host memory. Each family's code lives in this
/// folder, one file each; this type only routes the `Backend` requirements to it.
struct CPUBackend: Backend {
    static let shared = CPUBackend()

    var device: Device { .cpu }

    func rowMajorFloat(_ tensor: Tensor) -> Tensor { DNNL.reorderToPlainF32(tensor) }

    func relayout(_ tensor: Tensor, like model: Tensor) -> Tensor { DNNL.reorder(tensor, like: model) }

    func accumulate(_ a: Tensor, _ b: Tensor) -> Tensor {
        if case .dnnl(let x) = a.layout, case .dnnl(let y) = b.layout, a.dtype == .f32, b.dtype == .f32,
           DNNL.equal(x, y) {
            // Same blocked layout: padding is zero in both, so the raw buffers add element by element.
            let result = DNNL.allocate(a.shape, x)
            let n = a.storage.byteCount / 4
            let p = a.storage.hostPointer.assumingMemoryBound(to: Float.self)
            let q = b.storage.hostPointer.assumingMemoryBound(to: Float.self)
            let out = result.storage.hostPointer.assumingMemoryBound(to: Float.self)
            parallelFor(n) { range in for i in range { out[i] = p[i] + q[i] } }
            return result
        }
        return a.zipMap(b, +)
    }

    func convolution(_ geometry: ConvolutionGeometry, _ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        ConvolutionPlan(geometry, hasBias: bias != nil).apply(input, weight, bias)
    }

    func activation(_ function: Activation, _ x: Tensor, rule: ActivationGradientRule?) -> Tensor {
        let (algorithm, alpha, beta, keepsOutput) = function.oneDNN
        return eltwise(x, algorithm, alpha: alpha, beta: beta, keepsOutput: keepsOutput, rule: rule)
    }

    func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        innerProduct(input, weight: weight, bias: bias)
    }

    func pooling(_ plan: PoolingPlan, _ input: Tensor, _ kind: PoolingKind) -> Tensor {
        switch kind {
        case .max: plan.apply(input, dnnl_pooling_max)
        case .average(let includePadding):
            plan.apply(input, includePadding ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding)
        }
    }

    func batchNorm(_ input: Tensor, _ parameters: BatchNormParameters) -> Tensor {
        oneDNNBatchNorm(input.computable, parameters)
    }
}
