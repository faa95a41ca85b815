/// An ONNX model as Impasto writes it (onnx.ai, `onnx/onnx.proto`): one graph of standard operators, its weights
/// as initializers, and the opset it was written against. Plain values; `serialized()` gives the file's bytes.
/// Only what export needs is modelled: float and int64 tensors, the common attribute kinds, fixed or named
/// (dynamic) dimensions.
public struct ONNXModel: Sendable {
    /// The IR version 8 (ONNX 1.10) files are readable by every onnxruntime since 1.10 and by ONNX Runtime Mobile.
    public static let irVersion = 8
    public var graph: ONNXGraph
    /// The default-domain opset the graph's operators follow.
    public var opset: Int
    public var producerVersion: String
    /// Free-form key/value pairs (`metadata_props`): what the network is, where its weights came from.
    public var metadata: [(key: String, value: String)]

    public init(graph: ONNXGraph, opset: Int, producerVersion: String, metadata: [(key: String, value: String)] = []) {
        self.graph = graph
        self.opset = opset
        self.producerVersion = producerVersion
        self.metadata = metadata
    }

    /// The model as an ONNX file's bytes (a serialized `ModelProto`).
    public func serialized() -> [UInt8] {
        var out = ProtobufEncoder()
        out.int(1, Self.irVersion)
        out.string(2, "impasto")
        out.string(3, producerVersion)
        out.message(7) { graph.encode(into: &$0) }
        out.message(8) { $0.int(2, opset) }
        for (key, value) in metadata {
            out.message(14) { $0.string(1, key); $0.string(2, value) }
        }
        return out.bytes
    }
}

/// A computation graph: nodes in topological order, the weights they read, and the graph's inputs and outputs.
public struct ONNXGraph: Sendable {
    public var name: String
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]

    public init(name: String, nodes: [ONNXNode], initializers: [ONNXTensor], inputs: [ONNXValueInfo],
                outputs: [ONNXValueInfo]) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }

    func encode(into out: inout ProtobufEncoder) {
        for node in nodes { out.message(1) { node.encode(into: &$0) } }
        out.string(2, name)
        for tensor in initializers { out.message(5) { tensor.encode(into: &$0) } }
        for input in inputs { out.message(11) { input.encode(into: &$0) } }
        for output in outputs { out.message(12) { output.encode(into: &$0) } }
    }
}

/// One operator application; an empty input name stands for an omitted optional input.
public struct ONNXNode: Sendable {
    public var opType: String
    public var name: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [(name: String, value: ONNXAttribute)]

    public init(opType: String, name: String, inputs: [String], outputs: [String],
                attributes: [(name: String, value: ONNXAttribute)] = []) {
        self.opType = opType
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    func encode(into out: inout ProtobufEncoder) {
        for input in inputs { out.string(1, input) }
        for output in outputs { out.string(2, output) }
        out.string(3, name)
        out.string(4, opType)
        for (name, value) in attributes { out.message(5) { value.encode(name: name, into: &$0) } }
    }
}

/// An operator's attribute value.
public enum ONNXAttribute: Sendable, Equatable {
    case int(Int)
    case ints([Int])
    case float(Float)
    case string(String)

    func encode(name: String, into out: inout ProtobufEncoder) {
        out.string(1, name)
        // AttributeProto.type (field 20): FLOAT 1, INT 2, STRING 3, INTS 7.
        switch self {
        case let .float(value): out.float(2, value); out.int(20, 1)
        case let .int(value): out.int(3, value); out.int(20, 2)
        case let .string(value): out.string(4, value); out.int(20, 3)
        case let .ints(values): out.packedInts(8, values); out.int(20, 7)
        }
    }
}

/// A constant tensor (a weight, or an operator's shape-like input), stored as little-endian raw data.
public struct ONNXTensor: Sendable {
    public enum Values: Sendable, Equatable {
        case float([Float])
        case int64([Int])
    }

    public var name: String
    public var dims: [Int]
    public var values: Values

    public init(name: String, dims: [Int], values: Values) {
        let count = switch values { case let .float(v): v.count; case let .int64(v): v.count }
        precondition(dims.reduce(1, *) == count, "ONNX tensor \(name): \(count) values for dims \(dims)")
        self.name = name
        self.dims = dims
        self.values = values
    }

    func encode(into out: inout ProtobufEncoder) {
        out.packedInts(1, dims)
        var raw: [UInt8] = []
        switch values {
        case let .float(values):
            out.int(2, ONNXElementType.float.rawValue)
            raw.reserveCapacity(values.count * 4)
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        case let .int64(values):
            out.int(2, ONNXElementType.int64.rawValue)
            raw.reserveCapacity(values.count * 8)
            for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { raw.append(contentsOf: $0) } }
        }
        out.string(8, name)
        out.lengthDelimited(9, raw)
    }
}

/// `TensorProto.DataType` values Impasto writes.
public enum ONNXElementType: Int, Sendable {
    case float = 1
    case int64 = 7
}

/// A dimension of a graph input or output: a number, or a name that makes it dynamic (`"height"`).
public enum ONNXDimension: Sendable, Equatable {
    case fixed(Int)
    case named(String)
}

/// A graph input or output: its name, element type and shape.
public struct ONNXValueInfo: Sendable {
    public var name: String
    public var elementType: ONNXElementType
    public var shape: [ONNXDimension]

    public init(name: String, elementType: ONNXElementType = .float, shape: [ONNXDimension]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    func encode(into out: inout ProtobufEncoder) {
        out.string(1, name)
        out.message(2) { type in                      // TypeProto
            type.message(1) { tensor in               // TypeProto.Tensor
                tensor.int(1, elementType.rawValue)
                tensor.message(2) { shapeMessage in   // TensorShapeProto
                    for dimension in shape {
                        shapeMessage.message(1) { entry in
                            switch dimension {
                            case let .fixed(size): entry.int(1, size)
                            case let .named(name): entry.string(2, name)
                            }
                        }
                    }
                }
            }
        }
    }
}
