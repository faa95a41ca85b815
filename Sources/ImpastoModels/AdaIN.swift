import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoTensor

/// Arbitrary style transfer with adaptive instance normalisation: Huang & Belongie, "Arbitrary Style Transfer in
/// Real-time with Adaptive Instance Normalization", ICCV 2017 (arXiv:1703.06868), as naoto0804/pytorch-AdaIN
/// builds it: a fixed VGG-19 encoder up to relu4_1, AdaIN on its features, and a trained mirror-image decoder.
///
/// Weights, two files from that repository's release v0.0.0 (`https://github.com/naoto0804/pytorch-AdaIN/releases/
/// download/v0.0.0/vgg_normalised.pth` and `…/decoder.pth`; SHA-256 not recorded here, this machine has no route to
/// GitHub, so the model store's entries are where to pin them):
/// - `vgg_normalised.pth`: the encoder, keys `0.weight`, `2.weight`, … (indices into its 53-module `nn.Sequential`,
///   through relu5_4); only modules 0…30 (through relu4_1) are used, the rest are ignored on load. Converted from
///   the Torch `vgg_normalised.t7` of Huang's original code; its leading 1×1 convolution maps RGB in [0, 1] to the
///   mean-subtracted BGR 0…255 the Caffe VGG expects, so the input is simply RGB in [0, 1].
/// - `decoder.pth`: the decoder, keys `1.weight`, `5.weight`, …; output RGB, nominally [0, 1], unclamped.
///
/// Input `[N, 3, H, W]` RGB in [0, 1]. Three ceil-mode poolings and three ×2 upsamplings make the output
/// `8·⌈H/8⌉` high (likewise wide), aligned at the top left.
public final class AdaIN: Module {
    /// The encoder: `vgg_normalised.pth`'s modules 0…30, the 1×1 colour convolution through relu4_1.
    public let encoder: Sequential
    /// The decoder: `decoder.pth`'s modules, relu4_1's 512 channels back to RGB.
    public let decoder: Sequential

    /// Modules of `vgg_normalised.pth`'s Sequential that the encoder keeps.
    public static let encoderDepth = 31

    /// A network with PyTorch's default initialisation.
    override public init() {
        func convolution(_ inputs: Int, _ outputs: Int) -> [any UnaryLayer] {
            [ReflectionPad2d(1), Conv2d(inputChannels: inputs, outputChannels: outputs, kernelSize: 3), ReLU()]
        }
        let colour = Conv2d(inputChannels: 3, outputChannels: 3, kernelSize: 1)
        var encoderLayers: [any UnaryLayer] = [colour]
        var channels = 3
        for (block, (width, count)) in [(64, 2), (128, 2), (256, 4), (512, 1)].enumerated() {
            if block > 0 { encoderLayers.append(MaxPool2d(kernelSize: 2, stride: 2, ceilMode: true)) }
            for _ in 0..<count {
                encoderLayers += convolution(channels, width)
                channels = width
            }
        }
        precondition(encoderLayers.count == Self.encoderDepth)
        var decoderLayers: [any UnaryLayer] = []
        let plan: [(Int, Int)?] = [(512, 256), nil, (256, 256), (256, 256), (256, 256), (256, 128), nil,
                                   (128, 128), (128, 64), nil, (64, 64), (64, 3)]
        for step in plan {
            decoderLayers += step.map { convolution($0.0, $0.1) } ?? [Upsample(scaleFactor: 2)]
        }
        decoderLayers.removeLast()  // the last convolution has no ReLU
        encoder = Sequential(encoderLayers)
        decoder = Sequential(decoderLayers)
    }

    /// The network with the weights of `vgg_normalised.pth` and `decoder.pth` (or files with their keys).
    ///
    /// - Throws: `ImpastoError` when a file cannot be read or holds weights of another architecture.
    public convenience init(encoderContentsOf encoderURL: URL, decoderContentsOf decoderURL: URL) throws {
        self.init()
        try loadEncoder(WeightFile.load(contentsOf: encoderURL), source: encoderURL.path)
        try loadDecoder(WeightFile.load(contentsOf: decoderURL), source: decoderURL.path)
    }


    /// Copies a `vgg_normalised.pth` state dict into the encoder, ignoring the layers past relu4_1.
    public func loadEncoder(_ weights: [String: Tensor], source: String) throws {
        try encoder.load(weights, ignoring: { key in
            key.split(separator: ".").first.flatMap { Int($0) }.map { $0 >= Self.encoderDepth } ?? false
        }, source: source)
    }

    /// Copies a `decoder.pth` state dict into the decoder.
    public func loadDecoder(_ weights: [String: Tensor], source: String) throws {
        try decoder.load(weights, source: source)
    }

    /// relu4_1 features `[N, 512, ⌈H/8⌉, ⌈W/8⌉]` of RGB images in [0, 1].
    public func encode(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[1] == 3, "AdaIN encodes [N, 3, H, W], got \(images.shape)")
        return encoder(images)
    }

    /// RGB images (nominally [0, 1], unclamped) from relu4_1-shaped features.
    public func decode(_ features: Tensor) -> Tensor {
        decoder(features)
    }

    /// The statistics AdaIN transfers from a style: relu4_1's channel means and deviations, `[N, 512, 1, 1]`.
    public func styleStatistics(of images: Tensor) -> FeatureStatistics {
        FeatureStatistics(of: encode(images))
    }

    /// Stylizes `content` (`[N, 3, H, W]`, RGB in [0, 1]) with `style` (one sample, or one per content image):
    /// the decoded mix `alpha · AdaIN(f, style) + (1 − alpha) · f` of the content features `f`.
    public func callAsFunction(_ content: Tensor, style: FeatureStatistics, alpha: Float = 1) -> Tensor {
        precondition((0...1).contains(alpha), "AdaIN's alpha must lie in [0, 1], not \(alpha)")
        let features = encode(content)
        let stylized = adaptiveInstanceNormalization(features, style: style)
        return decode(alpha == 1 ? stylized : stylized * alpha + features * (1 - alpha))
    }
}

/// Per-sample, per-channel mean and standard deviation of a feature map, the two numbers per channel that AdaIN
/// carries from one image to another.
public struct FeatureStatistics {
    /// `[N, C, 1, 1]` means.
    public let mean: Tensor
    /// `[N, C, 1, 1]` deviations `√(unbiased variance + ε)`, as pytorch-AdaIN's `calc_mean_std`.
    public let deviation: Tensor

    /// Statistics from given tensors.
    public init(mean: Tensor, deviation: Tensor) {
        precondition(mean.shape == deviation.shape, "mean \(mean.shape) and deviation \(deviation.shape) differ")
        self.mean = mean
        self.deviation = deviation
    }

    /// The statistics of `features` (`[N, C, H, W]`, at least two positions per channel).
    public init(of features: Tensor, epsilon: Float = 1e-5) {
        precondition(features.rank == 4, "feature statistics need [N, C, H, W], got \(features.shape)")
        let positions = features.shape[2] * features.shape[3]
        precondition(positions > 1, "an unbiased variance needs two positions, got \(features.shape)")
        let mean = features.mean(alongAxes: [2, 3], keepingDimensions: true)
        let variance = (features - mean).squared().sum(alongAxes: [2, 3], keepingDimensions: true)
            / Float(positions - 1)
        self.init(mean: mean, deviation: (variance + epsilon).sqrt())
    }

    /// The weighted sum of several styles' statistics (one sample each), for style interpolation: AdaIN is affine
    /// in the style's mean and deviation, so this equals pytorch-AdaIN's weighted sum of AdaIN outputs.
    public static func blend(_ styles: [FeatureStatistics], weights: [Float]) -> FeatureStatistics {
        precondition(!styles.isEmpty && styles.count == weights.count,
                     "blending needs one weight per style, got \(styles.count) styles and \(weights.count) weights")
        var (mean, deviation) = (styles[0].mean * weights[0], styles[0].deviation * weights[0])
        for (style, weight) in zip(styles, weights).dropFirst() {
            mean = mean + style.mean * weight
            deviation = deviation + style.deviation * weight
        }
        return FeatureStatistics(mean: mean, deviation: deviation)
    }
}

/// `σ_style · (x − μ_x) / σ_x + μ_style` per sample and channel, with `x`'s statistics as `FeatureStatistics`
/// computes them (pytorch-AdaIN's `adaptive_instance_normalization`).
public func adaptiveInstanceNormalization(_ content: Tensor, style: FeatureStatistics) -> Tensor {
    let own = FeatureStatistics(of: content)
    precondition(style.mean.shape[1] == content.shape[1],
                 "style statistics for \(style.mean.shape[1]) channels, content has \(content.shape[1])")
    return (content - own.mean) * (style.deviation / own.deviation) + style.mean
}

extension AdaIN {
    /// `source` (`[3, H, W]`) recoloured so that its channel means, deviations and correlations become
    /// `target`'s: pytorch-AdaIN's `coral` (after Sun et al., "Return of Frustratingly Easy Domain Adaptation",
    /// arXiv:1511.05547), which its `--preserve_color` applies to the style image before stylizing.
    ///
    /// Each side is standardised per channel, its matrix `C = Σ x̂ x̂ᵀ + I` formed, and the source whitened by
    /// `C_source^(−1/2)` and coloured by `C_target^(1/2)`. The matrices are symmetric positive definite, so their
    /// square roots come from an eigendecomposition, which is what the reference's SVD computes for them.
    public static func coral(_ source: Tensor, matching target: Tensor) -> Tensor {
        precondition(source.rank == 3 && source.shape[0] == 3 && target.rank == 3 && target.shape[0] == 3,
                     "coral recolours [3, H, W] images, got \(source.shape) and \(target.shape)")
        let from = ColourStatistics(source), to = ColourStatistics(target)
        let map = multiply(symmetricPower(to.covariance, 0.5), symmetricPower(from.covariance, -0.5))
        // out[c] = σt[c] · Σk map[c][k] · (x[k] − μs[k]) / σs[k] + μt[c], folded into one affine map per pixel.
        var scale = [[Float]](repeating: [0, 0, 0], count: 3), offset: [Float] = [0, 0, 0]
        for c in 0..<3 {
            var shift = to.mean[c]
            for k in 0..<3 {
                let factor = to.deviation[c] * map[c][k] / from.deviation[k]
                scale[c][k] = Float(factor)
                shift -= factor * from.mean[k]
            }
            offset[c] = Float(shift)
        }
        let count = source.count / 3
        let x = source.scalars
        var out = [Float](repeating: 0, count: x.count)
        for c in 0..<3 {
            let (a, b, d, shift) = (scale[c][0], scale[c][1], scale[c][2], offset[c])
            for i in 0..<count { out[c * count + i] = a * x[i] + b * x[count + i] + d * x[2 * count + i] + shift }
        }
        return Tensor(shape: source.shape, scalars: out)
    }
}

/// Channel means, unbiased deviations and `Σ x̂ x̂ᵀ + I` of a `[3, H, W]` image, in double precision.
private struct ColourStatistics {
    var mean = [Double](repeating: 0, count: 3), deviation = [Double](repeating: 0, count: 3)
    var covariance = [[Double]](repeating: [0, 0, 0], count: 3)

    init(_ image: Tensor) {
        let count = image.count / 3
        precondition(count > 1, "coral needs images of two pixels or more, got \(image.shape)")
        let x = image.scalars
        for c in 0..<3 { mean[c] = x[c * count..<(c + 1) * count].reduce(0.0) { $0 + Double($1) } / Double(count) }
        var products = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<count {
            let d = (0..<3).map { Double(x[$0 * count + i]) - mean[$0] }
            for r in 0..<3 { for c in r..<3 { products[r][c] += d[r] * d[c] } }
        }
        for c in 0..<3 { deviation[c] = (products[c][c] / Double(count - 1)).squareRoot() }
        for r in 0..<3 {
            for c in r..<3 {
                covariance[r][c] = products[r][c] / (deviation[r] * deviation[c]) + (r == c ? 1 : 0)
                covariance[c][r] = covariance[r][c]
            }
        }
    }
}

/// `V diag(λ^p) Vᵀ` for a symmetric positive definite 3×3 matrix, by cyclic Jacobi rotations.
private func symmetricPower(_ matrix: [[Double]], _ power: Double) -> [[Double]] {
    var a = matrix
    var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    for _ in 0..<50 {
        let offDiagonal = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
        if offDiagonal <= 1e-30 * (a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]) { break }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
            // The rotation that zeroes a[p][q] (Golub & Van Loan, algorithm 8.4.1).
            let tau = (a[q][q] - a[p][p]) / (2 * a[p][q])
            let t = (tau >= 0 ? 1 : -1) / (Swift.abs(tau) + (1 + tau * tau).squareRoot())
            let c = 1 / (1 + t * t).squareRoot(), s = t * c
            for k in 0..<3 {
                let (akp, akq) = (a[k][p], a[k][q])
                a[k][p] = c * akp - s * akq
                a[k][q] = s * akp + c * akq
            }
            for k in 0..<3 {
                let (apk, aqk) = (a[p][k], a[q][k])
                a[p][k] = c * apk - s * aqk
                a[q][k] = s * apk + c * aqk
            }
            for k in 0..<3 {
                let (vkp, vkq) = (v[k][p], v[k][q])
                v[k][p] = c * vkp - s * vkq
                v[k][q] = s * vkp + c * vkq
            }
        }
    }
    let scaled = (0..<3).map { Foundation.pow(a[$0][$0], power) }
    return (0..<3).map { r in (0..<3).map { c in (0..<3).reduce(0) { $0 + v[r][$1] * scaled[$1] * v[c][$1] } } }
}

private func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
    (0..<3).map { r in (0..<3).map { c in (0..<3).reduce(0) { $0 + a[r][$1] * b[$1][c] } } }
}
