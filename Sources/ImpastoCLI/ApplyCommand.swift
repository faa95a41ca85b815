import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor

/// `impasto apply IMAGE… (--model M | --style S…) (-o OUT | --output-dir D)`: feed-forward stylization.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Stylize images in one pass: a trained TransformerNet (--model) or any style image with AdaIN (--style).",
        discussion: """
            Folders stand for the JPEG and PNG files directly inside them. With --output-dir each result is named \
            <image>-<style>.<ext>, in the input's format.

            Examples:
              impasto apply photo.jpg --model starry -o starry.jpg      (a bundled style: starry, scream)
              impasto apply photo.jpg --model candy.pth -o candy.jpg
              impasto apply photos/ --model udnie.pth --output-dir out --precision bf16
              impasto apply photo.jpg --style starry.jpg --alpha 0.8 \\
                --vgg vgg_normalised.pth --decoder decoder.pth -o out.png
              impasto apply photo.jpg --style a.jpg --style b.jpg --weights 1,3 \\
                --vgg vgg_normalised.pth --decoder decoder.pth -o out.png
            """)

    @Argument(help: "Images (JPEG or PNG) or folders of them.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "The output file (.png, .jpg or .jpeg), for a single input image.")
    var output: String?

    @Option(help: "A folder for the results (created if missing).")
    var outputDir: String?

    @OptionGroup var source: StyleSourceOptions

    @Option(help: "Scale each image so that its longest side has this many pixels (default: keep its size).")
    var size: Int?

    @Option(help: "Convolution arithmetic: fp32, or bf16 (faster on CPUs with bf16 units).",
            transform: { text in
                guard let precision = Precision(rawValue: text) else {
                    throw ValidationError("--precision must be fp32 or bf16, not '\(text)'.")
                }
                return precision
            })
    var precision: Precision = .fp32

    @Flag(help: "Keep each image's colours: only luminance comes from the network (with AdaIN, the styles are recoloured).")
    var preserveColors = false

    @Option(help: "Images of one size stylized per forward pass.")
    var batchSize = 4

    @Option(help: "JPEG quality of .jpg outputs, 1 to 100.")
    var quality = 95

    @Flag(help: "Print no progress.")
    var quiet = false

    func validate() throws {
        guard (output == nil) != (outputDir == nil) else {
            throw ValidationError("Give either -o/--output (one image) or --output-dir (any number), not both or neither.")
        }
        if let size, size < 16 { throw ValidationError("--size must be at least 16 pixels, not \(size).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1, not \(batchSize).") }
        guard (1...100).contains(quality) else { throw ValidationError("--quality must be between 1 and 100, not \(quality).") }
        if let output { _ = try format(of: URL(fileURLWithPath: output)) }
    }

    func run() throws {
        let images = try expandedInputs()
        let jobs = try outputs(for: images)
        let stylize = try source.source().imageStylizer(size: size, precision: precision, preserveColors: preserveColors,
                                                        batchSize: batchSize)
        for start in stride(from: 0, to: jobs.count, by: batchSize) {
            let chunk = jobs[start..<min(start + batchSize, jobs.count)]
            let clock = ContinuousClock.now
            let results = try stylize(try chunk.map { try Image(contentsOf: $0.input) })
            let seconds = (ContinuousClock.now - clock) / Duration.seconds(1) / Double(chunk.count)
            for (offset, (job, result)) in zip(chunk, results).enumerated() {
                try result.write(to: job.output, format: format(of: job.output))
                if !quiet {
                    let line = String(format: "[%d/%d] %@ → %@ (%.2f s)\n", start + offset + 1, jobs.count,
                                      job.input.path, job.output.path, seconds)
                    FileHandle.standardError.write(Data(line.utf8))
                }
            }
        }
    }

    /// The input images, folders replaced by the JPEG and PNG files directly inside them, sorted by name.
    private func expandedInputs() throws -> [URL] {
        let manager = FileManager.default
        return try inputs.flatMap { path -> [URL] in
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw ImpastoError.unreadableFile(path: path, reason: "it does not exist")
            }
            guard isFolder.boolValue else { return [URL(fileURLWithPath: path)] }
            let folder = URL(fileURLWithPath: path, isDirectory: true)
            let images = try manager.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
                .filter { ["jpg", "jpeg", "png"].contains($0.pathExtension.lowercased()) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            guard !images.isEmpty else {
                throw ImpastoError.invalidArgument("The folder \(path) holds no JPEG or PNG images.")
            }
            return images
        }
    }

    /// Where each input's result goes; refuses to overwrite any input (image, style or weight file), to write
    /// two results to one file, or to start when the destination folder cannot be written.
    private func outputs(for images: [URL]) throws -> [(input: URL, output: URL)] {
        let jobs: [(input: URL, output: URL)]
        if let output {
            guard images.count == 1 else {
                throw ImpastoError.invalidArgument("-o names one output file but there are \(images.count) input images; use --output-dir.")
            }
            jobs = [(images[0], URL(fileURLWithPath: output))]
        } else {
            let folder = URL(fileURLWithPath: outputDir!, isDirectory: true)
            let styleName = source.model.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
                ?? source.style.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }.joined(separator: "+")
            jobs = images.map { image in
                let ext = ["jpg", "jpeg", "png"].contains(image.pathExtension.lowercased()) ? image.pathExtension : "png"
                let name = "\(image.deletingPathExtension().lastPathComponent)-\(styleName).\(ext)"
                return (image, folder.appendingPathComponent(name))
            }
        }
        try Overwriting.refuse(outputs: jobs.map(\.output), inputs: images + source.source().inputFiles)
        var seen = Set<String>()
        for job in jobs where !seen.insert(Overwriting.canonicalPath(job.output)).inserted {
            throw ImpastoError.invalidArgument("Two inputs would both be written to \(job.output.path); rename one of them.")
        }
        if let outputDir {
            do {
                try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
            } catch {
                throw ImpastoError.writeFailed(path: outputDir, reason: "the folder cannot be created")
            }
        }
        for folder in Set(jobs.map { $0.output.deletingLastPathComponent().path })
        where !FileManager.default.isWritableFile(atPath: folder) {
            throw ImpastoError.writeFailed(path: folder, reason: "the folder does not exist or is not writable")
        }
        return jobs
    }

    private func format(of url: URL) throws -> ImageFileFormat {
        switch url.pathExtension.lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg(quality: quality)
        default: throw ValidationError("The output \(url.path) must end in .png, .jpg or .jpeg.")
        }
    }
}
