import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoModels

/// facenet-pytorch 2.6.0's own weight files, fetched from its PyPI wheel by scripts/fetch-test-weights.sh.
func facenetWeights(_ name: String) throws -> [String: Tensor] {
    try TorchCheckpoint.load(contentsOf: testWeightsFile("facenet-pytorch-2.6.0/\(name).pt"))
}

/// Inputs and outputs recorded from facenet-pytorch's modules by scripts/make_mtcnn_reference.py.
let mtcnnReference: [String: Tensor] = {
    let url = Bundle.module.url(forResource: "mtcnn-reference", withExtension: "safetensors", subdirectory: "Fixtures")!
    return try! SafeTensors.load(contentsOf: url)
}()

@Test func pnetMatchesFacenetPyTorch() throws {
    let net = PNet()
    try net.load(facenetWeights("pnet"), source: "pnet.pt")
    let (boxes, probabilities) = withoutGradients { net(mtcnnReference["pnet.input"]!) }
    #expect(maxAbsDifference(boxes, mtcnnReference["pnet.boxes"]!) <= 1e-4)
    #expect(maxAbsDifference(probabilities, mtcnnReference["pnet.probabilities"]!) <= 1e-4)
}

@Test func rnetMatchesFacenetPyTorch() throws {
    let net = RNet()
    try net.load(facenetWeights("rnet"), source: "rnet.pt")
    let (boxes, probabilities) = withoutGradients { net(mtcnnReference["rnet.input"]!) }
    #expect(maxAbsDifference(boxes, mtcnnReference["rnet.boxes"]!) <= 1e-4)
    #expect(maxAbsDifference(probabilities, mtcnnReference["rnet.probabilities"]!) <= 1e-4)
}

@Test func onetMatchesFacenetPyTorch() throws {
    let net = ONet()
    try net.load(facenetWeights("onet"), source: "onet.pt")
    let (boxes, landmarks, probabilities) = withoutGradients { net(mtcnnReference["onet.input"]!) }
    #expect(maxAbsDifference(boxes, mtcnnReference["onet.boxes"]!) <= 1e-4)
    #expect(maxAbsDifference(landmarks, mtcnnReference["onet.landmarks"]!) <= 1e-4)
    #expect(maxAbsDifference(probabilities, mtcnnReference["onet.probabilities"]!) <= 1e-4)
}

@Test func loadingTheWrongNetworkNamesTheProblem() throws {
    let net = RNet()
    #expect(throws: ImpastoError.self) { try net.load(facenetWeights("pnet"), source: "pnet.pt") }
    do {
        try net.load(facenetWeights("onet"), source: "onet.pt")
        Issue.record("loading O-Net weights into R-Net must fail")
    } catch let error as ImpastoError {
        // conv1 is 3→32 in O-Net but 3→28 in R-Net.
        #expect(error == .shapeMismatch(key: "conv1.weight", expected: [28, 3, 3, 3], actual: [32, 3, 3, 3]))
    }
}

@Test func missingKeyIsReported() throws {
    var weights = try facenetWeights("pnet")
    weights["conv2.bias"] = nil
    #expect(throws: ImpastoError.missingKey(key: "conv2.bias", source: "pnet.pt")) {
        try PNet().load(weights, source: "pnet.pt")
    }
}
