import ArgumentParser
import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN

/// `impasto inspect FILE`: what a weight file or image holds, and whether a network can load it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tensors of a weight file or the size of an image, and check it loads into a network.")

    /// Networks a weight file can be checked against.
    enum Network: String, ExpressibleByArgument, CaseIterable {
        case vgg19, pnet, rnet, onet

        func make() -> Module {
            switch self {
            case .vgg19: VGG19()
            case .pnet: PNet()
            case .rnet: RNet()
            case .onet: ONet()
            }
        }
    }

    @Argument(help: "A safetensors file, a PyTorch checkpoint (.pt/.pth, zip or legacy), or a JPEG/PNG image.")
    var file: String

    @Option(name: .customLong("as"), help: "Also load the weights into this network: \(Network.allCases.map(\.rawValue).joined(separator: ", ")).")
    var network: Network?

    func run() throws {
        let url = URL(fileURLWithPath: file)
        // Only regular files are read: a directory, device or FIFO is refused here with one sentence.
        if try Image.hasImageSignature(at: url) {
            // Decodes every pixel, so that a file broken past its header is reported, not passed.
            let image = try Image(contentsOf: url)
            print("\(file): image \(image.width)×\(image.height), \(image.channels) channel(s)")
            return
        }
        let weights = try WeightFile.load(contentsOf: url)
        let parameters = weights.values.reduce(0) { $0 + $1.count }
        print("\(file): \(weights.count) tensors, \(parameters) values")
        for key in weights.keys.sorted() {
            print("  \(key) \(weights[key]!.shape)")
        }
        if let network {
            // VGG-19 files carry the classifier too; the feature extractor has no use for it.
            try network.make().load(weights, ignoring: { $0.hasPrefix("classifier.") }, source: file)
            print("loads into \(network.rawValue): every tensor present with the expected shape")
        }
    }
}
