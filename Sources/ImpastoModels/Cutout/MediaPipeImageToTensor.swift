import ImpastoTensor

/// MediaPipe's `ImageToTensorCalculator` on CPUs, for a region of interest that is the whole image, unrotated,
/// stretched to the tensor (`keep_aspect_ratio: false`, the selfie models' setting), with zero borders:
/// the image (8-bit RGB) is resampled by OpenCV 3.4's `warpPerspective` with `INTER_LINEAR`, still in 8 bits,
/// then mapped from [0, 255] to `range`.
///
/// That warp maps output pixel `x` to source `x · width / outputWidth` (pixel corners, not centres, line up),
/// rounds it to 1/32 pixel, blends the 2×2 neighbours with 15-bit fixed-point weights and rounds to 8 bits;
/// neighbours past the right or bottom edge count as 0. Measured on random images against mediapipe 0.10.14's
/// own input tensor (scripts/make_selfie_reference.py): identical whenever `32 · x · width / outputWidth` never
/// ends in exactly ½, which holds when the image's sides are multiples of 8 (for 256) or for any height (for
/// 144). At exact halves OpenCV rounds a coordinate computed through an inverted, SVD-solved matrix, so either
/// way; this rounds half to even, and such samples may differ by 1/32 pixel of interpolation.
///
/// - Parameters:
///   - image: `[1, 3, H, W]` RGB with values `k / 255` (as `ImpastoMedia.Image.tensor()` gives them).
///   - width, height: the tensor's size.
///   - range: the values 0 and 255 map to.
/// - Returns: `[1, 3, height, width]`.
public func mediaPipeImageToTensor(_ image: Tensor, width: Int, height: Int, range: ClosedRange<Float> = 0...1) -> Tensor {
    precondition(image.rank == 4 && image.shape[0] == 1 && image.shape[1] == 3, "mediaPipeImageToTensor: image \(image.shape) is not [1, 3, H, W]")
    let (sourceHeight, sourceWidth) = (image.shape[2], image.shape[3])
    let samples = image.scalars.map { Int32(clampedByte($0)) }
    let rows = warpTaps(output: height, input: sourceHeight), columns = warpTaps(output: width, input: sourceWidth)
    // OpenCV's convertTo(scale, shift) in float32.
    let scale = (range.upperBound - range.lowerBound) / 255, shift = range.lowerBound
    var output = [Float](repeating: 0, count: 3 * height * width)
    for channel in 0..<3 {
        let plane = channel * sourceHeight * sourceWidth
        func sample(_ row: Int, _ column: Int) -> Int32 {
            row < sourceHeight && column < sourceWidth ? samples[plane + row * sourceWidth + column] : 0
        }
        for (y, row) in rows.enumerated() {
            for (x, column) in columns.enumerated() {
                let (wy, wx) = (Int32(row.fraction), Int32(column.fraction))
                // Weights (32 − f)·(32 − g)·32 …: OpenCV's 15-bit table for 1/32 steps, exact integers summing to 2¹⁵.
                let sum = sample(row.index, column.index) * (32 - wx) * (32 - wy)
                    + sample(row.index, column.index + 1) * wx * (32 - wy)
                    + sample(row.index + 1, column.index) * (32 - wx) * wy
                    + sample(row.index + 1, column.index + 1) * wx * wy
                let byte = (sum * 32 + (1 << 14)) >> 15
                output[(channel * height + y) * width + x] = Float(byte) * scale + shift
            }
        }
    }
    return Tensor(shape: [1, 3, height, width], scalars: output)
}

/// The 8-bit value an `k / 255` sample came from.
private func clampedByte(_ value: Float) -> UInt8 {
    UInt8(max(0, min(255, (value * 255).rounded())))
}

/// For each output position, the source pixel and the 1/32 steps past it: `32 · i · input / output`, rounded
/// half to even, in exact integer arithmetic.
private func warpTaps(output: Int, input: Int) -> [(index: Int, fraction: Int)] {
    (0..<output).map { i in
        let numerator = 32 * i * input
        var steps = numerator / output
        let twiceRemainder = 2 * (numerator % output)
        if twiceRemainder > output || (twiceRemainder == output && steps % 2 == 1) { steps += 1 }
        return (steps >> 5, steps & 31)
    }
}
