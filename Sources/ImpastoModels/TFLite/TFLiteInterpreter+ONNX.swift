import ImpastoFormats
import ImpastoTensor

// A TensorFlow Lite graph written as ONNX operators (`impasto export selfie-general`): each operator the
// interpreter runs becomes the ONNX operators that compute what its kernel computes, over the same values in the
// same layout: NCHW throughout, weights as the interpreter holds them (OIHW, float16 widened, DEQUANTIZE folded
// into float32 initializers named after the file's tensors). The graph is first built as the interpreter builds
// it, with all its checks, and each operator's geometry comes from the same `OperatorContext` code, so what is
// exported has the shapes the interpreter runs with.
//
// | TensorFlow Lite | ONNX |
// | CONV_2D, DEPTHWISE_CONV_2D | Conv (group = channels for depthwise), pads from TensorFlow's SAME |
// | Convolution2DTransposeBias (MediaPipe) | ConvTranspose, its SAME crop as pads |
// | AVERAGE_POOL_2D, MAX_POOL_2D | AveragePool (count_include_pad 0), MaxPool |
// | MEAN | ReduceMean (axes as an attribute, opset 17) |
// | ADD, SUB, MUL, DIV | Add, Sub, Mul, Div (a lower-rank operand brought to NCHW) |
// | RELU, RELU6, LOGISTIC, TANH, HARD_SWISH, fused activations | Relu, Clip, Sigmoid, Tanh, HardSwish |
// | RESIZE_BILINEAR | Resize (linear, half_pixel or align_corners, whole-number scales) |
// | PAD, RESHAPE, CONCATENATION | Pad, Transpose + Reshape + Transpose (NHWC order), Concat |
// | DEQUANTIZE of constants | folded into the initializers |

extension TFLiteInterpreter {
    /// The graph as an ONNX model with one input and one output, renamed `input` and `output`: the file's fixed
    /// shapes (NCHW for 4-D values) with a dynamic batch.
    ///
    /// - Throws: `ONNXExportError` naming an operator or option with no ONNX mapping.
    public func onnxModel(name: String, input: String, output: String,
                          metadata: [(key: String, value: String)] = []) throws -> ONNXModel {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw ONNXExportError.unsupportedLayer(type: "a graph of \(graph.inputs.count) inputs and \(graph.outputs.count) outputs", scope: source)
        }
        var builder = GraphBuilder(graph: graph, source: source)
        for (index, op) in graph.operators.enumerated() { try builder.add(op, index: index) }
        let writer = TFLiteONNXWriter(builder: builder, input: (graph.inputs[0], input))
        for (index, op) in graph.operators.enumerated() where builder.constants[op.outputs[0]] == nil {
            writer.names[op.outputs[0]] = try OperatorContext(op: op, index: index, builder: builder).exportONNX(writer)
        }
        let last = writer.value(graph.outputs[0])
        func dims(_ shape: [Int]) -> [ONNXDimension] { [.named("batch")] + shape.dropFirst().map { .fixed($0) } }
        return writer.graph.model(name: name, input: ONNXValueInfo(name: input, shape: dims(inputShapes[0])),
                                  output: ONNXValueInfo(name: output, shape: dims(outputShapes[0])), from: last,
                                  metadata: metadata)
    }
}

/// The ONNX graph being written and the ONNX value of each TensorFlow Lite tensor so far.
final class TFLiteONNXWriter {
    let graph = ONNXGraphBuilder()
    let builder: GraphBuilder
    var names: [Int: String]

    init(builder: GraphBuilder, input: (tensor: Int, name: String)) {
        self.builder = builder
        names = [input.tensor: input.name]
    }

    /// The ONNX value of `tensor`: computed, the input, or a constant written as an initializer the first time.
    func value(_ tensor: Int) -> String {
        if let name = names[tensor] { return name }
        let name = graph.weight(builder.constants[tensor]!, name: builder.graph.tensors[tensor].name)
        names[tensor] = name
        return name
    }

    /// `Clip` of `x` to `range` (bounds as inputs, opset 11 and later).
    func clip(_ x: String, _ range: ClosedRange<Float>, scope: String) -> String {
        let low = graph.constant(.float([range.lowerBound]), dims: [], name: "clip_min")
        let high = graph.constant(.float([range.upperBound]), dims: [], name: "clip_max")
        return graph.apply("Clip", [x, low, high], scope: scope)
    }
}

extension OperatorContext {
    /// Appends this operator's ONNX operators and returns the name of its result.
    func exportONNX(_ writer: TFLiteONNXWriter) throws -> String {
        let scope = builder.graph.tensors[op.outputs[0]].name
        let graph = writer.graph
        let x = writer.value(op.inputs[0])
        switch op.code {
        case .builtin(.dequantize): return x
        case .builtin(.relu): return graph.apply("Relu", [x], scope: scope)
        case .builtin(.relu6): return writer.clip(x, 0...6, scope: scope)
        case .builtin(.logistic): return graph.apply("Sigmoid", [x], scope: scope)
        case .builtin(.tanh): return graph.apply("Tanh", [x], scope: scope)
        case .builtin(.hardSwish): return graph.apply("HardSwish", [x], scope: scope)
        case .builtin(.add): return try binaryONNX("Add", writer, scope: scope)
        case .builtin(.sub): return try binaryONNX("Sub", writer, scope: scope)
        case .builtin(.mul): return try binaryONNX("Mul", writer, scope: scope)
        case .builtin(.div): return try binaryONNX("Div", writer, scope: scope)
        case .builtin(.conv2D): return try convolutionONNX(writer, depthwise: false, scope: scope)
        case .builtin(.depthwiseConv2D): return try convolutionONNX(writer, depthwise: true, scope: scope)
        case .builtin(.averagePool2D): return try poolONNX("AveragePool", writer, scope: scope)
        case .builtin(.maxPool2D): return try poolONNX("MaxPool", writer, scope: scope)
        case .builtin(.pad): return try padONNX(writer, scope: scope)
        case .builtin(.reshape): return try reshapeONNX(writer, scope: scope)
        case .builtin(.concatenation): return try concatenationONNX(writer, scope: scope)
        case .builtin(.mean):
            let (axes, keeping) = try meanAxes()
            return graph.apply("ReduceMean", [x], scope: scope, attributes: [("axes", .ints(axes)), ("keepdims", .int(keeping ? 1 : 0))])
        case .builtin(.resizeBilinear): return try resizeONNX(writer, scope: scope)
        case .custom("Convolution2DTransposeBias"): return try transposeConvolutionONNX(writer, scope: scope)
        default: throw unmapped()
        }
    }

    /// The export error for an operator (or an option of it, `what`) with no ONNX mapping.
    private func unmapped(_ what: String? = nil) -> ONNXExportError {
        .unsupportedLayer(type: "TensorFlow Lite's \(op.code)\(what.map { " with \($0)" } ?? "")",
                          scope: "operator \(index) of \(builder.source)")
    }

    /// `x` followed by the operator's fused activation.
    private func activationONNX(_ x: String, _ writer: TFLiteONNXWriter, scope: String) throws -> String {
        switch activationOption {
        case .none: x
        case .relu: writer.graph.apply("Relu", [x], scope: scope)
        case .relu6: writer.clip(x, 0...6, scope: scope)
        case .reluMinus1To1: writer.clip(x, -1...1, scope: scope)
        case .tanh: writer.graph.apply("Tanh", [x], scope: scope)
        case .signBit: throw unmapped("its fused activation SIGN_BIT")
        }
    }

    /// Element-wise arithmetic; an operand of lower rank than a 4-D other lines up with the channels
    /// (NHWC broadcasting), so it is reshaped and transposed to NCHW, once for a constant.
    private func binaryONNX(_ opType: String, _ writer: TFLiteONNXWriter, scope: String) throws -> String {
        let shapes = [try shape(0), try shape(1)]
        let rank = shapes.map(\.count).max()!
        let operands = (0..<2).map { position -> String in
            let tensor = op.inputs[position]
            guard rank == 4, shapes[position].count < 4 else { return writer.value(tensor) }
            if let constant = builder.constants[tensor] {
                return writer.graph.weight(Self.nchw(constant, rank: 4), name: "\(builder.graph.tensors[tensor].name)_nchw")
            }
            let padded = writer.graph.constant(.int64(Self.nhwcPadded(shapes[position])), dims: [4], name: "nhwc_shape")
            let reshaped = writer.graph.apply("Reshape", [writer.value(tensor), padded], scope: scope)
            return writer.graph.apply("Transpose", [reshaped], scope: scope, attributes: [("perm", .ints([0, 3, 1, 2]))])
        }
        return try activationONNX(writer.graph.apply(opType, operands, scope: scope), writer, scope: scope)
    }

    /// The ONNX `pads` of a window: [top, left, bottom, right].
    private func onnxPads(_ padding: (left: Int, right: Int, top: Int, bottom: Int)) -> ONNXAttribute {
        .ints([padding.top, padding.left, padding.bottom, padding.right])
    }

    private func convolutionONNX(_ writer: TFLiteONNXWriter, depthwise: Bool, scope: String) throws -> String {
        let window = try window(), input = try image(0)
        var weight = try constant(1)
        if depthwise { weight = weight.reshaped([weight.shape[1], 1, weight.shape[2], weight.shape[3]]) }
        let geometry = try self.geometry(window, input: input, kernel: (weight.shape[2], weight.shape[3]))
        var inputs = [writer.value(op.inputs[0]), writer.graph.weight(weight, name: builder.graph.tensors[op.inputs[1]].name)]
        if op.inputs.count > 2, op.inputs[2] >= 0 { inputs.append(writer.value(op.inputs[2])) }
        let y = writer.graph.apply("Conv", inputs, scope: scope, attributes: [
            ("kernel_shape", .ints([weight.shape[2], weight.shape[3]])),
            ("strides", .ints([window.strideHeight, window.strideWidth])),
            ("pads", onnxPads(geometry.padding)),
            ("dilations", .ints([window.dilationHeight, window.dilationWidth])),
            ("group", .int(depthwise ? input[1] : 1)),
        ])
        return try activationONNX(y, writer, scope: scope)
    }

    private func poolONNX(_ opType: String, _ writer: TFLiteONNXWriter, scope: String) throws -> String {
        let window = try window(), kernel = (window.filterHeight, window.filterWidth)
        let geometry = try self.geometry(window, input: try image(0), kernel: kernel)
        var attributes: [(name: String, value: ONNXAttribute)] = [
            ("kernel_shape", .ints([kernel.0, kernel.1])), ("strides", .ints([window.strideHeight, window.strideWidth])),
            ("pads", onnxPads(geometry.padding)),
        ]
        if opType == "AveragePool" { attributes.append(("count_include_pad", .int(0))) }
        let y = writer.graph.apply(opType, [writer.value(op.inputs[0])], scope: scope, attributes: attributes)
        return try activationONNX(y, writer, scope: scope)
    }

    private func padONNX(_ writer: TFLiteONNXWriter, scope: String) throws -> String {
        let input = try shape(0)
        let counts = try constantIntegers(1, in: 0...65536, what: "paddings")
        var pads = [Int](repeating: 0, count: 2 * input.count)
        for axis in 0..<input.count {
            let engineAxis = Self.engineAxis(axis, rank: input.count)
            (pads[engineAxis], pads[input.count + engineAxis]) = (counts[2 * axis], counts[2 * axis + 1])
        }
        let table = writer.graph.constant(.int64(pads), dims: [pads.count], name: "pads")
        return writer.graph.apply("Pad", [writer.value(op.inputs[0]), table], scope: scope)
    }

    /// RESHAPE reshapes NHWC memory: 4-D values go to NHWC and back. A leading size equal to the input's batch
    /// is written as 0 (copied from the input), so the batch stays dynamic.
    private func reshapeONNX(_ writer: TFLiteONNXWriter, scope: String) throws -> String {
        let input = try shape(0)
        var target = builder.graph.tensors[op.outputs[0]].shape
        if !target.isEmpty, !input.isEmpty, target[0] == input[0] { target[0] = 0 }
        var x = writer.value(op.inputs[0])
        if input.count == 4 { x = writer.graph.apply("Transpose", [x], scope: scope, attributes: [("perm", .ints([0, 2, 3, 1]))]) }
        let shape = writer.graph.constant(.int64(target), dims: [target.count], name: "shape")
        x = writer.graph.apply("Reshape", [x, shape], scope: scope)
        if target.count == 4 { x = writer.graph.apply("Transpose", [x], scope: scope, attributes: [("perm", .ints([0, 3, 1, 2]))]) }
        return x
    }

    private func concatenationONNX(_ writer: TFLiteONNXWriter, scope: String) throws -> String {
        guard case let .concatenation(axis, _) = op.options else { throw unmapped("its options") }
        let rank = try shape(0).count
        let y = writer.graph.apply("Concat", op.inputs.map { writer.value($0) }, scope: scope,
                                   attributes: [("axis", .int(Self.engineAxis((axis + rank) % rank, rank: rank)))])
        return try activationONNX(y, writer, scope: scope)
    }

    /// RESIZE_BILINEAR by whole-number factors, as scales (which keep the batch dynamic); the coordinate mode is
    /// PyTorch's `align_corners=False` (ONNX half_pixel) or `align_corners=True`, as the interpreter runs it.
    private func resizeONNX(_ writer: TFLiteONNXWriter, scope: String) throws -> String {
        guard case let .resize(alignCorners, _) = op.options else { throw unmapped("its options") }
        let input = try image(0), size = try constantIntegers(1, in: 1...16384, what: "size")
        guard size[0] % input[2] == 0, size[1] % input[3] == 0 else {
            throw unmapped("a resize from \(input[2])×\(input[3]) to \(size[0])×\(size[1]), not by whole-number factors")
        }
        let scales = writer.graph.constant(.float([1, 1, Float(size[0] / input[2]), Float(size[1] / input[3])]), dims: [4], name: "scales")
        return writer.graph.apply("Resize", [writer.value(op.inputs[0]), "", scales], scope: scope, attributes: [
            ("mode", .string("linear")),
            ("coordinate_transformation_mode", .string(alignCorners ? "align_corners" : "half_pixel")),
        ])
    }

    /// MediaPipe's Convolution2DTransposeBias: ConvTranspose (weight [I, O, H, W]) whose pads are the part of the
    /// full result that TensorFlow's SAME padding drops.
    private func transposeConvolutionONNX(_ writer: TFLiteONNXWriter, scope: String) throws -> String {
        let window = try window(), input = try image(0)
        let weight = try constant(1)
        let rows = Self.transposedCrop(window, input[2], weight.shape[2], window.strideHeight)
        let columns = Self.transposedCrop(window, input[3], weight.shape[3], window.strideWidth)
        let full = (window.strideHeight * (input[2] - 1) + weight.shape[2], window.strideWidth * (input[3] - 1) + weight.shape[3])
        let engineWeight = writer.graph.weight(weight.permuted([1, 0, 2, 3]).copy(), name: builder.graph.tensors[op.inputs[1]].name)
        return writer.graph.apply("ConvTranspose", [writer.value(op.inputs[0]), engineWeight, writer.value(op.inputs[2])], scope: scope, attributes: [
            ("kernel_shape", .ints([weight.shape[2], weight.shape[3]])),
            ("strides", .ints([window.strideHeight, window.strideWidth])),
            ("pads", .ints([rows.lowerBound, columns.lowerBound, full.0 - rows.upperBound, full.1 - columns.upperBound])),
        ])
    }
}
