import ImpastoTensor

/// A 2-D convolution, as `torch.nn.Conv2d` (weights OIHW, optional bias).
public final class Conv2d: Module, UnaryLayer {
    /// [outputChannels, inputChannels / groups, kernelHeight, kernelWidth].
    public let weight: Tensor
    /// [outputChannels], or nil.
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int

    /// A convolution with PyTorch's default initialisation.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0, "channels not divisible by groups")
        let fanIn = inputChannels / groups * kernelSize.0 * kernelSize.1
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Initialization.uniform([outputChannels, inputChannels / groups, kernelSize.0, kernelSize.1], bound: bound)
        self.bias = bias ? Initialization.uniform([outputChannels], bound: bound) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// A square-kernel convolution.
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
                            padding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        self.init(inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: (kernelSize, kernelSize),
                  stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation),
                  groups: groups, bias: bias)
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        // The arithmetic is the job's (`Precision.current`), never a setting stored in the layer; so is the padding.
        if ConvolutionPadding.wrapsAround && (padding.0 > 0 || padding.1 > 0) {
            let wrapped = circularPad2d(input, padding: (left: padding.1, right: padding.1, top: padding.0, bottom: padding.0))
            return conv2d(wrapped, weight: weight, bias: bias, stride: stride, dilation: dilation, groups: groups)
        }
        return conv2d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// How the padded `Conv2d` layers of a scope pad: `ConvolutionPadding.$wrapsAround.withValue(true) { … }` makes each
/// one wrap around (PyTorch's `padding_mode="circular"`) instead of padding with zeros, so a network sees its input
/// as a torus — what tileable texture synthesis needs. A task-local, so a job changes no shared network.
public enum ConvolutionPadding {
    @TaskLocal public static var wrapsAround = false
}

/// A transposed 2-D convolution, as `torch.nn.ConvTranspose2d` (weights [in, out / groups, kh, kw]).
public final class ConvTranspose2d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let outputPadding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int

    /// A transposed convolution with PyTorch's default initialisation (fan-in from the weight's dim 1).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        let fanIn = outputChannels / groups * kernelSize * kernelSize
        let bound = 1 / Float(fanIn).squareRoot()
        weight = Initialization.uniform([inputChannels, outputChannels / groups, kernelSize, kernelSize], bound: bound)
        self.bias = bias ? Initialization.uniform([outputChannels], bound: bound) : nil
        self.stride = (stride, stride)
        self.padding = (padding, padding)
        self.outputPadding = (outputPadding, outputPadding)
        self.dilation = (dilation, dilation)
        self.groups = groups
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        convTranspose2d(input, weight: weight, bias: bias, stride: stride, padding: padding,
                        outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
}

/// A fully connected layer, as `torch.nn.Linear` (weight [out, in]).
public final class Linear: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?

    /// A linear layer with PyTorch's default initialisation.
    public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true) {
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = Initialization.uniform([outputFeatures, inputFeatures], bound: bound)
        self.bias = bias ? Initialization.uniform([outputFeatures], bound: bound) : nil
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        linear(input, weight: weight, bias: bias)
    }
}

/// Batch normalisation over channels, as `torch.nn.BatchNorm2d`: batch statistics while training (and the
/// running averages updated), running statistics at inference.
public final class BatchNorm2d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let momentum: Float
    public let epsilon: Float

    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Tensor(repeating: 1, shape: [features])
        bias = Tensor(zeros: [features])
        runningMean = Tensor(zeros: [features])
        runningVariance = Tensor(repeating: 1, shape: [features])
        self.momentum = momentum
        self.epsilon = epsilon
    }

    override public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    override public var localBuffers: [(name: String, tensor: Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        batchNorm(input, runningMean: runningMean, runningVariance: runningVariance, weight: weight, bias: bias,
                  training: isTraining, momentum: momentum, epsilon: epsilon)
    }
}

/// Instance normalisation, as `torch.nn.InstanceNorm2d` (statistics per sample and channel; optional affine).
public final class InstanceNorm2d: Module, UnaryLayer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    public init(features: Int, affine: Bool = false, epsilon: Float = 1e-5) {
        weight = affine ? Tensor(repeating: 1, shape: [features]) : nil
        bias = affine ? Tensor(zeros: [features]) : nil
        self.epsilon = epsilon
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        guard let weight, let bias else { return [] }
        return [("weight", weight), ("bias", bias)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        instanceNorm(input, weight: weight, bias: bias, epsilon: epsilon)
    }

    /// The parameters the fused kernels (`instanceNormReLUUpsamplePad`) take.
    public var parameters: InstanceNormParameters { InstanceNormParameters(weight: weight, bias: bias, epsilon: epsilon) }
}

/// Max pooling, as `torch.nn.MaxPool2d`.
public final class MaxPool2d: Module, UnaryLayer {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let ceilMode: Bool

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
        self.ceilMode = ceilMode
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        maxPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}

/// Average pooling, as `torch.nn.AvgPool2d`.
public final class AvgPool2d: Module, UnaryLayer {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let ceilMode: Bool
    public let countIncludePad: Bool

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false,
                countIncludePad: Bool = true) {
        self.kernelSize = (kernelSize, kernelSize)
        self.stride = (stride ?? kernelSize, stride ?? kernelSize)
        self.padding = (padding, padding)
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        avgPool2d(input, kernelSize: kernelSize, stride: stride, padding: padding, ceilMode: ceilMode,
                  countIncludePad: countIncludePad)
    }
}

/// Upsampling by an integer factor, as `torch.nn.Upsample(scale_factor:, mode:)`.
public final class Upsample: Module, UnaryLayer {
    /// How new pixels are computed.
    public enum Mode: Sendable { case nearest, bilinear(alignCorners: Bool) }
    public let scaleFactor: Int
    public let mode: Mode

    public init(scaleFactor: Int, mode: Mode = .nearest) {
        self.scaleFactor = scaleFactor
        self.mode = mode
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        switch mode {
        case .nearest:
            return upsampleNearest2d(input, scaleFactor: scaleFactor)
        case .bilinear(let alignCorners):
            let size = (input.shape[2] * scaleFactor, input.shape[3] * scaleFactor)
            return upsampleBilinear2d(input, size: size, alignCorners: alignCorners)
        }
    }
}

/// Reflection padding on all four sides, as `torch.nn.ReflectionPad2d(padding)`.
public final class ReflectionPad2d: Module, UnaryLayer {
    public let padding: Int

    public init(_ padding: Int) { self.padding = padding }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        reflectionPad2d(input, padding: (padding, padding, padding, padding))
    }
}

/// A parametric ReLU, as `torch.nn.PReLU(count)`: one learnable slope per channel (or one shared).
public final class PReLU: Module, UnaryLayer {
    public let weight: Tensor

    public init(count: Int = 1, initialSlope: Float = 0.25) {
        weight = Tensor(repeating: initialSlope, shape: [count])
    }

    override public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    public func callAsFunction(_ input: Tensor) -> Tensor { prelu(input, weight: weight) }
}

/// max(x, 0).
public final class ReLU: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { relu(input) }
}

/// max(x, 0) + slope · min(x, 0).
public final class LeakyReLU: Module, UnaryLayer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ input: Tensor) -> Tensor { leakyRelu(input, negativeSlope: negativeSlope) }
}

/// The hyperbolic tangent.
public final class Tanh: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { tanh(input) }
}

/// The logistic sigmoid.
public final class Sigmoid: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { sigmoid(input) }
}

/// x · relu6(x + 3) / 6, as `torch.nn.Hardswish`.
public final class HardSwish: Module, UnaryLayer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { hardSwish(input) }
}

/// Zeroes elements with probability `probability` while training and scales the rest by 1 / (1 − p), as
/// `torch.nn.Dropout`; the identity at inference.
public final class Dropout: Module, UnaryLayer {
    public let probability: Float
    private var generator: RandomGenerator

    public init(probability: Float = 0.5, seed: UInt64 = 0) {
        precondition((0..<1).contains(probability), "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return input }
        let keep = 1 / (1 - probability)
        let mask = Tensor(shape: input.shape) { buffer in
            for i in buffer.indices { buffer[i] = generator.nextFloat() < probability ? 0 : keep }
        }
        return input * mask
    }
}
