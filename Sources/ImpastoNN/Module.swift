import ImpastoTensor

/// A network or a piece of one: owns named tensors and named sub-modules, named as PyTorch's
/// `state_dict()` names them (`features.0.weight`), so weight files map onto it directly.
///
/// Sub-modules are found, not listed: every stored property holding a module is a child named after the
/// property (mlx-swift's way), or after the key its `@ModuleInfo(key:)` gives where a file's names differ
/// from Swift's. Arrays are not searched (an array of layers is a `Sequential`, whose children are "0", "1", …),
/// so a property may keep a second list of layers that are children already. Layers with tensors of their own
/// override `localParameters` and, for running statistics, `localBuffers`.
/// Parameters are created at initialisation and never replaced: loading and optimisers write into them
/// in place, so references held elsewhere (an optimizer's list) stay valid.
open class Module {
    /// Whether the module behaves as in training (batch statistics, dropout) or inference.
    public private(set) var isTraining = false

    public init() {}

    /// Sub-modules with the names their parameters are prefixed with, in declaration order (a superclass's
    /// first): the stored properties holding a module, as the type comment says.
    open var children: [(name: String, module: Module)] {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror {
            mirrors.insert(current, at: 0)
            mirror = current.superclassMirror
        }
        return mirrors.flatMap { mirror in
            mirror.children.compactMap { child -> (name: String, module: Module)? in
                guard let label = child.label else { return nil }
                if let info = child.value as? any ModuleInfoProtocol {
                    return (info.key ?? String(label.drop { $0 == "_" }), info.module)
                }
                return (child.value as? Module).map { (label, $0) }
            }
        }
    }
    /// This module's own learnable tensors.
    open var localParameters: [(name: String, tensor: Tensor)] { [] }
    /// This module's own non-learnable state saved with the weights (batch norm running statistics).
    open var localBuffers: [(name: String, tensor: Tensor)] { [] }

    /// Switches this module and its children between training and inference behaviour.
    public func train(_ training: Bool = true) {
        isTraining = training
        for child in children { child.module.train(training) }
    }

    /// Every learnable tensor of this module and its children, with dotted names.
    public func parameters() -> [(name: String, tensor: Tensor)] {
        collect { $0.localParameters }
    }

    /// Parameters and buffers: what a weight file holds.
    public func stateDict() -> [(name: String, tensor: Tensor)] {
        collect { $0.localParameters + $0.localBuffers }
    }

    /// Sets `requiresGrad` on every parameter: false freezes the module (a loss network, VGG in Gatys),
    /// so backward passes compute no weight gradients at all.
    public func requireGradients(_ required: Bool) {
        for (_, tensor) in parameters() { tensor.requiresGrad = required }
    }

    /// Copies weights into this module's tensors.
    ///
    /// - Parameters:
    ///   - weights: a flat dictionary as read from a weight file.
    ///   - keyMap: maps this module's name for a tensor to the file's; identity by default.
    ///   - ignoring: file keys that are expected to be unused (old checkpoints' extra statistics).
    ///   - merging: file tensors that together make one of this module's (`WeightMerge.weightNorm`), merged
    ///     before keys are matched.
    ///   - keepingFileTypes: whether parameters take the file's tensors as they are stored (f16, bf16, 8-bit
    ///     codebook indices; `Tensor.adopt`), each converted to float32 when a kernel first reads it, rather
    ///     than float32 copies. For frozen networks: optimizers write float32 in place and refuse the others.
    ///   - source: the file the weights came from, for error messages.
    /// - Throws: `ImpastoError.missingKey`, `.shapeMismatch`, `.nonFiniteWeights` (refused rather than warned
    ///   about: such a network only makes noise or black), or `.unexpectedKeys` when `weights` holds tensors
    ///   nothing maps to. Nothing is modified unless every tensor is present, fits and is finite.
    public func load(_ weights: [String: Tensor], keyMap: (String) -> String = { $0 },
                     ignoring: (String) -> Bool = { _ in false }, merging: [WeightMerge] = [],
                     keepingFileTypes: Bool = false, source: String) throws {
        var weights = weights
        for merge in merging { try merge.apply(to: &weights) }
        var assignments: [(Tensor, Tensor)] = []
        var used = Set<String>()
        for (name, tensor) in stateDict() {
            let key = keyMap(name)
            guard let loaded = weights[key] else { throw ImpastoError.missingKey(key: key, source: source) }
            guard loaded.shape == tensor.shape else {
                throw ImpastoError.shapeMismatch(key: key, expected: tensor.shape, actual: loaded.shape)
            }
            guard loaded.allFinite else {
                throw ImpastoError.nonFiniteWeights(key: key, source: source)
            }
            assignments.append((tensor, loaded))
            used.insert(key)
        }
        let unexpected = weights.keys.filter { !used.contains($0) && !ignoring($0) }.sorted()
        guard unexpected.isEmpty else { throw ImpastoError.unexpectedKeys(keys: unexpected, source: source) }
        for (tensor, loaded) in assignments {
            if keepingFileTypes && (loaded.dtype.isFloatingPoint && loaded.dtype != .f32 || loaded.isCodebookQuantized) {
                tensor.adopt(loaded)
            } else {
                tensor.assign(loaded)
            }
        }
    }

    private func collect(_ own: (Module) -> [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
        var result = own(self)
        for (prefix, child) in children {
            result += child.collect(own).map { ("\(prefix).\($0.name)", $0.tensor) }
        }
        return result
    }
}

/// A module that maps one tensor to one tensor, so it can sit in a `Sequential`.
public protocol UnaryLayer: Module {
    /// Applies the layer.
    func callAsFunction(_ input: Tensor) -> Tensor
}

/// Layers applied in order, named "0", "1", … as in `torch.nn.Sequential`.
public final class Sequential: Module, UnaryLayer {
    /// The layers, in order.
    public let layers: [any UnaryLayer]

    /// A sequence of layers.
    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
    }

    override public var children: [(name: String, module: Module)] {
        layers.enumerated().map { (String($0.offset), $0.element as Module) }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }
}

/// A child module whose key in weight files differs from its property's name (mlx-swift's `@ModuleInfo`):
///
///     @ModuleInfo(key: "conv4-1") var boxes = Conv2d(inputChannels: 32, outputChannels: 4, kernelSize: 1)
@propertyWrapper
public struct ModuleInfo<Child: Module>: ModuleInfoProtocol {
    public let wrappedValue: Child
    public let key: String?

    public init(wrappedValue: Child, key: String? = nil) {
        self.wrappedValue = wrappedValue
        self.key = key
    }

    public var module: Module { wrappedValue }
}

/// What `Module.children` reads from a `ModuleInfo` of any child type.
public protocol ModuleInfoProtocol {
    var key: String? { get }
    var module: Module { get }
}

/// Tensors of a weight file that together make one parameter, as PyTorch's weight normalisation saves a
/// layer's `weight` as a magnitude `weight_g` and a direction `weight_v`. `Module.load(_:merging:)` replaces
/// every complete set (`<prefix><input>` for each input) by `<prefix><output>`; an incomplete set is left
/// for strict loading to report.
public struct WeightMerge: Sendable {
    /// The key suffixes of the file's tensors, in the order `combine` takes them.
    public let inputs: [String]
    /// The suffix of the parameter they make.
    public let output: String
    /// Makes the parameter from the tensors (and their full keys, for errors).
    public let combine: @Sendable (_ tensors: [Tensor], _ keys: [String]) throws -> Tensor

    public init(inputs: [String], output: String,
                combine: @escaping @Sendable (_ tensors: [Tensor], _ keys: [String]) throws -> Tensor) {
        precondition(!inputs.isEmpty, "a merge needs inputs")
        self.inputs = inputs
        self.output = output
        self.combine = combine
    }

    /// `torch.nn.utils.weight_norm`: weight = g · v / ‖v‖, the norm over every dimension but the first.
    public static let weightNorm = WeightMerge(inputs: ["weight_g", "weight_v"], output: "weight", combine: normalizedWeight)

    /// The same in the form `torch.nn.utils.parametrizations.weight_norm` saves (PyTorch ≥ 2.1).
    public static let parametrizedWeightNorm = WeightMerge(
        inputs: ["parametrizations.weight.original0", "parametrizations.weight.original1"], output: "weight",
        combine: normalizedWeight)

    @Sendable private static func normalizedWeight(_ tensors: [Tensor], _ keys: [String]) throws -> Tensor {
        let (g, v) = (tensors[0], tensors[1])
        let expected = [v.shape.first ?? 1] + [Int](repeating: 1, count: max(v.rank - 1, 0))
        guard v.rank >= 1, g.shape == expected else {
            throw ImpastoError.shapeMismatch(key: keys[0], expected: expected, actual: g.shape)
        }
        let norm = v.rank == 1 ? v.abs() : v.squared().sum(alongAxes: Array(1..<v.rank), keepingDimensions: true).sqrt()
        return g * v / norm
    }

    func apply(to weights: inout [String: Tensor]) throws {
        for key in weights.keys where key.hasSuffix(inputs[0]) {
            let prefix = String(key.dropLast(inputs[0].count))
            let keys = inputs.map { prefix + $0 }
            let parts = keys.compactMap { weights[$0] }
            guard parts.count == keys.count else { continue }
            let merged = try combine(parts, keys)
            for key in keys { weights[key] = nil }
            weights[prefix + output] = merged
        }
    }
}
