import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto apply` run as Studio performs it for any front end: images (and folders of them) stylized in
/// one pass each, in batches, every result written atomically, with progress and stopping through a
/// `JobContext`.
public struct ApplyJob: Sendable {
    /// Where results go: a file, or a folder where each result is `<image>-<style>.<ext>` in its input's format.
    public typealias Destination = ImageDestination

    /// Images (JPEG or PNG) and folders, whose JPEG and PNG files directly inside count, sorted by name.
    public var inputs: [URL]
    public var destination: Destination
    /// The network and style.
    public var source: StyleSource
    /// The longest side each image is scaled to first; nil keeps its size.
    public var size: Int?
    public var precision: Precision = .fp32
    /// Keep each image's colours: only luminance comes from the network.
    public var preserveColors = false
    /// Images of one size per forward pass.
    public var batchSize = 4
    /// JPEG quality of .jpg results.
    public var quality = 95
    /// Faces kept close to the photo; nil leaves them styled.
    public var protectFaces: FaceProtection?
    /// An RGBA mask worn on every face before stylization.
    public var overlay: URL?
    /// What finds the faces for both (installed with `impasto models fetch mtcnn` or `… blazeface`).
    public var faceDetector = FacesJob.Detector.mtcnn
    /// waifu2x over each stylization as it would be written (`--upscale 2`, `--denoise N`); nil writes it as it is.
    public var upscale: UpscaleOptions?
    /// Where the network runs (`--device`): the CPU, or an NVIDIA GPU through the CUDA backend.
    public var device: Device = .cpu

    public init(inputs: [URL], destination: Destination, source: StyleSource) {
        self.inputs = inputs
        self.destination = destination
        self.source = source
    }

    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Each input with the result written for it, in order.
        public let written: [(input: URL, output: URL)]
        /// Whether the context's control stopped it before every image was done.
        public let stopped: Bool
    }

    /// Stylizes every image. Inputs, outputs and the weights are all checked before the first image is
    /// stylized; a stop ends the run after the current batch, with the results so far written.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try device.running { try stylizeAll(context) }
    }

    private func stylizeAll(_ context: JobContext) throws -> Outcome {
        let pairs = try plan()
        try protectFaces?.validate()
        let stylize = try source.imageStylizer(size: size, precision: precision, preserveColors: preserveColors,
                                               batchSize: batchSize)
        let overlay = try self.overlay.map(FaceOverlay.init(contentsOf:))
        let upscaler = try upscale.map { try Waifu2xUpscaler(options: $0) }
        let detector = protectFaces != nil || overlay != nil ? try FaceFinder(faceDetector) : nil
        let reporter = context.reporter(title: "apply", unit: .steps(name: "image", rateSymbol: "img/s"),
                                        total: Int64(pairs.count))
        var written: [(input: URL, output: URL)] = []
        batches: for start in stride(from: 0, to: pairs.count, by: batchSize) {
            if context.control.isCancelled { break }
            let chunk = pairs[start..<min(start + batchSize, pairs.count)]
            var photos = try chunk.map { try Image(contentsOf: $0.input) }
            // Found once: the overlay wears them, and protection reuses them at the result's scale.
            let faces = overlay == nil ? nil : try detector?(photos.map { $0.rgb() })
            if let overlay, let faces {
                photos = zip(photos, faces).map { overlay.apply(to: $0, faces: $1) }
            }
            var results = try stylize(photos)
            if let protectFaces, let detector {
                results = try results.indices.map { i in
                    let seen = photos[i].rgb().resized(width: results[i].width, height: results[i].height)
                    let scale = Float(seen.width) / Float(photos[i].width)
                    let found = try faces?[i].map { $0.scaled(by: scale) } ?? detector([seen])[0]
                    return protectFaces.apply(to: results[i], photo: seen, faces: found)
                }
            }
            for (pair, stylized) in zip(chunk, results) {
                guard let result = upscaler.map({ $0.process(stylized) { !context.control.isCancelled } }) ?? stylized else {
                    break batches
                }
                try result.write(to: pair.output, format: try format(of: pair.output))
                written.append(pair)
                reporter.wroteImage(written.count, from: pair.input.path, to: pair.output.path)
            }
        }
        return Outcome(written: written, stopped: reporter.finishImages(written: written.count, of: pairs.count))
    }

    /// Each input image with its output; refuses to overwrite any input (image, style or weight file), to
    /// write two results to one file, or to start when a destination folder cannot be written.
    public func plan() throws -> [(input: URL, output: URL)] {
        try ImageOutputs.plan(try ImageInputs.expand(inputs), to: destination, quality: quality,
                              reads: source.inputFiles + (overlay.map { [$0] } ?? [])) { image in
            let ext = ImageFileFormat.fileExtensions.contains(image.pathExtension.lowercased()) ? image.pathExtension : "png"
            return "\(image.deletingPathExtension().lastPathComponent)-\(source.name).\(ext)"
        }
    }

    /// The encoding an output's extension asks for.
    public func format(of url: URL) throws -> ImageFileFormat {
        try ImageInputs.format(of: url, quality: quality)
    }
}
