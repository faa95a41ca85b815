import ArgumentParser
import Foundation
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
        switch try FileInspection.inspect(url) {
        case let .image(width, height, channels):
            print("\(file): image \(width)×\(height), \(channels) channel(s)")
        case let .weights(tensors):
            print("\(file): \(tensors.count) tensors, \(tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }) values")
            for tensor in tensors {
                print("  \(tensor.key) \(tensor.shape)" + (tensor.dtype == .f32 ? "" : " \(tensor.dtype)"))
            }
            if let network {
                try network.checkLoads(contentsOf: url, source: file)
                print("loads into \(network.rawValue): every tensor present with the expected shape")
            }
        }
    }
}

extension InspectableNetwork: ExpressibleByArgument {}
