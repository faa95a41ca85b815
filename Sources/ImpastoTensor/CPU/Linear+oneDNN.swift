internal import CDNNL

/// `linear` of a `[N, in]` input, on oneDNN's inner product.
func innerProduct(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[1],
                 "linear: input \(input.shape), weight \(weight.shape)")
    precondition(bias == nil || bias!.shape == [weight.shape[0]],
                 "linear: bias \(bias!.shape) for weight \(weight.shape)")
    let sourceShape = input.shape, weightShape = weight.shape, destinationShape = [input.shape[0], weight.shape[0]]
    // Plain layouts throughout: for matrices they are what oneDNN's GEMM-based kernels want anyway.
    let src = DNNL.plainDescriptor(sourceShape), wei = DNNL.plainDescriptor(weightShape)
    let dst = DNNL.plainDescriptor(destinationShape), biasDescriptor = DNNL.plainDescriptor([weightShape[0]])
    let integers = sourceShape + weightShape + [bias == nil ? 0 : 1]
    let training = recordsGradient([input, weight, bias])

    func forward(training: Bool) -> CachedPrimitive {
        PrimitiveCache.shared.primitive(
            for: PrimitiveKey("inner-product.forward", integers: integers + [training ? 1 : 0])) {
            var src = src, wei = wei, dst = dst
            return DNNL.withOptional(bias == nil ? nil : biasDescriptor) { biasDescriptor in
                DNNL.plan("linear \(sourceShape) × \(weightShape)", dnnl_inner_product_desc_t()) { op in
                    dnnl_inner_product_forward_desc_init(op, DNNL.propagation(training: training), &src, &wei,
                                                         biasDescriptor, &dst)
                }
            }
        }
    }

    let primitive = forward(training: training)
    let source = DNNL.reorder(input, to: src)
    let output = DNNL.allocate(destinationShape, dst)
    DNNL.execute(primitive, [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, DNNL.reorder(weight, to: wei)),
                             (DNNL_ARG_DST, output)]
                 + (bias.map { [(DNNL_ARG_BIAS, DNNL.reorder($0, to: biasDescriptor))] } ?? []))
    guard training else { return output }

    let needsInput = input.requiresGrad, needsWeight = weight.requiresGrad, needsBias = bias?.requiresGrad == true
    let savedWeight = needsInput ? weight : nil
    let savedSource = needsWeight || needsBias ? source : nil
    return Tensor.record(output, inputs: [input, weight] + (bias.map { [$0] } ?? [])) { grad in
        let hint = forward(training: true)
        let diffDst = DNNL.reorder(grad, to: dst)
        var inputGradient: Tensor?, weightGradient: Tensor?, biasGradient: Tensor?
        if let savedWeight {
            let backward = PrimitiveCache.shared.primitive(
                for: PrimitiveKey("inner-product.backward-data", integers: integers)) {
                var src = src, wei = wei, dst = dst
                return DNNL.plan("linear backward data", dnnl_inner_product_desc_t(), hint: hint) { op in
                    dnnl_inner_product_backward_data_desc_init(op, &src, &wei, &dst)
                }
            }
            inputGradient = DNNL.allocate(sourceShape, src)
            DNNL.execute(backward, [(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_WEIGHTS, DNNL.reorder(savedWeight, to: wei)),
                                    (DNNL_ARG_DIFF_SRC, inputGradient!)])
        }
        if let savedSource {
            let backward = PrimitiveCache.shared.primitive(
                for: PrimitiveKey("inner-product.backward-weights", integers: integers + [needsBias ? 1 : 0])) {
                var src = src, wei = wei, dst = dst
                return DNNL.withOptional(needsBias ? biasDescriptor : nil) { biasDescriptor in
                    DNNL.plan("linear backward weights", dnnl_inner_product_desc_t(), hint: hint) { op in
                        dnnl_inner_product_backward_weights_desc_init(op, &src, &wei, biasDescriptor, &dst)
                    }
                }
            }
            // oneDNN has no bias-only pass; the weight gradient it computes alongside is cheap here.
            weightGradient = DNNL.allocate(weightShape, wei)
            biasGradient = needsBias ? DNNL.allocate([weightShape[0]], biasDescriptor) : nil
            DNNL.execute(backward, [(DNNL_ARG_SRC, savedSource), (DNNL_ARG_DIFF_DST, diffDst),
                                    (DNNL_ARG_DIFF_WEIGHTS, weightGradient!)]
                         + (biasGradient.map { [(DNNL_ARG_DIFF_BIAS, $0)] } ?? []))
        }
        return [inputGradient, needsWeight ? weightGradient : nil] + (bias == nil ? [] : [biasGradient])
    }
}
