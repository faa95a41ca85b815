import Foundation

// Max and average pooling on cuDNN. cuDNN pads both sides alike; the geometries whose right padding differs
// (ceil mode adding a window) run on the CPU backend's kernels over the host mirrors.

/// One pooling geometry's descriptors.
final class CUDNNPooling: @unchecked Sendable {
    let x: TensorDescriptor, y: TensorDescriptor
    private let pooling: Descriptor
    private let context: CUDAContext
    private var api: CUDNNAPI { context.libraries.cudnn }

    init(_ plan: PoolingPlan, mode: Int32, context: CUDAContext) {
        self.context = context
        let api = context.libraries.cudnn
        x = TensorDescriptor(api, plan.source)
        y = TensorDescriptor(api, plan.destination)
        var pooling: Descriptor = nil
        api.check(api.cudnnCreatePoolingDescriptor(&pooling), "cudnnCreatePoolingDescriptor")
        let (k, s, p) = (plan.kernel.map { Int32($0) }, plan.strides.map { Int32($0) }, plan.paddingL.map { Int32($0) })
        // NaN propagates through max pooling, as in PyTorch.
        api.check(api.cudnnSetPooling2dDescriptor(pooling, mode, CUDNNConstant.propagateNaN, k[0], k[1], p[0], p[1],
                                                  s[0], s[1]), "cudnnSetPooling2dDescriptor")
        self.pooling = pooling
    }

    deinit { _ = api.cudnnDestroyPoolingDescriptor(pooling) }

    func forward(x px: CUdeviceptr, y py: CUdeviceptr) {
        context.serially {
            api.check(api.cudnnPoolingForward(context.cudnn, pooling, Scale.one, x.handle, UnsafeRawPointer(px.floats()),
                                              Scale.zero, y.handle, py.floats()), "cudnnPoolingForward")
        }
    }

    func backward(y py: CUdeviceptr, dy pdy: CUdeviceptr, x px: CUdeviceptr, dx pdx: CUdeviceptr) {
        context.serially {
            api.check(api.cudnnPoolingBackward(context.cudnn, pooling, Scale.one, y.handle, UnsafeRawPointer(py.floats()),
                                               y.handle, UnsafeRawPointer(pdy.floats()), x.handle,
                                               UnsafeRawPointer(px.floats()), Scale.zero, x.handle, pdx.floats()),
                      "cudnnPoolingBackward")
        }
    }
}

extension CUDABackend {
    func pooling(_ plan: PoolingPlan, _ input: Tensor, _ kind: PoolingKind) -> Tensor {
        guard plan.paddingL == plan.paddingR else { return CPUBackend.shared.pooling(plan, input, kind) }
        let mode = switch kind {
        case .max: CUDNNConstant.maxPooling
        case .average(let includePadding):
            includePadding ? CUDNNConstant.averageIncludingPadding : CUDNNConstant.averageExcludingPadding
        }
        let pooling = context.plans.pooling(plan, mode, context: context)
        let x = readable(input)
        let y = output(plan.destination)
        pooling.forward(x: x.address, y: y.address)
        guard recordsGradient([input]) else { return y.tensor }
        // Detached: the output keeping itself alive through its own backward rule would be a cycle.
        let (savedInput, savedOutput) = (x.tensor, y.tensor.detached())
        return Tensor.record(y.tensor, inputs: [x.tensor]) { grad in
            let dy = readable(grad)
            let dx = output(plan.source)
            pooling.backward(y: readable(savedOutput).address, dy: dy.address, x: readable(savedInput).address,
                             dx: dx.address)
            return [dx.tensor]
        }
    }
}
