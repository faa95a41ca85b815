/// A 2-D convolution over `input` (NCHW) with `weight` (OIHW: `[out, in / groups, kh, kw]`), as
/// PyTorch's `conv2d`. Differentiable in the input, weight and bias; each gradient is computed only when
/// its tensor requires one, so a frozen network costs one backward-data pass per layer.
///
/// The result stays in the layout the backend chose (oneDNN's is usually nChw16c) so that following
/// convolutions, activations and pooling run without reordering; reading it converts. With
/// `precision: .bf16` the input and weights are rounded to bfloat16 (the weights once, cached) and the
/// result is bfloat16.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1,
                   precision: Precision = .current) -> Tensor {
    conv2d(input, weight: weight, bias: bias, stride: stride,
           padding: (left: padding.1, right: padding.1, top: padding.0, bottom: padding.0),
           dilation: dilation, groups: groups, precision: precision)
}

/// `conv2d` with different zero padding on each side, in `F.pad`'s order: TensorFlow's and TFLite's
/// SAME padding puts the odd row or column after the input (see `samePadding`), which PyTorch can only
/// express as a separate pad; the backends take it directly.
public func conv2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (left: Int, right: Int, top: Int, bottom: Int), dilation: (Int, Int) = (1, 1),
                   groups: Int = 1, precision: Precision = .current) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4, "conv2d: input \(input.shape), weight \(weight.shape)")
    let (out, inPerGroup, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    precondition(groups >= 1 && input.shape[1] == inPerGroup * groups && out % groups == 0,
                 "conv2d: input \(input.shape), weight \(weight.shape), groups \(groups)")
    precondition(bias == nil || bias!.shape == [out], "conv2d: bias \(bias!.shape) for \(out) outputs")
    func extent(_ size: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ dilation: Int) -> Int {
        (size + padding - dilation * (kernel - 1) - 1) / stride + 1
    }
    let destination = [input.shape[0], out,
                       extent(input.shape[2], kh, stride.0, padding.top + padding.bottom, dilation.0),
                       extent(input.shape[3], kw, stride.1, padding.left + padding.right, dilation.1)]
    precondition(destination[2] > 0 && destination[3] > 0,
                 "conv2d: input \(input.shape) too small for weight \(weight.shape)")
    // The RGB layers that end image networks: oneDNN would pad their 3 output channels to 16 (a host kernel).
    if takesFewOutputPath(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation,
                          groups: groups) {
        return fewOutputConvolution(input, weight: weight, bias: bias)
    }
    let geometry = ConvolutionGeometry(kind: .convolution, source: input.shape, destination: destination,
                                       weight: weight.shape, stride: stride, dilation: dilation, padding: padding,
                                       groups: groups, dtype: precision.dtype)
    return input.backend.convolution(geometry, input, weight: weight, bias: bias)
}

/// TensorFlow's SAME padding for one spatial axis: the output has ⌈size / stride⌉ elements and the padding
/// that needs is split with the odd element after.
public func samePadding(size: Int, kernel: Int, stride: Int = 1, dilation: Int = 1) -> (before: Int, after: Int) {
    let output = (size + stride - 1) / stride
    let total = max(0, (output - 1) * stride + dilation * (kernel - 1) + 1 - size)
    return (total / 2, total - total / 2)
}

/// A 1-D convolution over `input` `[N, C, L]` with `weight` `[out, in / groups, k]`, as PyTorch's `conv1d`
/// (audio and sequence models): a 2-D convolution over a height-1 image.
public func conv1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                   padding: (before: Int, after: Int) = (0, 0), dilation: Int = 1, groups: Int = 1) -> Tensor {
    precondition(input.rank == 3 && weight.rank == 3, "conv1d: input \(input.shape), weight \(weight.shape)")
    let output = conv2d(input.reshaped([input.shape[0], input.shape[1], 1, input.shape[2]]),
                        weight: weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]]), bias: bias,
                        stride: (1, stride), padding: (left: padding.before, right: padding.after, top: 0, bottom: 0),
                        dilation: (1, dilation), groups: groups)
    return output.reshaped([output.shape[0], output.shape[1], output.shape[3]])
}

/// A 1-D transposed convolution (PyTorch's `conv_transpose1d`, the upsampling layer of vocoders) with
/// `weight` `[in, out / groups, k]`.
public func convTranspose1d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
                            padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor {
    precondition(input.rank == 3 && weight.rank == 3,
                 "convTranspose1d: input \(input.shape), weight \(weight.shape)")
    let output = convTranspose2d(input.reshaped([input.shape[0], input.shape[1], 1, input.shape[2]]),
                                 weight: weight.reshaped([weight.shape[0], weight.shape[1], 1, weight.shape[2]]),
                                 bias: bias, stride: (1, stride), padding: (0, padding),
                                 outputPadding: (0, outputPadding), dilation: (1, dilation), groups: groups)
    return output.reshaped([output.shape[0], output.shape[1], output.shape[3]])
}

/// A 2-D transposed convolution (PyTorch's `conv_transpose2d`, oneDNN's deconvolution) with `weight`
/// laid out `[in, out / groups, kh, kw]`. `outputPadding` (less than the stride) adds rows and columns
/// at the bottom and right so that a stride-2 layer can invert either of the sizes a stride-2
/// convolution maps to the same output. Layouts, precision and gradients as for `conv2d`.
public func convTranspose2d(_ input: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                            padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                            dilation: (Int, Int) = (1, 1), groups: Int = 1,
                            precision: Precision = .current) -> Tensor {
    precondition(input.rank == 4 && weight.rank == 4,
                 "convTranspose2d: input \(input.shape), weight \(weight.shape)")
    let (inputs, outPerGroup, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    let out = outPerGroup * groups
    precondition(groups >= 1 && input.shape[1] == inputs && inputs % groups == 0,
                 "convTranspose2d: input \(input.shape), weight \(weight.shape), groups \(groups)")
    precondition(outputPadding.0 < stride.0 && outputPadding.1 < stride.1,
                 "convTranspose2d: output padding \(outputPadding) must be less than the stride \(stride)")
    precondition(bias == nil || bias!.shape == [out], "convTranspose2d: bias \(bias!.shape) for \(out) outputs")
    func extent(_ size: Int, _ kernel: Int, _ stride: Int, _ padding: Int, _ extra: Int, _ dilation: Int) -> Int {
        (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + extra + 1
    }
    let destination = [input.shape[0], out,
                       extent(input.shape[2], kh, stride.0, padding.0, outputPadding.0, dilation.0),
                       extent(input.shape[3], kw, stride.1, padding.1, outputPadding.1, dilation.1)]
    precondition(destination[2] > 0 && destination[3] > 0,
                 "convTranspose2d: no output for input \(input.shape), weight \(weight.shape)")
    let geometry = ConvolutionGeometry(
        kind: .deconvolution, source: input.shape, destination: destination, weight: weight.shape, stride: stride,
        dilation: dilation, padding: (left: padding.1, right: padding.1, top: padding.0, bottom: padding.0),
        groups: groups, dtype: precision.dtype)
    return input.backend.convolution(geometry, input, weight: weight, bias: bias)
}

