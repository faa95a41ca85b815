import ImpastoTensor

/// The element types weight files store. Tensors keep f32, f16, bf16, i64, i32, u8 and bool as they are;
/// f64, i16 and i8 are loaded as float32.
/// Raw values are the safetensors dtype names.
enum ElementType: String {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// The type of a PyTorch typed storage class (`torch.FloatStorage` is "FloatStorage").
    init?(torchStorage name: String) {
        switch name {
        case "DoubleStorage": self = .f64
        case "FloatStorage": self = .f32
        case "HalfStorage": self = .f16
        case "BFloat16Storage": self = .bf16
        case "LongStorage": self = .i64
        case "IntStorage": self = .i32
        case "ShortStorage": self = .i16
        case "CharStorage": self = .i8
        case "ByteStorage": self = .u8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// The tensor type that holds this type's values unchanged; nil for the types Impasto widens to
    /// float32 (f64, i16, i8).
    var tensorType: DType? {
        switch self {
        case .f32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .i64: .i64
        case .i32: .i32
        case .u8: .u8
        case .bool: .bool
        case .f64, .i16, .i8: nil
        }
    }

    /// A tensor of `shape` from the row-major elements at `source`, in this type where a tensor can hold it,
    /// else as float32.
    func tensor(shape: [Int], contiguousAt source: UnsafeRawPointer) -> Tensor {
        if let dtype = tensorType { return Tensor(shape: shape, dtype: dtype, copyingBytesFrom: source) }
        return Tensor(shape: shape) { destination in
            guard let target = destination.baseAddress else { return }
            convert(source, count: destination.count, stride: 1, into: target)
        }
    }

    /// Converts `count` elements that lie `stride` elements apart from `source` (little-endian, any
    /// alignment) into consecutive floats at `destination`.
    func convert(_ source: UnsafeRawPointer, count: Int, stride: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32 where stride == 1:
            // A byte copy: the file need not align floats to 4 bytes.
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
        case .f32: gather(source, count, stride, destination) { (bits: UInt32) in Float(bitPattern: bits) }
        case .f64: gather(source, count, stride, destination) { (bits: UInt64) in Float(Double(bitPattern: bits)) }
        case .f16: gather(source, count, stride, destination, halfToFloat)
        case .bf16: gather(source, count, stride, destination) { (bits: UInt16) in Float(bitPattern: UInt32(bits) << 16) }
        case .i64: gather(source, count, stride, destination) { (value: Int64) in Float(value) }
        case .i32: gather(source, count, stride, destination) { (value: Int32) in Float(value) }
        case .i16: gather(source, count, stride, destination) { (value: Int16) in Float(value) }
        case .i8: gather(source, count, stride, destination) { (value: Int8) in Float(value) }
        case .u8: gather(source, count, stride, destination) { (value: UInt8) in Float(value) }
        case .bool: gather(source, count, stride, destination) { (value: UInt8) in value == 0 ? 0 : 1 }
        }
    }
}

@inline(__always)
private func gather<Element: FixedWidthInteger>(
    _ source: UnsafeRawPointer, _ count: Int, _ stride: Int, _ destination: UnsafeMutablePointer<Float>,
    _ convert: (Element) -> Float
) {
    let step = stride * MemoryLayout<Element>.size
    for index in 0..<count {
        destination[index] = convert(Element(littleEndian: source.loadUnaligned(fromByteOffset: index * step,
                                                                              as: Element.self)))
    }
}
