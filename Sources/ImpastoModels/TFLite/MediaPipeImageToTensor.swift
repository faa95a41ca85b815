import ImpastoTensor

/// MediaPipe's `ImageToTensorCalculator` on CPUs, for a region of interest that is the whole image, unrotated,
/// stretched to the tensor (`keep_aspect_ratio: false`, the selfie models' setting), with zero borders:
/// the image (8-bit RGB) is resampled by OpenCV 3.4's `warpPerspective` with `INTER_LINEAR`, still in 8 bits,
/// then mapped from [0, 255] to `range`.
///
/// That warp maps output pixel `x` to source `x · width / outputWidth` (pixel corners, not centres, line up),
/// rounds it to 1/32 pixel, blends the 2×2 neighbours with 15-bit fixed-point weights and rounds to 8 bits;
/// neighbours past the right or bottom edge count as 0. Where `32 · x · width / outputWidth` ends in exactly ½,
/// which way it rounds depends on the last bits of the matrix OpenCV solves for, so the matrix is computed as
/// OpenCV does (`OpenCVScaleWarp`). Measured against mediapipe 0.10.14's own input tensor on random images of 40
/// sizes from 1×1 to 1200 px, both tensor sizes: identical bytes (scripts/make_selfie_reference.py).
///
/// With `keepAspectRatio` (BlazeFace's setting) the region is first widened about the image's centre to the
/// tensor's aspect ratio (`PadRoi` in image_to_tensor_utils.cc), so the image is letterboxed: the rows or columns
/// beyond it read as zero bytes. `MediaPipeRegion` says where the tensor lies in the image, to project results
/// back (as `DetectionProjectionCalculator` does with the transform matrix).
///
/// - Parameters:
///   - image: `[1, 3, H, W]` RGB with values `k / 255` (as `ImpastoMedia.Image.tensor()` gives them).
///   - width, height: the tensor's size.
///   - range: the values 0 and 255 map to.
///   - keepAspectRatio: letterbox rather than stretch.
/// - Returns: `[1, 3, height, width]`.
public func mediaPipeImageToTensor(_ image: Tensor, width: Int, height: Int, range: ClosedRange<Float> = 0...1,
                                   keepAspectRatio: Bool = false) -> Tensor {
    precondition(image.rank == 4 && image.shape[0] == 1 && image.shape[1] == 3, "mediaPipeImageToTensor: image \(image.shape) is not [1, 3, H, W]")
    let (sourceHeight, sourceWidth) = (image.shape[2], image.shape[3])
    // Only the ≤ 4 neighbours of each output pixel are read, so samples become bytes as they are read: converting
    // a whole 1280×720 photo first took 30 of the 40 ms this function spent (measured with impasto-bench cutout).
    let samples = image.scalars
    let region = MediaPipeRegion(imageWidth: sourceWidth, imageHeight: sourceHeight, tensorWidth: width,
                                 tensorHeight: height, keepAspectRatio: keepAspectRatio)
    let warp = OpenCVScaleWarp(from: region, to: (width, height))
    // OpenCV's convertTo(scale, shift) in float32.
    let scale = (range.upperBound - range.lowerBound) / 255, shift = range.lowerBound
    var output = [Float](repeating: 0, count: 3 * height * width)
    for y in 0..<height {
        for x in 0..<width {
            let (sourceX, sourceY) = warp.source(x, y)
            let (column, row) = (sourceX >> 5, sourceY >> 5)
            let (wx, wy) = (Int32(sourceX & 31), Int32(sourceY & 31))
            for channel in 0..<3 {
                let plane = channel * sourceHeight * sourceWidth
                func sample(_ row: Int, _ column: Int) -> Int32 {
                    (0..<sourceHeight).contains(row) && (0..<sourceWidth).contains(column)
                        ? Int32(clampedByte(samples[plane + row * sourceWidth + column])) : 0
                }
                // Weights (32 − f)·(32 − g)·32 …: OpenCV's 15-bit table for 1/32 steps, exact integers summing to 2¹⁵.
                let sum = sample(row, column) * (32 - wx) * (32 - wy) + sample(row, column + 1) * wx * (32 - wy)
                    + sample(row + 1, column) * (32 - wx) * wy + sample(row + 1, column + 1) * wx * wy
                output[(channel * height + y) * width + x] = Float((sum * 32 + (1 << 14)) >> 15) * scale + shift
            }
        }
    }
    return Tensor(shape: [1, 3, height, width], scalars: output)
}

/// The part of an image a MediaPipe tensor shows, in pixels (0 at the top-left pixel's corner): the whole image,
/// or with `keepAspectRatio` a rectangle of the tensor's aspect ratio centred on it and reaching past two of its
/// edges. Computed in float32 as `GetRoi` and `PadRoi` do; `boxPoints`' corners (centre ∓ half the size) are exact
/// for these sizes, which are multiples of ½.
public struct MediaPipeRegion: Sendable, Equatable {
    public var left: Float, top: Float, width: Float, height: Float

    public init(imageWidth: Int, imageHeight: Int, tensorWidth: Int, tensorHeight: Int, keepAspectRatio: Bool) {
        var (width, height) = (Float(imageWidth), Float(imageHeight))
        let (centerX, centerY) = (0.5 * width, 0.5 * height)
        if keepAspectRatio {
            let tensorAspect = Float(tensorHeight) / Float(tensorWidth), aspect = height / width
            if tensorAspect > aspect { height = width * tensorAspect } else { width = height / tensorAspect }
        }
        (left, top, self.width, self.height) = (centerX - 0.5 * width, centerY - 0.5 * height, width, height)
    }

    /// Where a point given as fractions of the tensor's width and height lies in the image, in pixels.
    public func project(x: Float, y: Float) -> (x: Float, y: Float) {
        (left + x * width, top + y * height)
    }
}

/// The 8-bit value an `k / 255` sample came from.
private func clampedByte(_ value: Float) -> UInt8 {
    UInt8(max(0, min(255, (value * 255).rounded())))
}

/// OpenCV 3.4's mapping from output to source pixels for `warpPerspective` of the rectangle `source` onto
/// `destination`, in 1/32 pixels: the matrix `getPerspectiveTransform` solves (an 8×8 system, by its LU
/// elimination), inverted by `invert`'s 3×3 formula, evaluated in double per pixel as `WarpPerspectiveInvoker`
/// does (columns offset from the start of 64-wide blocks) and rounded half to even.
struct OpenCVScaleWarp {
    /// The inverse transform, row-major 3×3.
    let matrix: [Double]
    /// The width of the column blocks OpenCV evaluates the matrix from.
    let blockWidth: Int

    init(from source: MediaPipeRegion, to destination: (width: Int, height: Int)) {
        let (left, top, right, bottom) = (source.left, source.top, source.left + source.width, source.top + source.height)
        let (dw, dh) = (Float(destination.width), Float(destination.height))
        // MediaPipe's corners, in boxPoints' order: bottom left, top left, top right, bottom right.
        let from: [(Float, Float)] = [(left, bottom), (left, top), (right, top), (right, bottom)]
        let to: [(Float, Float)] = [(0, dh), (0, 0), (dw, 0), (dw, dh)]
        var a = [[Double]](repeating: [Double](repeating: 0, count: 8), count: 8), b = [Double](repeating: 0, count: 8)
        for i in 0..<4 {
            let ((x, y), (u, v)) = (from[i], to[i])
            a[i] = [Double(x), Double(y), 1, 0, 0, 0, Double(-x * u), Double(-y * u)]
            a[i + 4] = [0, 0, 0, Double(x), Double(y), 1, Double(-x * v), Double(-y * v)]
            (b[i], b[i + 4]) = (Double(u), Double(v))
        }
        matrix = Self.inverted(Self.solved(a, b) + [1])
        blockWidth = min(1024 / min(16, destination.height), destination.width)
    }

    /// The source position of output pixel (x, y), in 1/32 pixels.
    func source(_ x: Int, _ y: Int) -> (x: Int, y: Int) {
        let m = matrix
        let (start, offset) = (Double(x - x % blockWidth), Double(x % blockWidth)), row = Double(y)
        let x0 = m[0] * start + m[1] * row + m[2], y0 = m[3] * start + m[4] * row + m[5]
        let w0 = m[6] * start + m[7] * row + m[8] + m[6] * offset
        let w = w0 == 0 ? 0 : 32 / w0
        return (Int(((x0 + m[0] * offset) * w).rounded(.toNearestOrEven)),
                Int(((y0 + m[3] * offset) * w).rounded(.toNearestOrEven)))
    }

    /// `a · x = b` by OpenCV's `LUImpl`: partial pivoting (the first largest), elimination by `−1 / pivot`,
    /// back substitution dividing by the pivot.
    private static func solved(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var (a, b) = (a, b)
        let n = b.count
        for i in 0..<n {
            var pivot = i
            for j in i + 1..<n where abs(a[j][i]) > abs(a[pivot][i]) { pivot = j }
            a.swapAt(i, pivot)
            b.swapAt(i, pivot)
            let d = -1 / a[i][i]
            for j in i + 1..<n {
                let alpha = a[j][i] * d
                for k in i + 1..<n { a[j][k] += alpha * a[i][k] }
                b[j] += alpha * b[i]
            }
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = b[i]
            for k in i + 1..<n { s -= a[i][k] * b[k] }
            b[i] = s / a[i][i]
        }
        return b
    }

    /// OpenCV's `invert` of a 3×3 matrix (`DECOMP_LU`): cofactors times the reciprocal of the determinant.
    private static func inverted(_ s: [Double]) -> [Double] {
        func m(_ r: Int, _ c: Int) -> Double { s[3 * r + c] }
        let determinant = m(0, 0) * (m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) - m(0, 1) * (m(1, 0) * m(2, 2) - m(1, 2) * m(2, 0))
            + m(0, 2) * (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0))
        let d = 1 / determinant
        return [(m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1)) * d, (m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2)) * d,
                (m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)) * d, (m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2)) * d,
                (m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0)) * d, (m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)) * d,
                (m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0)) * d, (m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1)) * d,
                (m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)) * d]
    }
}
