/// Element types a tensor can hold. Storage is float32 by default; bf16 appears where a computation
/// asked for `precision: .bf16` and oneDNN kept its result in that type.
public enum DType: Sendable, Equatable {
    case f32
    case bf16

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f32: 4
        case .bf16: 2
        }
    }
}

/// The arithmetic a kernel runs in. `.bf16` rounds inputs and weights to bfloat16 and accumulates in
/// float32 (AVX-512 BF16 or AMX where the CPU has them).
public enum Precision: String, Sendable, CaseIterable {
    case fp32
    case bf16
}

/// Converts bfloat16 bit patterns to float32; exact.
@inline(__always)
func bf16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// Rounds float32 to bfloat16 to nearest even, as oneDNN does.
@inline(__always)
func floatToBF16(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x40 }
    let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
}
