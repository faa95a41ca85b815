import ImpastoNN
import ImpastoTensor

/// waifu2x's ResNet10 and UpResNet10 (see `Waifu2xArchitecture` for the paper, weights and input): a 3×3
/// convolution to 64 channels, five residual blocks (two unpadded 3×3 convolutions each, the shortcut
/// cropped by 2 pixels per side; UpResNet10's with squeeze-and-excitation, Hu et al., arXiv:1709.01507,
/// reduction 4), a 3×3 bridge convolution plus a long shortcut from the first layer cropped by 11, then a
/// last 3×3 convolution (ResNet10: 13 pixels lost per side) or a 4×4 stride-2 transposed convolution
/// (UpResNet10: 2× larger, 26 output pixels lost per side).
public final class Waifu2xResNet10: Module, Waifu2xNetwork {
    public let architecture: Waifu2xArchitecture
    public let channels: Int
    @ModuleInfo var convPre: Conv2d
    let res1: Block, res2: Block, res3: Block, res4: Block, res5: Block
    @ModuleInfo var convBridge: Conv2d
    /// A `Conv2d` (ResNet10) or a `ConvTranspose2d` (UpResNet10); a `Module` for `@ModuleInfo`.
    @ModuleInfo var convPost: Module

    /// The net with random weights; `upconv` makes it UpResNet10.
    public init(channels: Int, upconv: Bool) {
        architecture = upconv ? .upresnet10 : .resnet10
        self.channels = channels
        _convPre = ModuleInfo(wrappedValue: Conv2d(inputChannels: channels, outputChannels: 64, kernelSize: 3), key: "conv_pre")
        let blocks = (0..<5).map { _ in Block(channels: 64, squeezeExcitation: upconv) }
        (res1, res2, res3, res4, res5) = (blocks[0], blocks[1], blocks[2], blocks[3], blocks[4])
        _convBridge = ModuleInfo(wrappedValue: Conv2d(inputChannels: 64, outputChannels: 64, kernelSize: 3), key: "conv_bridge")
        let post: Module = upconv ? waifu2xUpconv(64, channels) : Conv2d(inputChannels: 64, outputChannels: channels, kernelSize: 3)
        _convPost = ModuleInfo(wrappedValue: post, key: "conv_post")
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == channels, "waifu2x \(architecture.rawValue) takes [N, \(channels), H, W], got \(input.shape)")
        let bridge = waifu2xActivation(convPre(input))
        var h = bridge
        for block in [res1, res2, res3, res4, res5] { h = block(h) }
        h = waifu2xActivation(convBridge(h)) + cropped(bridge, by: 11)
        return (convPost as! any UnaryLayer)(h)
    }

    /// Two 3×3 convolutions with leaky ReLUs, optionally rescaled per channel by squeeze-and-excitation,
    /// plus the input cropped to their output (4 pixels smaller).
    final class Block: Module, UnaryLayer {
        let conv1: Conv2d, conv2: Conv2d
        let fc1: Linear?, fc2: Linear?

        init(channels: Int, squeezeExcitation: Bool) {
            conv1 = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3)
            conv2 = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 3)
            fc1 = squeezeExcitation ? Linear(inputFeatures: channels, outputFeatures: channels / 4) : nil
            fc2 = squeezeExcitation ? Linear(inputFeatures: channels / 4, outputFeatures: channels) : nil
        }

        func callAsFunction(_ input: Tensor) -> Tensor {
            var h = waifu2xActivation(conv2(waifu2xActivation(conv1(input))))
            if let fc1, let fc2 {
                let squeezed = h.mean(alongAxes: [2, 3])
                let excitation = sigmoid(fc2(relu(fc1(squeezed))))
                h = h * excitation.reshaped([h.shape[0], h.shape[1], 1, 1])
            }
            return h + cropped(input, by: 2)
        }
    }
}

/// `x` without `margin` pixels at each side of its last two dimensions.
private func cropped(_ x: Tensor, by margin: Int) -> Tensor {
    x.sliced(axis: 2, margin..<x.shape[2] - margin).sliced(axis: 3, margin..<x.shape[3] - margin)
}
