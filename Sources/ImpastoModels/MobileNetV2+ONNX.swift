import ImpastoFormats
import ImpastoNN

// MobileNetV2 as ONNX operators: Conv (batch norms already folded in), Clip(0, 6) for ReLU6, Add for the
// inverted residuals' skips, GlobalAveragePool, Flatten and Gemm for the classifier.

extension MobileNetV2: ONNXExportable {
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        let map = try features.exportONNX(input, scope: ONNXGraphBuilder.scope(scope, "features"), to: graph)
        let pooled = graph.apply("GlobalAveragePool", [map], scope: scope)
        let flat = graph.apply("Flatten", [pooled], scope: scope, attributes: [("axis", .int(1))])
        return try classifier.exportONNX(flat, scope: ONNXGraphBuilder.scope(scope, "classifier"), to: graph)
    }

    /// The network as an ONNX model with a dynamic batch, height and width: input `image` `[N, 3, H, W]`, RGB in
    /// [0, 1] normalised by ImageNet's mean and deviation (torchvision's preprocessing stays outside the graph, as
    /// in torchvision's own export); output `logits` `[N, classes]`.
    public func onnxModel(metadata: [(key: String, value: String)] = []) throws -> ONNXModel {
        let graph = ONNXGraphBuilder()
        let last = try exportONNX("image", scope: "", to: graph)
        let dims: [ONNXDimension] = [.named("batch"), .fixed(3), .named("height"), .named("width")]
        return graph.model(name: "MobileNetV2", input: ONNXValueInfo(name: "image", shape: dims),
                           output: ONNXValueInfo(name: "logits", shape: [.named("batch"), .fixed(classes)]),
                           from: last, metadata: metadata)
    }
}

extension ConvReLU6: ONNXExportable {
    func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        let y = try convolution.exportONNX(input, scope: ONNXGraphBuilder.scope(scope, "0"), to: graph)
        let low = graph.constant(.float([0]), dims: [], name: "relu6_min")
        let high = graph.constant(.float([6]), dims: [], name: "relu6_max")
        return graph.apply("Clip", [y, low, high], scope: scope)
    }
}

extension InvertedResidual: ONNXExportable {
    func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        let y = try conv.exportONNX(input, scope: ONNXGraphBuilder.scope(scope, "conv"), to: graph)
        return addsInput ? graph.apply("Add", [input, y], scope: scope) : y
    }
}
