import ImpastoTensor
import Testing
@testable import ImpastoNN

/// A two-block network shaped like torchvision's naming (`features.0.weight`, `head.bias`).
final class TinyNet: Module {
    let features = Sequential([
        Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, padding: 1), ReLU(), BatchNorm2d(features: 4),
    ])
    let head = Linear(inputFeatures: 4, outputFeatures: 2)

    override var children: [(name: String, module: Module)] { [("features", features), ("head", head)] }
}

/// Children found from the stored properties, in declaration order, with a key override and an array that
/// is not searched (its layers are children already).
final class DiscoveredNet: Module {
    let stem = Conv2d(inputChannels: 3, outputChannels: 2, kernelSize: 1)
    @ModuleInfo(key: "conv4-1") var boxes = Linear(inputFeatures: 2, outputFeatures: 4)
    let optionalHead: Linear? = Linear(inputFeatures: 4, outputFeatures: 1)
    let missingHead: Linear? = nil
    var layers: [Module] { [stem, boxes] }
    let again: [Conv2d]

    override init() {
        again = [stem]
    }
}

@Test func childrenAreFoundFromStoredProperties() {
    #expect(DiscoveredNet().children.map(\.name) == ["stem", "conv4-1", "optionalHead"])
    #expect(DiscoveredNet().stateDict().map(\.name) == ["stem.weight", "stem.bias", "conv4-1.weight", "conv4-1.bias",
                                                         "optionalHead.weight", "optionalHead.bias"])
}

@Test func stateDictUsesPyTorchNames() {
    let names = TinyNet().stateDict().map(\.name)
    #expect(names == ["features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias",
                      "features.2.running_mean", "features.2.running_var", "head.weight", "head.bias"])
    #expect(TinyNet().parameters().count == 6)
}

@Test func loadCopiesEveryTensorInPlace() throws {
    let source = TinyNet(), destination = TinyNet()
    let weights = Dictionary(uniqueKeysWithValues: source.stateDict().map { ($0.name, $0.tensor.copy() * 2) })
    let before = destination.head.weight
    try destination.load(weights, source: "test")
    #expect(destination.head.weight === before)
    #expect(destination.head.weight.scalars == (source.head.weight * 2).scalars)
}

@Test func loadFailsLoudlyAndChangesNothing() throws {
    let net = TinyNet()
    let original = net.head.weight.scalars
    var weights = Dictionary(uniqueKeysWithValues: TinyNet().stateDict().map { ($0.name, $0.tensor) })
    weights["head.weight"] = Tensor(zeros: [3, 4])
    #expect(throws: ImpastoError.shapeMismatch(key: "head.weight", expected: [2, 4], actual: [3, 4])) {
        try net.load(weights, source: "test")
    }
    #expect(net.head.weight.scalars == original)

    weights["head.weight"] = nil
    #expect(throws: ImpastoError.missingKey(key: "head.weight", source: "x.pth")) {
        try net.load(weights, source: "x.pth")
    }

    weights["head.weight"] = Tensor(zeros: [2, 4])
    weights["classifier.weight"] = Tensor(zeros: [1])
    #expect(throws: ImpastoError.unexpectedKeys(keys: ["classifier.weight"], source: "x.pth")) {
        try net.load(weights, source: "x.pth")
    }
    try net.load(weights, ignoring: { $0.hasPrefix("classifier.") }, source: "x.pth")
}

/// NaN or infinity anywhere is refused with the tensor's name, before any weight changes.
@Test func loadRefusesNonFiniteWeights() throws {
    for bad in [Float.nan, .infinity, -.infinity] {
        let net = TinyNet()
        let original = net.features.layers[0].parameters().map(\.tensor.scalars)
        var weights = Dictionary(uniqueKeysWithValues: TinyNet().stateDict().map { ($0.name, $0.tensor.copy()) })
        var scalars = weights["head.bias"]!.scalars
        scalars[1] = bad
        weights["head.bias"] = Tensor(shape: [2], scalars: scalars)
        #expect(throws: ImpastoError.nonFiniteWeights(key: "head.bias", source: "bad.pth")) {
            try net.load(weights, source: "bad.pth")
        }
        #expect(net.features.layers[0].parameters().map(\.tensor.scalars) == original)
    }
}

@Test func keyMapsRenameTensors() throws {
    let net = TinyNet()
    let source = TinyNet()
    let weights = Dictionary(uniqueKeysWithValues: source.stateDict().map { ("model." + $0.name, $0.tensor) })
    try net.load(weights, keyMap: { "model." + $0 }, source: "prefixed")
    for ((name, loaded), (_, original)) in zip(net.stateDict(), source.stateDict()) {
        #expect(loaded.scalars == original.scalars, "\(name)")
    }
    #expect(throws: ImpastoError.missingKey(key: "model.features.0.weight", source: "bare")) {
        try net.load(Dictionary(uniqueKeysWithValues: source.stateDict().map { ($0.name, $0.tensor) }),
                     keyMap: { "model." + $0 }, source: "bare")
    }
}

@Test func freezingRemovesWeightGradients() {
    let net = TinyNet()
    net.requireGradients(false)
    #expect(net.parameters().allSatisfy { !$0.tensor.requiresGrad })
    net.requireGradients(true)
    #expect(net.parameters().allSatisfy { $0.tensor.requiresGrad })
}

@Test func trainingModePropagates() {
    let net = TinyNet()
    net.train()
    #expect(net.features.layers[2].isTraining)
    net.train(false)
    #expect(!net.features.layers[2].isTraining)
}

/// Weight norm's `weight_g` and `weight_v` become one `weight` = g · v / ‖v‖ (norm over all but dim 0), as
/// `torch.nn.utils.weight_norm` computes it: rows v = (3, 4, 0) and (0, 0, −2) have norms 5 and 2.
@Test func weightNormMergesIntoOneParameter() throws {
    let layer = Conv1d(inputChannels: 1, outputChannels: 2, kernelSize: 3)
    let g = Tensor(shape: [2, 1, 1], scalars: [2, 3]), v = Tensor(shape: [2, 1, 3], scalars: [3, 4, 0, 0, 0, -2])
    let bias = Tensor(shape: [2], scalars: [0.5, -1])
    try layer.load(["weight_g": g, "weight_v": v, "bias": bias], merging: [.weightNorm], source: "wn.pth")
    #expect(layer.weight.scalars == [1.2, 1.6, 0, 0, 0, -3])
    // PyTorch ≥ 2.1 names them differently; the same merge under those names.
    try layer.load(["parametrizations.weight.original0": g, "parametrizations.weight.original1": v, "bias": bias],
                   merging: [.parametrizedWeightNorm], source: "wn2.pth")
    #expect(layer.weight.scalars == [1.2, 1.6, 0, 0, 0, -3])
    // A magnitude of the wrong shape is named, and a lone half is reported as the missing weight.
    #expect(throws: ImpastoError.shapeMismatch(key: "weight_g", expected: [2, 1, 1], actual: [2])) {
        try layer.load(["weight_g": Tensor(zeros: [2]), "weight_v": v, "bias": bias], merging: [.weightNorm],
                       source: "bad.pth")
    }
    #expect(throws: ImpastoError.missingKey(key: "weight", source: "half.pth")) {
        try layer.load(["weight_v": v, "bias": bias], merging: [.weightNorm], source: "half.pth")
    }
}

/// Inside `ConvolutionPadding.$wrapsAround`, a padded convolution sees a torus: shifting the input (with wrap)
/// shifts the output the same way, which zero padding breaks at the edges.
@Test func wrappingConvolutionsCommuteWithRolls() {
    let conv = Initialization.withSeed(3) { Conv2d(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1) }
    var generator = RandomGenerator(seed: 4)
    let x = Tensor.randomUniform([1, 2, 6, 7], generator: &generator)
    let shifted = roll(x, shifts: [2, -3], axes: [2, 3])
    let wrapped = ConvolutionPadding.$wrapsAround.withValue(true) {
        (roll(conv(x), shifts: [2, -3], axes: [2, 3]).scalars, conv(shifted).scalars)
    }
    #expect(zip(wrapped.0, wrapped.1).allSatisfy { abs($0 - $1) < 1e-5 })
    let zeroPadded = (roll(conv(x), shifts: [2, -3], axes: [2, 3]).scalars, conv(shifted).scalars)
    #expect(zip(zeroPadded.0, zeroPadded.1).contains { abs($0 - $1) > 1e-3 }, "zero padding should not commute")
}
