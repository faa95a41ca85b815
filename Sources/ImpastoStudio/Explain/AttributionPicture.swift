import Foundation
import ImpastoMedia
import ImpastoTensor

/// Attributions drawn as people look at them: heat over the photo for the methods that say *where* (saliency,
/// Grad-CAM, integrated gradients), the gradient itself as an image for those that say *what* (guided
/// backpropagation and deconvnet reconstruct edges and textures, as in Springenberg et al.'s and Zeiler and
/// Fergus's figures).
public enum AttributionPicture {
    /// The picture of `attribution` (`[1, C, h, w]` for the pixel methods, `[1, 1, h, w]` for Grad-CAM) for
    /// `photo`, the image the network saw, at the photo's size.
    public static func draw(_ method: AttributionMethod, _ attribution: Tensor, over photo: Image,
                            overlay: Bool = true) -> Image {
        switch method {
        case .guided, .deconvnet:
            return reconstruction(attribution)
        case .saliency, .integrated, .gradcam:
            let map = strength(method, attribution, width: photo.width, height: photo.height)
            return heat(map, over: overlay ? photo : nil)
        }
    }

    /// Per pixel, how strongly the attribution points at it, in [0, 1]: the channels' absolute values summed
    /// (Grad-CAM: its positive part, upsampled bilinearly), scaled so that the 98th percentile is 1 — captum's
    /// `visualize_image_attr` default, which keeps a few extreme pixels from washing out the rest.
    static func strength(_ method: AttributionMethod, _ attribution: Tensor, width: Int, height: Int) -> [Float] {
        let map: Tensor = withoutGradients {
            if method == .gradcam {
                return upsampleBilinear2d(relu(attribution), size: (height, width))
            }
            return attribution.abs().sum(alongAxes: [1], keepingDimensions: true)
        }
        let values = map.scalars
        let sorted = values.sorted()
        let top = sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * 0.98))]
        guard top > 0 else { return [Float](repeating: 0, count: values.count) }
        return values.map { min($0 / top, 1) }
    }

    /// `map` in the inferno colours, blended over a dimmed gray copy of `photo` by its own strength.
    static func heat(_ map: [Float], over photo: Image?) -> Image {
        let count = map.count
        let gray = photo.map { Array($0.grayscale().plane(0)) }
        var pixels = [Float](repeating: 0, count: 3 * count)
        for i in 0..<count {
            let colour = inferno(map[i])
            let alpha = gray == nil ? 1 : 0.25 + 0.75 * map[i]
            let base = gray.map { 0.6 * $0[i] } ?? 0
            for c in 0..<3 { pixels[c * count + i] = alpha * colour[c] + (1 - alpha) * base }
        }
        let (width, height) = photo.map { ($0.width, $0.height) } ?? (count, 1)
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// A gradient as an RGB image: centred on gray, scaled so that three standard deviations reach black or
    /// white (the normalisation of the deconvnet and guided backpropagation papers' figures).
    static func reconstruction(_ attribution: Tensor) -> Image {
        let values = attribution.scalars
        let mean = values.reduce(0, +) / Float(values.count)
        let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
        let scale = deviation > 0 ? 0.5 / (3 * deviation) : 0
        let shape = attribution.shape
        let channels = shape[1], (height, width) = (shape[2], shape[3])
        let pixels = values.map { clampedSample(0.5 + ($0 - mean) * scale) }
        return Image(width: width, height: height, channels: channels, pixels: pixels).rgb()
    }

    /// Matplotlib's inferno colour map at `t` ∈ [0, 1], by linear interpolation between nine of its stops.
    static func inferno(_ t: Float) -> [Float] {
        let stops: [[Float]] = [[0.001, 0.000, 0.014], [0.110, 0.047, 0.290], [0.320, 0.060, 0.430],
                                [0.522, 0.133, 0.420], [0.716, 0.215, 0.331], [0.868, 0.349, 0.211],
                                [0.967, 0.536, 0.065], [0.983, 0.754, 0.163], [0.988, 0.998, 0.645]]
        let position = max(0, min(t, 1)) * Float(stops.count - 1)
        let index = min(Int(position), stops.count - 2), fraction = position - Float(index)
        return (0..<3).map { stops[index][$0] * (1 - fraction) + stops[index + 1][$0] * fraction }
    }
}
