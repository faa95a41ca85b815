import ImpastoModels
import ImpastoNN
import Testing

// What export does with a layer it has no ONNX operators for (the parity of the mapped ones is in
// ImpastoStudioTests/ONNXExportTests.swift, against onnxruntime).

@Test func aLayerWithoutAnOperatorMappingIsNamed() throws {
    let net = Sequential([Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3), MaxPool2d(kernelSize: 2)])
    let error = #expect(throws: ONNXExportError.self) { try net.exportONNX("x", scope: "features", to: ONNXGraphBuilder()) }
    #expect(error?.description == "ONNX export has no operator mapping for MaxPool2d at 'features.1'; the network cannot be exported.")
}
