internal import CDNNL

extension PoolingPlan {
    private func key(_ stage: String, _ algorithm: dnnl_alg_kind_t, _ training: Bool,
                     _ source: dnnl_memory_desc_t) -> PrimitiveKey {
        PrimitiveKey("pooling.\(stage)", integers: destination + [Int(algorithm.rawValue), training ? 1 : 0]
                     + (kernel + strides + paddingL + paddingR).map { Int($0) }, descriptors: [source])
    }

    func forward(_ algorithm: dnnl_alg_kind_t, training: Bool, source: dnnl_memory_desc_t) -> CachedPrimitive {
        PrimitiveCache.shared.primitive(for: key("forward", algorithm, training, source)) {
            var src = source, dst = DNNL.anyDescriptor(destination, source.data_type == dnnl_bf16 ? .bf16 : .f32)
            return DNNL.plan("pooling \(self.source) → \(destination)", dnnl_pooling_desc_t()) { op in
                dnnl_pooling_forward_desc_init(op, DNNL.propagation(training: training), algorithm, &src, &dst,
                                               strides, kernel, paddingL, paddingR)
            }
        }
    }

    func backward(_ algorithm: dnnl_alg_kind_t, source: dnnl_memory_desc_t) -> CachedPrimitive {
        let hint = forward(algorithm, training: true, source: source)
        return PrimitiveCache.shared.primitive(for: key("backward", algorithm, true, source)) {
            var diffSrc = source, diffDst = hint.descriptor(dnnl_query_dst_md)
            return DNNL.plan("pooling backward \(self.source)", dnnl_pooling_desc_t(), hint: hint) { op in
                dnnl_pooling_backward_desc_init(op, algorithm, &diffSrc, &diffDst, strides, kernel, paddingL,
                                                paddingR)
            }
        }
    }

    /// Pools `input` in its own layout and records the backward pass.
    func apply(_ input: Tensor, _ algorithm: dnnl_alg_kind_t) -> Tensor {
        let input = input.computable
        let training = recordsGradient([input])
        let sourceDescriptor = DNNL.descriptor(of: input)
        let primitive = forward(algorithm, training: training, source: sourceDescriptor)
        let output = DNNL.allocate(destination, for: primitive, dnnl_query_dst_md)
        // Max pooling remembers where each maximum was, for the backward pass.
        let workspace = training ? DNNL.workspace(for: primitive) : nil
        DNNL.execute(primitive, [(DNNL_ARG_SRC, input), (DNNL_ARG_DST, output)]
                     + (workspace.map { [(DNNL_ARG_WORKSPACE, $0)] } ?? []))
        return Tensor.record(output, inputs: [input]) { grad in
            let primitive = backward(algorithm, source: sourceDescriptor)
            let diffDst = DNNL.reorder(grad, to: primitive.descriptor(dnnl_query_diff_dst_md))
            let diffSrc = DNNL.allocate(source, sourceDescriptor)
            DNNL.execute(primitive, [(DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)]
                         + (workspace.map { [(DNNL_ARG_WORKSPACE, $0)] } ?? []))
            return [diffSrc]
        }
    }
}
