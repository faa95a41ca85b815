import ImpastoFormats
import ImpastoTensor

// A small interpreter for TensorFlow Lite graphs over Impasto's tensor ops: MediaPipe ships its networks
// (selfie segmentation, BlazeFace, face mesh) only as .tflite files, and they share one handful of operators,
// so one interpreter runs them all where hand-written modules would repeat each network's 100-odd layers
// as key maps (README, "MediaPipe's networks in Swift").
//
// Layout: TensorFlow Lite is NHWC; Impasto's convolutions are NCHW. Every 4-D value is held NCHW here, weights
// are permuted once when the interpreter is built, and operators that name an axis (MEAN) map it.
//
// Arithmetic is float32 throughout. float16 weights are widened once (their DEQUANTIZE operators are folded
// at build time), as TensorFlow Lite's XNNPACK delegate, which MediaPipe uses on CPUs, also does.

/// A TensorFlow Lite model's first subgraph, ready to run.
public struct TFLiteInterpreter: Sendable {
    /// Where the model was read from, for errors.
    public let source: String
    /// Each input's shape, NCHW for 4-D inputs.
    public let inputShapes: [[Int]]
    /// Each output's shape, NCHW for 4-D outputs.
    public let outputShapes: [[Int]]

    let graph: TFLiteSubgraph
    private let steps: [Step]
    /// Constant values (weights in Impasto's layouts, folded operators' results) by tensor index.
    private let constants: [Int: Tensor]

    /// One operator, bound to its tensors.
    struct Step: Sendable {
        let inputs: [Int]
        let output: Int
        let run: @Sendable ([Tensor]) -> Tensor
        /// Tensors no later step reads: freed once this step has run.
        var releases: [Int] = []
    }

    /// Prepares `model` (read from `source`) to run. Throws a sentence naming the file, the operator and the
    /// tensor when the graph uses an operator or option this interpreter does not implement, or when an
    /// operator's output would not have the shape the file declares.
    public init(model: TFLiteModel, source: String) throws {
        guard let graph = model.subgraphs.first else { throw ImpastoError.invalidFormat(path: source, reason: "it has no subgraph") }
        self.source = source
        self.graph = graph
        inputShapes = graph.inputs.map { Self.engineShape(graph.tensors[$0].shape) }
        outputShapes = graph.outputs.map { Self.engineShape(graph.tensors[$0].shape) }
        var builder = GraphBuilder(graph: graph, source: source)
        for (index, op) in graph.operators.enumerated() {
            try builder.add(op, index: index)
        }
        try builder.checkOutputs()
        steps = Self.withReleases(builder.steps, keeping: Set(graph.outputs))
        constants = builder.constants
    }

    /// The graph's outputs for `inputs` (4-D ones NCHW, in the order and shapes of `inputShapes`).
    public func callAsFunction(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.map(\.shape) == inputShapes else {
            throw ImpastoError.invalidArgument(
                "The model \(source) takes inputs of shapes \(inputShapes), not \(inputs.map(\.shape)).")
        }
        var values = [Tensor?](repeating: nil, count: graph.tensors.count)
        for (index, tensor) in constants { values[index] = tensor }
        for (index, tensor) in zip(graph.inputs, inputs) { values[index] = tensor }
        withoutGradients {
            for step in steps {
                values[step.output] = step.run(step.inputs.map { values[$0]! })
                for index in step.releases { values[index] = nil }
            }
        }
        return graph.outputs.map { values[$0]! }
    }

    /// NHWC → NCHW for 4-D shapes; other ranks unchanged.
    static func engineShape(_ shape: [Int]) -> [Int] {
        shape.count == 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape
    }

    /// Marks each computed tensor for release after the last step that reads it.
    private static func withReleases(_ steps: [Step], keeping outputs: Set<Int>) -> [Step] {
        var lastUse: [Int: Int] = [:]
        for (position, step) in steps.enumerated() {
            for input in step.inputs { lastUse[input] = position }
        }
        var result = steps
        let computed = Set(steps.map(\.output))
        for (tensor, position) in lastUse where computed.contains(tensor) && !outputs.contains(tensor) {
            result[position].releases.append(tensor)
        }
        return result
    }
}
