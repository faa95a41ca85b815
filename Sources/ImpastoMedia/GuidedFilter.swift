import Foundation

// The guided filter of He, Sun and Tang ("Guided Image Filtering", ECCV 2010; TPAMI 2013), colour-guide form:
// in every (2r+1)² window the output is an affine function of the guide's three channels, a·I + b, fitted to
// the input by ridge regression (ε penalises a); each pixel averages the fits of the windows that cover it.
// Windows are clipped at the image's edges and means taken over the pixels inside, as in the paper's MATLAB
// code (its `boxfilter` divided by the count N). Arithmetic in double precision through summed-area tables,
// so the cost does not depend on r.

/// Edge-aware smoothing of one plane steered by a colour image: the output follows `input` where the
/// guide is flat and the guide's edges where it has them (a cutout's mask snapping to hair and outlines).
public enum GuidedFilter {
    /// `input` (`guide.width × guide.height` values, row-major) filtered with `guide`'s RGB channels (gray
    /// is repeated, alpha ignored) over windows of radius `radius`, regularised by `epsilon` (in squared
    /// units of the guide's [0, 1] samples: 1e-4 keeps edges of contrast ≥ 0.01, 0.1 smooths most of them).
    public static func filter(_ input: [Float], guide: Image, radius: Int, epsilon: Double) -> [Float] {
        let (width, height) = (guide.width, guide.height)
        precondition(input.count == width * height, "the input has \(input.count) values, the guide \(width * height) pixels")
        precondition(radius >= 1 && epsilon > 0, "radius \(radius) and epsilon \(epsilon) must be positive")
        let box = BoxMean(width: width, height: height, radius: radius)
        let rgb = guide.rgb()
        let colour = (0..<3).map { rgb.plane($0).map(Double.init) }
        let p = input.map(Double.init)
        let meanI = colour.map(box.mean)
        let meanP = box.mean(p)
        let pairs = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
        let meanII = pairs.map { box.mean(product(colour[$0.0], colour[$0.1])) }
        let meanIP = colour.map { box.mean(product($0, p)) }
        var a = [[Double]](repeating: [Double](repeating: 0, count: p.count), count: 3)
        var b = [Double](repeating: 0, count: p.count)
        for i in 0..<p.count {
            let mu = (meanI[0][i], meanI[1][i], meanI[2][i])
            let covariance = Symmetric3(
                xx: meanII[0][i] - mu.0 * mu.0 + epsilon, xy: meanII[1][i] - mu.0 * mu.1, xz: meanII[2][i] - mu.0 * mu.2,
                yy: meanII[3][i] - mu.1 * mu.1 + epsilon, yz: meanII[4][i] - mu.1 * mu.2, zz: meanII[5][i] - mu.2 * mu.2 + epsilon)
            let crossed = (meanIP[0][i] - mu.0 * meanP[i], meanIP[1][i] - mu.1 * meanP[i], meanIP[2][i] - mu.2 * meanP[i])
            let slope = covariance.solve(crossed)
            (a[0][i], a[1][i], a[2][i]) = slope
            b[i] = meanP[i] - slope.0 * mu.0 - slope.1 * mu.1 - slope.2 * mu.2
        }
        let meanA = a.map(box.mean), meanB = box.mean(b)
        return (0..<p.count).map { i -> Float in
            let slope = (meanA[0][i], meanA[1][i], meanA[2][i])
            let value: Double = slope.0 * colour[0][i] + slope.1 * colour[1][i] + slope.2 * colour[2][i]
            return Float(value + meanB[i])
        }
    }

    private static func product(_ x: [Double], _ y: [Double]) -> [Double] { zip(x, y).map(*) }
}

/// Means over (2r+1)² windows clipped to the image, through a summed-area table.
struct BoxMean {
    let width: Int, height: Int, radius: Int

    func mean(_ plane: [Double]) -> [Double] {
        let stride = width + 1
        var table = [Double](repeating: 0, count: stride * (height + 1))
        for y in 0..<height {
            var row = 0.0
            for x in 0..<width {
                row += plane[y * width + x]
                table[(y + 1) * stride + x + 1] = table[y * stride + x + 1] + row
            }
        }
        var result = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            let (top, bottom) = (max(y - radius, 0), min(y + radius + 1, height))
            for x in 0..<width {
                let (left, right) = (max(x - radius, 0), min(x + radius + 1, width))
                let sum = table[bottom * stride + right] - table[top * stride + right]
                    - table[bottom * stride + left] + table[top * stride + left]
                result[y * width + x] = sum / Double((bottom - top) * (right - left))
            }
        }
        return result
    }
}
