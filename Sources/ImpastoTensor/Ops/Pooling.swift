/// 2-D max pooling, as PyTorch's `max_pool2d` (`stride` defaults to the kernel size; `ceilMode` rounds
/// the output size up, but a window never starts in the right padding). Works in the input's layout
/// and type and keeps them; the backward pass routes each gradient to its window's maximum.
public func maxPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0), ceilMode: Bool = false) -> Tensor {
    let plan = PoolingPlan(input.shape, kernelSize, stride ?? kernelSize, padding, ceilMode, "maxPool2d")
    return input.backend.pooling(plan, input, .max)
}

/// 2-D average pooling, as PyTorch's `avg_pool2d`. With `countIncludePad` the zero padding counts
/// towards each window's size (but, as in PyTorch, the extra cells `ceilMode` adds never do).
public func avgPool2d(_ input: Tensor, kernelSize: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0), ceilMode: Bool = false,
                      countIncludePad: Bool = true) -> Tensor {
    let plan = PoolingPlan(input.shape, kernelSize, stride ?? kernelSize, padding, ceilMode, "avgPool2d")
    // Without padding the two conventions agree, except for ceil-mode windows: there PyTorch's divisor
    // is the one that leaves the padding out.
    guard countIncludePad && (padding.0 > 0 || padding.1 > 0) else {
        return input.backend.pooling(plan, input, .average(includePadding: false))
    }
    let pooled = input.backend.pooling(plan, input, .average(includePadding: true))
    guard let correction = plan.includePaddingCorrection() else { return pooled }
    return pooled.plain() * correction
}

/// Output sizes and paddings for one pooling geometry, with PyTorch's size rules.
struct PoolingPlan {
    let source: [Int]
    let destination: [Int]
    let kernel: [Int64], strides: [Int64], paddingL: [Int64], paddingR: [Int64]

    init(_ source: [Int], _ kernel: (Int, Int), _ stride: (Int, Int), _ padding: (Int, Int), _ ceilMode: Bool,
         _ name: String) {
        precondition(source.count == 4, "\(name): input must be NCHW, got \(source)")
        precondition(kernel.0 > 0 && kernel.1 > 0 && stride.0 > 0 && stride.1 > 0,
                     "\(name): kernel \(kernel), stride \(stride)")
        precondition(padding.0 >= 0 && padding.1 >= 0 && 2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
                     "\(name): padding \(padding) must be at most half the kernel \(kernel)")
        let sizes = [(source[2], kernel.0, stride.0, padding.0), (source[3], kernel.1, stride.1, padding.1)]
        let outputs = sizes.map { size, kernel, stride, padding in
            PoolingPlan.outputSize(size, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        }
        precondition(outputs.allSatisfy { $0 > 0 }, "\(name): input \(source) too small for kernel \(kernel)")
        self.source = source
        destination = [source[0], source[1], outputs[0], outputs[1]]
        self.kernel = [Int64(kernel.0), Int64(kernel.1)]
        strides = [Int64(stride.0), Int64(stride.1)]
        paddingL = [Int64(padding.0), Int64(padding.1)]
        // The right padding that makes the usual size arithmetic (oneDNN's, cuDNN's) land on our output size: larger
        // than the left one when ceil mode added a window.
        paddingR = zip(sizes, outputs).map { size, output in
            Int64(max(size.3, (output - 1) * size.2 + size.1 - size.0 - size.3))
        }
    }

    /// PyTorch's `pooling_output_shape`: in ceil mode the last window must start inside the input or
    /// the left padding.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let span = size + 2 * padding - kernel
        guard span >= 0 else { return 0 }
        var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (output - 1) * stride >= size + padding { output -= 1 }
        return output
    }

    /// Including padding, the backends divide every window by the kernel area; PyTorch leaves out the cells
    /// past the right padding that ceil mode adds. Returns the factor [1, 1, oh, ow] that turns the
    /// first into the second, or nil where they agree.
    func includePaddingCorrection() -> Tensor? {
        func counts(_ axis: Int) -> [Int] {
            let limit = source[axis + 2] + Int(paddingL[axis])
            return (0..<destination[axis + 2]).map { index in
                let start = index * Int(strides[axis]) - Int(paddingL[axis])
                return min(start + Int(kernel[axis]), limit) - start
            }
        }
        let rows = counts(0), columns = counts(1)
        let area = Int(kernel[0] * kernel[1])
        guard rows.last! * columns.last! != area else { return nil }
        return Tensor(shape: [1, 1, rows.count, columns.count]) { factor in
            for (i, row) in rows.enumerated() {
                for (j, column) in columns.enumerated() {
                    factor[i * columns.count + j] = Float(area) / Float(row * column)
                }
            }
        }
    }
}
