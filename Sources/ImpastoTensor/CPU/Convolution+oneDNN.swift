internal import CDNNL
import Foundation

extension Precision {
    var dtype: DType { self == .bf16 ? .bf16 : .f32 }
}

/// Which convolution algorithms the engine may use.
public enum ConvolutionAlgorithm {
    /// Whether float32 3×3 stride-1 convolutions may run as Winograd (faster; rounding differs from direct
    /// convolution's in the last digits). On by default; `IMPASTO_CONV_ALGORITHM=direct` turns it off for the
    /// process, `ConvolutionAlgorithm.$allowsWinograd.withValue(false) { … }` for one job (a task-local: jobs
    /// and tests running side by side each keep their own).
    @TaskLocal public static var allowsWinograd = ProcessInfo.processInfo.environment["IMPASTO_CONV_ALGORITHM"] != "direct"
}

/// Everything oneDNN needs to know about one convolution or deconvolution: the primitives for its
/// forward and backward passes come from `PrimitiveCache`, keyed by these fields.
struct ConvolutionPlan {
    typealias Kind = ConvolutionGeometry.Kind

    let kind: Kind
    let source: [Int]
    /// oneDNN's weight dimensions: `[O, I, kh, kw]`, or `[G, O/G, I/G, kh, kw]` with groups.
    let weights: [Int]
    /// The order of the caller's weight memory in those dimensions.
    let weightOrder: dnnl_format_tag_t
    let destination: [Int]
    let strides: [Int64], dilates: [Int64]
    /// Zero padding before (top, left) and after (bottom, right) the input.
    let padding: [Int64], paddingAfter: [Int64]
    let hasBias: Bool
    let dtype: DType

    init(kind: Kind, source: [Int], weights: [Int], weightOrder: dnnl_format_tag_t, destination: [Int],
         stride: (Int, Int), padding: (Int, Int), paddingAfter: (Int, Int), dilation: (Int, Int), hasBias: Bool,
         dtype: DType) {
        precondition(stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0 && padding.0 >= 0
                     && padding.1 >= 0 && paddingAfter.0 >= 0 && paddingAfter.1 >= 0,
                     "\(kind): stride \(stride), padding \(padding) and \(paddingAfter), dilation \(dilation)")
        self.kind = kind
        self.source = source
        self.weights = weights
        self.weightOrder = weightOrder
        self.destination = destination
        strides = [Int64(stride.0), Int64(stride.1)]
        // oneDNN counts the gaps a dilation inserts: 0 is a dense kernel.
        dilates = [Int64(dilation.0 - 1), Int64(dilation.1 - 1)]
        self.padding = [Int64(padding.0), Int64(padding.1)]
        self.paddingAfter = [Int64(paddingAfter.0), Int64(paddingAfter.1)]
        self.hasBias = hasBias
        self.dtype = dtype
    }

    /// The plan of `geometry`: oneDNN's weight dimensions and the order of PyTorch's weight memory in them.
    init(_ geometry: ConvolutionGeometry, hasBias: Bool) {
        let (kh, kw) = (geometry.weight[2], geometry.weight[3]), groups = geometry.groups
        let out = geometry.destination[1], inputs = geometry.source[1]
        let (weights, order): ([Int], dnnl_format_tag_t) = switch (geometry.kind, groups) {
        case (.convolution, 1): (geometry.weight, dnnl_abcd)
        case (.convolution, _): ([groups, out / groups, inputs / groups, kh, kw], dnnl_abcde)
        // oneDNN's deconvolution weights are [out, in] (per group); PyTorch's memory holds them [in, out].
        case (.deconvolution, 1): ([out, inputs, kh, kw], dnnl_bacd)
        case (.deconvolution, _): ([groups, out / groups, inputs / groups, kh, kw], dnnl_acbde)
        }
        // A transposed convolution's output padding only extends the output; oneDNN's right padding just has
        // to agree with the sizes, which the symmetric padding does while the output padding is under the stride.
        let padding = geometry.padding
        self.init(kind: geometry.kind, source: geometry.source, weights: weights, weightOrder: order,
                  destination: geometry.destination, stride: geometry.stride, padding: (padding.top, padding.left),
                  paddingAfter: geometry.kind == .convolution ? (padding.bottom, padding.right)
                                                               : (padding.top, padding.left),
                  dilation: geometry.dilation, hasBias: hasBias, dtype: geometry.dtype)
    }

    /// The caller's float32 weight memory as oneDNN's dimensions see it.
    var weightSource: dnnl_memory_desc_t {
        var dims = weights.map { Int64($0) }
        var descriptor = dnnl_memory_desc_t()
        DNNL.check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), &dims, dnnl_f32, weightOrder),
                   "describing \(kind) weights \(weights)")
        return descriptor
    }

    private func key(_ stage: String, _ flag: Bool = false) -> PrimitiveKey {
        let geometry = (strides + dilates + padding + paddingAfter).map { Int($0) }
        return PrimitiveKey("\(kind).\(stage)", integers: source + [-1] + weights + [-1] + destination + geometry
                            + [hasBias ? 1 : 0, dtype == .bf16 ? 1 : 0, flag ? 1 : 0, winogradApplies ? 1 : 0])
    }

    private var biasDescriptor: dnnl_memory_desc_t { DNNL.plainDescriptor([destination[1]], .f32) }

    /// Winograd F(4×4, 3×3) does 2.25× fewer multiplications than direct convolution on 3×3 stride-1 layers
    /// and oneDNN has float32 kernels for it on AVX-512 (measured 2.2× a direct VGG conv3 layer here). Its
    /// rounding differs from direct convolution's by ~1e-6 relative; `ConvolutionAlgorithm.allowsWinograd`
    /// turns it off where results must match PyTorch's bit for bit.
    private var winogradApplies: Bool {
        ConvolutionAlgorithm.allowsWinograd && kind == .convolution && dtype == .f32 && weights.count == 4
            && weights[2] == 3 && weights[3] == 3 && strides == [1, 1] && dilates == [0, 0]
    }

    func forward(training: Bool) -> CachedPrimitive {
        PrimitiveCache.shared.primitive(for: key("forward", training)) {
            (winogradApplies ? forwardDescriptor(training: training, algorithm: dnnl_convolution_winograd) : nil)
                ?? forwardDescriptor(training: training, algorithm: nil)!
        }
    }

    /// The direct-algorithm forward pass, as the hint for backward passes Winograd has no kernel for.
    private func directForward(training: Bool) -> CachedPrimitive {
        PrimitiveCache.shared.primitive(for: key("forward-direct", training)) {
            forwardDescriptor(training: training, algorithm: nil)!
        }
    }

    /// A forward descriptor with `algorithm` (nil: direct), or nil when oneDNN has no kernel for it.
    private func forwardDescriptor(training: Bool, algorithm: dnnl_alg_kind_t?) -> dnnl_primitive_desc_t? {
        var src = DNNL.anyDescriptor(source, dtype), wei = DNNL.anyDescriptor(weights, dtype)
        var dst = DNNL.anyDescriptor(destination, dtype)
        let prop = DNNL.propagation(training: training)
        return DNNL.withOptional(hasBias ? biasDescriptor : nil) { bias in
            DNNL.tryPlan(dnnl_convolution_desc_t()) { op in
                switch kind {
                case .convolution:
                    dnnl_dilated_convolution_forward_desc_init(op, prop, algorithm ?? dnnl_convolution_direct,
                        &src, &wei, bias, &dst, strides, dilates, padding, paddingAfter)
                case .deconvolution:
                    dnnl_dilated_deconvolution_forward_desc_init(op, prop, dnnl_deconvolution_direct, &src,
                        &wei, bias, &dst, strides, dilates, padding, paddingAfter)
                }
            }
        }
    }

    /// The algorithm a planned convolution runs (direct or Winograd).
    private func algorithm(of primitive: CachedPrimitive) -> dnnl_alg_kind_t {
        var operation: UnsafePointer<dnnl_convolution_desc_t>?
        guard kind == .convolution,
              dnnl_primitive_desc_query(primitive.descriptor, dnnl_query_convolution_d, 0, &operation) == dnnl_success,
              let operation else { return dnnl_convolution_direct }
        return operation.pointee.alg_kind
    }

    /// Plans a backward pass with the forward training pass's algorithm, falling back to the direct
    /// algorithm (with a direct hint) when Winograd has no backward kernel for this shape.
    private func backward(_ stage: String, _ flag: Bool = false,
                          _ describe: @escaping (UnsafeMutablePointer<dnnl_convolution_desc_t>, dnnl_alg_kind_t)
                              -> dnnl_status_t) -> CachedPrimitive {
        let hint = forward(training: true)
        let algorithm = algorithm(of: hint)
        return PrimitiveCache.shared.primitive(for: key(stage, flag)) {
            if algorithm == dnnl_convolution_winograd,
               let winograd = DNNL.tryPlan(dnnl_convolution_desc_t(), hint: hint, { describe($0, algorithm) }) {
                return winograd
            }
            let direct = algorithm == dnnl_convolution_direct ? hint : directForward(training: true)
            return DNNL.plan("\(kind) \(stage) \(source) → \(destination)", dnnl_convolution_desc_t(),
                             hint: direct) { describe($0, kind == .convolution ? dnnl_convolution_direct
                                                                                 : dnnl_deconvolution_direct) }
        }
    }

    func backwardData() -> CachedPrimitive {
        backward("backward-data") { op, algorithm in
            var diffSrc = DNNL.anyDescriptor(source, dtype), wei = DNNL.anyDescriptor(weights, dtype)
            var diffDst = DNNL.anyDescriptor(destination, dtype)
            switch kind {
            case .convolution:
                return dnnl_dilated_convolution_backward_data_desc_init(op, algorithm, &diffSrc, &wei, &diffDst,
                    strides, dilates, padding, paddingAfter)
            case .deconvolution:
                return dnnl_dilated_deconvolution_backward_data_desc_init(op, algorithm, &diffSrc, &wei, &diffDst,
                    strides, dilates, padding, paddingAfter)
            }
        }
    }

    /// Weight gradients are float32 whatever the precision: they feed optimizers and accumulate.
    func backwardWeights(bias withBias: Bool) -> CachedPrimitive {
        backward("backward-weights", withBias) { op, algorithm in
            var src = DNNL.anyDescriptor(source, dtype), diffWei = DNNL.anyDescriptor(weights, .f32)
            var diffDst = DNNL.anyDescriptor(destination, dtype)
            return DNNL.withOptional(withBias ? biasDescriptor : nil) { bias in
                switch kind {
                case .convolution:
                    dnnl_dilated_convolution_backward_weights_desc_init(op, algorithm, &src, &diffWei, bias,
                        &diffDst, strides, dilates, padding, paddingAfter)
                case .deconvolution:
                    dnnl_dilated_deconvolution_backward_weights_desc_init(op, algorithm, &src, &diffWei, bias,
                        &diffDst, strides, dilates, padding, paddingAfter)
                }
            }
        }
    }

    /// Runs the forward pass and records the backward passes the inputs ask for.
    func apply(_ input: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
        let training = recordsGradient([input, weight, bias])
        let primitive = forward(training: training)
        let src = DNNL.reorder(input, to: primitive.descriptor(dnnl_query_src_md))
        let wei = WeightCache.shared.weights(weight, viewedAs: weightSource,
                                             in: primitive.descriptor(dnnl_query_weights_md))
        let output = DNNL.allocate(destination, for: primitive, dnnl_query_dst_md)
        var arguments = [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, wei), (DNNL_ARG_DST, output)]
        if let bias { arguments.append((DNNL_ARG_BIAS, DNNL.reorder(bias, to: biasDescriptor))) }
        DNNL.execute(primitive, arguments)
        guard training else { return output }

        // Keep only what the requested gradients need: a frozen layer saves no activations.
        let needsInput = input.requiresGrad, needsBias = bias?.requiresGrad == true
        let savedWeight = needsInput ? weight : nil
        let savedSource = weight.requiresGrad ? src : nil
        let weightShape = weight.shape
        return Tensor.record(output, inputs: [input, weight] + (bias.map { [$0] } ?? [])) { grad in
            let inputGradient = savedWeight.map { backwardData(grad, weight: $0) }
            var weightGradient: Tensor?, biasGradient: Tensor?
            if let savedSource {
                (weightGradient, biasGradient) = backwardWeights(grad, source: savedSource, bias: needsBias,
                                                                 weightShape: weightShape)
            } else if needsBias {
                biasGradient = grad.plain().sum(alongAxes: [0, 2, 3])
            }
            return [inputGradient, weightGradient] + (hasBias ? [biasGradient] : [])
        }
    }

    private func backwardData(_ grad: Tensor, weight: Tensor) -> Tensor {
        let primitive = backwardData()
        let diffDst = DNNL.reorder(grad, to: primitive.descriptor(dnnl_query_diff_dst_md))
        let wei = WeightCache.shared.weights(weight, viewedAs: weightSource,
                                             in: primitive.descriptor(dnnl_query_weights_md))
        let diffSrc = DNNL.allocate(source, for: primitive, dnnl_query_diff_src_md)
        DNNL.execute(primitive, [(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_WEIGHTS, wei), (DNNL_ARG_DIFF_SRC, diffSrc)])
        return diffSrc
    }

    private func backwardWeights(_ grad: Tensor, source savedSource: Tensor, bias: Bool,
                                 weightShape: [Int]) -> (Tensor, Tensor?) {
        let primitive = backwardWeights(bias: bias)
        let src = DNNL.reorder(savedSource, to: primitive.descriptor(dnnl_query_src_md))
        let diffDst = DNNL.reorder(grad, to: primitive.descriptor(dnnl_query_diff_dst_md))
        let diffWei = DNNL.allocate(weights, for: primitive, dnnl_query_diff_weights_md)
        var arguments = [(DNNL_ARG_SRC, src), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_WEIGHTS, diffWei)]
        let diffBias = bias ? DNNL.allocate([destination[1]], biasDescriptor) : nil
        if let diffBias { arguments.append((DNNL_ARG_DIFF_BIAS, diffBias)) }
        DNNL.execute(primitive, arguments)
        // Back to the caller's memory order, then seen in the caller's shape.
        let ordered = DNNL.reorder(diffWei, to: weightSource)
        return (Tensor(shape: weightShape, storage: ordered.storage), diffBias)
    }
}
