import Foundation
import ImpastoTensor

/// The checks every job writing one image per input makes before its first image.
enum ImageOutputs {
    /// Refuses two inputs written to one file, creates `folder` (the destination folder, when there is one)
    /// and refuses to start when a folder of `outputs` cannot be written.
    static func prepare(_ outputs: [URL], folder: URL?) throws {
        try ImageInputs.refuseCollisions(outputs)
        if let folder {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw ImpastoError.writeFailed(path: folder.path, reason: "the folder cannot be created")
            }
        }
        try ImageInputs.checkWritable(foldersOf: outputs)
    }

    /// Each of `images` with its output: `file` for a single image (refused for several), else `name(image)`
    /// inside `folder`; checked against overwriting any of `images` or `reads`, and `prepare`d.
    static func plan(_ images: [URL], file: URL?, folder: URL?, quality: Int, reads: [URL],
                     name: (URL) -> String) throws -> [(input: URL, output: URL)] {
        let pairs: [(input: URL, output: URL)]
        if let file {
            guard images.count == 1 else {
                throw ImpastoError.invalidArgument("-o names one output file but there are \(images.count) input images; use --output-dir.")
            }
            _ = try ImageInputs.format(of: file, quality: quality)
            pairs = [(images[0], file)]
        } else {
            let folder = folder!
            pairs = images.map { ($0, folder.appendingPathComponent(name($0))) }
        }
        try Overwriting.refuse(outputs: pairs.map(\.output), inputs: images + reads)
        try prepare(pairs.map(\.output), folder: folder)
        return pairs
    }
}

extension ProgressReporter {
    /// One image of a job that writes an image per input: "input → output" on the line, both in JSON.
    func wroteImage(_ count: Int, from input: String, to output: String) {
        update(completed: Int64(count), detail: "\(input) → \(output)", json: [("input", .string(input)), ("output", .string(output))])
    }

    /// The end of such a job: `written` of `total` images, whether it stopped early (true when it did).
    @discardableResult
    func finishImages(written: Int, of total: Int) -> Bool {
        let stopped = written < total
        let seconds = String(format: "%.1f s", elapsed)
        let images = written == 1 ? "1 image" : "\(written) images"
        finish(summary: (stopped ? "Stopped after \(written) of \(total) images" : "Wrote \(images)") + " (\(seconds))",
               json: [("event", .string(stopped ? "stopped" : "done")), ("images", .int(Int64(written)))])
        return stopped
    }
}
