import Foundation
import ImpastoMedia

/// How the segmenter's mask is made into the cutout's alpha (`--refine`).
public enum CutoutRefinement: Sendable, Equatable {
    /// The mask as the model gives it (thresholded when the job says so).
    case none
    /// He, Sun and Tang's guided filter of the mask, guided by the photo.
    case guided(radius: Int, epsilon: Double)
    /// Closed-form matting over a trimap made from the mask, as rembg's alpha matting does.
    case matting(Matting)

    /// The trimap and size limit of `.matting`; thresholds on the mask's [0, 1] scale (rembg's -af 240,
    /// -ab 10, -ae 10 are 240/255, 10/255 and 10).
    public struct Matting: Sendable, Equatable {
        public var foregroundThreshold: Float = 240 / 255
        public var backgroundThreshold: Float = 10 / 255
        /// Side of the square the certain regions are eroded by, in pixels of the matted image.
        public var erosion = 10
        /// Photos with a longer side are matted at this size and the alpha scaled back: the solver's time
        /// grows with the band of unknown pixels, about linearly (Jacobi-preconditioned CG).
        public var maximumSide = 1024

        public init() {}
    }

}

/// A cutout's alpha and the colours to show through it.
struct Matte {
    /// Opacity per pixel, row-major.
    var alpha: [Float]
    /// RGB: the photo's own colours, or with a refinement the estimated foreground (no fringe of the old
    /// background where alpha is partial).
    var foreground: Image

    /// The matte of `photo` (RGB) from the segmenter's `mask`, hardened at `threshold` when given, refined as
    /// asked, the foreground's colours estimated only when `colours` (a mask alone needs none); `note` hears
    /// what changed on the way (a downscaled matting).
    init(photo: Image, mask: [Float], threshold: Float?, refinement: CutoutRefinement, colours: Bool = true,
         note: (String) -> Void) {
        let mask = threshold.map { t in mask.map { $0 >= t ? 1 : 0 } } ?? mask
        switch refinement {
        case .none:
            (alpha, foreground) = (mask, photo)
            return
        case .guided(let radius, let epsilon):
            alpha = GuidedFilter.filter(mask, guide: photo, radius: radius, epsilon: epsilon).map(clampedSample)
        case .matting(let options):
            alpha = Self.matted(photo: photo, mask: mask, options, note: note)
        }
        foreground = colours ? ForegroundEstimation.multilevel(image: photo, alpha: alpha).foreground : photo
    }

    /// Closed-form matting at most `options.maximumSide` pixels on a side.
    private static func matted(photo: Image, mask: [Float], _ options: CutoutRefinement.Matting,
                               note: (String) -> Void) -> [Float] {
        let (width, height) = photo.size(longestSide: min(options.maximumSide, max(photo.width, photo.height)))
        let scaled = width == photo.width && height == photo.height
        let small = scaled ? photo : photo.resized(width: width, height: height)
        let smallMask = scaled ? mask : plane(mask, photo.width, photo.height, resizedTo: width, height)
        let trimap = Trimap.from(mask: smallMask, width: width, height: height, foreground: options.foregroundThreshold,
                                 background: options.backgroundThreshold, erosion: options.erosion)
        let result = ClosedFormMatting.alpha(image: small, trimap: trimap)
        if !scaled { note("matting at \(width)×\(height) (--matting-max-side \(options.maximumSide)), alpha scaled back to \(photo.width)×\(photo.height)") }
        if !result.converged { note("the matting solver stopped after \(result.iterations) iterations before converging") }
        return scaled ? result.alpha : plane(result.alpha, width, height, resizedTo: photo.width, photo.height)
    }

    /// One plane resampled (bilinear, Pillow's antialiasing when shrinking).
    private static func plane(_ values: [Float], _ width: Int, _ height: Int, resizedTo newWidth: Int, _ newHeight: Int) -> [Float] {
        Image(width: width, height: height, channels: 1, pixels: values).resized(width: newWidth, height: newHeight, filter: .bilinear).pixels
    }
}
