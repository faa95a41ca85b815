import ImpastoNN
import ImpastoTensor

/// waifu2x's VGG7 and UpConv7 (see `Waifu2xArchitecture` for the paper, weights and input): six unpadded
/// 3×3 convolutions with leaky ReLUs, then a last 3×3 convolution (VGG7: 32-32-64-64-128-128 channels,
/// 7 pixels lost per side) or a 4×4 stride-2 transposed convolution (UpConv7: 16-32-64-128-256-256, 2×
/// larger, 14 output pixels lost per side).
public final class Waifu2xVGG7: Module, Waifu2xNetwork {
    public let architecture: Waifu2xArchitecture
    public let channels: Int
    let conv1: Conv2d, conv2: Conv2d, conv3: Conv2d, conv4: Conv2d, conv5: Conv2d, conv6: Conv2d
    /// A `Conv2d` (VGG7) or a `ConvTranspose2d` (UpConv7).
    let conv7: any UnaryLayer

    /// The net with random weights; `upconv` makes it UpConv7.
    public init(channels: Int, upconv: Bool) {
        architecture = upconv ? .upconv7 : .vgg7
        self.channels = channels
        let widths = upconv ? [channels, 16, 32, 64, 128, 256, 256] : [channels, 32, 32, 64, 64, 128, 128]
        let convs = (0..<6).map { Conv2d(inputChannels: widths[$0], outputChannels: widths[$0 + 1], kernelSize: 3) }
        (conv1, conv2, conv3, conv4, conv5, conv6) = (convs[0], convs[1], convs[2], convs[3], convs[4], convs[5])
        conv7 = upconv ? waifu2xUpconv(256, channels) : Conv2d(inputChannels: 128, outputChannels: channels, kernelSize: 3)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == channels, "waifu2x \(architecture.rawValue) takes [N, \(channels), H, W], got \(input.shape)")
        var h = input
        for conv in [conv1, conv2, conv3, conv4, conv5, conv6] { h = waifu2xActivation(conv(h)) }
        return conv7(h)
    }
}
