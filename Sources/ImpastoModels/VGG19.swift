import ImpastoNN

// VGG-19: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
// ICLR 2015 (arXiv:1409.1556). Only the convolutional part (`features`) is built: style transfer and
// perceptual losses read activations, never class scores.
//
// Weights, key layout `features.<index>.weight|bias` as torchvision's `vgg19().features`:
// - torchvision `vgg19-dcbb9e9d.pth`: RGB in [0, 1], normalised by ImageNet mean (0.485, 0.456, 0.406) and
//   std (0.229, 0.224, 0.225).
// - Caffe-converted `vgg19-d01eb7cb.pth` (neural-style-pt): BGR, 0…255, minus mean (103.939, 116.779, 123.68).
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
    private let convolutions: [Conv2d]

    /// An uninitialised (PyTorch-default random) VGG-19 feature extractor.
    public init(pooling: Pooling = .max) {
        (features, convolutions) = VGGFeatures.make(layerNames: Self.layerNames, pooling: pooling)
    }

    override public var children: [(name: String, module: Module)] { [("features", features)] }

    /// The arithmetic of every convolution (`.bf16` is several times faster on CPUs with bf16 units).
    public var precision: Precision = .fp32 {
        didSet { for conv in convolutions { conv.precision = precision } }
    }

    /// The index of a named layer in `features`, or nil if there is no such layer.
    public static func index(of layer: String) -> Int? { layerNames.firstIndex(of: layer) }

    /// Runs the stack up to the deepest of `layers` and returns each requested activation by name.
    public func callAsFunction(_ input: Tensor, layers: [String]) -> [String: Tensor] {
        VGGFeatures.run(features, layerNames: Self.layerNames, model: "VGG-19", input: input, layers: layers)
    }
}
