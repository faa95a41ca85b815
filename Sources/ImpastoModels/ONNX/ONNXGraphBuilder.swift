import ImpastoFormats
import ImpastoNN
import ImpastoTensor

/// A layer that can write itself as standard ONNX operators. Conformances live beside the networks that need
/// them (`TransformerNet+ONNX.swift`, `MobileNetV2+ONNX.swift`); a layer without one makes export fail with
/// `ONNXExportError.unsupportedLayer`, naming it, rather than write a graph that computes something else.
public protocol ONNXExportable {
    /// Appends this layer's operators, reading the value named `input`, and returns the name of its output.
    /// `scope` is the layer's key path in the network (`res1.conv2`): its weights keep their state-dict names.
    func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String
}

/// Why a network could not be exported.
public enum ONNXExportError: Error, CustomStringConvertible {
    case unsupportedLayer(type: String, scope: String)

    public var description: String {
        switch self {
        case let .unsupportedLayer(type, scope):
            "ONNX export has no operator mapping for \(type) at '\(scope)'; the network cannot be exported."
        }
    }
}

/// Collects the nodes and weights of a graph as layers export themselves, with unique value names.
public final class ONNXGraphBuilder {
    /// The default-domain opset every mapping here is written against: 17 gives Pad its `mode` with pads as an
    /// input, Resize's `nearest_mode`, and is read by onnxruntime since 1.13 and by ONNX Runtime Mobile.
    public static let opset = 17

    private(set) var nodes: [ONNXNode] = []
    private(set) var initializers: [ONNXTensor] = []
    private var used: Set<String> = []
    /// Constants already added, by value, so that the 40 identical `pads` of a network are one initializer.
    private var constants: [String: String] = [:]

    public init() {}

    /// A value name not used yet, `base` itself when it is free.
    private func unique(_ base: String) -> String {
        var name = base, suffix = 1
        while used.contains(name) {
            suffix += 1
            name = "\(base)_\(suffix)"
        }
        used.insert(name)
        return name
    }

    /// Adds a weight under its state-dict name (`conv1.conv2d.weight`) and returns that name.
    public func weight(_ tensor: Tensor, name: String) -> String {
        let name = unique(name)
        initializers.append(ONNXTensor(name: name, dims: tensor.shape, values: .float(tensor.scalars)))
        return name
    }

    /// Adds a constant tensor an operator takes as an input (pads, scales, clip bounds).
    public func constant(_ values: ONNXTensor.Values, dims: [Int], name: String) -> String {
        let key = "\(values) \(dims)"
        if let existing = constants[key] { return existing }
        let name = unique(name)
        initializers.append(ONNXTensor(name: name, dims: dims, values: values))
        constants[key] = name
        return name
    }

    /// The key path of `child` inside `scope` (`res1` + `conv1` → `res1.conv1`).
    public static func scope(_ scope: String, _ child: String) -> String { scope.isEmpty ? child : "\(scope).\(child)" }

    /// Appends one operator and returns its output's name, `<scope>/<OpType>` made unique.
    @discardableResult
    public func apply(_ opType: String, _ inputs: [String], scope: String,
                      attributes: [(name: String, value: ONNXAttribute)] = []) -> String {
        let output = unique(scope.isEmpty ? opType : "\(scope)/\(opType)")
        nodes.append(ONNXNode(opType: opType, name: output, inputs: inputs, outputs: [output], attributes: attributes))
        return output
    }

    /// Writes `layer` (which must be exportable) and returns its output's name.
    public func export(_ layer: any UnaryLayer, _ input: String, scope: String) throws -> String {
        guard let exportable = layer as? any ONNXExportable else {
            throw ONNXExportError.unsupportedLayer(type: String(describing: type(of: layer)), scope: scope)
        }
        return try exportable.exportONNX(input, scope: scope, to: self)
    }

    /// The model: the collected graph between `input` and the value `output` is renamed to.
    public func model(name: String, input: ONNXValueInfo, output: ONNXValueInfo, from last: String,
                      producerVersion: String = "", metadata: [(key: String, value: String)]) -> ONNXModel {
        var nodes = nodes
        // The last node writes the graph's output directly, so readers see the names the model documents.
        if let index = nodes.lastIndex(where: { $0.outputs == [last] }) { nodes[index].outputs = [output.name] }
        let graph = ONNXGraph(name: name, nodes: nodes, initializers: initializers, inputs: [input], outputs: [output])
        return ONNXModel(graph: graph, opset: Self.opset, producerVersion: producerVersion, metadata: metadata)
    }
}

// MARK: - The engine's layers

extension Conv2d: ONNXExportable {
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        var inputs = [input, graph.weight(weight, name: "\(scope).weight")]
        if let bias { inputs.append(graph.weight(bias, name: "\(scope).bias")) }
        return graph.apply("Conv", inputs, scope: scope, attributes: [
            ("kernel_shape", .ints([weight.shape[2], weight.shape[3]])),
            ("strides", .ints([stride.0, stride.1])),
            ("pads", .ints([padding.0, padding.1, padding.0, padding.1])),
            ("dilations", .ints([dilation.0, dilation.1])),
            ("group", .int(groups)),
        ])
    }
}

extension Linear: ONNXExportable {
    /// `Gemm` with the weight transposed, as torch.onnx writes `nn.Linear` on a `[N, features]` input.
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        var inputs = [input, graph.weight(weight, name: "\(scope).weight")]
        if let bias { inputs.append(graph.weight(bias, name: "\(scope).bias")) }
        return graph.apply("Gemm", inputs, scope: scope, attributes: [("transB", .int(1))])
    }
}

extension Dropout: ONNXExportable {
    /// The identity: exported networks run inference.
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String { input }
}

extension Sequential: ONNXExportable {
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        var value = input
        for (index, layer) in layers.enumerated() {
            value = try graph.export(layer, value, scope: ONNXGraphBuilder.scope(scope, "\(index)"))
        }
        return value
    }
}

extension InstanceNorm2d: ONNXExportable {
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        guard let weight, let bias else {
            throw ONNXExportError.unsupportedLayer(type: "InstanceNorm2d without affine parameters", scope: scope)
        }
        return graph.apply("InstanceNormalization",
                           [input, graph.weight(weight, name: "\(scope).weight"), graph.weight(bias, name: "\(scope).bias")],
                           scope: scope, attributes: [("epsilon", .float(epsilon))])
    }
}
