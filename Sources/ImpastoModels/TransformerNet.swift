import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoTensor

/// TransformerNet: the feed-forward style network of Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time
/// Style Transfer and Super-Resolution", ECCV 2016 (arXiv:1603.08155), in the variant of pytorch/examples
/// `fast_neural_style` (instance norm after Ulyanov et al., arXiv:1607.08022; nearest upsampling plus
/// convolution instead of transposed convolutions, after Odena et al., distill.pub/2016/deconv-checkerboard).
///
/// Weights, keys as that example's `state_dict()` (`conv1.conv2d.weight`, `res3.in2.bias`, …), one file per
/// style: `candy.pth`, `mosaic.pth`, `rain_princess.pth`, `udnie.pth` from
/// https://www.dropbox.com/s/lrvwfehqdcxoza8/saved_models.zip (the URL in the example's `download_saved_models.py`;
/// SHA-256 not recorded here, for want of a route to Dropbox from this machine).
/// Those were saved by torch < 0.4 and carry `in*.running_mean` / `running_var` entries that instance norm never
/// used; `load(_:source:)` drops them, as the example's `stylize` does.
///
/// Input: RGB, 0…255 (not normalised), `[N, 3, H, W]`. Output: RGB, nominally 0…255 but unclamped. Two stride-2
/// convolutions and two ×2 upsamplings make the output `4·⌈⌈H/2⌉/2⌉` high (likewise wide): the input size when it
/// is a multiple of 4, otherwise up to 3 rows and columns more, aligned at the top left.
public final class TransformerNet: Module, UnaryLayer {
    let conv1 = ConvLayer(3, 32, kernelSize: 9)
    let in1 = InstanceNorm2d(features: 32, affine: true)
    let conv2 = ConvLayer(32, 64, kernelSize: 3, stride: 2)
    let in2 = InstanceNorm2d(features: 64, affine: true)
    let conv3 = ConvLayer(64, 128, kernelSize: 3, stride: 2)
    let in3 = InstanceNorm2d(features: 128, affine: true)
    let res1 = ResidualBlock(channels: 128), res2 = ResidualBlock(channels: 128), res3 = ResidualBlock(channels: 128)
    let res4 = ResidualBlock(channels: 128), res5 = ResidualBlock(channels: 128)
    let deconv1 = ConvLayer(128, 64, kernelSize: 3, upsample: 2)
    let in4 = InstanceNorm2d(features: 64, affine: true)
    let deconv2 = ConvLayer(64, 32, kernelSize: 3, upsample: 2)
    let in5 = InstanceNorm2d(features: 32, affine: true)
    let deconv3 = ConvLayer(32, 3, kernelSize: 9)

    /// A network with PyTorch's default initialisation (instance-norm scales 1, shifts 0).
    override public init() {}

    /// The network with the weights in `url` (a `.pth` as released, or safetensors with the same keys).
    ///
    /// - Throws: `ImpastoError` when the file cannot be read, or holds weights of another architecture
    ///   (a missing key, a shape mismatch, or keys this network does not have).
    public convenience init(contentsOf url: URL) throws {
        self.init()
        try load(WeightFile.load(contentsOf: url), source: url.path)
    }

    var residualBlocks: [ResidualBlock] { [res1, res2, res3, res4, res5] }

    /// Stylizes a batch: `[N, 3, H, W]` RGB 0…255 in, unclamped RGB 0…255 out (see the type's note on sizes).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == 3, "TransformerNet takes [N, 3, H, W], got \(input.shape)")
        var y = conv1(input)
        y = conv2(y, normalizedBy: in1)
        y = conv3(y, normalizedBy: in2)
        y = instanceNormReLUUpsamplePad(y, norm: in3.parameters, relu: true)
        for block in residualBlocks { y = block(y) }
        y = deconv1(y)
        y = deconv2(y, normalizedBy: in4)
        return deconv3(y, normalizedBy: in5)
    }

    /// Copies `weights` in, dropping the obsolete instance-norm statistics old checkpoints carry.
    ///
    /// - Throws: `ImpastoError.missingKey`, `.shapeMismatch` or `.unexpectedKeys` (naming `source`).
    public func load(_ weights: [String: Tensor], source: String) throws {
        try load(weights, ignoring: Self.isObsoleteStatistic, source: source)
    }

    /// Whether `key` is one of the `in<k>.running_mean|var` entries (also inside residual blocks) that
    /// checkpoints saved by torch < 0.4 hold for layers that never used them; the same pattern the example's
    /// `stylize` deletes, plus the `num_batches_tracked` counter torch 0.4 added beside them.
    public static func isObsoleteStatistic(_ key: String) -> Bool {
        let parts = key.split(separator: ".")
        guard parts.count >= 2, ["running_mean", "running_var", "num_batches_tracked"].contains(parts.last!) else {
            return false
        }
        let layer = parts[parts.count - 2]
        return layer.hasPrefix("in") && layer.count > 2 && layer.dropFirst(2).allSatisfy(\.isNumber)
    }
}

extension TransformerNet {
    /// Reflection padding by half the kernel, then an unpadded convolution (pytorch/examples' `ConvLayer`);
    /// with `upsample`, nearest-neighbour upsampling first (its `UpsampleConvLayer`). Only `conv2d` holds weights,
    /// so both variants have the keys `<name>.conv2d.weight|bias`.
    final class ConvLayer: Module, UnaryLayer {
        let conv2d: Conv2d
        let upsample: Int

        init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, upsample: Int = 1) {
            conv2d = Conv2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize,
                            stride: stride)
            self.upsample = upsample
        }

        func callAsFunction(_ input: Tensor) -> Tensor {
            conv2d(instanceNormReLUUpsamplePad(input, norm: nil, relu: false, upsample: upsample, reflectionPad: padding))
        }

        /// The layer applied to `relu(norm(input))`, the pattern between TransformerNet's convolutions.
        func callAsFunction(_ input: Tensor, normalizedBy norm: InstanceNorm2d) -> Tensor {
            conv2d(instanceNormReLUUpsamplePad(input, norm: norm.parameters, relu: true, upsample: upsample,
                                               reflectionPad: padding))
        }

        private var padding: Int { conv2d.weight.shape[2] / 2 }
    }

    /// Two 3×3 ConvLayers with instance norm, ReLU between them and none after the sum (He et al.,
    /// arXiv:1512.03385, as Gross & Wilber recommend for this use).
    final class ResidualBlock: Module, UnaryLayer {
        let conv1: ConvLayer, in1: InstanceNorm2d, conv2: ConvLayer, in2: InstanceNorm2d

        init(channels: Int) {
            conv1 = ConvLayer(channels, channels, kernelSize: 3)
            in1 = InstanceNorm2d(features: channels, affine: true)
            conv2 = ConvLayer(channels, channels, kernelSize: 3)
            in2 = InstanceNorm2d(features: channels, affine: true)
        }

        func callAsFunction(_ input: Tensor) -> Tensor {
            instanceNormAddingResidual(conv2(conv1(input), normalizedBy: in1), norm: in2.parameters, residual: input)
        }
    }
}
