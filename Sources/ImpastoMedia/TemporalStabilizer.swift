import ImpastoTensor

/// Steadies a video stylized frame by frame: each output frame is the new stylized frame blended with the
/// previous *output* carried forward along the original video's motion, wherever that motion is reliable.
///
/// out_t = M·(α·warp(out_t-1) + (1 − α)·S_t) + (1 − M)·S_t, with M the forward–backward occlusion mask of
/// the flow from original frame t to t-1 (Ruder et al. 2016, arXiv:1604.08610, who carry the previous
/// frame forward as the start of the next optimisation; this is the one-pass form a feed-forward network
/// allows, as in Artisto). Because the previous output already holds older frames, the blend is a running
/// average along motion paths: on trusted pixels the frame-to-frame change shrinks by (1 − α), and the
/// warping error by about (1 − α)².
///
/// `alpha` defaults to 0.6: below 0.5 the texture still visibly boils; much above 0.7 errors of the flow
/// accumulate into smears that trail moving edges, because each new frame then corrects only a third of
/// what the carried one got wrong. Occluded and newly revealed pixels (M = 0) always take the new frame.
public struct TemporalStabilizer {
    /// Weight of the carried-forward frame where the flow is trusted.
    public let alpha: Float
    /// Flow is computed on originals shrunk so their longer side is at most this, then scaled up: flow is
    /// smooth, and at 720p this halves the side and quarters the cost.
    public let flowSide: Int
    /// Flow settings.
    public let options: OpticalFlow.Options
    private var previous: (original: OpticalFlow.Pyramid, output: Image)?

    /// A stabilizer with no history.
    public init(alpha: Float = 0.6, flowSide: Int = 640, options: OpticalFlow.Options = .init()) {
        precondition((0...1).contains(alpha), "the blend weight must be in [0, 1], not \(alpha)")
        precondition(flowSide >= 32, "flow needs frames of at least 32 pixels, not \(flowSide)")
        self.alpha = alpha
        self.flowSide = flowSide
        self.options = options
    }

    /// The output frame for original frame `original` and its stylized version `stylized` (same size); the
    /// first frame comes back unchanged.
    public mutating func callAsFunction(original: Image, stylized: Image) -> Image {
        precondition(original.width == stylized.width && original.height == stylized.height,
                     "original frame \(original.width)×\(original.height), stylized \(stylized.width)×\(stylized.height)")
        let (width, height) = (original.width, original.height)
        let scale = min(1, Double(flowSide) / Double(max(width, height)))
        let small = scale < 1
            ? original.resized(width: max(1, Int((Double(width) * scale).rounded())),
                               height: max(1, Int((Double(height) * scale).rounded())), filter: .bilinear)
            : original
        let current = OpticalFlow.Pyramid(small, options: options)
        guard let previous else {
            self.previous = (current, stylized)
            return stylized
        }
        var backward = OpticalFlow.farneback(from: current, to: previous.original)
        let forward = OpticalFlow.farneback(from: previous.original, to: current)
        var mask = backward.reliability(reverse: forward)
        if small.width != width || small.height != height {
            let (factorX, factorY) = (Float(width) / Float(small.width), Float(height) / Float(small.height))
            backward = backward.resized(width: width, height: height, factorX: factorX, factorY: factorY)
            mask = resizedBilinear(mask, width: small.width, height: small.height, to: width, height)
        }
        let output = Self.blend(previous: previous.output, current: stylized, flow: backward, mask: mask, alpha: alpha)
        self.previous = (current, output)
        return output
    }

    /// `previous` carried onto the current frame by `flow` (from the current frame to the previous one) and
    /// mixed into `current` with weight `alpha · mask`.
    public static func blend(previous: Image, current: Image, flow: FlowField, mask: [Float], alpha: Float) -> Image {
        precondition(previous.width == current.width && previous.height == current.height
                     && previous.channels == current.channels && mask.count == current.width * current.height,
                     "blending frames of different sizes or with a mask of the wrong size")
        let warped = flow.warped(previous)
        let count = current.width * current.height
        var pixels = current.pixels
        pixels.withUnsafeMutableBufferPointer { pixels in
            warped.pixels.withUnsafeBufferPointer { warped in
                for channel in 0..<current.channels {
                    let offset = channel * count
                    for i in 0..<count {
                        pixels[offset + i] += alpha * mask[i] * (warped[offset + i] - pixels[offset + i])
                    }
                }
            }
        }
        return Image(width: current.width, height: current.height, channels: current.channels, pixels: pixels)
    }
}
