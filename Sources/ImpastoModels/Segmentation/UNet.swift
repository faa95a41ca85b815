import ImpastoNN
import ImpastoTensor

// U-Net: Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image Segmentation", MICCAI 2015
// (its figure 1). Unlike the paper, every 3×3 convolution pads by 1, so the output is the input's size and no
// cropping of the skip connections is needed (the paper's unpadded 572 → 388 tiling is not used here).
//
// Weights: none ship; `impasto train-segmenter --model unet` trains them in Impasto; keys are
// `down.0.first.weight`, `up.3.second.bias`, `upConvolutions.0.weight`, `classifier.weight`, ….
//
// Input: RGB, NCHW, (value − 0.5) · 2 for values in 0…1; height and width multiples of 2^depth (16 for the
// paper's 4 poolings). Output: logits [N, classes, H, W].
//
// Layers: per level two conv 3×3 + ReLU (64, 128, 256, 512, 1024 channels: `baseChannels` doubled each level),
// max-pool 2×2 between levels; on the way up a 2×2 transposed convolution stride 2 halving the channels, concat with
// the level's skip, two conv 3×3 + ReLU; a final conv 1×1 to the classes. 23 convolutions with depth 4 (the paper's
// count: 18 3×3, 4 up-convolutions, 1 1×1).

/// Two padded 3×3 convolutions, each followed by ReLU.
final class DoubleConvolution: Module {
    let first: Conv2d
    let second: Conv2d

    init(inputChannels: Int, outputChannels: Int) {
        first = Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1)
        second = Conv2d(inputChannels: outputChannels, outputChannels: outputChannels, kernelSize: 3, padding: 1)
    }

    func callAsFunction(_ input: Tensor) -> Tensor { relu(second(relu(first(input)))) }
}

/// The U-shaped network.
public final class UNet: Module {
    /// Max-pool steps (4 in the paper).
    public let depth: Int
    public let baseChannels: Int
    public let classes: Int
    let down: [DoubleConvolution]
    let upConvolutions: [ConvTranspose2d]
    let up: [DoubleConvolution]
    let classifier: Conv2d
    let pool = MaxPool2d(kernelSize: 2)

    /// The paper's network with `depth: 4, baseChannels: 64`; smaller ones for tests and small data.
    public init(depth: Int = 4, baseChannels: Int = 64, classes: Int = 2) {
        precondition(depth >= 1 && baseChannels >= 1, "U-Net depth \(depth) and width \(baseChannels) must be positive")
        (self.depth, self.baseChannels, self.classes) = (depth, baseChannels, classes)
        let widths = (0...depth).map { baseChannels << $0 }
        down = (0...depth).map { DoubleConvolution(inputChannels: $0 == 0 ? 3 : widths[$0 - 1], outputChannels: widths[$0]) }
        upConvolutions = (0..<depth).reversed().map {
            ConvTranspose2d(inputChannels: widths[$0 + 1], outputChannels: widths[$0], kernelSize: 2, stride: 2)
        }
        up = (0..<depth).reversed().map { DoubleConvolution(inputChannels: 2 * widths[$0], outputChannels: widths[$0]) }
        classifier = Conv2d(inputChannels: baseChannels, outputChannels: classes, kernelSize: 1)
    }

    override public var children: [(name: String, module: Module)] {
        [("down", ModuleList(down)), ("upConvolutions", ModuleList(upConvolutions)), ("up", ModuleList(up)),
         ("classifier", classifier), ("pool", pool)]
    }

    /// Height and width must be multiples of this.
    public var sideMultiple: Int { 1 << depth }

    /// Convolutions of every kind: 23 for the paper's depth 4.
    public var convolutionCount: Int { 2 * (depth + 1) + depth + 2 * depth + 1 }

    /// Logits [N, classes, H, W] for [N, 3, H, W] with H and W multiples of `sideMultiple`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == 3 && input.shape[2] % sideMultiple == 0 && input.shape[3] % sideMultiple == 0,
                     "U-Net takes [N, 3, H, W] with H and W multiples of \(sideMultiple), not \(input.shape)")
        var x = input
        var skips: [Tensor] = []
        for (level, block) in down.enumerated() {
            if level > 0 { x = pool(x) }
            x = block(x)
            skips.append(x)
        }
        for (index, (upConvolution, block)) in zip(upConvolutions, up).enumerated() {
            x = block(concat([skips[depth - 1 - index], upConvolution(x)], axis: 1))
        }
        return classifier(x)
    }
}
