internal import CDNNL
import Foundation

// What every oneDNN-backed op does the same way: planning a primitive from an operation descriptor,
// running it over tensors, and deciding whether a backward pass may follow.
extension DNNL {
    /// Plans a primitive from an operation descriptor (`dnnl_convolution_desc_t`, ...) that `initialize`
    /// fills in. Backward primitives pass the forward primitive they mirror as `hint`.
    static func plan<Operation>(_ what: @autoclosure () -> String, _ empty: Operation, hint: CachedPrimitive? = nil,
                                _ initialize: (UnsafeMutablePointer<Operation>) -> dnnl_status_t)
        -> dnnl_primitive_desc_t {
        guard let descriptor = tryPlan(empty, hint: hint, initialize) else {
            fatalError("oneDNN has no implementation for \(what())")
        }
        return descriptor
    }

    /// `plan`, or nil when oneDNN has no implementation for the operation on this machine (an optional
    /// algorithm such as Winograd that applies to some shapes only).
    static func tryPlan<Operation>(_ empty: Operation, hint: CachedPrimitive? = nil,
                                   _ initialize: (UnsafeMutablePointer<Operation>) -> dnnl_status_t)
        -> dnnl_primitive_desc_t? {
        var operation = empty
        guard initialize(&operation) == dnnl_success else { return nil }
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
        var descriptor: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, hint?.descriptor)
            == dnnl_success else { return nil }
        return descriptor
    }

    /// Runs a primitive made by `plan` over the tensors' storage, each bound to its `DNNL_ARG_...`.
    ///
    /// oneDNN's own scratchpad lives in thread-local storage of the thread that created the primitive,
    /// and Swift runs code on whichever pool thread is free: executed elsewhere, a primitive would find
    /// another thread's scratchpad (or none). So primitives share one buffer of ours, grown as needed,
    /// and the scratchpad's lock serialises executions on the one stream (oneDNN parallelises inside each).
    static func execute(_ primitive: CachedPrimitive, _ arguments: [(Int32, Tensor)]) {
        Scratchpad.shared.lock.lock()
        defer { Scratchpad.shared.lock.unlock() }
        var memories = arguments.map { ($0.0, memory(of: $0.1)) }
        let scratchpadDescriptor = primitive.descriptor(dnnl_query_scratchpad_md)
        let scratchpadBytes = byteSize(scratchpadDescriptor)
        if scratchpadBytes > 0 {
            memories.append((DNNL_ARG_SCRATCHPAD,
                             memory(scratchpadDescriptor, Scratchpad.shared.pointer(byteCount: scratchpadBytes))))
        }
        defer { for (_, memory) in memories { dnnl_memory_destroy(memory) } }
        var execArguments = memories.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        withExtendedLifetime(arguments) {
            check(dnnl_primitive_execute(primitive.primitive, stream, Int32(execArguments.count), &execArguments),
                  "executing a primitive")
            check(dnnl_stream_wait(stream), "waiting for the stream")
        }
    }

    /// A new tensor of `shape` in the layout the primitive chose for `query`.
    static func allocate(_ shape: [Int], for primitive: CachedPrimitive, _ query: dnnl_query_t) -> Tensor {
        allocate(shape, primitive.descriptor(query))
    }

    /// The opaque scratch a primitive keeps between forward and backward (max pooling's argmax), or nil.
    /// Only oneDNN reads it, through its descriptor; the shape is nominal.
    static func workspace(for primitive: CachedPrimitive) -> Tensor? {
        let descriptor = primitive.descriptor(dnnl_query_workspace_md)
        let bytes = byteSize(descriptor)
        guard bytes > 0 else { return nil }
        return Tensor(shape: [bytes], storage: Storage(uninitializedByteCount: bytes), layout: .dnnl(descriptor))
    }

    /// True when a backward pass may follow, so the forward pass must keep what it needs
    /// (`forward_training`); otherwise `forward_inference` is cheaper.
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

/// The scratch memory every primitive made by `DNNL.plan` borrows while it runs, under `lock`.
final class Scratchpad: @unchecked Sendable {
    static let shared = Scratchpad()
    let lock = NSLock()
    private var memory = HostMemory(uninitializedByteCount: 0)

    /// At least `byteCount` bytes; call with `lock` held.
    func pointer(byteCount: Int) -> UnsafeMutableRawPointer {
        if memory.byteCount < byteCount { memory = HostMemory(uninitializedByteCount: byteCount) }
        return memory.pointer
    }
}
