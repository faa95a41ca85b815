import ImpastoFormats
import ImpastoNN

// TransformerNet as ONNX operators, the graph torch.onnx.export writes for pytorch/examples' network: Pad
// (reflect) and Conv per ConvLayer, Resize (nearest, asymmetric, floor: PyTorch's nearest upsampling) before
// the two upsampling ones, InstanceNormalization and Relu between them, Add closing each residual block.

extension TransformerNet: ONNXExportable {
    public func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        func child(_ name: String) -> String { ONNXGraphBuilder.scope(scope, name) }
        var y = try conv1.exportONNX(input, scope: child("conv1"), to: graph)
        y = try conv2.exportONNX(try in1.normalizedReLU(y, scope: child("in1"), to: graph), scope: child("conv2"), to: graph)
        y = try conv3.exportONNX(try in2.normalizedReLU(y, scope: child("in2"), to: graph), scope: child("conv3"), to: graph)
        y = try in3.normalizedReLU(y, scope: child("in3"), to: graph)
        for (index, block) in residualBlocks.enumerated() {
            y = try block.exportONNX(y, scope: child("res\(index + 1)"), to: graph)
        }
        y = try deconv1.exportONNX(y, scope: child("deconv1"), to: graph)
        y = try deconv2.exportONNX(try in4.normalizedReLU(y, scope: child("in4"), to: graph), scope: child("deconv2"), to: graph)
        return try deconv3.exportONNX(try in5.normalizedReLU(y, scope: child("in5"), to: graph), scope: child("deconv3"), to: graph)
    }

    /// The network as an ONNX model with a dynamic batch, height and width: input `image` `[N, 3, H, W]`, RGB
    /// 0…255; output `stylized`, RGB nominally 0…255 but unclamped (clamp when converting to pixels), of the size
    /// the type's note gives (the input's when H and W are multiples of 4).
    public func onnxModel(metadata: [(key: String, value: String)] = []) throws -> ONNXModel {
        let graph = ONNXGraphBuilder()
        let last = try exportONNX("image", scope: "", to: graph)
        let dims: [ONNXDimension] = [.named("batch"), .fixed(3), .named("height"), .named("width")]
        let outputDims: [ONNXDimension] = [.named("batch"), .fixed(3), .named("out_height"), .named("out_width")]
        return graph.model(name: "TransformerNet", input: ONNXValueInfo(name: "image", shape: dims),
                           output: ONNXValueInfo(name: "stylized", shape: outputDims), from: last, metadata: metadata)
    }
}

extension TransformerNet.ConvLayer: ONNXExportable {
    func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        var x = input
        if upsample > 1 {
            let factor = Float(upsample)
            let scales = graph.constant(.float([1, 1, factor, factor]), dims: [4], name: "upsample_scales")
            x = graph.apply("Resize", [x, "", scales], scope: scope, attributes: [
                ("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")),
                ("nearest_mode", .string("floor")),
            ])
        }
        let p = conv2d.weight.shape[2] / 2
        let pads = graph.constant(.int64([0, 0, p, p, 0, 0, p, p]), dims: [8], name: "reflection_pads_\(p)")
        x = graph.apply("Pad", [x, pads], scope: scope, attributes: [("mode", .string("reflect"))])
        return try conv2d.exportONNX(x, scope: ONNXGraphBuilder.scope(scope, "conv2d"), to: graph)
    }
}

extension TransformerNet.ResidualBlock: ONNXExportable {
    func exportONNX(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        func child(_ name: String) -> String { ONNXGraphBuilder.scope(scope, name) }
        var y = try conv1.exportONNX(input, scope: child("conv1"), to: graph)
        y = try conv2.exportONNX(try in1.normalizedReLU(y, scope: child("in1"), to: graph), scope: child("conv2"), to: graph)
        y = try in2.exportONNX(y, scope: child("in2"), to: graph)
        return graph.apply("Add", [y, input], scope: scope)
    }
}

extension InstanceNorm2d {
    /// `relu(norm(x))`, the pattern between TransformerNet's convolutions.
    fileprivate func normalizedReLU(_ input: String, scope: String, to graph: ONNXGraphBuilder) throws -> String {
        graph.apply("Relu", [try exportONNX(input, scope: scope, to: graph)], scope: scope)
    }
}
