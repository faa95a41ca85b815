internal import CDNNL

/// `batchNorm` on oneDNN's batch normalization primitive.
func oneDNNBatchNorm(_ input: Tensor, _ parameters: BatchNormParameters) -> Tensor {
    let (runningMean, runningVariance, weight, bias) = (parameters.runningMean, parameters.runningVariance,
                                                        parameters.weight, parameters.bias)
    let (training, momentum, epsilon) = (parameters.training, parameters.momentum, parameters.epsilon)
    let channels = input.shape[1]
    let input = input.computable

    let data = DNNL.descriptor(of: input), vector = DNNL.plainDescriptor([channels])
    var flags: UInt32 = training ? 0 : dnnl_use_global_stats.rawValue
    if weight != nil { flags |= dnnl_use_scale.rawValue }
    if bias != nil { flags |= dnnl_use_shift.rawValue }
    let parameters = [Int(flags), Int(epsilon.bitPattern)]
    let recording = recordsGradient([input, weight, bias])

    // Batch statistics come out of forward_training only.
    func forward(training: Bool) -> CachedPrimitive {
        PrimitiveCache.shared.primitive(
            for: PrimitiveKey("batch-norm.forward", integers: parameters + [training ? 1 : 0], descriptors: [data])) {
            var data = data
            return DNNL.plan("batch norm on \(input.shape)", dnnl_batch_normalization_desc_t()) { op in
                dnnl_batch_normalization_forward_desc_init(op, DNNL.propagation(training: training), &data, epsilon,
                                                           flags)
            }
        }
    }
    let primitive = forward(training: training || recording)
    let output = DNNL.allocate(input.shape, data)
    let mean = training ? DNNL.allocate([channels], vector) : DNNL.reorder(runningMean!, to: vector)
    let variance = training ? DNNL.allocate([channels], vector) : DNNL.reorder(runningVariance!, to: vector)
    let scale = weight.map { DNNL.reorder($0, to: vector) }, shift = bias.map { DNNL.reorder($0, to: vector) }
    var arguments = [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output), (DNNL_ARG_MEAN, mean),
                     (DNNL_ARG_VARIANCE, variance)]
    if let scale { arguments.append((DNNL_ARG_SCALE, scale)) }
    if let shift { arguments.append((DNNL_ARG_SHIFT, shift)) }
    DNNL.execute(primitive, arguments)

    if training, let runningMean, let runningVariance {
        let batchMean = mean.floatBuffer, batchVariance = variance.floatBuffer
        let count = Float(input.count / channels)
        let unbiased = count > 1 ? count / (count - 1) : 1
        runningMean.mutate { buffer in
            for c in 0..<channels { buffer[c] = (1 - momentum) * buffer[c] + momentum * batchMean[c] }
        }
        runningVariance.mutate { buffer in
            for c in 0..<channels { buffer[c] = (1 - momentum) * buffer[c] + momentum * unbiased * batchVariance[c] }
        }
    }
    guard recording else { return output }

    let needsInput = input.requiresGrad
    // oneDNN computes the scale and shift gradients whenever it uses them (no backward_data variant).
    let hasParameters = weight != nil || bias != nil
    let source = input.detached()
    return Tensor.record(output, inputs: [input] + [weight, bias].compactMap { $0 }) { grad in
        let hint = forward(training: true)
        let backward = PrimitiveCache.shared.primitive(
            for: PrimitiveKey("batch-norm.backward", integers: parameters, descriptors: [data])) {
            var data = data, diffData = data
            return DNNL.plan("batch norm backward", dnnl_batch_normalization_desc_t(), hint: hint) { op in
                dnnl_batch_normalization_backward_desc_init(op, hasParameters ? dnnl_backward : dnnl_backward_data,
                                                            &diffData, &data, epsilon, flags)
            }
        }
        let diffSrc = DNNL.allocate(source.shape, data)
        let diffScale = weight != nil ? DNNL.allocate([channels], vector) : nil
        let diffShift = bias != nil ? DNNL.allocate([channels], vector) : nil
        var arguments = [(DNNL_ARG_SRC, source), (DNNL_ARG_MEAN, mean), (DNNL_ARG_VARIANCE, variance),
                         (DNNL_ARG_DIFF_DST, DNNL.reorder(grad, to: data)), (DNNL_ARG_DIFF_SRC, diffSrc)]
        if let scale { arguments.append((DNNL_ARG_SCALE, scale)) }
        // Not used by the gradients, but oneDNN 2.6 refuses to run without it.
        if let shift { arguments.append((DNNL_ARG_SHIFT, shift)) }
        if let diffScale { arguments.append((DNNL_ARG_DIFF_SCALE, diffScale)) }
        if let diffShift { arguments.append((DNNL_ARG_DIFF_SHIFT, diffShift)) }
        DNNL.execute(backward, arguments)
        return [needsInput ? diffSrc : nil] + (weight == nil ? [] : [diffScale]) + (bias == nil ? [] : [diffShift])
    }
}
