/// Element types a tensor can hold.
///
/// Computation runs in float32 (and bfloat16 where a kernel was asked for `precision: .bf16`); the other
/// types are for storage and indexing: weights kept in their file's type (f16) until an op needs float32,
/// indices (i32, i64), masks (bool) and quantized data (u8). `plain()` converts any of them to float32.
public enum DType: String, Sendable, Equatable, CaseIterable {
    case f32, bf16, f16, i32, i64, u8, bool

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .i64: 8
        case .f32, .i32: 4
        case .bf16, .f16: 2
        case .u8, .bool: 1
        }
    }

    /// True for f32, bf16 and f16.
    public var isFloatingPoint: Bool { self == .f32 || self == .bf16 || self == .f16 }

    /// True for the types oneDNN's kernels compute in here (the others are converted to float32 first).
    var isComputable: Bool { self == .f32 || self == .bf16 }
}

/// The arithmetic a kernel runs in. `.bf16` rounds inputs and weights to bfloat16 and accumulates in
/// float32 (AVX-512 BF16 or AMX where the CPU has them).
public enum Precision: String, Sendable, CaseIterable {
    case fp32
    case bf16

    /// The arithmetic convolutions run in when the call does not say: float32, unless a job runs inside
    /// `Precision.$current.withValue(.bf16) { … }`. A task-local, so jobs side by side on one shared model
    /// each keep their own, and no job changes the model.
    @TaskLocal public static var current: Precision = .fp32
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

/// IEEE half-precision bits to float32, exactly, without Swift's `Float16` (missing on Intel Macs).
@inline(__always)
public func halfToFloat(_ bits: UInt16) -> Float {
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

/// Rounds float32 to IEEE half precision, to nearest even as PyTorch's `.half()` does: overflow gives
/// infinity, tiny values become subnormals or zero, NaN stays NaN.
@inline(__always)
public func floatToHalf(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let magnitude = bits & 0x7FFF_FFFF
    if magnitude >= 0x7F80_0000 {  // infinity or NaN
        return sign | 0x7C00 | (magnitude > 0x7F80_0000 ? 0x200 : 0)
    }
    if magnitude >= 0x4780_0000 { return sign | 0x7C00 }  // ≥ 65536: beyond the largest half even after rounding
    if magnitude < 0x3880_0000 {  // below 2^-14: a subnormal half, m × 2^-24
        // Adding 0.5 makes the float unit 2^-24 below the point, so the FPU's own round-to-nearest-even does it.
        let rounded = Float(bitPattern: magnitude) + 0.5
        return sign | UInt16(truncatingIfNeeded: rounded.bitPattern - Float(0.5).bitPattern)
    }
    // Normal: rebias the exponent (127 → 15) and round the 13 dropped mantissa bits to nearest even;
    // a carry out of the mantissa correctly bumps the exponent (up to infinity).
    let rebiased = magnitude &- 0x3800_0000
    let rounding = UInt32(0xFFF) + ((rebiased >> 13) & 1)
    return sign | UInt16(truncatingIfNeeded: (rebiased &+ rounding) >> 13)
}
