import Foundation

// The seed's other two uses of the style machinery: what a layer keeps of a photo (feature inversion, its
// "content reconstructions") and what the Gram matrices keep of a painting (texture synthesis, its "style
// reconstructions"). Both are a `StylizeJob` with one loss switched off, started from noise.

extension StylizeJob {
    /// Feature inversion (Mahendran and Vedaldi 2015, as Gatys et al. show it): from noise, an image whose
    /// activations at `layers` match `image`'s. Shallow layers give the photo back; deep ones keep the
    /// arrangement of objects and lose the exact pixels.
    public static func inversion(of image: URL, layers: [String], output: URL, size: Int = 384,
                                 iterations: Int = 500, tvWeight: Float = 1e-3, seed: UInt64 = 0) -> StylizeJob {
        var options = StylizeOptions()
        options.contentLayers = layers
        options.styleLayers = []
        options.contentWeight = 1
        options.styleWeight = 0
        options.tvWeight = tvWeight
        options.size = size
        options.iterations = iterations
        options.initialization = .random
        options.seed = seed
        return StylizeJob(content: image, styles: [], output: output, options: options)
    }

    /// Texture synthesis (Gatys, Ecker and Bethge 2015): from noise, an image whose Gram matrices at neural-style's
    /// five style layers match `style`'s, at the style image's proportions scaled to `size`. `tileable` makes
    /// VGG-19 see the image as a torus (every convolution pads by wrapping around), so the texture tiles.
    public static func texture(of style: URL, output: URL, size: Int = 384, iterations: Int = 500,
                               tvWeight: Float = 1e-3, seed: UInt64 = 0, tileable: Bool = false) -> StylizeJob {
        var options = StylizeOptions()
        options.contentLayers = []
        options.contentWeight = 0
        options.tvWeight = tvWeight
        options.size = size
        options.iterations = iterations
        options.initialization = .random
        options.seed = seed
        options.tileable = tileable
        // The style image is also the "content" only to fix the output's size; no content loss reads it.
        return StylizeJob(content: style, styles: [style], output: output, options: options)
    }
}
