import ImpastoStudio

/// VGG-19 weights that scripts/make_stylize_reference.py computes bit for bit the same, so the parity test
/// needs no 548 MB download: a uniform value from SplitMix64's finaliser of a counter, He-uniform bounds
/// (`√(6 / fan_in)`) for weights so activations keep their scale through all sixteen layers, `1 / √fan_in`
/// for biases. Keys in torchvision's `features.N.weight` layout.
func deterministicVGGWeights(seed: UInt64) -> [String: Tensor] {
    let widths = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0]
    var weights: [String: Tensor] = [:]
    var (inputs, convolution, index) = (3, 0, 0)
    for width in widths {
        guard width > 0 else {  // a pooling layer
            index += 1
            continue
        }
        let fanIn = inputs * 9
        let weightBound = Float((6.0 / Double(fanIn)).squareRoot()), biasBound = Float(1 / Double(fanIn).squareRoot())
        weights["features.\(index).weight"] = hashedUniform(
            seed: seed, tensor: 2 * convolution, shape: [width, inputs, 3, 3], bound: weightBound)
        weights["features.\(index).bias"] = hashedUniform(
            seed: seed, tensor: 2 * convolution + 1, shape: [width], bound: biasBound)
        (inputs, convolution, index) = (width, convolution + 1, index + 2)  // the convolution and its ReLU
    }
    return weights
}

/// `bound · u`, `u` uniform in [-1, 1) from the finaliser of `seed · φ + (tensor << 40) + i`; every step is
/// exact or one correctly rounded float32 operation, as in the Python twin.
private func hashedUniform(seed: UInt64, tensor: Int, shape: [Int], bound: Float) -> Tensor {
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
