import Foundation

extension Image {
    /// Every channel blurred by a Gaussian of standard deviation `sigma` pixels (Pillow's `GaussianBlur`
    /// radius is this σ), truncated at 3σ, edges mirrored without repeating the edge pixel.
    public func gaussianBlurred(sigma: Double) -> Image {
        guard sigma > 0 else { return self }
        let radius = min(Int((3 * sigma).rounded(.up)), max(width, height) - 1)
        let kernel = gaussianKernel(radius: radius, sigma: sigma)
        let blurred = (0..<channels).flatMap { separableBlur(Array(plane($0)), width: width, height: height, kernel: kernel) }
        return Image(width: width, height: height, channels: channels, pixels: blurred)
    }
}
