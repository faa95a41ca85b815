import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// One `impasto cutout` run: the people in photos cut out with MediaPipe's selfie segmentation, as RGBA
/// (alpha = the person), as the mask alone, or composited over a colour, a picture or the photo blurred;
/// the mask optionally hardened, refined along the photo's edges (guided filter or closed-form matting, with
/// the foreground's colours estimated so that no fringe of the old background stays) and cropped to the
/// person. Every result is written atomically; progress and stopping go through a `JobContext`.
public struct CutoutJob: Sendable {
    public enum Destination: Sendable, Equatable {
        /// One output file, for a single input image.
        case file(URL)
        /// A folder (created when missing); each result is `<image>-cutout.png`, `<image>-mask.png`, or for a
        /// composite `<image>-cutout.<input's extension>`.
        case folder(URL)
        /// PNG bytes on standard output, for a single input image.
        case standardOutput
    }

    /// What is written.
    public enum Output: Sendable, Equatable {
        /// RGBA: the photo's (or the estimated foreground's) colours, alpha from the mask.
        case cutout
        /// The mask alone, gray.
        case mask
        /// Opaque: the cutout over a background.
        case composite(CutoutBackground)
    }

    /// MediaPipe's two selfie segmenters.
    public enum Model: String, Sendable, CaseIterable {
        /// 256×256 input.
        case general
        /// 144×256 input, for wide frames; faster.
        case landscape
    }

    /// Images (JPEG or PNG) and folders of them; empty when `readsStandardInput`.
    public var inputs: [URL]
    /// Read one image from standard input instead of `inputs`.
    public var readsStandardInput = false
    public var destination: Destination
    public var output: Output = .cutout
    public var model: Model = .general
    /// A `.tflite` file to use instead of the installed model.
    public var weights: String?
    /// A segmenter written by `impasto train-segmenter` (`.safetensors`) to use instead of MediaPipe's.
    public var trainedSegmenter: URL?
    /// Harden the mask: 1 where it is at least this, else 0; nil keeps the model's probabilities.
    public var threshold: Float?
    public var refinement: CutoutRefinement = .none
    /// Crop each result to the person's bounding box (alpha > 0.5) and a margin of 3 % of its longer side.
    public var crop = false
    /// JPEG quality of .jpg composites and masks.
    public var quality = 95

    public init(inputs: [URL], destination: Destination) {
        self.inputs = inputs
        self.destination = destination
    }

    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Each input with where its result went (nil: standard output), in order.
        public let written: [(input: URL?, output: URL?)]
        /// Whether the context's control stopped it before every image was done.
        public let stopped: Bool
    }

    /// Checks the options against each other before any work.
    public func validate() throws {
        if let threshold, !(threshold > 0 && threshold < 1) {
            throw ImpastoError.invalidArgument("--threshold must be between 0 and 1 (exclusive), not \(threshold).")
        }
        switch refinement {
        case .none: break
        case .guided(let radius, let epsilon):
            guard radius >= 1, radius <= 256, epsilon > 0 else {
                throw ImpastoError.invalidArgument("--guided-radius must be 1 to 256 and --guided-epsilon positive, not \(radius) and \(epsilon).")
            }
        case .matting(let options):
            guard options.backgroundThreshold < options.foregroundThreshold, options.backgroundThreshold >= 0,
                  options.foregroundThreshold <= 1, options.erosion >= 0, options.maximumSide >= 16 else {
                throw ImpastoError.invalidArgument("--matting-background must be below --matting-foreground, both from 0 to 1, "
                    + "--matting-erode at least 0 and --matting-max-side at least 16.")
            }
        }
        guard (1...100).contains(quality) else { throw ImpastoError.invalidArgument("--quality must be between 1 and 100, not \(quality).") }
    }

    /// Cuts out every image. Inputs, outputs and the model are all checked before the first image is read; a
    /// stop ends the run after the current image, with the results so far written.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try validate()
        let pairs = try plan()
        let segmenter = try loadSegmenter(context)
        let reporter = context.reporter(title: "cutout", unit: .steps(name: "image", rateSymbol: "img/s"), total: Int64(pairs.count))
        var written: [(input: URL?, output: URL?)] = []
        for pair in pairs {
            if context.control.isCancelled { break }
            let photo = try pair.input.map { try Image(contentsOf: $0) } ?? Self.standardInputImage()
            let result = try cutout(photo, segmenter: segmenter, note: context.note)
            try write(result, to: pair.output)
            written.append(pair)
            reporter.wroteImage(written.count, from: pair.input?.path ?? "standard input", to: pair.output?.path ?? "standard output")
        }
        return Outcome(written: written, stopped: reporter.finishImages(written: written.count, of: pairs.count))
    }

    /// The result for one photo, as this job's options ask.
    public func cutout(_ photo: Image, segmenter: PersonSegmenter, note: (String) -> Void = { _ in }) throws -> Image {
        try cutout(photo.rgb(), mask: try mask(of: photo, segmenter: segmenter), note: note)
    }

    /// The segmenter's person probability per pixel of `photo`, row-major.
    func mask(of photo: Image, segmenter: PersonSegmenter) throws -> [Float] {
        try segmenter.mask(of: photo)
    }

    /// The result for an RGB photo whose mask is known.
    func cutout(_ rgb: Image, mask: [Float], note: (String) -> Void) throws -> Image {
        let matte = Matte(photo: rgb, mask: mask, threshold: threshold, refinement: refinement, colours: output != .mask,
                          note: note)
        let result = try compose(matte, photo: rgb)
        guard crop else { return result }
        guard let box = Self.boundingBox(matte.alpha, width: rgb.width, height: rgb.height) else {
            note("no person found; the result is not cropped")
            return result
        }
        return result.cropped(x: box.x, y: box.y, width: box.width, height: box.height)
    }

    private func compose(_ matte: Matte, photo: Image) throws -> Image {
        let (count, alpha) = (photo.width * photo.height, matte.alpha)
        switch output {
        case .mask:
            return Image(width: photo.width, height: photo.height, channels: 1, pixels: alpha)
        case .cutout:
            return Image(width: photo.width, height: photo.height, channels: 4, pixels: matte.foreground.pixels + alpha)
        case .composite(let background):
            let picture = try background.inputFiles.first.map { try Image(contentsOf: $0) }
            let behind = background.pixels(behind: photo, picture: picture)
            let front = matte.foreground.pixels
            let mixed = front.indices.map { i in front[i] * alpha[i % count] + behind[i] * (1 - alpha[i % count]) }
            return Image(width: photo.width, height: photo.height, channels: 3, pixels: mixed)
        }
    }

    /// The smallest rectangle holding every pixel with alpha > 0.5, widened by 3 % of its longer side (at
    /// least 2 pixels) within the image; nil when there is none.
    static func boundingBox(_ alpha: [Float], width: Int, height: Int) -> (x: Int, y: Int, width: Int, height: Int)? {
        let inside = alpha.indices.filter { alpha[$0] > 0.5 }
        guard !inside.isEmpty else { return nil }
        let (xs, ys) = (inside.map { $0 % width }, inside.map { $0 / width })
        let (left, right, top, bottom) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        let margin = max(2, Int((0.03 * Double(max(right - left, bottom - top) + 1)).rounded()))
        let (x0, y0) = (max(0, left - margin), max(0, top - margin))
        let (x1, y1) = (min(width - 1, right + margin), min(height - 1, bottom + margin))
        return (x0, y0, x1 - x0 + 1, y1 - y0 + 1)
    }

    // MARK: Inputs, outputs and the model

    /// Each input image (nil: standard input) with its output (nil: standard output); refuses to overwrite
    /// any input, to write two results to one file, or to start when a destination cannot be written.
    public func plan() throws -> [(input: URL?, output: URL?)] {
        let images: [URL?] = readsStandardInput ? [nil] : try ImageInputs.expand(inputs)
        let pairs: [(input: URL?, output: URL?)]
        switch destination {
        case .file(let output):
            try requireOne(images, "-o names one output file")
            _ = try format(of: output)
            pairs = [(images[0], output)]
        case .standardOutput:
            try requireOne(images, "-o - writes one image to standard output")
            pairs = [(images[0], nil)]
        case .folder(let folder):
            guard !readsStandardInput else {
                throw ImpastoError.invalidArgument("An image read from standard input needs -o FILE or -o -, not --output-dir.")
            }
            pairs = images.map { ($0, folder.appendingPathComponent(outputName(for: $0!))) }
        }
        let outputs = pairs.compactMap(\.output)
        try Overwriting.refuse(outputs: outputs, inputs: images.compactMap { $0 } + inputFiles)
        let folder: URL? = if case .folder(let folder) = destination { folder } else { nil }
        try ImageOutputs.prepare(outputs, folder: folder)
        return pairs
    }

    private func requireOne(_ images: [URL?], _ what: String) throws {
        guard images.count == 1 else {
            throw ImpastoError.invalidArgument("\(what) but there are \(images.count) input images; use --output-dir.")
        }
    }

    /// `<image>-cutout.png`, `<image>-mask.png`, or for a composite `<image>-cutout.<its extension>`.
    private func outputName(for image: URL) -> String {
        let name = image.deletingPathExtension().lastPathComponent
        switch output {
        case .cutout: return "\(name)-cutout.png"
        case .mask: return "\(name)-mask.png"
        case .composite: return "\(name)-cutout.\(image.pathExtension)"
        }
    }

    /// The files the job reads besides the images: the weights and a background picture.
    var inputFiles: [URL] {
        (weights.map { [URL(fileURLWithPath: $0)] } ?? []) + (output.background?.inputFiles ?? [])
    }

    /// The encoding an output's extension asks for; a cutout keeps its transparency only in PNG.
    public func format(of url: URL) throws -> ImageFileFormat {
        guard let format = ImageFileFormat(pathExtension: url.pathExtension, jpegQuality: quality) else {
            throw ImpastoError.invalidArgument("The output \(url.path) must end in .png, .jpg or .jpeg.")
        }
        if output == .cutout, format != .png {
            throw ImpastoError.invalidArgument("The output \(url.path) must end in .png: a cutout is transparent (use --background for JPEG).")
        }
        return format
    }

    private func write(_ image: Image, to output: URL?) throws {
        guard let output else {
            let bytes = try image.encoded(format: .png, path: "standard output")
            try FileHandle.standardOutput.write(contentsOf: Data(bytes))
            return
        }
        try image.write(to: output, format: try format(of: output))
    }

    func loadSegmenter(_ context: JobContext) throws -> PersonSegmenter {
        if let trainedSegmenter { return .trained(try TrainedSegmenter(contentsOf: trainedSegmenter)) }
        let resolution = try ModelStore().resolve(model: "selfie-\(model.rawValue)", explicitPath: weights)
        if let note = resolution.note { context.note(note) }
        return .selfie(try ModelCache.shared.selfieSegmentation(contentsOf: resolution.url))
    }

    /// The image piped to standard input.
    static func standardInputImage() throws -> Image {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard data.count <= Image.maximumFileSize else {
            throw ImpastoError.invalidFormat(path: "standard input", reason: "it is larger than the \(Image.maximumFileSize >> 30) GiB Impasto reads as an image")
        }
        return try Image(decoding: [UInt8](data), path: "standard input")
    }
}

extension CutoutJob.Output {
    var background: CutoutBackground? {
        if case .composite(let background) = self { background } else { nil }
    }
}
