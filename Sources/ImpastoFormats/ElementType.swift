/// The element types weight files store; every one of them is loaded as float32.
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

/// IEEE half to float, exactly, without relying on `Float16` (missing on Intel Macs).
@inline(__always)
func halfToFloat(_ bits: UInt16) -> Float {
    let sign: UInt32 = UInt32(bits & 0x8000) << 16
    let exponent = UInt32(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0: // zero or subnormal: mantissa × 2^-24
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F: // infinity or NaN
        return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
    default:
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}
