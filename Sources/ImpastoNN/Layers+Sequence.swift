import ImpastoTensor

// Layers of sequence models (vocoders, transformers): 1-D convolutions, layer norm, embeddings.

/// A 1-D convolution, as `torch.nn.Conv1d` (input `[N, C, L]`, weight `[out, in / groups, k]`).
public final class Conv1d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: (before: Int, after: Int)
    public let dilation: Int
    public let groups: Int

    /// A 1-D convolution with PyTorch's default initialisation.
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        precondition(inputChannels % groups == 0 && outputChannels % groups == 0, "channels not divisible by groups")
        let bound = 1 / Float(inputChannels / groups * kernelSize).squareRoot()
        weight = Initialization.uniform([outputChannels, inputChannels / groups, kernelSize], bound: bound)
        self.bias = bias ? Initialization.uniform([outputChannels], bound: bound) : nil
        self.stride = stride
        self.padding = (padding, padding)
        self.dilation = dilation
        self.groups = groups
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        conv1d(input, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// A transposed 1-D convolution, as `torch.nn.ConvTranspose1d` (weight `[in, out / groups, k]`).
public final class ConvTranspose1d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, outputPadding: Int, dilation: Int, groups: Int

    /// A transposed 1-D convolution with PyTorch's default initialisation (fan-in from the weight's dim 1).
    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        let bound = 1 / Float(outputChannels / groups * kernelSize).squareRoot()
        weight = Initialization.uniform([inputChannels, outputChannels / groups, kernelSize], bound: bound)
        self.bias = bias ? Initialization.uniform([outputChannels], bound: bound) : nil
        (self.stride, self.padding, self.outputPadding, self.dilation, self.groups)
            = (stride, padding, outputPadding, dilation, groups)
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        convTranspose1d(input, weight: weight, bias: bias, stride: stride, padding: padding,
                        outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
}

/// Layer normalisation over the last dimensions, as `torch.nn.LayerNorm` (weight ones, bias zeros).
public final class LayerNorm: Module, UnaryLayer {
    public let normalizedShape: [Int]
    public let weight: Tensor?
    public let bias: Tensor?
    public let epsilon: Float

    public init(_ normalizedShape: [Int], epsilon: Float = 1e-5, affine: Bool = true) {
        self.normalizedShape = normalizedShape
        weight = affine ? Tensor(repeating: 1, shape: normalizedShape) : nil
        bias = affine ? Tensor(zeros: normalizedShape) : nil
        self.epsilon = epsilon
    }

    override public var localParameters: [(name: String, tensor: Tensor)] {
        (weight.map { [("weight", $0)] } ?? []) + (bias.map { [("bias", $0)] } ?? [])
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layerNorm(input, normalizedShape: normalizedShape, weight: weight, bias: bias, epsilon: epsilon)
    }
}

/// A lookup table of vectors, as `torch.nn.Embedding` (weight `[count, dimension]`, initialised N(0, 1)).
public final class Embedding: Module {
    public let weight: Tensor

    public init(count: Int, dimension: Int) {
        weight = Initialization.normal([count, dimension])
    }

    override public var localParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    /// The vectors of `ids` (an integer tensor): `ids.shape + [dimension]`.
    public func callAsFunction(_ ids: Tensor) -> Tensor { embedding(ids, weight: weight) }
}
