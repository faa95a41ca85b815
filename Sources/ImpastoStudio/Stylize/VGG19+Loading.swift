import Foundation
import ImpastoFormats
import ImpastoModels

extension VGG19 {
    /// The tensors of a VGG-19 weight file: safetensors, or a PyTorch checkpoint (`.pth`, zip or legacy),
    /// told apart by their first bytes rather than by the file's name.
    public static func weights(contentsOf url: URL) throws -> [String: Tensor] {
        try isSafeTensors(url) ? SafeTensors.load(contentsOf: url) : TorchCheckpoint.load(contentsOf: url)
    }

    /// A frozen VGG-19 feature extractor with the weights of `weights`.
    ///
    /// Accepts the key layout of torchvision's `vgg19()` (`features.0.weight` … `features.34.bias`), which
    /// neural-style-pt's Caffe conversion `vgg19-d01eb7cb.pth` shares, and of a bare `features` module
    /// (`0.weight` …). The classifier's tensors (`classifier.*`) are ignored: style transfer reads only
    /// activations.
    ///
    /// - Throws: `ImpastoError.missingKey`, `.shapeMismatch` or `.unexpectedKeys` for a file that is not
    ///   VGG-19's.
    public static func pretrained(_ weights: [String: Tensor], pooling: Pooling = .max,
                                  source: String) throws -> VGG19 {
        let network = VGG19(pooling: pooling)
        let bare = weights["features.0.weight"] == nil && weights["0.weight"] != nil
        let prefix = "features."
        try network.load(weights, keyMap: { bare && $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 },
                         ignoring: { $0.hasPrefix("classifier.") }, source: source)
        network.requireGradients(false)
        return network
    }

    /// Whether the file at `url` starts as a safetensors file does: an 8-byte header length, then `{`.
    private static func isSafeTensors(_ url: URL) throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw ImpastoError.unreadableFile(path: url.path, reason: "it does not exist or is not readable")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 9)) ?? Data()
        return head.count == 9 && head[head.startIndex + 8] == UInt8(ascii: "{")
    }
}
