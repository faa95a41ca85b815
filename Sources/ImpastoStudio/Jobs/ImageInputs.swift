import Foundation
import ImpastoMedia
import ImpastoTensor

/// The images a job reads from what a user named (image files as given, folders replaced by the JPEG and PNG
/// files directly inside them, sorted by name), and the checks its image outputs share.
public enum ImageInputs {
    /// - Throws: `ImpastoError.unreadableFile` for a path that does not exist, `.invalidArgument` for a folder
    ///   without images.
    public static func expand(_ inputs: [URL]) throws -> [URL] {
        let manager = FileManager.default
        return try inputs.flatMap { url -> [URL] in
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                throw ImpastoError.unreadableFile(path: url.path, reason: "it does not exist")
            }
            guard isFolder.boolValue else { return [url] }
            let images = try manager.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
                .filter { ImageFileFormat.fileExtensions.contains($0.pathExtension.lowercased()) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            guard !images.isEmpty else {
                throw ImpastoError.invalidArgument("The folder \(url.path) holds no JPEG or PNG images.")
            }
            return images
        }
    }

    /// The encoding an output's extension asks for, or the sentence saying which extensions there are.
    static func format(of url: URL, quality: Int) throws -> ImageFileFormat {
        guard let format = ImageFileFormat(pathExtension: url.pathExtension, jpegQuality: quality) else {
            throw ImpastoError.invalidArgument("The output \(url.path) must end in .png, .jpg or .jpeg.")
        }
        return format
    }

    /// Refuses to start when a folder that outputs go to is missing or not writable.
    static func checkWritable(foldersOf outputs: [URL]) throws {
        for folder in Set(outputs.map { $0.deletingLastPathComponent().path })
        where !FileManager.default.isWritableFile(atPath: folder) {
            throw ImpastoError.writeFailed(path: folder, reason: "the folder does not exist or is not writable")
        }
    }

    /// Refuses outputs that two inputs would share (same-named images from two folders).
    static func refuseCollisions(_ outputs: [URL]) throws {
        var seen = Set<String>()
        for output in outputs where !seen.insert(Overwriting.canonicalPath(output)).inserted {
            throw ImpastoError.invalidArgument("Two inputs would both be written to \(output.path); rename one of them.")
        }
    }
}
