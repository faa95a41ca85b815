import Foundation
import ImpastoTensor

/// A TensorFlow Lite model (a `.tflite` file): its tensors, with the constant ones' contents, and its
/// operators in execution order, as TensorFlow Lite's schema (`tensorflow/lite/schema/schema.fbs`, file
/// identifier `TFL3`) defines them. Running it is the caller's business; this is the file's content.
public struct TFLiteModel: Sendable {
    /// The schema version the file declares (3 for every model TensorFlow Lite writes today).
    public var version: Int
    /// The converter's free-form description ("keras2tflite_…").
    public var description: String
    /// The subgraphs; the first is the model's entry point.
    public var subgraphs: [TFLiteSubgraph]

    /// The model in the `.tflite` file at `url`.
    ///
    /// Every offset and length in the file is checked against its size; a file that is cut short, is not
    /// a TensorFlow Lite model, or contradicts itself (a tensor whose data is not as long as its shape, an
    /// operator naming a tensor that does not exist) throws an `ImpastoError` naming the file.
    public static func load(contentsOf url: URL) throws -> TFLiteModel {
        try decodingFile(at: url) { bytes in try TFLiteReader(bytes).model() }
    }
}

/// One graph of tensors and the operators that connect them.
public struct TFLiteSubgraph: Sendable {
    public var name: String
    public var tensors: [TFLiteTensor]
    /// Indices into `tensors` of the values the caller provides and receives.
    public var inputs: [Int]
    public var outputs: [Int]
    /// In execution order.
    public var operators: [TFLiteOperator]
}

/// A tensor: a value flowing between operators, or a constant (weights) when `data` is set.
public struct TFLiteTensor: Sendable {
    public var name: String
    public var type: TFLiteTensorType
    /// In the file's layout: NHWC for images, OHWI for convolution weights, [1, H, W, O] for depthwise ones.
    public var shape: [Int]
    /// The constant contents in the file's type (f32, f16, i32, i64, u8, bool; int8 and int16 widened to
    /// f32), nil for computed values and for types a tensor cannot hold (strings, complex numbers).
    public var data: Tensor?
    /// How integer values map to real ones: `real = scale · (q − zeroPoint)`, per `dimension` when there
    /// are several scales; nil when the file gives none.
    public var quantization: TFLiteQuantization?
}

/// TensorFlow Lite's tensor element types (schema `TensorType`).
public enum TFLiteTensorType: Int8, Sendable, CustomStringConvertible {
    case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7
    case complex64 = 8, int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13, variant = 14
    case uint32 = 15, uint16 = 16, int4 = 17, bfloat16 = 18

    /// The schema's name ("FLOAT16").
    public var description: String {
        ["FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
         "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4", "BFLOAT16"][Int(rawValue)]
    }
}

public struct TFLiteQuantization: Sendable, Equatable {
    public var scale: [Float]
    public var zeroPoint: [Int]
    /// The axis `scale` and `zeroPoint` run along, when there is more than one of each.
    public var dimension: Int
}

/// What an operator does: one of TensorFlow Lite's built-in operators or a custom one, by name.
public enum TFLiteOperatorCode: Sendable, Hashable, CustomStringConvertible {
    case builtin(TFLiteBuiltinOperator)
    case custom(String)

    public var description: String {
        switch self {
        case let .builtin(code): code.description
        case let .custom(name): name
        }
    }
}

/// A built-in operator's code (schema `BuiltinOperator`); the ones Impasto runs have names.
public struct TFLiteBuiltinOperator: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let add = Self(rawValue: 0), averagePool2D = Self(rawValue: 1), concatenation = Self(rawValue: 2)
    public static let conv2D = Self(rawValue: 3), depthwiseConv2D = Self(rawValue: 4), dequantize = Self(rawValue: 6)
    public static let logistic = Self(rawValue: 14), maxPool2D = Self(rawValue: 17), mul = Self(rawValue: 18)
    public static let relu = Self(rawValue: 19), relu6 = Self(rawValue: 21), reshape = Self(rawValue: 22)
    public static let resizeBilinear = Self(rawValue: 23), tanh = Self(rawValue: 28), custom = Self(rawValue: 32)
    public static let pad = Self(rawValue: 34), mean = Self(rawValue: 40), sub = Self(rawValue: 41)
    public static let div = Self(rawValue: 42), prelu = Self(rawValue: 54), transposeConv = Self(rawValue: 67)
    public static let hardSwish = Self(rawValue: 117)

    private static let names: [Int32: String] = [
        0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
        9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 21: "RELU6", 22: "RESHAPE",
        23: "RESIZE_BILINEAR", 25: "SOFTMAX", 28: "TANH", 32: "CUSTOM", 34: "PAD", 40: "MEAN", 41: "SUB", 42: "DIV",
        54: "PRELU", 67: "TRANSPOSE_CONV", 97: "RESIZE_NEAREST_NEIGHBOR", 117: "HARD_SWISH",
    ]

    /// The schema's name ("CONV_2D"), or "builtin operator N" for codes without one here.
    public var description: String { Self.names[rawValue] ?? "builtin operator \(rawValue)" }
}

/// One step of a subgraph.
public struct TFLiteOperator: Sendable {
    public var code: TFLiteOperatorCode
    /// Indices into the subgraph's tensors; −1 marks an optional input that is left out.
    public var inputs: [Int]
    public var outputs: [Int]
    public var options: TFLiteOptions
}

/// An operator's parameters, decoded for the option tables Impasto's interpreter uses.
public enum TFLiteOptions: Sendable, Equatable {
    case none
    /// CONV_2D, DEPTHWISE_CONV_2D, the pools, TRANSPOSE_CONV and MediaPipe's Convolution2DTransposeBias.
    case window(TFLiteWindow)
    /// ADD, SUB, MUL, DIV: the activation applied to the result.
    case activation(TFLiteActivation)
    case concatenation(axis: Int, activation: TFLiteActivation)
    case resize(alignCorners: Bool, halfPixelCenters: Bool)
    case reshape(newShape: [Int])
    /// MEAN and the other reductions.
    case reduction(keepingDimensions: Bool)
    /// A built-in options table this reader does not decode, by its union type in the schema.
    case undecoded(unionType: Int)
    /// A custom operator's options this reader does not decode, as stored.
    case custom([UInt8])
}

/// The sliding-window parameters of convolutions and pools.
public struct TFLiteWindow: Sendable, Equatable {
    public var padding: TFLitePadding
    public var strideHeight: Int, strideWidth: Int
    public var dilationHeight = 1, dilationWidth = 1
    /// Pools only (a convolution's window is its weight's shape).
    public var filterHeight = 0, filterWidth = 0
    /// DEPTHWISE_CONV_2D only: output channels per input channel.
    public var depthMultiplier = 1
    public var activation = TFLiteActivation.none

    public init(padding: TFLitePadding, strideHeight: Int, strideWidth: Int) {
        self.padding = padding
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
    }
}

/// TensorFlow's padding: SAME pads to ⌈size / stride⌉ outputs (odd padding after), VALID does not pad.
public enum TFLitePadding: Int8, Sendable {
    case same = 0, valid = 1
}

/// An activation fused into an operator (schema `ActivationFunctionType`).
public enum TFLiteActivation: Int8, Sendable {
    case none = 0, relu = 1, reluMinus1To1 = 2, relu6 = 3, tanh = 4, signBit = 5
}
