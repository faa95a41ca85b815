internal import CDNNL
import Foundation

/// The process's oneDNN engine and stream, and the plumbing every oneDNN-backed op shares: memory
/// descriptors for tensors, memory objects over their storage, reorders between layouts and types,
/// and a cache of primitives keyed by everything that determines them.
enum DNNL {
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the oneDNN CPU engine")
        return engine!
    }()

    nonisolated(unsafe) static let stream: dnnl_stream_t = {
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a oneDNN stream")
        return stream!
    }()

    /// oneDNN reports failures of our own making (a descriptor we built wrong); they are bugs, not user errors.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        if status != dnnl_success {
            fatalError("oneDNN failed \(what()): status \(status.rawValue)")
        }
    }

    static func dataType(_ dtype: DType) -> dnnl_data_type_t {
        switch dtype {
        case .f32: dnnl_f32
        case .bf16: dnnl_bf16
        case .f16: dnnl_f16
        case .i32: dnnl_s32
        case .u8: dnnl_u8
        case .i64, .bool: preconditionFailure("oneDNN has no \(dtype) type; convert the tensor with plain() first")
        }
    }

    /// The row-major descriptor of `shape` (NCHW for rank 4, OIHW for weights).
    static func plainDescriptor(_ shape: [Int], _ dtype: DType = .f32) -> dnnl_memory_desc_t {
        let tags: [dnnl_format_tag_t] = [dnnl_a, dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde, dnnl_abcdef]
        precondition(shape.count <= 6, "oneDNN descriptors up to rank 6, got \(shape)")
        var dims = (shape.isEmpty ? [1] : shape).map { Int64($0) }
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), &dims, dataType(dtype),
                                           tags[shape.count]), "describing shape \(shape)")
        return descriptor
    }

    /// A descriptor of `shape` in whatever layout a primitive prefers (`format_tag_any`).
    static func anyDescriptor(_ shape: [Int], _ dtype: DType) -> dnnl_memory_desc_t {
        var dims = shape.map { Int64($0) }
        var descriptor = dnnl_memory_desc_t()
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), &dims, dataType(dtype),
                                           dnnl_format_tag_any), "describing shape \(shape)")
        return descriptor
    }

    /// The descriptor of the memory a tensor occupies.
    static func descriptor(of tensor: Tensor) -> dnnl_memory_desc_t {
        switch tensor.layout {
        case .plain: plainDescriptor(tensor.shape, tensor.dtype)
        case .dnnl(let descriptor): descriptor
        case .strided: preconditionFailure("a strided view reaches oneDNN only through plain()")
        }
    }

    static func byteSize(_ descriptor: dnnl_memory_desc_t) -> Int {
        var copy = descriptor
        return dnnl_memory_desc_get_size(&copy)
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// A oneDNN memory object over `tensor`'s storage (no copy). Destroy it after use.
    static func memory(of tensor: Tensor) -> dnnl_memory_t {
        memory(descriptor(of: tensor), tensor.storage.hostPointer + tensor.offset * tensor.dtype.byteSize)
    }

    static func memory(_ descriptor: dnnl_memory_desc_t, _ pointer: UnsafeMutableRawPointer) -> dnnl_memory_t {
        var descriptor = descriptor
        var memory: dnnl_memory_t?
        check(dnnl_memory_create(&memory, &descriptor, engine, pointer), "creating a memory object")
        return memory!
    }

    /// A new tensor whose storage is laid out as `descriptor` says, for a primitive to write. Not cleared:
    /// oneDNN primitives write every byte of their destinations, the padding of blocked layouts included.
    static func allocate(_ shape: [Int], _ descriptor: dnnl_memory_desc_t) -> Tensor {
        let dtype: DType = descriptor.data_type == dnnl_bf16 ? .bf16 : .f32
        let storage = Storage(uninitializedByteCount: byteSize(descriptor))
        let plain = plainDescriptor(shape, dtype)
        let layout: Layout = equal(plain, descriptor) ? .plain : .dnnl(descriptor)
        return Tensor(shape: shape, dtype: dtype, storage: storage, layout: layout)
    }

    /// `tensor` converted to the layout and type of `target` (itself when it already matches).
    /// No autograd: callers record the conversion where it matters.
    static func reorder(_ tensor: Tensor, to target: dnnl_memory_desc_t) -> Tensor {
        let tensor = tensor.computable
        let source = descriptor(of: tensor)
        if equal(source, target) { return tensor }
        let result = allocate(tensor.shape, target)
        let key = PrimitiveKey("reorder", descriptors: [source, target])
        let primitive = PrimitiveCache.shared.primitive(for: key) {
            var source = source, target = target
            var attributes: dnnl_primitive_attr_t?
            check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
            defer { dnnl_primitive_attr_destroy(attributes) }
            // Our scratchpad, not oneDNN's thread-local one: see `execute(_:_:)` in DNNL+Primitives.swift.
            check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "scratchpad mode")
            var descriptor: dnnl_primitive_desc_t?
            check(dnnl_reorder_primitive_desc_create(&descriptor, &source, engine, &target, engine, attributes),
                  "planning a reorder of \(tensor.shape)")
            return descriptor!
        }
        execute(primitive, [(DNNL_ARG_FROM, tensor), (DNNL_ARG_TO, result)])
        return result
    }

    static func reorderToPlainF32(_ tensor: Tensor) -> Tensor {
        reorder(tensor, to: plainDescriptor(tensor.shape, .f32))
    }

    /// `tensor` in the same layout and type as `model` (used to hand gradients back in their input's form).
    static func reorder(_ tensor: Tensor, like model: Tensor) -> Tensor {
        reorder(tensor, to: descriptor(of: model))
    }
}

/// Everything that determines a primitive: its kind, the shapes and parameters, the memory descriptors.
struct PrimitiveKey: Hashable {
    let kind: String
    let integers: [Int]
    let descriptorBytes: [UInt8]

    init(_ kind: String, integers: [Int] = [], descriptors: [dnnl_memory_desc_t] = []) {
        self.kind = kind
        self.integers = integers
        var bytes: [UInt8] = []
        for var descriptor in descriptors {
            withUnsafeBytes(of: &descriptor) { bytes.append(contentsOf: $0) }
        }
        descriptorBytes = bytes
    }

    /// The descriptors' bytes hashed as one block: the synthesized conformance fed a 1 KB oneDNN descriptor to
    /// the hasher a byte at a time, which was 10 % of BlazeFace's time (perf, 2026-11-30: ~100 small primitives
    /// per pass, each looked up by 2–4 descriptors).
    func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(integers)
        descriptorBytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

/// A primitive and its descriptor, destroyed together.
final class CachedPrimitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    init(descriptor: dnnl_primitive_desc_t) {
        self.descriptor = descriptor
        var primitive: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&primitive, descriptor), "creating a primitive")
        self.primitive = primitive!
    }

    /// The memory descriptor the primitive chose for one of its arguments (`dnnl_query_src_md`, ...).
    func descriptor(_ query: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, query, index)!.pointee
    }

    /// The scratchpad the primitive asks for, in bytes (`dnnl_query_memory_consumption_s64`).
    var scratchpadBytes: Int {
        var bytes: Int64 = 0
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_memory_consumption_s64, 0, &bytes) == dnnl_success else { return 0 }
        return Int(max(bytes, 0))
    }

    /// The implementation oneDNN picked, for example "brgconv:avx512_core".
    var implementation: String {
        var info: UnsafePointer<CChar>?
        DNNL.check(dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &info), "querying impl")
        return String(cString: info!)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }
}

/// Primitives built once per shape and reused: creating one costs far more than running a small one.
///
/// Bounded, least recently used first out: a service stylizing images of every size would otherwise keep a
/// primitive (JIT code and its descriptors) for each size it ever saw. An entry counts its scratchpad as
/// oneDNN reports it plus `overheadBytes` for the code and descriptors; the budget (`IMPASTO_PRIMITIVE_CACHE_MB`,
/// default 512 MiB) holds the ~100 primitives of VGG-19 forward and backward at several sizes many times over.
final class PrimitiveCache: @unchecked Sendable {
    static let shared = PrimitiveCache(budgetBytes: (ProcessInfo.processInfo.environment["IMPASTO_PRIMITIVE_CACHE_MB"]
        .flatMap(Int.init) ?? 512) << 20)
    /// What one primitive's code and descriptors take besides its scratchpad (a JIT kernel is tens of KiB).
    static let overheadBytes = 64 << 10

    private struct Entry {
        let primitive: CachedPrimitive
        let bytes: Int
        var lastUse: UInt64
    }

    private var entries: [PrimitiveKey: Entry] = [:]
    private var clock: UInt64 = 0
    private var bytes = 0
    private let budgetBytes: Int
    private let lock = NSLock()

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    func primitive(for key: PrimitiveKey, make: () -> dnnl_primitive_desc_t) -> CachedPrimitive {
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        if let cached = entries[key]?.primitive {
            entries[key]!.lastUse = clock
            return cached
        }
        let made = CachedPrimitive(descriptor: make())
        let size = made.scratchpadBytes + Self.overheadBytes
        // Users of an evicted primitive keep it alive until they finish; it is only no longer shared.
        while bytes + size > budgetBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            bytes -= oldest.value.bytes
            entries[oldest.key] = nil
        }
        entries[key] = Entry(primitive: made, bytes: size, lastUse: clock)
        bytes += size
        return made
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }

    /// The bytes the cached primitives are counted as.
    var totalBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }
}
