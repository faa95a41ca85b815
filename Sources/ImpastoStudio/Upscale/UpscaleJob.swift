import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto upscale` run: pictures enlarged and/or freed of JPEG noise by waifu2x (`Waifu2xUpscaler`),
/// tile by tile with progress per tile, each result written atomically; a stop ends the run after the
/// current tile, with the pictures finished so far written.
public struct UpscaleJob: Sendable {
    /// A file, or a folder where each result is `<image>-x<scale>.<input's extension>` (`-denoised` when only
    /// denoising).
    public typealias Destination = ImageDestination

    /// Images (JPEG or PNG) and folders of them.
    public var inputs: [URL]
    public var destination: Destination
    public var options = UpscaleOptions()
    /// JPEG quality of .jpg outputs.
    public var quality = 95

    public init(inputs: [URL], destination: Destination) {
        self.inputs = inputs
        self.destination = destination
    }

    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Each input with where its result went, in order.
        public let written: [(input: URL, output: URL)]
        /// Whether the context's control stopped it before every image was done.
        public let stopped: Bool
    }

    /// Checks the options before any work.
    public func validate() throws {
        try options.validate()
        guard (1...100).contains(quality) else { throw ImpastoError.invalidArgument("--quality must be between 1 and 100, not \(quality).") }
    }

    /// Upscales every image. Inputs, outputs and the nets are all checked before the first image is read.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try validate()
        let pairs = try plan()
        let upscaler = try Waifu2xUpscaler(options: options)
        let reporter = context.reporter(title: "upscale", unit: .steps(name: "tile", rateSymbol: "tile/s"), total: nil)
        var written: [(input: URL, output: URL)] = []
        for (index, pair) in pairs.enumerated() {
            let picture = try Image(contentsOf: pair.input)
            let tiles = upscaler.tileCount(width: picture.width, height: picture.height, alpha: picture.hasAlpha)
            reporter.restart(completed: 0, total: Int64(tiles))
            var done = 0
            let result = upscaler.process(picture) {
                done += 1
                reporter.update(completed: Int64(done), detail: "image \(index + 1) of \(pairs.count): \(pair.input.lastPathComponent)",
                                json: [("image", .string(pair.input.path)), ("tile", .int(Int64(done))), ("tiles", .int(Int64(tiles)))])
                return !context.control.isCancelled
            }
            guard let result else { break }
            try result.write(to: pair.output, format: try ImageInputs.format(of: pair.output, quality: quality))
            written.append(pair)
            reporter.wroteImage(written.count, from: pair.input.path, to: pair.output.path)
        }
        return Outcome(written: written, stopped: reporter.finishImages(written: written.count, of: pairs.count))
    }

    /// Each input image with its output; refuses to overwrite any input, to write two results to one file, or
    /// to start when a destination cannot be written.
    public func plan() throws -> [(input: URL, output: URL)] {
        try ImageOutputs.plan(try ImageInputs.expand(inputs), to: destination, quality: quality,
                              reads: options.weightsFolder.map { [URL(fileURLWithPath: $0)] } ?? [],
                              name: outputName(for:))
    }

    /// `<image>-x2.<ext>` (the scale as given: `-x1.5`), or `<image>-denoised.<ext>` at scale 1.
    private func outputName(for image: URL) -> String {
        let name = image.deletingPathExtension().lastPathComponent
        let scale = options.scale == options.scale.rounded() ? String(Int(options.scale)) : String(options.scale)
        return "\(name)-\(options.scale == 1 ? "denoised" : "x\(scale)").\(image.pathExtension)"
    }
}
