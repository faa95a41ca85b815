import Foundation

/// Crops many boxes out of a batch of feature maps at once and resizes each to `outputSize` by averaging
/// bilinear samples (He et al.'s RoIAlign, as `torchvision.ops.roi_align`): face cascades crop every
/// candidate window of a stage this way, in one call.
///
/// - Parameters:
///   - input: `[N, C, H, W]`.
///   - boxes: `[K, 5]`, each row `(image index, x1, y1, x2, y2)` in input pixels before `spatialScale`.
///   - outputSize: the result's height and width per box.
///   - spatialScale: multiplies box coordinates (1/16 for a stride-16 feature map).
///   - samplingRatio: samples per bin along each axis; 0 or less picks ⌈bin size⌉ per box, as torchvision.
///   - aligned: shift boxes by −0.5 pixel so that pixel centres line up (torchvision's `aligned=True`);
///     false keeps the original behaviour, which also stretches boxes smaller than a pixel to one.
/// - Returns: `[K, C, outputHeight, outputWidth]`, differentiable in `input`.
public func roiAlign(_ input: Tensor, boxes: Tensor, outputSize: (height: Int, width: Int), spatialScale: Float = 1,
                     samplingRatio: Int = -1, aligned: Bool = false) -> Tensor {
    precondition(input.rank == 4, "roiAlign: input must be [N, C, H, W], got \(input.shape)")
    precondition(boxes.rank == 2 && boxes.shape[1] == 5, "roiAlign: boxes must be [K, 5], got \(boxes.shape)")
    precondition(outputSize.height > 0 && outputSize.width > 0, "roiAlign: output size \(outputSize)")
    let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
    let x = input.plain(), rows = boxes.scalars
    let plans = (0..<boxes.shape[0]).map { k in
        let image = Int(rows[5 * k])
        precondition((0..<input.shape[0]).contains(image), "roiAlign: box \(k) names image \(image) of \(input.shape[0])")
        return ROIPlan(box: Array(rows[(5 * k + 1)..<(5 * k + 5)]), image: image, outputSize: outputSize,
                       spatialScale: spatialScale, samplingRatio: samplingRatio, aligned: aligned,
                       height: height, width: width)
    }
    let binCount = outputSize.height * outputSize.width, plane = height * width
    let result = Tensor.uninitialized([plans.count, channels, outputSize.height, outputSize.width])
    let xs = x.basePointer, ys = result.basePointer
    parallelFor(plans.count * channels, grain: 4) { range in
        for item in range {
            let (k, c) = item.quotientAndRemainder(dividingBy: channels)
            let source = xs + (plans[k].image * channels + c) * plane
            plans[k].forEachSample { bin, sample in
                ys[item * binCount + bin] = sample.reduce(0) { $0 + $1.weight * source[$1.offset] }
            }
        }
    }
    return Tensor.record(result, inputs: [x]) { grad in
        let g = grad.plain()
        let gradient = Tensor(zeros: x.shape)
        let gs = g.basePointer, dx = gradient.basePointer
        // Boxes of one image add into the same planes: parallel over channels only.
        parallelFor(channels, grain: 1) { range in
            for c in range {
                for (k, plan) in plans.enumerated() {
                    let target = dx + (plan.image * channels + c) * plane, upstream = gs + (k * channels + c) * binCount
                    plan.forEachSample { bin, sample in
                        for tap in sample { target[tap.offset] += tap.weight * upstream[bin] }
                    }
                }
            }
        }
        return withExtendedLifetime(g) { [gradient] }
    }
}

/// Where one box's bins sample the input plane: for each output bin, the (offset, weight) taps of the
/// bilinear samples it averages, the average's 1/count folded into the weights.
private struct ROIPlan {
    let image: Int
    private let taps: [[(offset: Int, weight: Float)]]

    init(box: [Float], image: Int, outputSize: (height: Int, width: Int), spatialScale: Float, samplingRatio: Int,
         aligned: Bool, height: Int, width: Int) {
        self.image = image
        let shift: Float = aligned ? 0.5 : 0
        let startX = box[0] * spatialScale - shift, startY = box[1] * spatialScale - shift
        var boxWidth = box[2] * spatialScale - shift - startX, boxHeight = box[3] * spatialScale - shift - startY
        if !aligned {
            boxWidth = max(boxWidth, 1)
            boxHeight = max(boxHeight, 1)
        }
        let binHeight = boxHeight / Float(outputSize.height), binWidth = boxWidth / Float(outputSize.width)
        let gridY = samplingRatio > 0 ? samplingRatio : Int(Foundation.ceil(boxHeight / Float(outputSize.height)))
        let gridX = samplingRatio > 0 ? samplingRatio : Int(Foundation.ceil(boxWidth / Float(outputSize.width)))
        let share = 1 / Float(max(gridY * gridX, 1))
        var taps: [[(offset: Int, weight: Float)]] = []
        for py in 0..<outputSize.height {
            for px in 0..<outputSize.width {
                var bin: [(offset: Int, weight: Float)] = []
                for iy in 0..<gridY {
                    let y = startY + Float(py) * binHeight + (Float(iy) + 0.5) * binHeight / Float(gridY)
                    for ix in 0..<gridX {
                        let x = startX + Float(px) * binWidth + (Float(ix) + 0.5) * binWidth / Float(gridX)
                        bin += ROIPlan.bilinearTaps(y: y, x: x, height: height, width: width, share: share)
                    }
                }
                taps.append(bin)
            }
        }
        self.taps = taps
    }

    func forEachSample(_ body: (Int, [(offset: Int, weight: Float)]) -> Void) {
        for (bin, sample) in taps.enumerated() { body(bin, sample) }
    }

    /// torchvision's bilinear sample: nothing outside a one-pixel border, edges clamped inside it.
    private static func bilinearTaps(y: Float, x: Float, height: Int, width: Int, share: Float)
        -> [(offset: Int, weight: Float)] {
        if y < -1 || y > Float(height) || x < -1 || x > Float(width) { return [] }
        var y = max(y, 0), x = max(x, 0)
        var yLow = Int(y), xLow = Int(x), yHigh: Int, xHigh: Int
        if yLow >= height - 1 {
            (yLow, yHigh, y) = (height - 1, height - 1, Float(height - 1))
        } else {
            yHigh = yLow + 1
        }
        if xLow >= width - 1 {
            (xLow, xHigh, x) = (width - 1, width - 1, Float(width - 1))
        } else {
            xHigh = xLow + 1
        }
        let ly = y - Float(yLow), lx = x - Float(xLow), hy = 1 - ly, hx = 1 - lx
        return [(yLow * width + xLow, hy * hx * share), (yLow * width + xHigh, hy * lx * share),
                (yHigh * width + xLow, ly * hx * share), (yHigh * width + xHigh, ly * lx * share)]
    }
}
