import ImpastoNN
import ImpastoTensor

// VGG-16: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
// ICLR 2015 (arXiv:1409.1556), configuration D. Only `features` is built, as for VGG-19: the perceptual
// loss of Johnson et al. (arXiv:1603.08155) reads relu1_2, relu2_2, relu3_3 and relu4_3.
//
// Weights, key layout `features.<index>.weight|bias` as torchvision's `vgg16().features`: torchvision
// `vgg16-397923af.pth` (https://download.pytorch.org/models/vgg16-397923af.pth, SHA-256 prefix 397923af,
// the loss network of pytorch/examples `fast_neural_style`). Input: RGB in [0, 1], normalised by ImageNet
// mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).

/// The thirteen 3×3 convolutions of VGG-16 with their ReLUs and five poolings, addressable by name
/// (`relu2_2`), run only as deep as the deepest layer asked for.
public final class VGG16: Module {
    /// Layer names in `features` order: `conv1_1`, `relu1_1`, …, `pool5`.
    public static let layerNames = VGGFeatures.layerNames(convolutionsPerBlock: [2, 2, 3, 3, 3])

    /// The `features` stack, named "0" … "30" as in torchvision.
    public let features: Sequential

    /// An uninitialised (PyTorch-default random) VGG-16 feature extractor.
    public init(pooling: VGG19.Pooling = .max) {
        features = VGGFeatures.make(layerNames: Self.layerNames, pooling: pooling)
    }

    /// Runs the stack up to the deepest of `layers` and returns each requested activation by name.
    public func callAsFunction(_ input: Tensor, layers: [String]) -> [String: Tensor] {
        VGGFeatures.run(features, layerNames: Self.layerNames, model: "VGG-16", input: input, layers: layers)
    }
}

/// What VGG-16 and VGG-19 share: blocks of 3×3 convolutions of 64…512 channels, each followed by a ReLU,
/// with a pooling after each block.
enum VGGFeatures {
    /// `conv<b>_<i>`, `relu<b>_<i>` per convolution and `pool<b>` per block.
    static func layerNames(convolutionsPerBlock: [Int]) -> [String] {
        var names: [String] = []
        for (block, convolutions) in convolutionsPerBlock.enumerated() {
            for index in 1...convolutions {
                names += ["conv\(block + 1)_\(index)", "relu\(block + 1)_\(index)"]
            }
            names.append("pool\(block + 1)")
        }
        return names
    }

    /// The channels of a block's layers, block 1 first.
    static let widths = [64, 128, 256, 512, 512]

    /// The channels of the layer called `name` (`relu4_1`: 512), or nil for a name that is no VGG layer.
    static func channels(of name: String) -> Int? {
        let digits = name.drop { $0.isLetter }
        guard let block = digits.first?.wholeNumberValue, (1...widths.count).contains(block) else { return nil }
        return widths[block - 1]
    }

    /// The layers named by `layerNames`, and the convolutions among them.
    static func make(layerNames: [String], pooling: VGG19.Pooling) -> Sequential {
        var layers: [any UnaryLayer] = []
        var channels = 3
        for name in layerNames {
            if name.hasPrefix("conv") {
                let block = Int(String(name.dropFirst(4).prefix(1)))!
                let width = widths[block - 1]
                let conv = Conv2d(inputChannels: channels, outputChannels: width, kernelSize: 3, padding: 1)
                layers.append(conv)
                channels = width
            } else if name.hasPrefix("relu") {
                layers.append(ReLU())
            } else {
                layers.append(pooling == .max ? MaxPool2d(kernelSize: 2, stride: 2) as any UnaryLayer
                                              : AvgPool2d(kernelSize: 2, stride: 2))
            }
        }
        return Sequential(layers)
    }

    /// Runs `features` up to the deepest of `layers` and returns each requested activation by name.
    static func run(_ features: Sequential, layerNames: [String], model: String, input: Tensor,
                    layers: [String]) -> [String: Tensor] {
        let wanted = Set(layers.map { name -> Int in
            guard let index = layerNames.firstIndex(of: name) else { preconditionFailure("\(model) has no layer \(name)") }
            return index
        })
        guard let deepest = wanted.max() else { return [:] }
        var outputs: [String: Tensor] = [:]
        var x = input
        for index in 0...deepest {
            x = features.layers[index](x)
            if wanted.contains(index) { outputs[layerNames[index]] = x }
        }
        return outputs
    }
}
