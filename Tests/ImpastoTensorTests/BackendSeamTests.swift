import Foundation
import Testing
@testable import ImpastoTensor

// The backend seam (issue 10 point 3): tensors carry a device, ops reach kernels through the device's backend,
// and nothing above the engine sees oneDNN, a blocked layout or a tensor's memory.

@Test func tensorsLiveOnTheirStoragesDevice() {
    let x = Tensor(shape: [1, 2, 3, 3], scalars: (0..<18).map(Float.init))
    let convolved = conv2d(x, weight: Tensor(repeating: 1, shape: [16, 2, 3, 3]), padding: (1, 1))
    #expect(x.device == .cpu && convolved.device == .cpu && x.transposed().device == .cpu)
    #expect(x.to(.cpu) === x, "moving to the device a tensor is on is free")
    #expect(x.backend.device == .cpu && convolved.storage.device == .cpu)
}

@Test func opsReachTheirKernelsThroughTheBackend() {
    // Geometry from the op, kernel from the backend: the two paths agree with each other.
    let x = Tensor(shape: [1, 2, 4, 4], scalars: (0..<32).map { Float($0 % 7) - 3 })
    let w = Tensor(shape: [16, 2, 3, 3], scalars: (0..<288).map { Float($0 % 5) - 2 })
    let geometry = ConvolutionGeometry(kind: .convolution, source: x.shape, destination: [1, 16, 4, 4],
                                       weight: w.shape, stride: (1, 1), dilation: (1, 1),
                                       padding: (left: 1, right: 1, top: 1, bottom: 1), groups: 1, dtype: .f32)
    #expect(x.backend.convolution(geometry, x, weight: w, bias: nil).scalars == conv2d(x, weight: w, padding: (1, 1)).scalars)
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(a.backend.matrixProduct(a, transposingA: true, a, transposingB: false).scalars
            == [17, 22, 27, 22, 29, 36, 27, 36, 45])
}

/// The rule the README states, checked on the sources: oneDNN, the engine's layout conversion and raw reads of
/// a tensor's memory stay inside ImpastoTensor; the CLI reaches models only through Studio.
@Test func layersAboveTheEngineSeeNoKernelsLayoutsOrTensorMemory() throws {
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")
    // `plain()`, `mutate` and the raw element buffers are internal to the engine: the compiler refuses them here.
    let forbidden = ["dnnl_", "CDNNL", ".plain()"]
    var offences: [String] = []
    let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path)
        .filter { $0.hasPrefix("Impasto") && $0 != "ImpastoTensor" }
    #expect(modules.count >= 7, "expected the Impasto modules under \(sources.path), found \(modules)")
    for module in modules {
        let enumerator = FileManager.default.enumerator(atPath: sources.appendingPathComponent(module).path)
        while let file = enumerator?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent("\(module)/\(file)"), encoding: .utf8)
            for token in forbidden where text.contains(token) { offences.append("\(module)/\(file): \(token)") }
            if module == "ImpastoCLI" && text.contains("import ImpastoModels") {
                offences.append("\(module)/\(file): import ImpastoModels")
            }
            if module == "ImpastoOptimizers" && text.contains("Unsafe") {
                offences.append("\(module)/\(file): Unsafe")
            }
        }
    }
    #expect(offences.isEmpty, "\(offences)")
}
