import Foundation
import ImpastoTensor

/// Where a job that writes one image per input puts its results.
public enum ImageDestination: Sendable, Equatable {
    /// One output file, for a single input image.
    case file(URL)
    /// A folder (created when missing), each result named by the job.
    case folder(URL)
}

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

    /// Each of `images` with its output: the destination's file for a single image (refused for several), or
    /// `name(image)` inside its folder; checked against overwriting any of `images` or `reads`, and `prepare`d.
    static func plan(_ images: [URL], to destination: ImageDestination, quality: Int, reads: [URL],
                     name: (URL) -> String) throws -> [(input: URL, output: URL)] {
        let pairs: [(input: URL, output: URL)]
        let folder: URL?
        switch destination {
        case .file(let file):
            guard images.count == 1 else {
                throw ImpastoError.invalidArgument("-o names one output file but there are \(images.count) input images; use --output-dir.")
            }
            _ = try ImageInputs.format(of: file, quality: quality)
            (pairs, folder) = ([(images[0], file)], nil)
        case .folder(let directory):
            (pairs, folder) = (images.map { ($0, directory.appendingPathComponent(name($0))) }, directory)
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
