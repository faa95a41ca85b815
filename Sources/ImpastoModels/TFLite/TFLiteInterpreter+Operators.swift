import ImpastoFormats
import ImpastoTensor

/// Turns a subgraph's operators into steps over Impasto's tensor ops. Each operator's options are checked and
/// its output shape worked out from its inputs' as it is added, and must be the shape the file declares: a graph
/// that passes runs without tripping an engine precondition, whatever the file says. Operators whose inputs
/// are all constants (DEQUANTIZE of float16 weights) run here, once.
struct GraphBuilder {
    let graph: TFLiteSubgraph
    let source: String
    var steps: [TFLiteInterpreter.Step] = []
    /// float32 values known before the graph runs, 4-D ones NCHW (OHWI weights become OIHW).
    var constants: [Int: Tensor] = [:]
    /// The NCHW shape of every value available so far: inputs, constants, outputs of the steps so far.
    var shapes: [Int: [Int]] = [:]

    init(graph: TFLiteSubgraph, source: String) {
        self.graph = graph
        self.source = source
        for (index, tensor) in graph.tensors.enumerated() {
            guard let data = tensor.data else { continue }
            let value = data.converted(to: .f32)
            constants[index] = value.rank == 4 ? value.permuted([0, 3, 1, 2]).copy() : value
            shapes[index] = constants[index]!.shape
        }
        for input in graph.inputs { shapes[input] = TFLiteInterpreter.engineShape(graph.tensors[input].shape) }
    }

    /// A kernel: the tensors it reads at run time, the shape it gives, and what it computes.
    typealias Kernel = (inputs: [Int], shape: [Int], run: @Sendable ([Tensor]) -> Tensor)

    mutating func add(_ op: TFLiteOperator, index: Int) throws {
        guard op.outputs.count == 1 else { throw unsupported(op, index, "it has \(op.outputs.count) outputs") }
        let kernel = try self.kernel(op, index)
        let output = op.outputs[0], declared = TFLiteInterpreter.engineShape(graph.tensors[output].shape)
        guard kernel.shape == declared else {
            throw unsupported(op, index, "it gives \(kernel.shape) (NCHW) where the file declares \(declared)")
        }
        shapes[output] = kernel.shape
        if kernel.inputs.allSatisfy({ constants[$0] != nil }) {
            constants[output] = kernel.run(kernel.inputs.map { constants[$0]! })
        } else {
            steps.append(.init(inputs: kernel.inputs, output: output, run: kernel.run))
        }
    }

    /// Throws unless every output of the graph is computed, constant or an input.
    func checkOutputs() throws {
        for output in graph.outputs where shapes[output] == nil {
            throw ImpastoError.invalidFormat(path: source, reason: "no operator computes its output '\(graph.tensors[output].name)'")
        }
    }

    private func kernel(_ op: TFLiteOperator, _ index: Int) throws -> Kernel {
        let context = OperatorContext(op: op, index: index, builder: self)
        switch op.code {
        case .builtin(.dequantize): return try context.unary { $0 }
        case .builtin(.relu): return try context.unary(relu)
        case .builtin(.relu6): return try context.unary(relu6)
        case .builtin(.logistic): return try context.unary(sigmoid)
        case .builtin(.tanh): return try context.unary(tanh)
        case .builtin(.hardSwish): return try context.unary(hardSwish)
        case .builtin(.add): return try context.binary(+)
        case .builtin(.sub): return try context.binary(-)
        case .builtin(.mul): return try context.binary(*)
        case .builtin(.div): return try context.binary(/)
        case .builtin(.conv2D): return try context.convolution(depthwise: false)
        case .builtin(.depthwiseConv2D): return try context.convolution(depthwise: true)
        case .builtin(.averagePool2D): return try context.averagePool()
        case .builtin(.maxPool2D): return try context.maxPool()
        case .builtin(.pad): return try context.pad()
        case .builtin(.reshape): return try context.reshape()
        case .builtin(.concatenation): return try context.concatenation()
        case .builtin(.mean): return try context.mean()
        case .builtin(.resizeBilinear): return try context.resizeBilinear()
        case .custom("Convolution2DTransposeBias"): return try context.transposeConvolutionBias()
        default: throw unsupported(op, index, "Impasto's TensorFlow Lite interpreter does not implement it")
        }
    }

    func unsupported(_ op: TFLiteOperator, _ index: Int, _ reason: String) -> ImpastoError {
        .invalidFormat(path: source, reason: "operator \(index) (\(op.code)) cannot run: \(reason)")
    }
}

/// One operator being bound: its options and tensors, and the errors that name it. Its checks serve both the
/// interpreter's kernels and the ONNX export (`TFLiteInterpreter+ONNX.swift`).
struct OperatorContext {
    let op: TFLiteOperator
    let index: Int
    let builder: GraphBuilder

    func fail(_ reason: String) -> ImpastoError { builder.unsupported(op, index, reason) }

    /// The NCHW shape of input `position`, which an earlier operator, a constant or the caller provides.
    func shape(_ position: Int) throws -> [Int] {
        guard position < op.inputs.count, op.inputs[position] >= 0 else { throw fail("it has no input \(position)") }
        guard let shape = builder.shapes[op.inputs[position]] else {
            throw fail("it reads '\(builder.graph.tensors[op.inputs[position]].name)' before anything computes it")
        }
        return shape
    }

    /// Input `position`, which must be constant (weights, sizes, axes).
    func constant(_ position: Int) throws -> Tensor {
        _ = try shape(position)
        guard let value = builder.constants[op.inputs[position]] else {
            throw fail("its input \(position) ('\(builder.graph.tensors[op.inputs[position]].name)') is not a constant")
        }
        return value
    }

    /// A constant input's values as integers within `range` (sizes, counts, axes). Checked as floats first:
    /// `Int(_:)` traps on NaN and on values past Int's range, and these come from the file.
    func constantIntegers(_ position: Int, in range: ClosedRange<Int>, what: String) throws -> [Int] {
        let values = try constant(position).scalars
        guard values.allSatisfy({ $0 == $0.rounded() && Float(range.lowerBound) <= $0 && $0 <= Float(range.upperBound) }) else {
            throw fail("its \(what) \(values.prefix(8)) are not whole numbers from \(range.lowerBound) to \(range.upperBound)")
        }
        return values.map { Int($0) }
    }

    /// An NCHW image input: [N, C, H, W].
    func image(_ position: Int) throws -> [Int] {
        let shape = try shape(position)
        guard shape.count == 4 else { throw fail("its input \(position) of shape \(shape) is not an image") }
        return shape
    }

    /// The operator's window options (convolutions, pools).
    func window() throws -> TFLiteWindow {
        guard case let .window(window) = op.options else { throw fail("it has no convolution or pooling options") }
        return window
    }

    func unary(_ body: @escaping @Sendable (Tensor) -> Tensor) throws -> GraphBuilder.Kernel {
        ([op.inputs[0]], try shape(0), { body($0[0]) })
    }

    /// Element-wise arithmetic with NumPy broadcasting as NHWC sees it: an operand of lower rank lines up
    /// with the channels, so it is brought to NCHW before broadcasting.
    func binary(_ body: @escaping @Sendable (Tensor, Tensor) -> Tensor) throws -> GraphBuilder.Kernel {
        let activation = try fusedActivation()
        let (left, right) = (try shape(0), try shape(1))
        let rank = max(left.count, right.count)
        let shape = try broadcast(Self.nchw(left, rank: rank), Self.nchw(right, rank: rank))
        return ([op.inputs[0], op.inputs[1]], shape, { values in
            activation(body(Self.nchw(values[0], rank: rank), Self.nchw(values[1], rank: rank)))
        })
    }

    /// `x` of rank below 4, broadcast against 4-D NHWC values, as an NCHW-broadcastable tensor.
    static func nchw(_ x: Tensor, rank: Int) -> Tensor {
        rank == 4 && x.rank < 4 ? x.reshaped(nhwcPadded(x.shape)).permuted([0, 3, 1, 2]) : x
    }

    private static func nchw(_ shape: [Int], rank: Int) -> [Int] {
        guard rank == 4, shape.count < 4 else { return shape }
        let padded = nhwcPadded(shape)
        return [padded[0], padded[3], padded[1], padded[2]]
    }

    static func nhwcPadded(_ shape: [Int]) -> [Int] {
        Array(repeating: 1, count: 4 - shape.count) + shape
    }

    private func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let (a, b) = (Array(repeating: 1, count: rank - a.count) + a, Array(repeating: 1, count: rank - b.count) + b)
        return try zip(a, b).map { x, y in
            guard x == y || x == 1 || y == 1 else { throw fail("its operands \(a) and \(b) do not broadcast") }
            return x == 1 ? y : x
        }
    }

    /// The activation fused into the operator (none for operators without the option).
    var activationOption: TFLiteActivation {
        switch op.options {
        case let .activation(value): value
        case let .window(window): window.activation
        case let .concatenation(_, value): value
        default: .none
        }
    }

    func fusedActivation() throws -> @Sendable (Tensor) -> Tensor {
        switch activationOption {
        case .none: return { $0 }
        case .relu: return relu
        case .relu6: return relu6
        case .reluMinus1To1: return { $0.clamped(to: -1...1) }
        case .tanh: return tanh
        case .signBit: throw fail("its fused activation SIGN_BIT is not implemented")
        }
    }

    /// CONV_2D (weights OHWI, held OIHW) and DEPTHWISE_CONV_2D (weights [1, H, W, C·m], held [C·m, 1, H, W]).
    func convolution(depthwise: Bool) throws -> GraphBuilder.Kernel {
        let window = try window(), activation = try fusedActivation()
        let input = try image(0)
        var weight = try constant(1)
        let bias = op.inputs.count > 2 && op.inputs[2] >= 0 ? try constant(2) : nil
        guard weight.rank == 4, !depthwise || weight.shape[0] == 1 else {
            throw fail("its weight \(weight.shape) is not \(depthwise ? "[1, C·m, H, W]" : "4-D") (NCHW)")
        }
        let groups = depthwise ? input[1] : 1
        if depthwise { weight = weight.reshaped([weight.shape[1], 1, weight.shape[2], weight.shape[3]]) }
        guard weight.shape[1] * groups == input[1], weight.shape[0] % groups == 0, bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw fail("its weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit its input \(input)")
        }
        let geometry = try self.geometry(window, input: input, kernel: (weight.shape[2], weight.shape[3]))
        return ([op.inputs[0]], [input[0], weight.shape[0], geometry.height, geometry.width], { [weight] values in
            activation(conv2d(values[0], weight: weight, bias: bias, stride: (window.strideHeight, window.strideWidth),
                              padding: geometry.padding, dilation: (window.dilationHeight, window.dilationWidth),
                              groups: groups))
        })
    }

    /// TensorFlow's SAME or VALID padding for a window over an NCHW `input`, and the output's size.
    func geometry(_ window: TFLiteWindow, input: [Int], kernel: (Int, Int)) throws
        -> (padding: (left: Int, right: Int, top: Int, bottom: Int), height: Int, width: Int) {
        func axis(_ size: Int, _ kernel: Int, _ stride: Int, _ dilation: Int) -> (before: Int, after: Int, output: Int) {
            let padding = window.padding == .same ? samePadding(size: size, kernel: kernel, stride: stride, dilation: dilation)
                                                  : (before: 0, after: 0)
            let extent = size + padding.before + padding.after - dilation * (kernel - 1) - 1
            return (padding.before, padding.after, extent < 0 ? 0 : extent / stride + 1)
        }
        let rows = axis(input[2], kernel.0, window.strideHeight, window.dilationHeight)
        let columns = axis(input[3], kernel.1, window.strideWidth, window.dilationWidth)
        guard rows.output > 0, columns.output > 0 else {
            throw fail("its \(kernel.0)×\(kernel.1) window does not fit its input \(input)")
        }
        return ((columns.before, columns.after, rows.before, rows.after), rows.output, columns.output)
    }

    /// AVERAGE_POOL_2D. With SAME padding TensorFlow Lite averages only the cells inside the input.
    func averagePool() throws -> GraphBuilder.Kernel {
        try pool { x, kernel, stride, padding in
            avgPool2d(x, kernelSize: kernel, stride: stride, padding: padding, countIncludePad: false)
        }
    }

    /// MAX_POOL_2D. SAME padding never wins a window (as PyTorch's padding, it counts as −∞).
    func maxPool() throws -> GraphBuilder.Kernel {
        try pool { x, kernel, stride, padding in maxPool2d(x, kernelSize: kernel, stride: stride, padding: padding) }
    }

    /// A pooling operator's window, checked (Impasto's pooling pads evenly), around `pooling`.
    private func pool(_ pooling: @escaping @Sendable (Tensor, (Int, Int), (Int, Int), (Int, Int)) -> Tensor) throws -> GraphBuilder.Kernel {
        let window = try window(), activation = try fusedActivation()
        let input = try image(0)
        let kernel = (window.filterHeight, window.filterWidth)
        let geometry = try self.geometry(window, input: input, kernel: kernel)
        let padding = geometry.padding
        guard padding.left == padding.right, padding.top == padding.bottom else {
            throw fail("its SAME padding \(padding) is uneven, which Impasto's pooling cannot express")
        }
        return ([op.inputs[0]], [input[0], input[1], geometry.height, geometry.width], { values in
            activation(pooling(values[0], kernel, (window.strideHeight, window.strideWidth), (padding.top, padding.left)))
        })
    }

    /// The engine's axis for a TensorFlow Lite axis of a value of `rank` (NHWC → NCHW for 4-D values).
    static func engineAxis(_ axis: Int, rank: Int) -> Int {
        rank == 4 ? [0, 2, 3, 1][axis] : axis
    }

    /// PAD with zeros by a constant [rank, 2] table of (before, after) counts, in the file's axis order
    /// (BlazeFace widens its residual branches' channels this way).
    func pad() throws -> GraphBuilder.Kernel {
        let input = try shape(0)
        let table = try constant(1)
        guard table.shape == [input.count, 2] else { throw fail("its paddings \(table.shape) are not [\(input.count), 2]") }
        let counts = try constantIntegers(1, in: 0...65536, what: "paddings")
        var output = input
        var pads: [(axis: Int, before: Int, after: Int)] = []
        for axis in 0..<input.count where counts[2 * axis] + counts[2 * axis + 1] > 0 {
            let engineAxis = Self.engineAxis(axis, rank: input.count)
            output[engineAxis] += counts[2 * axis] + counts[2 * axis + 1]
            pads.append((engineAxis, counts[2 * axis], counts[2 * axis + 1]))
        }
        return ([op.inputs[0]], output, { [pads] values in
            pads.reduce(values[0]) { constantPad($0, axis: $1.axis, before: $1.before, after: $1.after) }
        })
    }

    /// RESHAPE to the shape the file declares for the output (its options or second input say the same, with
    /// −1 for one inferred size). TensorFlow Lite reshapes NHWC memory, so 4-D values go through NHWC.
    func reshape() throws -> GraphBuilder.Kernel {
        let input = try shape(0)
        let target = builder.graph.tensors[op.outputs[0]].shape
        guard target.allSatisfy({ $0 >= 0 }), target.reduce(1, *) == input.reduce(1, *) else {
            throw fail("its output \(target) does not hold the \(input.reduce(1, *)) elements of its input \(input)")
        }
        return ([op.inputs[0]], TFLiteInterpreter.engineShape(target), { values in
            var x = values[0]
            if x.rank == 4 { x = x.permuted([0, 2, 3, 1]) }
            x = x.reshaped(target)
            return target.count == 4 ? x.permuted([0, 3, 1, 2]).copy() : x
        })
    }

    /// CONCATENATION of every input along one axis (negative counts from the end), in the file's axis order.
    func concatenation() throws -> GraphBuilder.Kernel {
        guard case let .concatenation(axis, _) = op.options else { throw fail("it has no concatenation options") }
        let activation = try fusedActivation()
        guard !op.inputs.isEmpty else { throw fail("it has no inputs") }
        let shapes = try op.inputs.indices.map { try shape($0) }
        let rank = shapes[0].count
        guard (-rank..<rank).contains(axis) else { throw fail("its axis \(axis) is outside its inputs' rank \(rank)") }
        let engineAxis = Self.engineAxis((axis + rank) % rank, rank: rank)
        var output = shapes[0]
        for other in shapes.dropFirst() {
            guard other.count == rank, (0..<rank).allSatisfy({ $0 == engineAxis || other[$0] == shapes[0][$0] }) else {
                throw fail("its inputs \(shapes) do not agree off axis \(axis)")
            }
            output[engineAxis] += other[engineAxis]
        }
        return (op.inputs, output, { values in activation(concat(values, axis: engineAxis)) })
    }

    /// MEAN over constant axes, NHWC axes mapped to NCHW for 4-D inputs.
    func mean() throws -> GraphBuilder.Kernel {
        let (axes, keeping) = try meanAxes()
        let input = try shape(0)
        let shape = input.indices.compactMap { axis in axes.contains(axis) ? (keeping ? 1 : nil) : input[axis] }
        return ([op.inputs[0]], shape, { $0[0].mean(alongAxes: axes, keepingDimensions: keeping) })
    }

    /// MEAN's axes in the engine's order, and whether it keeps them as size 1.
    func meanAxes() throws -> (axes: [Int], keeping: Bool) {
        guard case let .reduction(keeping) = op.options else { throw fail("it has no reduction options") }
        let input = try shape(0)
        let axes = try constantIntegers(1, in: -8...8, what: "axes").map { axis in
            guard (-input.count..<input.count).contains(axis) else { throw fail("its axis \(axis) is outside its input \(input)") }
            return input.count == 4 ? [0, 2, 3, 1][(axis + 4) % 4] : (axis + input.count) % input.count
        }
        guard keeping || input.count != 4 else { throw fail("it drops dimensions of a 4-D input, which changes its layout") }
        return (axes, keeping)
    }

    /// RESIZE_BILINEAR to a constant size. Half-pixel centres are PyTorch's `align_corners=False`; TensorFlow's
    /// legacy mode (neither flag) has no counterpart in Impasto.
    func resizeBilinear() throws -> GraphBuilder.Kernel {
        guard case let .resize(alignCorners, halfPixelCenters) = op.options, alignCorners != halfPixelCenters else {
            throw fail("it uses TensorFlow's legacy resize (align_corners = half_pixel_centers = false), which Impasto does not implement")
        }
        let input = try image(0)
        let size = try constantIntegers(1, in: 1...16384, what: "size")
        guard size.count == 2 else { throw fail("its size \(size) is not two numbers") }
        return ([op.inputs[0]], [input[0], input[1], size[0], size[1]], {
            upsampleBilinear2d($0[0], size: (size[0], size[1]), alignCorners: alignCorners)
        })
    }

    /// MediaPipe's Convolution2DTransposeBias: TensorFlow Lite's reference transposed convolution plus a bias,
    /// weights OHWI (held [O, I, H, W], given to the engine as [I, O, H, W]). Its SAME output is
    /// `stride · (in − 1) + kernel − pad`, `pad = max(0, kernel − (in − 1) mod stride − 1)`, starting `pad / 2`
    /// into the unpadded result (mediapipe/util/tflite/operations/transpose_conv_bias.cc).
    func transposeConvolutionBias() throws -> GraphBuilder.Kernel {
        let window = try window()
        let input = try image(0)
        let weight = try constant(1), bias = try constant(2)
        guard weight.rank == 4, weight.shape[1] == input[1], bias.shape == [weight.shape[0]] else {
            throw fail("its weight \(weight.shape) and bias \(bias.shape) do not fit its input \(input)")
        }
        let engineWeight = weight.permuted([1, 0, 2, 3]).copy()
        let rows = Self.transposedCrop(window, input[2], weight.shape[2], window.strideHeight)
        let columns = Self.transposedCrop(window, input[3], weight.shape[3], window.strideWidth)
        return ([op.inputs[0]], [input[0], weight.shape[0], rows.count, columns.count], { values in
            convTranspose2d(values[0], weight: engineWeight, bias: bias, stride: (window.strideHeight, window.strideWidth))
                .sliced(axis: 2, rows).sliced(axis: 3, columns)
        })
    }

    /// The part of the unpadded transposed convolution of `size` pixels along one axis that
    /// Convolution2DTransposeBias keeps.
    static func transposedCrop(_ window: TFLiteWindow, _ size: Int, _ kernel: Int, _ stride: Int) -> Range<Int> {
        let pad = window.padding == .same ? max(0, kernel - (size - 1) % stride - 1) : 0
        return pad / 2..<pad / 2 + stride * (size - 1) + kernel - pad
    }
}
