import ImpastoFormats
import ImpastoModels
import ImpastoNN
import ImpastoTestSupport
import Testing

// What export does with a layer it has no ONNX operators for (the parity of the mapped ones is in
// ImpastoStudioTests/ONNXExportTests.swift, against onnxruntime).

@Test func aLayerWithoutAnOperatorMappingIsNamed() throws {
    let net = Sequential([Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3), MaxPool2d(kernelSize: 2)])
    let error = #expect(throws: ONNXExportError.self) { try net.exportONNX("x", scope: "features", to: ONNXGraphBuilder()) }
    #expect(error?.description == "ONNX export has no operator mapping for MaxPool2d at 'features.1'; the network cannot be exported.")
}

@Test func aTensorFlowLiteGraphExportCannotWriteIsNamed() throws {
    // BlazeFace runs on the interpreter, but its two outputs (boxes and scores) are not a graph export writes.
    let url = try mediapipeModelFile("face_detection/face_detection_short_range.tflite")
    let interpreter = try TFLiteInterpreter(model: TFLiteModel.load(contentsOf: url), source: url.path)
    let error = #expect(throws: ONNXExportError.self) { try interpreter.onnxModel(name: "BlazeFace", input: "image", output: "boxes") }
    #expect(error?.description == "ONNX export has no operator mapping for a graph of 1 inputs and 2 outputs at '\(url.path)'; the network cannot be exported.")
}
