import ImpastoNN
import ImpastoTensor

// FC-DenseNet: Jégou, Drozdzal, Vazquez, Romero & Bengio, "The One Hundred Layers Tiramisu: Fully Convolutional
// DenseNets for Semantic Segmentation", CVPRW 2017 (its table 1 for the layers, table 2 for the variants). The
// project's seed (greenScreen) trains it for person/background masks with RMSProp at 1e-3.
//
// Weights: none ship; `impasto train-segmenter` trains them in Impasto (Studio/Segmentation/) and writes one
// safetensors file whose keys are `firstConvolution.weight`, `down.0.layers.3.convolution.weight`, ….
//
// Input: RGB, NCHW, (value − 0.5) · 2 for values in 0…1; height and width multiples of 2^(number of down blocks)
// (32 for the paper's variants: 224 = 7 · 32), so every transition up lands exactly on its skip connection.
// Output: logits [N, classes, H, W].
//
// Layers (paper's table 1):
//   layer            BN → ReLU → conv 3×3 (growth channels) → dropout 0.2
//   dense block      n layers, each reading the concatenation of the block's input and all earlier layers' outputs
//   transition down  BN → ReLU → conv 1×1 (same channels) → dropout 0.2 → max-pool 2×2
//   transition up    transposed conv 3×3, stride 2 (same channels)
// The network: conv 3×3 (48) → [dense block → (skip) → transition down] × k → bottleneck dense block →
// [transition up → concat skip → dense block] × k → conv 1×1 (classes). On the way up only the block's new
// feature maps are upsampled (not its input), which keeps the channel count from exploding; the last block's
// output is its input and new maps together (256 channels in FC-DenseNet103).
// Conv layers: 1 + Σ layers + k + k + 1, i.e. 56, 67 and 103 for the paper's variants.

/// The shape of an FC-DenseNet.
public struct FCDenseNetConfiguration: Sendable, Equatable {
    /// Layers of each dense block on the way down (the way up mirrors them).
    public var downLayers: [Int]
    /// Layers of the bottleneck block.
    public var bottleneckLayers: Int
    /// Feature maps each layer adds.
    public var growthRate: Int
    /// Channels of the first 3×3 convolution.
    public var firstChannels: Int
    public var dropout: Float
    public var classes: Int

    public init(downLayers: [Int], bottleneckLayers: Int, growthRate: Int, firstChannels: Int = 48,
                dropout: Float = 0.2, classes: Int = 2) {
        (self.downLayers, self.bottleneckLayers, self.growthRate) = (downLayers, bottleneckLayers, growthRate)
        (self.firstChannels, self.dropout, self.classes) = (firstChannels, dropout, classes)
    }

    /// FC-DenseNet56: 4 layers per block, growth 12.
    public static let fcDenseNet56 = FCDenseNetConfiguration(downLayers: [4, 4, 4, 4, 4], bottleneckLayers: 4, growthRate: 12)
    /// FC-DenseNet67: 5 layers per block, growth 16.
    public static let fcDenseNet67 = FCDenseNetConfiguration(downLayers: [5, 5, 5, 5, 5], bottleneckLayers: 5, growthRate: 16)
    /// FC-DenseNet103: 4, 5, 7, 10, 12 layers down, 15 in the bottleneck, growth 16.
    public static let fcDenseNet103 = FCDenseNetConfiguration(downLayers: [4, 5, 7, 10, 12], bottleneckLayers: 15, growthRate: 16)

    /// The convolutions (3×3, 1×1 and transposed) the network holds: the number in the variant's name.
    public var convolutionCount: Int {
        1 + 2 * downLayers.reduce(0, +) + bottleneckLayers + 2 * downLayers.count + 1
    }

    /// Height and width must be multiples of this.
    public var sideMultiple: Int { 1 << downLayers.count }
}

/// BN → ReLU → conv 3×3 → dropout.
final class DenseLayer: Module {
    let norm: BatchNorm2d
    let convolution: Conv2d
    let dropout: Dropout

    init(inputChannels: Int, growthRate: Int, dropout: Float, seed: UInt64) {
        norm = BatchNorm2d(features: inputChannels)
        convolution = Conv2d(inputChannels: inputChannels, outputChannels: growthRate, kernelSize: 3, padding: 1)
        self.dropout = Dropout(probability: dropout, seed: seed)
    }

    func callAsFunction(_ input: Tensor) -> Tensor { dropout(convolution(relu(norm(input)))) }
}

/// Layers each reading everything before them; returns only the new maps (concatenated), the caller adds the input.
final class DenseBlock: Module {
    let layers: [DenseLayer]

    init(inputChannels: Int, layers count: Int, growthRate: Int, dropout: Float, seed: UInt64) {
        layers = (0..<count).map {
            DenseLayer(inputChannels: inputChannels + $0 * growthRate, growthRate: growthRate, dropout: dropout,
                       seed: seed &+ UInt64($0))
        }
    }

    override var children: [(name: String, module: Module)] {
        [(name: "layers", module: ModuleList(layers))]
    }

    /// The new feature maps, [N, layers · growth, H, W].
    func callAsFunction(_ input: Tensor) -> Tensor {
        var features = input
        var added: [Tensor] = []
        for layer in layers {
            let new = layer(features)
            added.append(new)
            features = concat([features, new], axis: 1)
        }
        return added.count == 1 ? added[0] : concat(added, axis: 1)
    }
}

/// BN → ReLU → conv 1×1 → dropout → max-pool 2×2.
final class TransitionDown: Module {
    let norm: BatchNorm2d
    let convolution: Conv2d
    let dropout: Dropout
    let pool = MaxPool2d(kernelSize: 2)

    init(channels: Int, dropout: Float, seed: UInt64) {
        norm = BatchNorm2d(features: channels)
        convolution = Conv2d(inputChannels: channels, outputChannels: channels, kernelSize: 1)
        self.dropout = Dropout(probability: dropout, seed: seed)
    }

    func callAsFunction(_ input: Tensor) -> Tensor { pool(dropout(convolution(relu(norm(input))))) }
}

/// Modules named "0", "1", … (a plain array is invisible to `Module.children`'s reflection).
final class ModuleList: Module {
    let modules: [Module]
    init(_ modules: [Module]) { self.modules = modules }
    override var children: [(name: String, module: Module)] {
        modules.enumerated().map { (String($0.offset), $0.element) }
    }
}

/// The Tiramisu.
public final class FCDenseNet: Module {
    public let configuration: FCDenseNetConfiguration
    let firstConvolution: Conv2d
    let down: [DenseBlock]
    let transitionsDown: [TransitionDown]
    let bottleneck: DenseBlock
    let transitionsUp: [ConvTranspose2d]
    let up: [DenseBlock]
    let classifier: Conv2d

    public init(_ configuration: FCDenseNetConfiguration, seed: UInt64 = 0) {
        self.configuration = configuration
        let growth = configuration.growthRate, p = configuration.dropout
        var seed = seed
        func nextSeed() -> UInt64 { seed &+= 1000; return seed }
        firstConvolution = Conv2d(inputChannels: 3, outputChannels: configuration.firstChannels, kernelSize: 3, padding: 1)
        var channels = configuration.firstChannels
        var skipChannels: [Int] = []
        var down: [DenseBlock] = [], transitionsDown: [TransitionDown] = []
        for layers in configuration.downLayers {
            down.append(DenseBlock(inputChannels: channels, layers: layers, growthRate: growth, dropout: p, seed: nextSeed()))
            channels += layers * growth
            skipChannels.append(channels)
            transitionsDown.append(TransitionDown(channels: channels, dropout: p, seed: nextSeed()))
        }
        bottleneck = DenseBlock(inputChannels: channels, layers: configuration.bottleneckLayers, growthRate: growth,
                                dropout: p, seed: nextSeed())
        var upsampled = configuration.bottleneckLayers * growth
        var transitionsUp: [ConvTranspose2d] = [], up: [DenseBlock] = []
        for (layers, skip) in zip(configuration.downLayers.reversed(), skipChannels.reversed()) {
            transitionsUp.append(ConvTranspose2d(inputChannels: upsampled, outputChannels: upsampled, kernelSize: 3,
                                                 stride: 2, padding: 1, outputPadding: 1))
            channels = upsampled + skip
            up.append(DenseBlock(inputChannels: channels, layers: layers, growthRate: growth, dropout: p, seed: nextSeed()))
            upsampled = layers * growth
        }
        channels += upsampled
        classifier = Conv2d(inputChannels: channels, outputChannels: configuration.classes, kernelSize: 1)
        (self.down, self.transitionsDown) = (down, transitionsDown)
        (self.transitionsUp, self.up) = (transitionsUp, up)
    }

    override public var children: [(name: String, module: Module)] {
        [("firstConvolution", firstConvolution), ("down", ModuleList(down)),
         ("transitionsDown", ModuleList(transitionsDown)), ("bottleneck", bottleneck),
         ("transitionsUp", ModuleList(transitionsUp)), ("up", ModuleList(up)), ("classifier", classifier)]
    }

    /// Logits [N, classes, H, W] for [N, 3, H, W] with H and W multiples of `configuration.sideMultiple`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        let multiple = configuration.sideMultiple
        precondition(input.rank == 4 && input.shape[1] == 3 && input.shape[2] % multiple == 0 && input.shape[3] % multiple == 0,
                     "FC-DenseNet takes [N, 3, H, W] with H and W multiples of \(multiple), not \(input.shape)")
        var x = firstConvolution(input)
        var skips: [Tensor] = []
        for (block, transition) in zip(down, transitionsDown) {
            x = concat([x, block(x)], axis: 1)
            skips.append(x)
            x = transition(x)
        }
        var new = bottleneck(x)
        for (index, (transition, block)) in zip(transitionsUp, up).enumerated() {
            x = concat([transition(new), skips[skips.count - 1 - index]], axis: 1)
            new = block(x)
        }
        return classifier(concat([x, new], axis: 1))
    }
}
