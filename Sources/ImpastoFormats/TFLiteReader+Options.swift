// Operator options: the built-in options tables by their union type (schema `BuiltinOptions`, numbered from 1
// in declaration order), and the custom operators whose option bytes have a known layout.

extension TFLiteReader {
    /// MediaPipe's transposed convolution with bias (mediapipe/util/tflite/operations/transpose_conv_bias.cc):
    /// its custom options are TensorFlow Lite's `TfLiteTransposeConvParams` struct as raw bytes, three
    /// little-endian int32s: padding (`TfLitePadding`: 1 SAME, 2 VALID), stride width, stride height.
    static let transposeConvolutionBias = "Convolution2DTransposeBias"

    func options(of table: FlatTable, code: TFLiteOperatorCode, _ role: String) throws -> TFLiteOptions {
        if case let .custom(name) = code {
            let bytes = try table.vector(5, elementSize: 1, role + "'s custom options").map { Array($0.bytes) } ?? []
            return name == Self.transposeConvolutionBias ? try transposeConvolutionBias(bytes, role) : .custom(bytes)
        }
        let unionType = Int(try table.scalar(3, default: UInt8(0)))
        guard unionType != 0, let options = try table.table(4, role + "'s options") else { return .none }
        switch unionType {
        case 1: return .window(try convolution(options, depthwise: false, role))
        case 2: return .window(try convolution(options, depthwise: true, role))
        case 5: return .window(try pooling(options, role))
        case 10: return .concatenation(axis: Int(try options.scalar(0, default: Int32(0))), activation: try activation(options, 1, role))
        case 11, 21, 28, 29: return .activation(try activation(options, 0, role))  // Add, Mul, Sub, Div
        case 15: return .resize(alignCorners: try options.bool(2), halfPixelCenters: try options.bool(3))
        case 74: return .resize(alignCorners: try options.bool(0), halfPixelCenters: try options.bool(1))
        case 17: return .reshape(newShape: try options.int32s(0, role + "'s new shape"))
        case 27: return .reduction(keepingDimensions: try options.bool(0))
        case 49: return .window(try window(options, padding: 0, strideWidth: 1, strideHeight: 2, role))
        default: return .undecoded(unionType: unionType)
        }
    }

    /// Conv2DOptions (padding, stride w, stride h, activation, dilation w, dilation h) and
    /// DepthwiseConv2DOptions (the same with the depth multiplier after the strides).
    private func convolution(_ options: FlatTable, depthwise: Bool, _ role: String) throws -> TFLiteWindow {
        var window = try window(options, padding: 0, strideWidth: 1, strideHeight: 2, role)
        let shift = depthwise ? 1 : 0
        if depthwise { window.depthMultiplier = Int(try options.scalar(3, default: Int32(1))) }
        window.activation = try activation(options, 3 + shift, role)
        window.dilationWidth = Int(try options.scalar(4 + shift, default: Int32(1)))
        window.dilationHeight = Int(try options.scalar(5 + shift, default: Int32(1)))
        try requirePositive([window.dilationHeight, window.dilationWidth], "dilation", role)
        // 0 is what converters write when a model has one input channel per output; TensorFlow Lite infers it.
        guard window.depthMultiplier >= 0 else { throw FormatError.malformed("\(role) has depth multiplier \(window.depthMultiplier)") }
        return window
    }

    /// Pool2DOptions: padding, stride w, stride h, filter w, filter h, activation.
    private func pooling(_ options: FlatTable, _ role: String) throws -> TFLiteWindow {
        var window = try window(options, padding: 0, strideWidth: 1, strideHeight: 2, role)
        window.filterWidth = Int(try options.scalar(3, default: Int32(0)))
        window.filterHeight = Int(try options.scalar(4, default: Int32(0)))
        window.activation = try activation(options, 5, role)
        try requirePositive([window.filterHeight, window.filterWidth], "filter size", role)
        return window
    }

    private func window(_ options: FlatTable, padding: Int, strideWidth: Int, strideHeight: Int,
                        _ role: String) throws -> TFLiteWindow {
        let rawPadding = try options.scalar(padding, default: Int8(0))
        guard let padding = TFLitePadding(rawValue: rawPadding) else {
            throw FormatError.malformed("\(role) has padding \(rawPadding), which is neither SAME (0) nor VALID (1)")
        }
        let window = TFLiteWindow(padding: padding, strideHeight: Int(try options.scalar(strideHeight, default: Int32(0))),
                                  strideWidth: Int(try options.scalar(strideWidth, default: Int32(0))))
        try requirePositive([window.strideHeight, window.strideWidth], "stride", role)
        return window
    }

    private func activation(_ options: FlatTable, _ field: Int, _ role: String) throws -> TFLiteActivation {
        let raw = try options.scalar(field, default: Int8(0))
        guard let activation = TFLiteActivation(rawValue: raw) else {
            throw FormatError.malformed("\(role) has fused activation \(raw), which TensorFlow Lite does not define")
        }
        return activation
    }

    private func transposeConvolutionBias(_ bytes: [UInt8], _ role: String) throws -> TFLiteOptions {
        guard bytes.count >= 12 else {
            throw FormatError.malformed("\(role) has \(bytes.count) bytes of options, not the 12 of its padding and strides")
        }
        let fields = (0..<3).map { index in
            Int(Int32(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 * index, as: Int32.self) }))
        }
        let padding: TFLitePadding
        switch fields[0] {
        case 1: padding = .same
        case 2: padding = .valid
        default: throw FormatError.malformed("\(role) has padding \(fields[0]), which is neither SAME (1) nor VALID (2)")
        }
        let window = TFLiteWindow(padding: padding, strideHeight: fields[2], strideWidth: fields[1])
        try requirePositive([window.strideHeight, window.strideWidth], "stride", role)
        return .window(window)
    }

    private func requirePositive(_ values: [Int], _ name: String, _ role: String) throws {
        guard values.allSatisfy({ $0 >= 1 }) else {
            throw FormatError.malformed("\(role) has \(name) \(values.map(String.init).joined(separator: "×")), not positive")
        }
    }
}
