import ImpastoModels
import ImpastoNN
import ImpastoTensor

/// The networks `impasto inspect --as` checks a weight file against: whether every tensor the network needs is
/// there with its shape, nothing more.
public enum InspectableNetwork: String, CaseIterable, Sendable {
    case vgg19, pnet, rnet, onet

    /// Loads `weights` into a fresh network of this kind; throws what strict loading throws (the missing key,
    /// the mismatched shape, the tensors it has no place for).
    public func checkLoads(_ weights: [String: Tensor], source: String) throws {
        let network: Module = switch self {
        case .vgg19: VGG19()
        case .pnet: PNet()
        case .rnet: RNet()
        case .onet: ONet()
        }
        // VGG-19 files carry the classifier too; the feature extractor has no use for it.
        try network.load(weights, ignoring: { $0.hasPrefix("classifier.") }, source: source)
    }
}
