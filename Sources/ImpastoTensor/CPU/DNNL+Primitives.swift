internal import CDNNL

// What every oneDNN-backed op does the same way: planning a primitive from an operation descriptor,
// running it over tensors, and deciding whether a backward pass may follow.
extension DNNL {
    /// Plans a primitive from an operation descriptor (`dnnl_convolution_desc_t`, ...) that `initialize`
    /// fills in. Backward primitives pass the forward primitive they mirror as `hint`.
    static func plan<Operation>(_ what: @autoclosure () -> String, _ empty: Operation, hint: CachedPrimitive? = nil,
                                _ initialize: (UnsafeMutablePointer<Operation>) -> dnnl_status_t)
        -> dnnl_primitive_desc_t {
        var operation = empty
        check(initialize(&operation), "describing \(what())")
        var descriptor: dnnl_primitive_desc_t?
        check(dnnl_primitive_desc_create(&descriptor, &operation, nil, engine, hint?.descriptor),
              "planning \(what())")
        return descriptor!
    }

    /// Runs a cached primitive over the tensors' storage, each bound to its `DNNL_ARG_...`.
    static func execute(_ primitive: CachedPrimitive, _ arguments: [(Int32, Tensor)]) {
        let memories = arguments.map { ($0.0, memory(of: $0.1)) }
        defer { for (_, memory) in memories { dnnl_memory_destroy(memory) } }
        withExtendedLifetime(arguments) { execute(primitive.primitive, memories) }
    }

    /// A new tensor of `shape` in the layout the primitive chose for `query`.
    static func allocate(_ shape: [Int], for primitive: CachedPrimitive, _ query: dnnl_query_t) -> Tensor {
        allocate(shape, primitive.descriptor(query))
    }

    /// The opaque scratch a primitive keeps between forward and backward (max pooling's argmax), or nil.
    static func workspace(for primitive: CachedPrimitive) -> Tensor? {
        let descriptor = primitive.descriptor(dnnl_query_workspace_md)
        let bytes = byteSize(descriptor)
        guard bytes > 0 else { return nil }
        return Tensor(shape: [bytes], storage: Storage(uninitializedByteCount: bytes), layout: .dnnl(descriptor))
    }

    /// True when a backward pass may follow, so the forward pass must keep what it needs
    /// (`forward_training`); otherwise `forward_inference` is cheaper.
    static func recordsGradient(_ inputs: [Tensor?]) -> Bool {
        GradMode.enabled && inputs.contains { $0?.requiresGrad == true }
    }

    static func propagation(training: Bool) -> dnnl_prop_kind_t {
        training ? dnnl_forward_training : dnnl_forward_inference
    }

    /// The dimensions a memory descriptor describes.
    static func dimensions(of descriptor: dnnl_memory_desc_t) -> [Int] {
        withUnsafeBytes(of: descriptor.dims) { Array($0.bindMemory(to: Int64.self).prefix(Int(descriptor.ndims))) }
            .map { Int($0) }
    }

    /// Calls `body` with a pointer to `descriptor`, or nil for an argument a primitive goes without (a bias).
    static func withOptional<R>(_ descriptor: dnnl_memory_desc_t?,
                                _ body: (UnsafePointer<dnnl_memory_desc_t>?) -> R) -> R {
        guard let descriptor else { return body(nil) }
        return withUnsafePointer(to: descriptor) { body($0) }
    }
}
