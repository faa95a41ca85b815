import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport

/// VGG `features` weights that scripts/make_stylize_reference.py (`deterministic_weights`) computes bit for bit
/// the same, so the parity tests need no 528–548 MB download: `hashedUniform` values, He-uniform bounds
/// (`√(6 / fan_in)`) for weights so activations keep their scale through all the layers, `1 / √fan_in` for
/// biases. Keys in torchvision's `features.N.weight` layout; VGG-19 by default, `[2, 2, 3, 3, 3]` for VGG-16.
func deterministicVGGWeights(seed: UInt64, convolutionsPerBlock: [Int] = [2, 2, 4, 4, 4]) -> [String: Tensor] {
    var weights: [String: Tensor] = [:]
    var (inputs, convolution, index) = (3, 0, 0)
    for (width, count) in zip([64, 128, 256, 512, 512], convolutionsPerBlock) {
        for _ in 0..<count {
            let fanIn = inputs * 9
            let weightBound = Float((6.0 / Double(fanIn)).squareRoot())
            let biasBound = Float(1 / Double(fanIn).squareRoot())
            weights["features.\(index).weight"] = hashedUniform(
                seed: seed, tensor: 2 * convolution, shape: [width, inputs, 3, 3], bound: weightBound)
            weights["features.\(index).bias"] = hashedUniform(
                seed: seed, tensor: 2 * convolution + 1, shape: [width], bound: biasBound)
            (inputs, convolution, index) = (width, convolution + 1, index + 2)  // the convolution and its ReLU
        }
        index += 1  // the pooling
    }
    return weights
}
