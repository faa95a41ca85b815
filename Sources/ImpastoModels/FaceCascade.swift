import ImpastoNN
import ImpastoTensor

// The 12/24/48 face cascade with calibration nets: Li, Lin, Shen, Brandt & Hua, "A Convolutional Neural Network
// Cascade for Face Detection", CVPR 2015 (table of layers in its section 3), as retold in the project's seed
// (Habr 277345, "Deep learning in a garage", part 2: the 45 calibration classes, the probability-weighted rule,
// the staged batches, batch norm letting dropout go down).
//
// Weights: none ship; `impasto train-faces` trains them in Impasto (Studio/Faces/CascadeTrainer.swift) and writes
// one safetensors file whose keys are `net12.conv1.weight`, `cal48.fc1.bias`, ….
//
// Input: GRAYSCALE, NCHW with one channel, (luma − 0.5) · 2 for luma in 0…1. The paper and the seed take RGB; the
// only face crops reachable here (scikit-image's LFW subset) are gray, so every net sees one luma channel.
//
// Layers (paper; where the seed differs it is said):
//   12-net   conv 16@3×3 → max-pool 3×3/2 → fc 16 → fc 2
//   12-cal   conv 16@3×3 → max-pool 3×3/2 → fc 128 → fc 45
//   24-net   conv 64@5×5 → max-pool 3×3/2 → fc 128 → fc 2
//   24-cal   conv 32@5×5 → max-pool 3×3/2 → fc 64 → fc 45
//   48-net   conv 64@5×5 → max-pool 3×3/2 → norm → conv 64@5×5 → norm → max-pool 3×3/2 → fc 256 → fc 2
//   48-cal   conv 64@5×5 → max-pool 3×3/2 → norm → conv 64@5×5 → norm → fc 256 → fc 45
// ReLU after every conv and the hidden fc. "norm" is the paper's local response normalisation; here it is batch
// norm when `batchNorm` is on (the seed's choice) and nothing otherwise. Dropout (the seed's) before both fc layers.
// Each fc layer is a convolution whose kernel covers the whole feature map (the same arithmetic as flatten + linear),
// so every net is fully convolutional: the 12-net runs over a whole pyramid level in one pass, a window every 2
// pixels. The paper's 12-net multi-resolution inputs (its 24- and 48-nets also read the smaller nets' fc features)
// are left out, as the seed left them out after trying them.
// Sizes: 48-cal's fc 256 over 64×17×17 features is 4.7 M of the 6.5 M weights (26 MB as float32).

/// The layer shapes of one of the six nets.
public struct CascadeNetShape: Sendable, Equatable {
    /// The input side in pixels (12, 24 or 48).
    public let inputSize: Int
    /// Channels and kernel side of each convolution.
    public let convolutions: [(channels: Int, kernel: Int)]
    /// Whether a 3×3/2 max pool follows each convolution.
    public let pools: [Bool]
    public let hidden: Int
    /// 2 (not face, face) or 45 (calibration patterns).
    public let outputs: Int

    public static func == (a: CascadeNetShape, b: CascadeNetShape) -> Bool {
        a.inputSize == b.inputSize && a.hidden == b.hidden && a.outputs == b.outputs && a.pools == b.pools
            && a.convolutions.map(\.channels) == b.convolutions.map(\.channels)
            && a.convolutions.map(\.kernel) == b.convolutions.map(\.kernel)
    }

    /// The side of the last feature map, which the first fc layer covers.
    public var featureSide: Int {
        var side = inputSize
        for (convolution, pooled) in zip(convolutions, pools) {
            side -= convolution.kernel - 1
            if pooled { side = (side - 3) / 2 + 1 }
        }
        return side
    }
}

/// One net of the cascade: a classifier (face or not) or a calibration net (45 patterns).
public final class CascadeNet: Module {
    public let shape: CascadeNetShape
    let conv1: Conv2d
    let norm1: BatchNorm2d?
    let conv2: Conv2d?
    let norm2: BatchNorm2d?
    let fc1: Conv2d
    let fc2: Conv2d
    let dropout: Dropout
    let pool = MaxPool2d(kernelSize: 3, stride: 2)

    public init(_ shape: CascadeNetShape, batchNorm: Bool, dropout: Float, seed: UInt64 = 0) {
        self.shape = shape
        var channels = 1
        var convolutions: [Conv2d] = []
        var norms: [BatchNorm2d] = []
        for layer in shape.convolutions {
            convolutions.append(Conv2d(inputChannels: channels, outputChannels: layer.channels, kernelSize: layer.kernel))
            norms.append(BatchNorm2d(features: layer.channels))
            channels = layer.channels
        }
        conv1 = convolutions[0]
        conv2 = convolutions.count > 1 ? convolutions[1] : nil
        // The paper's norm sits after the second pool-less block only in the 48-nets; with one convolution there
        // is none (the 12- and 24-nets have no norm layer in the paper either).
        norm1 = batchNorm && convolutions.count > 1 ? norms[0] : nil
        norm2 = batchNorm && convolutions.count > 1 ? norms[1] : nil
        fc1 = Conv2d(inputChannels: channels, outputChannels: shape.hidden, kernelSize: shape.featureSide)
        fc2 = Conv2d(inputChannels: shape.hidden, outputChannels: shape.outputs, kernelSize: 1)
        self.dropout = Dropout(probability: dropout, seed: seed)
    }

    override public var children: [(name: String, module: Module)] {
        var list: [(String, Module)] = [("conv1", conv1)]
        if let norm1 { list.append(("norm1", norm1)) }
        if let conv2 { list.append(("conv2", conv2)) }
        if let norm2 { list.append(("norm2", norm2)) }
        return list + [("fc1", fc1), ("fc2", fc2), ("dropout", dropout), ("pool", pool)]
    }

    /// Scores [N, outputs, h, w]: one window of `inputSize` per output position, every 2^pools pixels
    /// ([N, outputs, 1, 1] for inputs of exactly `inputSize`).
    public func scoreMap(_ input: Tensor) -> Tensor {
        var x = relu(norm1.map { $0(conv1(input)) } ?? conv1(input))
        if shape.pools[0] { x = pool(x) }
        if let conv2 {
            x = relu(norm2.map { $0(conv2(x)) } ?? conv2(x))
            if shape.pools[1] { x = pool(x) }
        }
        x = relu(fc1(dropout(x)))
        return fc2(dropout(x))
    }

    /// Logits [N, outputs] for a batch of `inputSize`² crops.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(input.rank == 4 && input.shape[1] == 1 && input.shape[2] == shape.inputSize && input.shape[3] == shape.inputSize,
                     "a \(shape.inputSize)-net takes [N, 1, \(shape.inputSize), \(shape.inputSize)], not \(input.shape)")
        return scoreMap(input).reshaped([input.shape[0], shape.outputs])
    }
}

/// The six nets, named as in the weight file (`net12.*`, `cal12.*`, …).
public final class FaceCascade: Module {
    /// The stages in the order windows pass through them.
    public enum Stage: Int, CaseIterable, Sendable {
        case net12, cal12, net24, cal24, net48, cal48

        public var name: String { ["net12", "cal12", "net24", "cal24", "net48", "cal48"][rawValue] }
        public var isCalibration: Bool { rawValue % 2 == 1 }

        public var shape: CascadeNetShape {
            let outputs = isCalibration ? 45 : 2
            switch self {
            case .net12: return CascadeNetShape(inputSize: 12, convolutions: [(16, 3)], pools: [true], hidden: 16, outputs: outputs)
            case .cal12: return CascadeNetShape(inputSize: 12, convolutions: [(16, 3)], pools: [true], hidden: 128, outputs: outputs)
            case .net24: return CascadeNetShape(inputSize: 24, convolutions: [(64, 5)], pools: [true], hidden: 128, outputs: outputs)
            case .cal24: return CascadeNetShape(inputSize: 24, convolutions: [(32, 5)], pools: [true], hidden: 64, outputs: outputs)
            case .net48: return CascadeNetShape(inputSize: 48, convolutions: [(64, 5), (64, 5)], pools: [true, true], hidden: 256, outputs: outputs)
            case .cal48: return CascadeNetShape(inputSize: 48, convolutions: [(64, 5), (64, 5)], pools: [true, false], hidden: 256, outputs: outputs)
            }
        }
    }

    public let net12: CascadeNet
    public let cal12: CascadeNet
    public let net24: CascadeNet
    public let cal24: CascadeNet
    public let net48: CascadeNet
    public let cal48: CascadeNet
    public let batchNorm: Bool

    /// Fresh nets (PyTorch's default initialisation under `Initialization.withSeed`); `dropout` is the probability
    /// before each fc layer while training.
    public init(batchNorm: Bool = true, dropout: Float = 0.2, seed: UInt64 = 0) {
        self.batchNorm = batchNorm
        let nets = Stage.allCases.map { CascadeNet($0.shape, batchNorm: batchNorm, dropout: dropout, seed: seed &+ UInt64($0.rawValue)) }
        (net12, cal12, net24, cal24, net48, cal48) = (nets[0], nets[1], nets[2], nets[3], nets[4], nets[5])
    }

    public subscript(stage: Stage) -> CascadeNet { [net12, cal12, net24, cal24, net48, cal48][stage.rawValue] }

    /// A gray picture's samples (0…1) as the nets' input values.
    public static func normalized(_ luma: Float) -> Float { (luma - 0.5) * 2 }
}

/// The 45 calibration patterns (Li et al. 2015, section 3.2): scales {0.83, 0.91, 1.0, 1.10, 1.21} × x offsets
/// {−0.17, 0, 0.17} × y offsets {−0.17, 0, 0.17}, scale slowest, then x, then y. Pattern n moves a window
/// (x, y, w, h) to (x − xₙ·w/sₙ, y − yₙ·h/sₙ, w/sₙ, h/sₙ).
public struct CalibrationPattern: Sendable, Equatable {
    public let scale: Float
    public let x: Float
    public let y: Float

    public static let all: [CalibrationPattern] = [0.83, 0.91, 1.0, 1.10, 1.21].flatMap { s in
        [-0.17, 0, 0.17].flatMap { x in [-0.17, 0, 0.17].map { y in CalibrationPattern(scale: Float(s), x: Float(x), y: Float(y)) } }
    }

    /// The seed's rule: patterns whose probability exceeds 1/45 (better than chance), their scale and offsets
    /// averaged weighted by probability; nil when none does (every probability exactly 1/45).
    public static func average(probabilities: ArraySlice<Float>) -> CalibrationPattern? {
        precondition(probabilities.count == all.count, "calibration takes \(all.count) probabilities, not \(probabilities.count)")
        var (total, scale, x, y) = (Float(0), Float(0), Float(0), Float(0))
        for (pattern, p) in zip(all, probabilities) where p > 1 / Float(all.count) {
            total += p
            scale += p * pattern.scale
            x += p * pattern.x
            y += p * pattern.y
        }
        guard total > 0 else { return nil }
        return CalibrationPattern(scale: scale / total, x: x / total, y: y / total)
    }

    /// The window this pattern moves (x, y, w, h) to.
    public func adjust(x wx: Float, y wy: Float, width: Float, height: Float) -> (x: Float, y: Float, width: Float, height: Float) {
        (wx - x * width / scale, wy - y * height / scale, width / scale, height / scale)
    }

    /// The window that this pattern moves onto the face box (x, y, w, h): a training example of class n.
    public func perturb(x fx: Float, y fy: Float, width: Float, height: Float) -> (x: Float, y: Float, width: Float, height: Float) {
        (fx + x * width, fy + y * height, width * scale, height * scale)
    }
}
