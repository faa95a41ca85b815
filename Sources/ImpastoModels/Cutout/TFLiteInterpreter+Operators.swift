import ImpastoFormats
import ImpastoTensor

/// Turns a subgraph's operators into steps over Impasto's tensor ops, checking each operator's options as it
/// goes. Operators whose inputs are all constants (DEQUANTIZE of float16 weights) run here, once.
struct GraphBuilder {
    let graph: TFLiteSubgraph
    let source: String
    var steps: [TFLiteInterpreter.Step] = []
    /// float32 values known before the graph runs, 4-D ones NCHW (OHWI weights become OIHW).
    var constants: [Int: Tensor] = [:]

    init(graph: TFLiteSubgraph, source: String) {
        self.graph = graph
        self.source = source
        for (index, tensor) in graph.tensors.enumerated() {
            guard let data = tensor.data else { continue }
            let value = data.converted(to: .f32)
            constants[index] = value.rank == 4 ? value.permuted([0, 3, 1, 2]).copy() : value
        }
    }

    /// A kernel: the tensors it reads at run time and what it computes from them.
    typealias Kernel = (inputs: [Int], run: @Sendable ([Tensor]) -> Tensor)

    mutating func add(_ op: TFLiteOperator, index: Int) throws {
        guard op.outputs.count == 1 else { throw unsupported(op, index, "it has \(op.outputs.count) outputs") }
        let kernel = try self.kernel(op, index)
        if kernel.inputs.allSatisfy({ constants[$0] != nil }) {
            constants[op.outputs[0]] = kernel.run(kernel.inputs.map { constants[$0]! })
        } else {
            steps.append(.init(inputs: kernel.inputs, output: op.outputs[0], run: kernel.run))
        }
    }

    private func kernel(_ op: TFLiteOperator, _ index: Int) throws -> Kernel {
        let context = OperatorContext(op: op, index: index, builder: self)
        switch op.code {
        case .builtin(.dequantize): return try context.unary { $0 }
        case .builtin(.relu): return try context.unary(relu)
        case .builtin(.relu6): return try context.unary { $0.clamped(to: 0...6) }
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

/// One operator being bound: its options and tensors, and the errors that name it.
private struct OperatorContext {
    let op: TFLiteOperator
    let index: Int
    let builder: GraphBuilder

    func fail(_ reason: String) -> ImpastoError { builder.unsupported(op, index, reason) }

    /// The file's shape of input `position` (NHWC for images).
    func fileShape(_ position: Int) throws -> [Int] {
        guard position < op.inputs.count, op.inputs[position] >= 0 else { throw fail("it has no input \(position)") }
        return builder.graph.tensors[op.inputs[position]].shape
    }

    /// Input `position`, which must be constant (weights, sizes, axes).
    func constant(_ position: Int) throws -> Tensor {
        _ = try fileShape(position)
        guard let value = builder.constants[op.inputs[position]] else {
            throw fail("its input \(position) ('\(builder.graph.tensors[op.inputs[position]].name)') is not a constant")
        }
        return value
    }

    /// The operator's window options (convolutions, pools).
    func window() throws -> TFLiteWindow {
        guard case let .window(window) = op.options else { throw fail("it has no convolution or pooling options") }
        return window
    }

    func unary(_ body: @escaping @Sendable (Tensor) -> Tensor) throws -> GraphBuilder.Kernel {
        _ = try fileShape(0)
        return ([op.inputs[0]], { body($0[0]) })
    }

    /// Element-wise arithmetic with NumPy broadcasting as NHWC sees it: an operand of lower rank lines up
    /// with the channels, so it is brought to NCHW before broadcasting.
    func binary(_ body: @escaping @Sendable (Tensor, Tensor) -> Tensor) throws -> GraphBuilder.Kernel {
        let activation = try fusedActivation()
        let (left, right) = (try fileShape(0).count, try fileShape(1).count)
        let rank = max(left, right)
        return ([op.inputs[0], op.inputs[1]], { values in
            activation(body(Self.nchw(values[0], rank: rank), Self.nchw(values[1], rank: rank)))
        })
    }

    /// `x` of rank below 4, broadcast against 4-D NHWC values, as an NCHW-broadcastable tensor.
    private static func nchw(_ x: Tensor, rank: Int) -> Tensor {
        guard rank == 4, x.rank < 4 else { return x }
        return x.reshaped(Array(repeating: 1, count: 4 - x.rank) + x.shape).permuted([0, 3, 1, 2])
    }

    func fusedActivation() throws -> @Sendable (Tensor) -> Tensor {
        let activation: TFLiteActivation
        switch op.options {
        case let .activation(value): activation = value
        case let .window(window): activation = window.activation
        case let .concatenation(_, value): activation = value
        default: activation = .none
        }
        switch activation {
        case .none: return { $0 }
        case .relu: return relu
        case .relu6: return { $0.clamped(to: 0...6) }
        case .reluMinus1To1: return { $0.clamped(to: -1...1) }
        case .tanh: return tanh
        case .signBit: throw fail("its fused activation SIGN_BIT is not implemented")
        }
    }

    /// CONV_2D (weights OHWI, held OIHW) and DEPTHWISE_CONV_2D (weights [1, H, W, C·m], held [C·m, 1, H, W]).
    func convolution(depthwise: Bool) throws -> GraphBuilder.Kernel {
        let window = try window(), activation = try fusedActivation()
        let input = try fileShape(0)
        var weight = try constant(1)
        let bias = op.inputs.count > 2 && op.inputs[2] >= 0 ? try constant(2) : nil
        guard input.count == 4, weight.rank == 4 else { throw fail("its input \(input) or weight \(weight.shape) is not 4-D") }
        let groups = depthwise ? input[3] : 1
        if depthwise { weight = weight.reshaped([weight.shape[1], 1, weight.shape[2], weight.shape[3]]) }
        guard weight.shape[1] * groups == input[3], weight.shape[0] % groups == 0, bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw fail("its weight \(weight.shape) and bias \(bias?.shape ?? []) do not fit its input \(input)")
        }
        let padding = Self.padding(window, input: input, kernel: (weight.shape[2], weight.shape[3]))
        return ([op.inputs[0]], { [weight] values in
            activation(conv2d(values[0], weight: weight, bias: bias, stride: (window.strideHeight, window.strideWidth),
                              padding: padding, dilation: (window.dilationHeight, window.dilationWidth), groups: groups))
        })
    }

    /// TensorFlow's SAME or VALID padding for a window over an NHWC `input`.
    static func padding(_ window: TFLiteWindow, input: [Int], kernel: (Int, Int))
        -> (left: Int, right: Int, top: Int, bottom: Int) {
        guard window.padding == .same else { return (0, 0, 0, 0) }
        let rows = samePadding(size: input[1], kernel: kernel.0, stride: window.strideHeight, dilation: window.dilationHeight)
        let columns = samePadding(size: input[2], kernel: kernel.1, stride: window.strideWidth, dilation: window.dilationWidth)
        return (columns.before, columns.after, rows.before, rows.after)
    }

    /// AVERAGE_POOL_2D. With SAME padding TensorFlow Lite averages only the cells inside the input.
    func averagePool() throws -> GraphBuilder.Kernel {
        let window = try window(), activation = try fusedActivation()
        let input = try fileShape(0)
        let padding = Self.padding(window, input: input, kernel: (window.filterHeight, window.filterWidth))
        guard padding.left == padding.right, padding.top == padding.bottom else {
            throw fail("its SAME padding \(padding) is uneven, which Impasto's pooling cannot express")
        }
        return ([op.inputs[0]], { values in
            activation(avgPool2d(values[0], kernelSize: (window.filterHeight, window.filterWidth),
                                 stride: (window.strideHeight, window.strideWidth),
                                 padding: (padding.top, padding.left), countIncludePad: false))
        })
    }

    /// MEAN over constant axes, NHWC axes mapped to NCHW for 4-D inputs.
    func mean() throws -> GraphBuilder.Kernel {
        guard case let .reduction(keeping) = op.options else { throw fail("it has no reduction options") }
        let rank = try fileShape(0).count
        let axes = try constant(1).scalars.map { axis in
            let axis = (Int(axis) + rank) % max(rank, 1)
            return rank == 4 ? [0, 2, 3, 1][axis] : axis
        }
        guard keeping || rank != 4 else { throw fail("it drops dimensions of a 4-D input, which changes its layout") }
        return ([op.inputs[0]], { $0[0].mean(alongAxes: axes, keepingDimensions: keeping) })
    }

    /// RESIZE_BILINEAR to a constant size. Half-pixel centres are PyTorch's `align_corners=False`; TensorFlow's
    /// legacy mode (neither flag) has no counterpart in Impasto.
    func resizeBilinear() throws -> GraphBuilder.Kernel {
        guard case let .resize(alignCorners, halfPixelCenters) = op.options, alignCorners != halfPixelCenters else {
            throw fail("it uses TensorFlow's legacy resize (align_corners = half_pixel_centers = false), which Impasto does not implement")
        }
        let size = try constant(1).scalars.map { Int($0) }
        guard size.count == 2, size.allSatisfy({ $0 > 0 }) else { throw fail("its size \(size) is not two positive numbers") }
        return ([op.inputs[0]], { upsampleBilinear2d($0[0], size: (size[0], size[1]), alignCorners: alignCorners) })
    }

    /// MediaPipe's Convolution2DTransposeBias: TensorFlow Lite's reference transposed convolution plus a bias,
    /// weights OHWI (held [O, I, H, W], given to the engine as [I, O, H, W]). Its SAME output is
    /// `stride · (in − 1) + kernel − pad`, `pad = max(0, kernel − (in − 1) mod stride − 1)`, starting `pad / 2`
    /// into the unpadded result (mediapipe/util/tflite/operations/transpose_conv_bias.cc).
    func transposeConvolutionBias() throws -> GraphBuilder.Kernel {
        let window = try window()
        let input = try fileShape(0)
        let weight = try constant(1).permuted([1, 0, 2, 3]).copy(), bias = try constant(2)
        guard input.count == 4, weight.shape[0] == input[3], bias.shape == [weight.shape[1]] else {
            throw fail("its weight and bias do not fit its input \(input)")
        }
        func crop(_ size: Int, _ kernel: Int, _ stride: Int) -> Range<Int> {
            let pad = window.padding == .same ? max(0, kernel - (size - 1) % stride - 1) : 0
            return pad / 2..<pad / 2 + stride * (size - 1) + kernel - pad
        }
        let rows = crop(input[1], weight.shape[2], window.strideHeight)
        let columns = crop(input[2], weight.shape[3], window.strideWidth)
        return ([op.inputs[0]], { values in
            convTranspose2d(values[0], weight: weight, bias: bias, stride: (window.strideHeight, window.strideWidth))
                .sliced(axis: 2, rows).sliced(axis: 3, columns)
        })
    }
}
