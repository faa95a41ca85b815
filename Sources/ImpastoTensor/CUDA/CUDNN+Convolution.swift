import Foundation

// Convolutions and transposed convolutions on cuDNN 9's convolution API, NCHW float32 (cuDNN's NHWC kernels
// want NHWC activations end to end, which the engine's NCHW ops do not give them yet). A transposed convolution
// is cuDNN's backward-data pass, as in PyTorch. Each geometry's descriptors and its three algorithms are found
// once (cudnnFind…: every algorithm is timed on the device, as torch.backends.cudnn.benchmark) and cached.

/// cuDNN's enum values (cudnn_graph.h, cudnn_cnn.h) that the backend passes.
enum CUDNNConstant {
    static let nchw: Int32 = 0, float: Int32 = 0
    static let crossCorrelation: Int32 = 1
    static let maxPooling: Int32 = 0, averageIncludingPadding: Int32 = 1, averageExcludingPadding: Int32 = 2
    static let propagateNaN: Int32 = 1
}

/// An NCHW float32 tensor descriptor, destroyed with its owner.
final class TensorDescriptor: @unchecked Sendable {
    let handle: Descriptor
    private let api: CUDNNAPI

    init(_ api: CUDNNAPI, _ shape: [Int]) {
        self.api = api
        var handle: Descriptor = nil
        api.check(api.cudnnCreateTensorDescriptor(&handle), "cudnnCreateTensorDescriptor")
        let dims = shape.map { Int32($0) }
        api.check(api.cudnnSetTensor4dDescriptor(handle, CUDNNConstant.nchw, CUDNNConstant.float,
                                                 dims[0], dims[1], dims[2], dims[3]),
                  "cudnnSetTensor4dDescriptor \(shape)")
        self.handle = handle
    }

    deinit { _ = api.cudnnDestroyTensorDescriptor(handle) }
}

/// Everything cuDNN needs for one convolution geometry. cuDNN's terms: `x` is the convolution's input (the
/// transposed convolution's output), `y` its output, `w` the filter in PyTorch's weight shape.
final class CUDNNConvolution: @unchecked Sendable {
    let x: TensorDescriptor, y: TensorDescriptor, bias: TensorDescriptor
    private let filter: Descriptor, convolution: Descriptor
    private let context: CUDAContext
    private var api: CUDNNAPI { context.libraries.cudnn }
    private var forwardChoice, backwardDataChoice, backwardFilterChoice: ConvolutionAlgorithmPerformance?

    init(_ geometry: ConvolutionGeometry, context: CUDAContext) {
        self.context = context
        let api = context.libraries.cudnn
        let deconvolution = geometry.kind == .deconvolution
        x = TensorDescriptor(api, deconvolution ? geometry.destination : geometry.source)
        y = TensorDescriptor(api, deconvolution ? geometry.source : geometry.destination)
        bias = TensorDescriptor(api, [1, geometry.destination[1], 1, 1])
        var filter: Descriptor = nil, convolution: Descriptor = nil
        let w = geometry.weight.map { Int32($0) }
        api.check(api.cudnnCreateFilterDescriptor(&filter), "cudnnCreateFilterDescriptor")
        api.check(api.cudnnSetFilter4dDescriptor(filter, CUDNNConstant.float, CUDNNConstant.nchw, w[0], w[1], w[2], w[3]),
                  "cudnnSetFilter4dDescriptor \(geometry.weight)")
        api.check(api.cudnnCreateConvolutionDescriptor(&convolution), "cudnnCreateConvolutionDescriptor")
        api.check(api.cudnnSetConvolution2dDescriptor(
            convolution, Int32(geometry.padding.top), Int32(geometry.padding.left), Int32(geometry.stride.0),
            Int32(geometry.stride.1), Int32(geometry.dilation.0), Int32(geometry.dilation.1),
            CUDNNConstant.crossCorrelation, CUDNNConstant.float), "cudnnSetConvolution2dDescriptor")
        api.check(api.cudnnSetConvolutionGroupCount(convolution, Int32(geometry.groups)), "cudnnSetConvolutionGroupCount")
        (self.filter, self.convolution) = (filter, convolution)
    }

    deinit {
        _ = api.cudnnDestroyFilterDescriptor(filter)
        _ = api.cudnnDestroyConvolutionDescriptor(convolution)
    }

    /// The fastest algorithm that ran, from cuDNN's timed list.
    private func fastest(_ find: CUDNNAPI.FindAlgorithm, _ a: Descriptor, _ b: Descriptor, _ c: Descriptor,
                         _ what: String) -> ConvolutionAlgorithmPerformance {
        var results = [ConvolutionAlgorithmPerformance](repeating: .init(), count: 16)
        var returned: Int32 = 0
        results.withUnsafeMutableBytes { bytes in
            api.check(find(context.cudnn, a, b, convolution, c, 16, &returned, bytes.baseAddress!),
                      "finding a \(what) algorithm")
        }
        guard let best = results.prefix(Int(returned)).first(where: { $0.status == 0 }) else {
            preconditionFailure("cuDNN has no \(what) algorithm for this convolution")
        }
        return best
    }

    /// Runs one pass with `choice`'s math type and a workspace from the caching allocator.
    private func run(_ choice: ConvolutionAlgorithmPerformance, _ pass: CUDNNAPI.ConvolutionPass,
                     _ a: Descriptor, _ pa: CUdeviceptr, _ b: Descriptor, _ pb: CUdeviceptr,
                     _ c: Descriptor, _ pc: CUdeviceptr, _ what: String) {
        let workspace = choice.memory > 0 ? context.allocator.allocate(choice.memory) : 0
        defer { if workspace != 0 { context.allocator.give(workspace, byteCount: choice.memory) } }
        api.check(api.cudnnSetConvolutionMathType(convolution, choice.mathType), "cudnnSetConvolutionMathType")
        api.check(pass(context.cudnn, Scale.one, a, UnsafeRawPointer(pa.floats()), b, UnsafeRawPointer(pb.floats()),
                       convolution, choice.algorithm, workspace.floats(), choice.memory, Scale.zero, c, pc.floats()),
                  what)
    }

    /// y = x ⋆ w.
    func forward(x px: CUdeviceptr, w pw: CUdeviceptr, y py: CUdeviceptr) {
        context.serially {
            let choice = forwardChoice ?? fastest(api.cudnnFindConvolutionForwardAlgorithm, x.handle, filter, y.handle,
                                                  "forward")
            forwardChoice = choice
            run(choice, api.cudnnConvolutionForward, x.handle, px, filter, pw, y.handle, py, "cudnnConvolutionForward")
        }
    }

    /// dx from dy (and the transposed convolution's forward pass).
    func backwardData(w pw: CUdeviceptr, dy pdy: CUdeviceptr, dx pdx: CUdeviceptr) {
        context.serially {
            let choice = backwardDataChoice ?? fastest(api.cudnnFindConvolutionBackwardDataAlgorithm, filter,
                                                       y.handle, x.handle, "backward-data")
            backwardDataChoice = choice
            run(choice, api.cudnnConvolutionBackwardData, filter, pw, y.handle, pdy, x.handle, pdx,
                "cudnnConvolutionBackwardData")
        }
    }

    /// dw from x and dy.
    func backwardFilter(x px: CUdeviceptr, dy pdy: CUdeviceptr, dw pdw: CUdeviceptr) {
        context.serially {
            let choice = backwardFilterChoice ?? fastest(api.cudnnFindConvolutionBackwardFilterAlgorithm, x.handle,
                                                         y.handle, filter, "backward-filter")
            backwardFilterChoice = choice
            run(choice, api.cudnnConvolutionBackwardFilter, x.handle, px, y.handle, pdy, filter, pdw,
                "cudnnConvolutionBackwardFilter")
        }
    }

    /// output += bias, broadcast over the batch and the pixels (`output` has `outputShape`'s descriptor).
    func addBias(_ pb: CUdeviceptr, to output: TensorDescriptor, _ po: CUdeviceptr) {
        context.serially {
            api.check(api.cudnnAddTensor(context.cudnn, Scale.one, bias.handle, UnsafeRawPointer(pb.floats()),
                                         Scale.one, output.handle, po.floats()), "cudnnAddTensor")
        }
    }

    /// db = Σ dy over the batch and the pixels.
    func backwardBias(dy pdy: CUdeviceptr, of gradient: TensorDescriptor, db pdb: CUdeviceptr) {
        context.serially {
            api.check(api.cudnnConvolutionBackwardBias(context.cudnn, Scale.one, gradient.handle,
                                                       UnsafeRawPointer(pdy.floats()), Scale.zero, bias.handle,
                                                       pdb.floats()), "cudnnConvolutionBackwardBias")
        }
    }
}

/// cuDNN plans per geometry, for the life of the context.
final class CUDNNPlans: @unchecked Sendable {
    private let lock = NSLock()
    private var convolutions: [[Int]: CUDNNConvolution] = [:]
    private var poolings: [[Int]: CUDNNPooling] = [:]

    func convolution(_ geometry: ConvolutionGeometry, context: CUDAContext) -> CUDNNConvolution {
        let p = geometry.padding
        let key = [geometry.kind == .convolution ? 0 : 1, geometry.groups, p.top, p.left, p.bottom, p.right,
                   geometry.stride.0, geometry.stride.1, geometry.dilation.0, geometry.dilation.1]
            + geometry.source + geometry.destination + geometry.weight
        lock.lock()
        defer { lock.unlock() }
        if let plan = convolutions[key] { return plan }
        let plan = CUDNNConvolution(geometry, context: context)
        convolutions[key] = plan
        return plan
    }

    func pooling(_ plan: PoolingPlan, _ mode: Int32, context: CUDAContext) -> CUDNNPooling {
        let key = [Int(mode)] + plan.source + plan.destination + (plan.kernel + plan.strides + plan.paddingL).map { Int($0) }
        lock.lock()
        defer { lock.unlock() }
        if let known = poolings[key] { return known }
        let created = CUDNNPooling(plan, mode: mode, context: context)
        poolings[key] = created
        return created
    }
}

extension CUDABackend {
    func convolution(_ geometry: ConvolutionGeometry, _ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let p = geometry.padding
        if p.left != p.right || p.top != p.bottom {
            // cuDNN pads both sides alike: TensorFlow's SAME padding gets its odd row or column as zeros first.
            let (rows, columns) = (min(p.top, p.bottom), min(p.left, p.right))
            let padded = constantPad2d(input, padding: (left: p.left - columns, right: p.right - columns,
                                                        top: p.top - rows, bottom: p.bottom - rows))
            let symmetric = ConvolutionGeometry(
                kind: geometry.kind, source: padded.shape, destination: geometry.destination, weight: geometry.weight,
                stride: geometry.stride, dilation: geometry.dilation,
                padding: (left: columns, right: columns, top: rows, bottom: rows), groups: geometry.groups,
                dtype: geometry.dtype)
            return convolution(symmetric, padded, weight: weight, bias: bias)
        }
        let plan = context.plans.convolution(geometry, context: context)
        let deconvolution = geometry.kind == .deconvolution
        let x = readable(input), w = readable(weight)
        let result = output(geometry.destination)
        let resultDescriptor = deconvolution ? plan.x : plan.y
        if deconvolution {
            plan.backwardData(w: w.address, dy: x.address, dx: result.address)
        } else {
            plan.forward(x: x.address, w: w.address, y: result.address)
        }
        if let bias { plan.addBias(readable(bias).address, to: resultDescriptor, result.address) }
        let needsInput = input.requiresGrad, needsWeight = weight.requiresGrad, needsBias = bias?.requiresGrad == true
        guard recordsGradient([input, weight, bias]) else { return result.tensor }

        let (savedInput, savedWeight) = (x.tensor, w.tensor)
        return Tensor.record(result.tensor, inputs: [x.tensor, w.tensor] + (bias.map { [$0] } ?? [])) { grad in
            let dy = readable(grad)
            var inputGradient: Tensor?, weightGradient: Tensor?, biasGradient: Tensor?
            if needsInput {
                let dx = output(geometry.source)
                if deconvolution {
                    plan.forward(x: dy.address, w: readable(savedWeight).address, y: dx.address)
                } else {
                    plan.backwardData(w: readable(savedWeight).address, dy: dy.address, dx: dx.address)
                }
                inputGradient = dx.tensor
            }
            if needsWeight {
                let dw = output(geometry.weight)
                let source = readable(savedInput).address
                if deconvolution {
                    plan.backwardFilter(x: dy.address, dy: source, dw: dw.address)
                } else {
                    plan.backwardFilter(x: source, dy: dy.address, dw: dw.address)
                }
                weightGradient = dw.tensor
            }
            if needsBias {
                let db = output([geometry.destination[1]])
                plan.backwardBias(dy: dy.address, of: resultDescriptor, db: db.address)
                biasGradient = db.tensor
            }
            return [inputGradient, weightGradient] + (bias == nil ? [] : [biasGradient])
        }
    }
}
