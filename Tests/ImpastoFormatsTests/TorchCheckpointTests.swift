import Foundation
import ImpastoFormats
import ImpastoTensor
import ImpastoTestSupport
import Testing

@Suite struct TorchCheckpointTests {
    @Test(arguments: ["checkpoint.pt", "checkpoint-protocol4.pt", "checkpoint-legacy.pt", "checkpoint-zip64.pt"])
    func loadsFixtureExactly(file: String) throws {
        expectFixtureTensors(try TorchCheckpoint.load(contentsOf: Fixtures.url(file)))
    }

    @Test func refusesPickleThatRunsOSSystem() throws {
        let bare = Fixtures.url("malicious.pkl")
        #expect(expectFileError(bare) { try TorchCheckpoint.load(contentsOf: bare) }
            == .forbiddenPickleGlobal(path: bare.path, global: "os.system"))
        // torch.save on Linux names os.system by its home module.
        let zipped = Fixtures.url("malicious.pt")
        #expect(expectFileError(zipped) { try TorchCheckpoint.load(contentsOf: zipped) }
            == .forbiddenPickleGlobal(path: zipped.path, global: "posix.system"))
    }

    @Test(arguments: ["checkpoint.pt", "checkpoint-legacy.pt", "checkpoint-zip64.pt"])
    func reportsTruncation(file: String) throws {
        let scratch = try ScratchDirectory()
        let bytes = try Fixtures.data(file)
        let half = try scratch.file("half-\(file)", bytes.prefix(bytes.count / 2))
        #expect(isUnreadable(expectFileError(half) { try TorchCheckpoint.load(contentsOf: half) }))
        for length in cutLengths(bytes.count) {
            let cut = try scratch.file("cut-\(file)", bytes.prefix(length))
            expectFileError(cut) { try TorchCheckpoint.load(contentsOf: cut) }
        }
    }

    @Test func rejectsNonCheckpoint() throws {
        let scratch = try ScratchDirectory()
        let png = try scratch.file("image.png", pngBytes)
        #expect(isInvalid(expectFileError(png) { try TorchCheckpoint.load(contentsOf: png) }))
        let missing = scratch.url.appendingPathComponent("missing.pt")
        #expect(isUnreadable(expectFileError(missing) { try TorchCheckpoint.load(contentsOf: missing) }))
    }
}

/// facenet-pytorch 2.6.0's MTCNN weights: legacy-format checkpoints, fetched by
/// scripts/fetch-test-weights.sh (the tests fail, not skip, when they are missing).
@Suite struct FacenetCheckpointTests {
    /// The keys and shapes observed in the files (torch.load agrees, see facenet-expected.json).
    static let layouts: [String: KeyValuePairs<String, [Int]>] = [
        "pnet": [
            "conv1.weight": [10, 3, 3, 3], "conv1.bias": [10], "prelu1.weight": [10],
            "conv2.weight": [16, 10, 3, 3], "conv2.bias": [16], "prelu2.weight": [16],
            "conv3.weight": [32, 16, 3, 3], "conv3.bias": [32], "prelu3.weight": [32],
            "conv4_1.weight": [2, 32, 1, 1], "conv4_1.bias": [2],
            "conv4_2.weight": [4, 32, 1, 1], "conv4_2.bias": [4],
        ],
        "rnet": [
            "conv1.weight": [28, 3, 3, 3], "conv1.bias": [28], "prelu1.weight": [28],
            "conv2.weight": [48, 28, 3, 3], "conv2.bias": [48], "prelu2.weight": [48],
            "conv3.weight": [64, 48, 2, 2], "conv3.bias": [64], "prelu3.weight": [64],
            "dense4.weight": [128, 576], "dense4.bias": [128], "prelu4.weight": [128],
            "dense5_1.weight": [2, 128], "dense5_1.bias": [2],
            "dense5_2.weight": [4, 128], "dense5_2.bias": [4],
        ],
        "onet": [
            "conv1.weight": [32, 3, 3, 3], "conv1.bias": [32], "prelu1.weight": [32],
            "conv2.weight": [64, 32, 3, 3], "conv2.bias": [64], "prelu2.weight": [64],
            "conv3.weight": [64, 64, 3, 3], "conv3.bias": [64], "prelu3.weight": [64],
            "conv4.weight": [128, 64, 2, 2], "conv4.bias": [128], "prelu4.weight": [128],
            "dense5.weight": [256, 1152], "dense5.bias": [256], "prelu5.weight": [256],
            "dense6_1.weight": [2, 256], "dense6_1.bias": [2],
            "dense6_2.weight": [4, 256], "dense6_2.bias": [4],
            "dense6_3.weight": [10, 256], "dense6_3.bias": [10],
        ],
    ]

    static func facenetFile(_ name: String) throws -> URL {
        try testWeightsFile("facenet-pytorch-2.6.0/\(name)")
    }

    /// Per tensor: the first values and the float64 sum, from torch.load.
    struct Reference: Decodable {
        let key: String
        let first: [Float]
        let sum: Double
    }

    @Test(arguments: ["pnet", "rnet", "onet"])
    func loadsMTCNNWeights(network: String) throws {
        let url = try Self.facenetFile("\(network).pt")
        let tensors = try TorchCheckpoint.load(contentsOf: url)
        let layout = try #require(Self.layouts[network])
        #expect(tensors.keys.sorted() == layout.map(\.key).sorted())
        for (key, shape) in layout { #expect(tensors[key]?.shape == shape, "\(key)") }

        struct File: Decodable { let files: [String: [Reference]] }
        let references = try JSONDecoder().decode(File.self, from: Fixtures.data("facenet-expected.json")).files
        for reference in try #require(references[network]) {
            let values = try #require(tensors[reference.key]).scalars
            #expect(Array(values.prefix(reference.first.count)) == reference.first, "\(reference.key)")
            let sum = values.reduce(0) { $0 + Double($1) }
            #expect(abs(sum - reference.sum) <= 1e-9 * Double(values.count), "\(reference.key)")
        }
    }

    @Test func reportsTruncatedLegacyWeights() throws {
        let url = try Self.facenetFile("onet.pt")
        let scratch = try ScratchDirectory()
        let bytes = try Data(contentsOf: url)
        let cut = try scratch.file("onet.pt", bytes.prefix(bytes.count - 1000))
        #expect(isUnreadable(expectFileError(cut) { try TorchCheckpoint.load(contentsOf: cut) }))
    }
}
