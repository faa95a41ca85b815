/// An image's RGB samples as MTCNN reads them: 0…255 floats, planar (channel, row, column), like
/// facenet-pytorch's `imgs.permute(0, 3, 1, 2).float()` of the uint8 pixels.
struct PixelPlanes: Sendable {
    let width: Int
    let height: Int
    /// `3 · height · width` samples.
    let values: [Float]

    /// An 8-bit image's samples (`k / 255` in `Image`) back as the integers `k`; gray is repeated, alpha
    /// dropped, as Pillow's `convert("RGB")` does before facenet-pytorch sees a picture.
    init(width: Int, height: Int, rgbUnitSamples: [Float]) {
        precondition(rgbUnitSamples.count == 3 * width * height, "PixelPlanes takes three planes")
        self.width = width
        self.height = height
        values = rgbUnitSamples.map { ($0 * 255).rounded() }
    }

    /// `rows × columns` of every channel resampled to `outputHeight × outputWidth` exactly as
    /// `F.interpolate(mode="area")` (facenet-pytorch's `imresample`) does, which is
    /// `adaptive_avg_pool2d`: output cell (i, j) is the mean of input rows ⌊i·H/h⌋ ..< ⌈(i+1)·H/h⌉ and the
    /// same for columns (cells overlap when H is not a multiple of h; they repeat pixels when enlarging).
    /// PyTorch's CPU kernel sums each cell row by row in float32 and divides by the row count, then by the
    /// column count; doing the same gives its values bit for bit (checked against torch 2.15 on the
    /// channels-last tensors detect_face passes). Then each value is MTCNN's normalisation
    /// `(x − 127.5) · 0.0078125`. The result is appended to `output`, channel-major.
    func appendNormalizedArea(rows: Range<Int>, columns: Range<Int>, outputHeight: Int, outputWidth: Int,
                              to output: inout [Float]) {
        let (inputHeight, inputWidth) = (rows.count, columns.count)
        let rowSpans = (0..<outputHeight).map { adaptiveSpan($0, input: inputHeight, output: outputHeight) }
        let columnSpans = (0..<outputWidth).map { adaptiveSpan($0, input: inputWidth, output: outputWidth) }
        values.withUnsafeBufferPointer { values in
            for channel in 0..<3 {
                let plane = values.baseAddress! + channel * width * height + rows.lowerBound * width + columns.lowerBound
                for rowSpan in rowSpans {
                    for columnSpan in columnSpans {
                        var sum: Float = 0
                        for y in rowSpan {
                            for x in columnSpan { sum += plane[y * width + x] }
                        }
                        let mean = sum / Float(rowSpan.count) / Float(columnSpan.count)
                        output.append((mean - 127.5) * 0.0078125)
                    }
                }
            }
        }
    }
}

/// PyTorch's `start_index`/`end_index` of adaptive pooling: ⌊i·input/output⌋ ..< ⌈(i+1)·input/output⌉.
private func adaptiveSpan(_ i: Int, input: Int, output: Int) -> Range<Int> {
    (i * input / output)..<(((i + 1) * input + output - 1) / output)
}
