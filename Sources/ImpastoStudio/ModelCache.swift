import Foundation
import ImpastoModels
import ImpastoNN
import ImpastoTensor

/// Networks loaded once per process and shared by its jobs: two jobs naming the same weight file get the
/// same frozen network and the results they would get one after the other (no job changes a shared network;
/// precision and gradients are per call). A file replaced on disk (another size, time or inode) is loaded
/// afresh. Loading happens under one lock, so two jobs asking at once read the file once.
public final class ModelCache: @unchecked Sendable {
    /// The process's cache.
    public static let shared = ModelCache()

    private struct Key: Hashable {
        let kind: String
        let path: String
        let identity: [Int]
        let detail: String
    }

    private let lock = NSLock()
    private var entries: [Key: AnyObject] = [:]

    public init() {}

    /// The Gatys stylizer on the VGG-19 weight file at `url` read with `preprocessing`.
    public func stylizer(contentsOf url: URL, preprocessing: VGGPreprocessing) throws -> Stylizer {
        try entry("stylizer", url, detail: preprocessing.rawValue) {
            try Stylizer(contentsOf: url, preprocessing: preprocessing)
        }
    }

    /// The TransformerNet a bundled style's name or a weight file names (`BundledStyles.modelFile`).
    public func transformerNet(_ nameOrPath: String) throws -> TransformerNet {
        let url = try BundledStyles.modelFile(nameOrPath)
        return try entry("transformer-net", url) { try TransformerNet(contentsOf: url) }
    }

    /// The ImageNet classifier (MobileNetV2) in the weight file at `url`.
    public func classifier(contentsOf url: URL) throws -> ImageClassifier {
        try entry("classifier", url) { try ImageClassifier(contentsOf: url) }
    }

    /// A frozen VGG-19 feature extractor with the weights in `url` (any of the files `VGG19.weights` reads).
    public func vgg19(contentsOf url: URL) throws -> VGG19 {
        try entry("vgg19", url) { try VGG19.pretrained(VGG19.weights(contentsOf: url), source: url.path) }
    }

    /// MTCNN on facenet-pytorch's three weight files (a rewritten P-Net file reloads all three; R-Net and O-Net
    /// are keyed by path only).
    public func mtcnn(pnet: URL, rnet: URL, onet: URL) throws -> MTCNNDetector {
        try entry("mtcnn", pnet, detail: rnet.standardizedFileURL.path + "\n" + onet.standardizedFileURL.path) {
            try MTCNNDetector(pnet: pnet, rnet: rnet, onet: onet)
        }
    }

    /// The waifu2x net of `architecture` in the Chainer `.npz` file at `url`.
    public func waifu2x(_ architecture: Waifu2xArchitecture, contentsOf url: URL) throws -> any Waifu2xNetwork {
        try entry("waifu2x", url, detail: architecture.rawValue) { () -> Module in
            try Waifu2xVGG7.load(architecture, contentsOf: url)
        } as! any Waifu2xNetwork
    }

    /// MediaPipe's selfie segmenter in the `.tflite` file at `url`.
    public func selfieSegmentation(contentsOf url: URL) throws -> SelfieSegmentation {
        try entry("selfie-segmentation", url) { Shared(try SelfieSegmentation(contentsOf: url)) }.value
    }

    /// MediaPipe's short-range face detector (BlazeFace) in the `.tflite` file at `url`.
    public func blazeFace(contentsOf url: URL) throws -> BlazeFace {
        try entry("blazeface", url) { Shared(try BlazeFace(contentsOf: url)) }.value
    }

    /// Drops every cached network (a service freeing memory between bursts of jobs).
    public func removeAll() {
        lock.withLock { entries = [:] }
    }

    /// The number of cached networks.
    public var count: Int { lock.withLock { entries.count } }

    private func entry<Model: AnyObject>(_ kind: String, _ url: URL, detail: String = "",
                                         load: () throws -> Model) throws -> Model {
        let path = url.standardizedFileURL.path
        let key = Key(kind: kind, path: path, identity: Self.identity(of: path), detail: detail)
        lock.lock()
        defer { lock.unlock() }
        if let cached = entries[key] as? Model { return cached }
        let model = try load()
        // An older version of the same file is of no further use.
        entries = entries.filter { $0.key.kind != kind || $0.key.path != path || $0.key.detail != detail }
        entries[key] = model
        return model
    }

    /// Device, inode, size and modification time: what changes when a file is replaced or rewritten.
    private static func identity(of path: String) -> [Int] {
        var status = stat()
        guard stat(path, &status) == 0 else { return [] }
        return [Int(status.st_dev), Int(status.st_ino), Int(status.st_size), Int(status.st_mtim.tv_sec),
                Int(status.st_mtim.tv_nsec)]
    }
}

extension ModelCache {
    /// The installed ImageNet classifier (`mobilenet_v2`), or the one in the file at `weights`.
    public func installedClassifier(weights: String? = nil) throws -> ImageClassifier {
        try classifier(contentsOf: ModelStore().resolve(model: "mobilenet_v2", explicitPath: weights).url)
    }

    /// The installed VGG-19 (or the one in the file at `weights`) with the preprocessing its file expects; a file
    /// of unrecognised name gets neural-style's Caffe preprocessing, as `stylize` gives it.
    public func installedVGG19(weights: String? = nil) throws -> (network: VGG19, preprocessing: VGGPreprocessing) {
        let resolution = try ModelStore().resolve(model: "vgg19", explicitPath: weights)
        let preprocessing = resolution.preprocessing ?? VGGPreprocessing(fileName: resolution.url.lastPathComponent) ?? .caffe
        return (try vgg19(contentsOf: resolution.url), preprocessing)
    }

    /// MTCNN from a folder holding pnet.pt, rnet.pt and onet.pt, or from the model store; missing installed weights
    /// are one sentence naming the command that installs all three.
    public func installedMTCNN(weights: URL? = nil) throws -> MTCNNDetector {
        let store = ModelStore()
        let files = try ["pnet", "rnet", "onet"].map { network in
            if let weights { return weights.appendingPathComponent("\(network).pt") }
            do {
                return try store.resolve(model: "mtcnn-\(network)").url
            } catch ModelStoreError.missingWeights {
                throw ImpastoError.invalidArgument("Run `impasto models fetch mtcnn` to install MTCNN's pnet.pt, rnet.pt "
                    + "and onet.pt (from PyPI's facenet-pytorch==2.6.0 wheel) into \(store.directory.path)/, or pass "
                    + "--weights with a folder holding them.")
            }
        }
        return try mtcnn(pnet: files[0], rnet: files[1], onet: files[2])
    }

    /// The installed BlazeFace (`impasto models fetch blazeface`), or the one in the `.tflite` file at `weights`.
    public func installedBlazeFace(weights: String? = nil) throws -> BlazeFace {
        try blazeFace(contentsOf: ModelStore().resolve(model: "blazeface", explicitPath: weights).url)
    }
}

/// A network held by value, boxed to share one loaded copy.
private final class Shared<Value: Sendable>: Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
