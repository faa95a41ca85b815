internal import CDNNL
import Foundation

/// How a tensor's elements sit in memory.
enum Layout {
    /// Row-major and contiguous, starting `offset` elements into the storage (NCHW for images).
    case plain
    /// A view: element (i₀, i₁, …) sits at `offset + Σ iₖ · strides[k]` (permutes, transposes, expansions with
    /// stride 0, slices along inner axes). Ops that take strides read it as it is (element-wise arithmetic,
    /// `matmul`); the rest ask for `plain()`, which copies it into row-major order.
    case strided([Int])
    /// Whatever oneDNN chose for a primitive (for example nChw16c), described by its memory descriptor.
    /// Only oneDNN primitives read these; everything else asks for `plain()` first.
    case dnnl(dnnl_memory_desc_t)
}

/// An n-dimensional array of numbers that records how it was computed, so that gradients can flow back.
///
/// A `Tensor` is a reference: two variables may name the same tensor, and gradients are keyed by that
/// identity. Its contents do not change after creation except through optimizers, which update
/// parameters in place (`assign(_:)`). Shapes are NCHW for images, as in PyTorch.
public final class Tensor: @unchecked Sendable {
    /// The size of each dimension.
    public let shape: [Int]
    /// The element type of the storage.
    public private(set) var dtype: DType
    // `var` only for `adopt(_:)`, the one way a tensor's contents change type (weight loading).
    private(set) var storage: Storage
    /// Element offset into `storage`; only plain tensors (views made by `reshaped` or slicing) use it.
    private(set) var offset: Int
    private(set) var layout: Layout

    /// Whether `backward()` should compute a gradient for this tensor. Set it on leaves (inputs and
    /// parameters); results of operations inherit it from their inputs.
    public var requiresGrad: Bool
    /// The operation that produced this tensor, kept while a backward pass may still need it.
    var gradNode: GradNode?

    init(shape: [Int], dtype: DType = .f32, storage: Storage, offset: Int = 0, layout: Layout = .plain,
         requiresGrad: Bool = false) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.offset = offset
        self.layout = layout
        self.requiresGrad = requiresGrad
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// A float32 tensor with the given elements in row-major order.
    public convenience init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(scalars.count)")
        let storage = Storage(uninitializedByteCount: scalars.count * 4)
        scalars.withUnsafeBufferPointer { source in
            storage.hostPointer.copyMemory(from: source.baseAddress!, byteCount: source.count * 4)
        }
        self.init(shape: shape, storage: storage)
    }

    /// A float32 tensor of the given shape whose elements `initializer` writes into the buffer it is given.
    public convenience init(shape: [Int], initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let count = shape.reduce(1, *)
        let storage = Storage(byteCount: count * 4)
        try initializer(UnsafeMutableBufferPointer(start: storage.hostPointer.assumingMemoryBound(to: Float.self),
                                                   count: count))
        self.init(shape: shape, storage: storage)
    }

    /// A float32 tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape) { buffer in buffer.initialize(repeating: value) }
    }

    /// A float32 tensor of zeros.
    public convenience init(zeros shape: [Int]) {
        self.init(shape: shape) { _ in }
    }

    /// A scalar (rank-0) tensor.
    public convenience init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// The elements in row-major order as float32, converted from whatever layout and type they are in.
    public var scalars: [Float] {
        let source = plain()
        return Array(source.floatBuffer)
    }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor with shape \(shape)")
        return plain().floatBuffer[0]
    }

    var isPlain: Bool {
        if case .plain = layout { return true }
        return false
    }

    var isStrided: Bool {
        if case .strided = layout { return true }
        return false
    }

    /// Where each index steps in the storage, in elements: row-major for plain tensors, the view's own for
    /// strided ones. Not defined for oneDNN's blocked layouts.
    var elementStrides: [Int] {
        switch layout {
        case .plain: Tensor.strides(of: shape)
        case .strided(let strides): strides
        case .dnnl: preconditionFailure("a blocked tensor has no element strides; use plain() first")
        }
    }

    /// The element at index zero of a plain or strided float32 tensor.
    var viewBase: UnsafeMutablePointer<Float> {
        precondition(!isDNNL && dtype == .f32, "viewBase needs a plain or strided float32 tensor")
        return storage.hostPointer.assumingMemoryBound(to: Float.self) + offset
    }

    var isDNNL: Bool {
        if case .dnnl = layout { return true }
        return false
    }

    /// A row-major copy of a strided view, in its own type, sharing its autograd history.
    func contiguous() -> Tensor {
        guard case .strided(let strides) = layout else { return self }
        let size = dtype.byteSize, count = count
        let result = Tensor(shape: shape, dtype: dtype, storage: Storage(uninitializedByteCount: count * size))
        result.storage.host.codebook = storage.codebook  // the indices are copied, their meaning with them
        let source = storage.hostPointer + offset * size, destination = result.storage.hostPointer
        var position = StridedOffsets(shape: shape, strides: [strides])
        if size == 4 {
            let from = source.assumingMemoryBound(to: UInt32.self), to = destination.assumingMemoryBound(to: UInt32.self)
            for index in 0..<count {
                to[index] = from[position.offsets[0]]
                position.advance()
            }
        } else {
            for index in 0..<count {
                (destination + index * size).copyMemory(from: source + position.offsets[0] * size, byteCount: size)
                position.advance()
            }
        }
        return Tensor.record(result, inputs: [self]) { gradient in [gradient] }
    }

    /// The elements of a plain float32 tensor. Callers get one through `plain()`.
    var floatBuffer: UnsafeMutableBufferPointer<Float> {
        precondition(isPlain && dtype == .f32, "floatBuffer needs a plain float32 tensor")
        return UnsafeMutableBufferPointer(
            start: storage.hostPointer.assumingMemoryBound(to: Float.self) + offset, count: count)
    }

    /// Calls `body` with the elements of this tensor, as plain row-major float32 (converting if needed).
    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let source = plain()
        return try withExtendedLifetime(source) { try body(UnsafeBufferPointer(source.floatBuffer)) }
    }

    /// This tensor as plain row-major float32: itself when it already is, otherwise a converted copy
    /// that shares the autograd history (the conversion's gradient is the inverse conversion).
    func plain() -> Tensor {
        if isPlain && dtype == .f32 { return self }
        if isStrided { return contiguous().plain() }
        if isPlain && !dtype.isComputable { return convertedToFloat() }
        let result = backend.rowMajorFloat(self)
        return Tensor.record(result, inputs: [self]) { [self] grad in
            [backend.relayout(grad, like: self)]
        }
    }

    /// Itself when oneDNN's kernels read its type (f32, bf16), otherwise its float32 copy (`plain()`).
    var computable: Tensor { dtype.isComputable && !isStrided ? self : plain() }

    /// A tensor sharing this one's storage with no autograd history: gradients stop here.
    public func detached() -> Tensor {
        Tensor(shape: shape, dtype: dtype, storage: storage, offset: offset, layout: layout)
    }

    /// A leaf sharing this storage that asks for its gradient.
    public func requiringGradient() -> Tensor {
        precondition(dtype.isFloatingPoint, "only floating-point tensors have gradients, not \(dtype)")
        return Tensor(shape: shape, dtype: dtype, storage: storage, offset: offset, layout: layout, requiresGrad: true)
    }

    /// An independent plain float32 copy with no autograd history.
    public func copy() -> Tensor {
        let source = plain()
        return Tensor(shape: shape) { destination in
            _ = destination.update(fromContentsOf: source.floatBuffer)
        }
    }

    /// Overwrites this tensor's elements in place with `other`'s, which must have the same shape.
    /// Meant for optimizers and weight loading; it bumps the storage version so caches rebuild.
    public func assign(_ other: Tensor) {
        precondition(other.shape == shape, "assign: shape \(other.shape) into \(shape)")
        precondition(isPlain && dtype == .f32, "assign needs a plain float32 destination")
        let source = other.plain()
        _ = floatBuffer.update(fromContentsOf: source.floatBuffer)
        storage.bumpVersion()
    }

    /// Makes this tensor hold `other`'s elements as they are stored (f16, bf16, codebook-quantized u8, or
    /// blocked), sharing its memory: how an inference network keeps a weight file's compact types, converted
    /// to float32 by the first kernel that reads them (and kept converted in that kernel's weight cache). The
    /// tensor keeps its identity, so modules and caches holding it stay valid; optimizers, which write
    /// float32 in place, refuse it afterwards. Only for leaves with no gradient history.
    public func adopt(_ other: Tensor) {
        precondition(other.shape == shape, "adopt: shape \(other.shape) into \(shape)")
        precondition(gradNode == nil, "adopt needs a leaf tensor")
        dtype = other.dtype
        storage = other.storage
        offset = other.offset
        layout = other.layout
    }

    /// Changes elements in place through `body` (plain float32 only) and bumps the storage version.
    func mutate(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        precondition(isPlain && dtype == .f32, "mutate needs a plain float32 tensor")
        try body(floatBuffer)
        storage.bumpVersion()
    }

    /// The storage version, to key caches on contents.
    var contentVersion: Int { storage.version }
}

extension Tensor: CustomStringConvertible {
    /// Shape, type and the first few elements.
    public var description: String {
        let values = scalars.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), \(dtype)\(requiresGrad ? ", requiresGrad" : ""): [\(values)\(count > 8 ? ", …" : "")])"
    }
}
