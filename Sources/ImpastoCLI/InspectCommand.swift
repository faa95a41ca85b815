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
        if try isImage(url) {
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

    /// JPEG and PNG by their signatures; anything else is treated as a weight file.
    private func isImage(_ url: URL) throws -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw ImpastoError.unreadableFile(path: url.path, reason: "it does not exist or cannot be opened")
        }
        defer { try? handle.close() }
        let head = [UInt8](try handle.read(upToCount: 8) ?? Data())
        return head.starts(with: [0xFF, 0xD8, 0xFF]) || head.starts(with: [0x89, 0x50, 0x4E, 0x47])
    }
}
