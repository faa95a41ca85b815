import ArgumentParser
import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoStudio

/// `impasto inspect FILE`: what a weight file or image holds, and whether a network can load it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the tensors of a weight file or the size of an image, and check it loads into a network.")

    @Argument(help: "A safetensors file, a PyTorch checkpoint (.pt/.pth, zip or legacy), or a JPEG/PNG image.")
    var file: String

    @Option(name: .customLong("as"), help: "Also load the weights into this network: \(InspectableNetwork.allCases.map(\.rawValue).joined(separator: ", ")).")
    var network: InspectableNetwork?

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
            try network.checkLoads(weights, source: file)
            print("loads into \(network.rawValue): every tensor present with the expected shape")
        }
    }
}

extension InspectableNetwork: ExpressibleByArgument {}
