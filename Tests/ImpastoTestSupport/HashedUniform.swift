// Helpers shared by the test targets that compare Impasto with PyTorch references.
import ImpastoTensor

/// `bound · u`, `u` uniform in [-1, 1) from SplitMix64's finaliser of `seed · φ + (tensor << 40) + i`: the same
/// bits as `hashed_uniform` in scripts/make_stylize_reference.py, since every step is exact or one correctly
/// rounded float32 operation. Reference weights too big to commit are computed this way on both sides.
public func hashedUniform(seed: UInt64, tensor: Int, shape: [Int], bound: Float) -> Tensor {
    let base = seed &* 0x9E37_79B9_7F4A_7C15 &+ (UInt64(tensor) << 40)
    return Tensor(shape: shape) { values in
        for i in values.indices {
            var z = base &+ UInt64(i)
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            values[i] = (Float(z >> 40) * 0x1p-24 * 2 - 1) * bound
        }
    }
}
