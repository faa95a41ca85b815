/// A stride-1, unpadded convolution with few output channels (the RGB layers that end image networks), at
/// inference: one matrix product and a shifted sum instead of oneDNN's direct kernel.
///
/// oneDNN blocks output channels by 16, so a 3-channel convolution does 16/3 of the work it needs: TransformerNet's
/// final 9×9 32→3 layer took a quarter of the network's time at 720p. Here the weights are rearranged to
/// `M[c·k² + t, i] = w[c, i, t]`, so `M · x` gives one plane per output channel and kernel tap `t`, all useful
/// work at full matrix-product speed; output channel `c` is then the sum of its k² planes, each shifted by its
/// tap. Rows are processed in bands so the planes of one band stay around 64 MB whatever the image size.
///
/// Always float32, and records no gradient: `conv2d` takes this path by itself for such layers when no gradient
/// is being recorded. `bandElements` bounds the planes of one band (in floats).
func fewOutputConvolution(_ input: Tensor, weight: Tensor, bias: Tensor?, bandElements: Int = 1 << 24) -> Tensor {
    let (samples, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let (outputs, kernelHeight, kernelWidth) = (weight.shape[0], weight.shape[2], weight.shape[3])
    precondition(weight.shape[1] == channels, "convolution of \(input.shape) with \(weight.shape)")
    let (outHeight, outWidth) = (height - kernelHeight + 1, width - kernelWidth + 1)
    precondition(outHeight > 0 && outWidth > 0, "convolution of \(input.shape) with \(weight.shape)")
    let taps = kernelHeight * kernelWidth
    let weights = weight.plain()
    let w = weights.floatBuffer
    let matrix = withExtendedLifetime(weights) {
        Tensor(shape: [outputs * taps, channels]) { m in
            for c in 0..<outputs {
                for i in 0..<channels {
                    for t in 0..<taps { m[(c * taps + t) * channels + i] = w[(c * channels + i) * taps + t] }
                }
            }
        }
    }
    let biases = bias?.scalars ?? [Float](repeating: 0, count: outputs)
    let bandRows = max(1, bandElements / (outputs * taps * width) - kernelHeight + 1)

    let source = input.plain()
    let x = source.floatBuffer
    return withExtendedLifetime(source) {
        Tensor(shape: [samples, outputs, outHeight, outWidth]) { out in
            for sample in 0..<samples {
                for top in stride(from: 0, to: outHeight, by: bandRows) {
                    let rows = min(bandRows, outHeight - top), inputRows = rows + kernelHeight - 1
                    let band = Tensor(shape: [channels, inputRows * width]) { band in
                        for i in 0..<channels {
                            let start = ((sample * channels + i) * height + top) * width
                            _ = UnsafeMutableBufferPointer(rebasing: band[i * inputRows * width..<(i + 1) * inputRows * width])
                                .update(fromContentsOf: x[start..<start + inputRows * width])
                        }
                    }
                    let planes = withoutGradients { Tensor.matmul(matrix, band) }
                    let p = planes.floatBuffer
                    withExtendedLifetime(planes) {
                        parallelFor(outputs * rows, grain: 1) { jobs in
                            for job in jobs {
                                let (c, row) = job.quotientAndRemainder(dividingBy: rows)
                                let target = out.baseAddress! + ((sample * outputs + c) * outHeight + top + row) * outWidth
                                target.update(repeating: biases[c], count: outWidth)
                                for ky in 0..<kernelHeight {
                                    for kx in 0..<kernelWidth {
                                        let plane = (c * taps + ky * kernelWidth + kx) * inputRows * width
                                        let source = p.baseAddress! + plane + (row + ky) * width + kx
                                        for j in 0..<outWidth { target[j] += source[j] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Whether `conv2d` runs as `fewOutputConvolution`: at most 4 outputs, stride 1, no padding or dilation, one
/// group, and no gradient recorded.
func takesFewOutputPath(_ input: Tensor, weight: Tensor, bias: Tensor?, stride: (Int, Int),
                        padding: (left: Int, right: Int, top: Int, bottom: Int), dilation: (Int, Int), groups: Int) -> Bool {
    weight.shape[0] <= 4 && stride == (1, 1) && dilation == (1, 1) && groups == 1
        && padding == (0, 0, 0, 0) && !recordsGradient([input, weight, bias])
}
