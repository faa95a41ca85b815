import ImpastoNN
import ImpastoTensor

// The trainable segmenters (FCDenseNet.swift, UNet.swift) behind one name, with the per-pixel loss and the mask
// IoU their training reports. Input of both: RGB NCHW, (value − 0.5) · 2; output logits [N, classes, H, W].

/// Which network `impasto train-segmenter --model` builds.
public enum SegmenterArchitecture: String, CaseIterable, Sendable {
    case fcdensenet56, fcdensenet67, fcdensenet103, unet

    /// A fresh, randomly initialised network with two classes (background 0, person 1).
    public func makeNetwork(seed: UInt64 = 0) -> SegmentationNetwork {
        switch self {
        case .fcdensenet56: return FCDenseNet(.fcDenseNet56, seed: seed)
        case .fcdensenet67: return FCDenseNet(.fcDenseNet67, seed: seed)
        case .fcdensenet103: return FCDenseNet(.fcDenseNet103, seed: seed)
        case .unet: return UNet()
        }
    }
}

/// A network mapping images to per-pixel class logits of the same size.
public protocol SegmentationNetwork: Module {
    /// Logits [N, classes, H, W] for [N, 3, H, W].
    func callAsFunction(_ input: Tensor) -> Tensor
    /// Height and width must be multiples of this.
    var sideMultiple: Int { get }
}

extension FCDenseNet: SegmentationNetwork {
    public var sideMultiple: Int { configuration.sideMultiple }
}

extension UNet: SegmentationNetwork {}

/// The mean cross-entropy over every pixel of logits [N, C, H, W] against class indices `targets` (N·H·W, in
/// N, H, W order): `F.cross_entropy` of the same tensors.
public func pixelCrossEntropy(logits: Tensor, targets: [Int]) -> Tensor {
    precondition(logits.rank == 4 && logits.shape[0] * logits.shape[2] * logits.shape[3] == targets.count,
                 "pixelCrossEntropy of logits \(logits.shape) with \(targets.count) targets")
    let classes = logits.shape[1]
    return crossEntropy(logits: logits.permuted([0, 2, 3, 1]).reshaped([-1, classes]), targets: targets)
}

/// The class of each pixel of logits [N, C, H, W] (the first on ties), in N, H, W order.
public func pixelClasses(_ logits: Tensor) -> [Int] {
    let classes = logits.shape[1], plane = logits.shape[2] * logits.shape[3]
    let values = logits.scalars
    var result = [Int](repeating: 0, count: logits.shape[0] * plane)
    for n in 0..<logits.shape[0] {
        for p in 0..<plane {
            var best = 0
            for c in 1..<classes where values[(n * classes + c) * plane + p] > values[(n * classes + best) * plane + p] {
                best = c
            }
            result[n * plane + p] = best
        }
    }
    return result
}

/// Pixels predicted and labelled foreground (class 1) over pixels either calls foreground; nil when neither does.
public func maskIntersectionOverUnion(predicted: [Int], target: [Int]) -> Double? {
    precondition(predicted.count == target.count, "IoU of \(predicted.count) and \(target.count) pixels")
    var intersection = 0, union = 0
    for (p, t) in zip(predicted, target) {
        if p == 1 && t == 1 { intersection += 1 }
        if p == 1 || t == 1 { union += 1 }
    }
    return union == 0 ? nil : Double(intersection) / Double(union)
}
